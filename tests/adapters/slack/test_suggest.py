"""`/k8stip suggest` through the real Slack adapter and router, against the fake Slack:
answered privately, the member's text shown without pinging anyone."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.slack import SlackAdapter
from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.runtime.router import Router
from bot.runtime.store import Store
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import RecordingEvents, make_secrets, slash_command

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
async def adapter(fake: FakeSlack, engine: Engine, store: Store) -> AsyncIterator[SlackAdapter]:
    config = config_from_mapping(
        {"rate_limit": {"commands_per_minute": 1000}, "slack": {"api_url": fake.api_url}}
    )
    router = Router(engine, store, config, FakeClock(NOW), random.Random(7))
    adapter = SlackAdapter(config, make_secrets(), router.handle, RecordingEvents())
    await adapter.start()
    yield adapter
    await adapter.stop()


async def command(fake: FakeSlack, text: str) -> dict[str, Any]:
    _, url = fake.response_url()
    envelope = await fake.push("slash_commands", slash_command(text, url, user="U_MEMBER"))
    payload: dict[str, Any] = (await fake.ack_for(envelope)).get("payload") or {}
    return payload


async def test_a_suggestion_with_mentions_is_queued_and_echoed_without_a_ping(
    fake: FakeSlack, adapter: SlackAdapter, store: Store
) -> None:
    text = "<!everyone> <@U0ADMIN> use kubectl drain --ignore-daemonsets before node upgrades"
    payload = await command(fake, f"suggest {text} | kubectl")
    assert payload["response_type"] == "ephemeral"
    shown = json.dumps(payload)
    assert "waits for an admin's review" in shown
    assert "<!everyone>" not in shown and "<@U0ADMIN>" not in shown
    [s] = store.pending_suggestions()[0]
    assert s.member == "U_MEMBER" and s.topics == ("kubectl",)
    assert s.text == text  # kept as typed; only rendering neutralises it
