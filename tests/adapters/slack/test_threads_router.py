"""Threads and the one mention on Slack with everything real but Slack: slash commands and
presses through slack-bolt into the real router and store, the daily post through the
Deliverer and the adapter's REST client, all against the fake Slack."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.slack import SlackAdapter
from bot.config import DeliveryConfig, config_from_mapping
from bot.core.engine import Engine
from bot.runtime.delivery import Deliverer
from bot.runtime.router import Router
from bot.runtime.store import SENT, Store
from tests.adapters.slack.test_learning_presses import press
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import RecordingEvents, make_secrets, slash_command

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Amsterdam
DUE = datetime(2026, 3, 28, 8, 0, 30, tzinfo=UTC)  # Saturday, just past 09:00 in Amsterdam


@pytest.fixture
async def adapter(fake: FakeSlack, engine: Engine, store: Store) -> AsyncIterator[SlackAdapter]:
    config = config_from_mapping(
        {
            "timezone": "Europe/Amsterdam",
            "rate_limit": {"commands_per_minute": 1000},
            "slack": {"api_url": fake.api_url},
        }
    )
    router = Router(engine, store, config, FakeClock(NOW), random.Random(7))
    adapter = SlackAdapter(config, make_secrets(), router.handle, RecordingEvents())
    await adapter.start()
    yield adapter
    await adapter.stop()


async def command(fake: FakeSlack, text: str, user: str = "U_ADMIN") -> dict[str, Any]:
    _, url = fake.response_url()
    envelope = await fake.push("slash_commands", slash_command(text, url, user=user))
    payload: dict[str, Any] = (await fake.ack_for(envelope)).get("payload") or {}
    return payload


async def test_threads_and_a_user_group_from_slash_commands_to_the_daily_post_and_its_thread(
    fake: FakeSlack, adapter: SlackAdapter, engine: Engine, store: Store
) -> None:
    await command(fake, "subscribe 09:00 Europe/Amsterdam daily")
    refused = await command(fake, "threads on", user="U_MEMBER")
    assert "Only workspace admins" in refused["text"]
    assert "Threads on" in (await command(fake, "threads on"))["text"]
    set_to = await command(fake, "mention <!subteam^S0123ABC|@k8s-learners>")
    assert "user group with id S0123ABC" in set_to["text"]
    broadcast = await command(fake, "mention <!channel>")
    assert "never pings the whole channel" in broadcast["text"]

    deliverer = Deliverer(
        store, engine, {"slack": adapter}, DeliveryConfig(), FakeClock(DUE), random.Random(1)
    )
    assert [r.status for r in await deliverer.run_pass()] == [SENT]
    [post] = fake.calls_to("chat.postMessage")
    assert post.args["text"].startswith("<!subteam^S0123ABC> ")
    daily = fake.channels["C_LEARN"].messages[0]
    more = next(
        e["value"]
        for b in daily["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("k8stip:more:")
    )

    rid, _ = await press(fake, more, kind="more", ts=daily["ts"])
    answer = await fake.wait_for(lambda: fake.calls_to("chat.postMessage")[1:])
    assert answer[0].args["thread_ts"] == daily["ts"]
    assert "subteam" not in answer[0].args["text"]  # a thread answer pings nobody
    assert fake.responses_for(rid) == []

    await command(fake, "threads off")
    rid, _ = await press(fake, more, kind="more", ts=daily["ts"])
    [private] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert private["response_type"] == "ephemeral"
    assert len(fake.calls_to("chat.postMessage")) == 2
