"""The whole k8stip on the fake Discord for the issue-13 flows: the real discord.py adapter, the
real Router over a CommunityEngine and a real Store, the AdapterNotifier (review notices,
authors' direct messages), the Deliverer and `post now` through it, one shared FakeClock."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.adapters.discord import DiscordAdapter, create_adapter
from bot.adapters.discord.commands import topic_suggester
from bot.config import DeliveryConfig, Secrets, config_from_mapping
from bot.core.engine import Engine
from bot.runtime.community import CommunityEngine
from bot.runtime.delivery import Deliverer
from bot.runtime.delivery.post_now import LatePostNow
from bot.runtime.notifier import AdapterNotifier
from bot.runtime.router import Router
from bot.runtime.store import Store
from tests.fakes.clock import FakeClock
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord
from tests.fakes.discord_router import Events

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Amsterdam
REVIEW_CHANNEL = 1_300_000_000_000_000_300
MEMBER = 1_300_000_000_000_000_777
MODERATOR = 1_300_000_000_000_000_888
SECOND_MODERATOR = 1_300_000_000_000_000_889
ROLE = 1_300_000_000_000_000_900


@dataclass
class Stack:
    """One replica: its router, adapter, deliverer and the store it shares."""

    store: Store
    engine: CommunityEngine
    router: Router
    adapter: DiscordAdapter
    deliverer: Deliverer
    clock: FakeClock


async def start_stack(
    fake: FakeDiscord,
    base: Engine,
    store: Store,
    clock: FakeClock,
    worker: str = "w1",
    **discord: Any,
) -> Stack:
    """`discord`: more `discord.*` settings (a replica's `shard_count` and `shard_ids`)."""
    config = config_from_mapping(
        {
            "timezone": "Europe/Amsterdam",
            "rate_limit": {"commands_per_minute": 1000},
            "discord": {
                "api_url": fake.api_url,
                "review_channel": str(REVIEW_CHANNEL),
                **discord,
            },
        }
    )
    engine = CommunityEngine(base, store, clock)
    notifier = AdapterNotifier()
    post_now = LatePostNow()
    router = Router(
        engine, store, config, clock, random.Random(7), notifier=notifier, post_now=post_now
    )
    adapter = create_adapter(
        config,
        Secrets({"DISCORD_TOKEN": fake.token}),
        router.handle,
        Events(),
        suggest=topic_suggester(base.corpus.topics.values()),
        client_options={"guild_ready_timeout": 0.01},
    )
    await asyncio.wait_for(adapter.start(), 10)
    notifier.adapters["discord"] = adapter
    deliverer = Deliverer(
        store,
        engine,
        {"discord": adapter},
        DeliveryConfig(),
        clock,
        random.Random(1),
        worker=worker,
    )
    post_now.bind(deliverer)
    return Stack(store, engine, router, adapter, deliverer, clock)


def private(body: dict[str, Any]) -> bool:
    return bool(int(body.get("flags") or 0) & EPHEMERAL)


def content(callback: dict[str, Any]) -> str:
    """The text of an interaction answer: its content and every embed's text."""
    data = callback.get("data") or {}
    parts = [str(data.get("content") or "")]
    for embed in data.get("embeds") or []:
        parts.append(str(embed.get("title") or ""))
        parts.append(str(embed.get("description") or ""))
        parts.extend(f"{f.get('name')} {f.get('value')}" for f in embed.get("fields") or [])
    return "\n".join(parts)


def message_text(body: dict[str, Any]) -> str:
    return content({"data": body})


def buttons(body: dict[str, Any]) -> dict[str, str]:
    """label -> custom_id of every button on a message or answer."""
    return {
        c["label"]: c["custom_id"]
        for row in body.get("components") or []
        for c in row.get("components") or []
        if c.get("type") == 2 and "custom_id" in c
    }


def text_inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in modal["components"]:
        out.extend(row.get("components") or [row.get("component")])
    return [c for c in out if c and c.get("type") == 4]


async def answer(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    """The bot's answer to an interaction as {"type", "data"}: the callback, or, when the
    adapter deferred (type 5, under load), the follow-up that carries the answer."""
    first = await fake.interact(payload, seconds=20)
    if first["type"] != 5:
        return first
    token = payload["token"]
    sent = await fake.wait_for(
        lambda: [w for w in fake.webhook_messages if w["token"] == token and w["body"]], 20
    )
    return {"type": 4, "data": sent[-1]["body"]}
