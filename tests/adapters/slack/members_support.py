"""The whole bot on Slack for issue 13's end-to-end tests, wired as `bot.app.wire` wires it but
with a fake clock: the real slack-bolt adapter (Socket Mode) against the fake Slack, the real
Router over a real Store, the CommunityEngine, the AdapterNotifier and the Deliverer (with
`post now` bound to it). Commands and presses go in over the socket; what k8stip says comes
back in the ack, through a response_url, or as Web API calls the fake records."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.adapters.slack import SlackAdapter
from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.runtime.community import CommunityEngine
from bot.runtime.delivery import Deliverer
from bot.runtime.delivery.post_now import LatePostNow
from bot.runtime.delivery.results import DeliveryResult
from bot.runtime.notifier import AdapterNotifier
from bot.runtime.router import Router
from bot.runtime.store import Store
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import NOW as WALL_CLOCK
from tests.slack_support import RecordingEvents, block_actions, make_secrets, slash_command

REVIEW_CHANNEL = "C0REVIEW01"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a rendered message, whichever actions row it is in."""
    blocks = message.get("blocks") or []
    return [e for b in blocks if b.get("type") == "actions" for e in b["elements"]]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    """The button whose label starts with `label`."""
    found = [b for b in buttons(message) if b["text"]["text"].startswith(label)]
    assert found, f"no {label!r} button in {[b['text']['text'] for b in buttons(message)]}"
    return found[0]


def shown(message: dict[str, Any]) -> str:
    """All a member reads in a message: its text and every block, as one string."""
    return json.dumps([message.get("text", ""), message.get("blocks") or []], ensure_ascii=False)


@dataclass
class Bot:
    """The running bot and the fake Slack it talks to."""

    fake: FakeSlack
    clock: FakeClock
    store: Store
    engine: CommunityEngine
    router: Router
    adapter: SlackAdapter
    deliverer: Deliverer

    async def command(
        self, text: str, user: str = "U_MEMBER", channel: str = "C_LEARN"
    ) -> dict[str, Any]:
        """Type `/k8stip text`; returns the answer (the ack's payload, or the response)."""
        rid, url = self.fake.response_url()
        envelope = await self.fake.push(
            "slash_commands", slash_command(text, url, user=user, channel=channel)
        )
        payload: dict[str, Any] = (await self.fake.ack_for(envelope)).get("payload") or {}
        if payload:
            return payload
        [late] = await self.fake.wait_for(lambda: self.fake.responses_for(rid))
        answer: dict[str, Any] = late
        return answer

    async def press(
        self,
        pressed: dict[str, Any],
        user: str = "U_MEMBER",
        *,
        ts: str = "1700000099.000100",
        ephemeral: bool = True,
        channel: str = "C_LEARN",
    ) -> str:
        """Press a rendered button; returns the id of the response_url it was given."""
        rid, url = self.fake.response_url()
        payload = block_actions(
            pressed["action_id"], pressed["value"], url, user=user, channel=channel
        )
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        await self.fake.push("interactive", payload)
        return rid

    async def answer_to(self, rid: str) -> dict[str, Any]:
        """The one answer sent through response_url `rid`."""
        [answer] = await self.fake.wait_for(lambda: self.fake.responses_for(rid))
        result: dict[str, Any] = answer
        return result

    async def run_pass(self, at: datetime) -> list[DeliveryResult]:
        """One delivery pass at `at` (the clock is moved there first)."""
        self.clock.set(at)
        return await self.deliverer.run_pass(at)


def _config(fake: FakeSlack, http_database: str | None) -> Any:
    slack: dict[str, Any] = {"api_url": fake.api_url, "review_channel": REVIEW_CHANNEL}
    data: dict[str, Any] = {
        "timezone": "Europe/Amsterdam",
        "rate_limit": {"commands_per_minute": 1000},
        "slack": slack,
        "delivery": {"backoff_base_seconds": 0.01},
    }
    if http_database is not None:  # HTTP mode keeps its replay ledger in the database
        slack.update(mode="http", http_port=0)
        data["database"] = http_database
    return config_from_mapping(data)


@asynccontextmanager
async def running_bot(
    fake: FakeSlack,
    engine: Engine,
    store: Store,
    start: datetime,
    *,
    http_database: str | None = None,
) -> AsyncIterator[Bot]:
    """The bot wired as `bot.app.wire` does, its clock at `start`; in Socket Mode, or in HTTP
    mode (signed requests, the wall clock pinned at `slack_support.NOW`) when given the
    migrated database its replay ledger lives in."""
    fake.add_channel(REVIEW_CHANNEL)
    clock = FakeClock(start)
    config = _config(fake, http_database)
    community = CommunityEngine(engine, store, clock)
    notifier = AdapterNotifier()
    post_now = LatePostNow()
    router = Router(
        community, store, config, clock, random.Random(7), notifier=notifier, post_now=post_now
    )
    if http_database is None:
        adapter = SlackAdapter(config, make_secrets(), router.handle, RecordingEvents())
    else:
        adapter = SlackAdapter(
            config,
            make_secrets(SLACK_APP_TOKEN=""),
            router.handle,
            RecordingEvents(),
            wall_clock=lambda: WALL_CLOCK,
            http_host="127.0.0.1",
        )
    adapters = {"slack": adapter}
    deliverer = Deliverer(
        store, community, adapters, config.delivery, clock, random.Random(1), worker="w1"
    )
    post_now.bind(deliverer)
    notifier.adapters.update(adapters)
    await adapter.start()
    try:
        yield Bot(fake, clock, store, community, router, adapter, deliverer)
    finally:
        await adapter.stop()
