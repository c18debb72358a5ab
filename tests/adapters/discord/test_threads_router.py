"""Threads and the one mention on Discord with everything real but Discord: app commands and
presses through discord.py into the real router and store, the daily post through the
Deliverer and the adapter's REST client, all against the fake Discord."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.adapters.discord import DiscordAdapter, create_adapter
from bot.adapters.discord.commands import topic_suggester
from bot.config import DeliveryConfig, Secrets, config_from_mapping
from bot.core.engine import Engine
from bot.runtime.delivery import Deliverer
from bot.runtime.router import Router
from bot.runtime.store import SENT, Store
from tests.fakes.clock import FakeClock
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_router import TOPICS, Events

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Amsterdam
DUE = datetime(2026, 3, 28, 8, 0, 30, tzinfo=UTC)  # Saturday, just past 09:00 in Amsterdam
ROLE = 1_300_000_000_000_000_900


@pytest.fixture
async def adapter(fake: FakeDiscord, engine: Engine, store: Store) -> AsyncIterator[DiscordAdapter]:
    config = config_from_mapping(
        {
            "timezone": "Europe/Amsterdam",
            "rate_limit": {"commands_per_minute": 1000},
            "discord": {"api_url": fake.api_url},
        }
    )
    router = Router(engine, store, config, FakeClock(NOW), random.Random(7))
    adapter = create_adapter(
        config,
        Secrets({"DISCORD_TOKEN": fake.token}),
        router.handle,
        Events(),
        suggest=topic_suggester(TOPICS),
        client_options={"guild_ready_timeout": 0.01},
    )
    await asyncio.wait_for(adapter.start(), 10)
    yield adapter
    await adapter.stop()


async def test_a_role_and_threads_from_app_commands_to_the_daily_post_and_its_thread(
    fake: FakeDiscord, adapter: DiscordAdapter, engine: Engine, store: Store
) -> None:
    admin = ["k8stip-admin"]
    await fake.interact(
        fake.slash(
            [*admin, "subscribe"],
            {"time": "09:00", "timezone": "Europe/Amsterdam", "days": "daily"},
            admin=True,
        )
    )
    await fake.interact(fake.slash([*admin, "threads"], {"setting": "on"}, admin=True))
    everyone = fake.guilds[0].id  # the @everyone role has the guild's id
    refused = await fake.interact(
        fake.slash([*admin, "mention"], roles={"role": everyone}, admin=True)
    )
    assert "never pings the whole channel" in refused["data"]["content"]
    await fake.interact(fake.slash([*admin, "mention"], roles={"role": ROLE}, admin=True))
    sub = store.get_subscription("discord", str(everyone), str(fake.guilds[0].channels[0]))
    assert sub is not None and sub.mention == f"role:{ROLE}"

    deliverer = Deliverer(
        store, engine, {"discord": adapter}, DeliveryConfig(), FakeClock(DUE), random.Random(1)
    )
    assert [r.status for r in await deliverer.run_pass()] == [SENT]
    [daily] = fake.channel_messages
    assert daily["content"].startswith(f"<@&{ROLE}>")
    assert daily["allowed_mentions"] == {"parse": [], "roles": [ROLE]}

    channel = fake.guilds[0].channels[0]
    post = fake._history[channel][-1]
    more = next(
        c["custom_id"]
        for row in post["components"]
        for c in row["components"]
        if c["custom_id"].startswith("k8stip:more ")
    )
    await fake.interact(fake.button(more, message=post))
    answer = await fake.wait_for(lambda: fake.channel_messages[1:])
    assert fake.threads == {int(post["id"]): channel}
    assert answer[0]["channel_id"] == int(post["id"])
    assert answer[0]["allowed_mentions"] == {"parse": []}  # the answer pings nobody

    # A press on a message that is no daily post is answered privately, as before.
    other = fake._message(channel, {"content": "not a daily post", "components": []})
    result = await fake.interact(fake.button(more, message=other))
    assert result["type"] == 4 and int(result["data"]["flags"]) & 64
    assert len(fake.channel_messages) == 2
