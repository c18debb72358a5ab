"""Posts lost or doubled by short incidents (issue 15): a platform answering 503 for a while,
a refused token, a database restored from a backup or wiped.

Real adapters against the fake Slack and fake Discord, on SQLite and the real PostgreSQL; the
clock is injected and never sleeps for real.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord import create_adapter as create_discord_adapter
from bot.adapters.slack import SlackAdapter
from bot.config import DeliveryConfig, Secrets, config_from_mapping
from bot.ports import Adapter, AuthError, TransientError
from bot.runtime.delivery import Deliverer, DeliveryResult
from bot.runtime.health import Metrics
from bot.runtime.store import FAILED, PLANNED, SENT, Store, SubscriptionSpec
from tests.fakes.clock import FakeClock
from tests.fakes.databases import fresh_store
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_router import Events, Router
from tests.fakes.recording import RecordingAdapter
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.tips import FakeTips
from tests.slack_support import RecordingEvents, StandInRouter, make_config, make_secrets

pytestmark = pytest.mark.both_databases  # every `store` test: SQLite and PostgreSQL

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
AMS = "Europe/Amsterdam"
DAILY = (1, 2, 3, 4, 5, 6, 7)
# Friday 2026-03-27, 09:00 in Amsterdam is 08:00 UTC (CET, +01:00).
DUE = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
CATCH_UP = timedelta(hours=6)


def spec(platform: str, workspace: str, channel: str) -> SubscriptionSpec:
    return SubscriptionSpec(platform, workspace, channel, "09:00", AMS, DAILY)


def configure(store: Store, specs: Sequence[SubscriptionSpec], at: datetime) -> None:
    """What every start does with `subscriptions:` from the config file."""
    store.sync_config_subscriptions(specs, at, CATCH_UP)


def deliverer(
    store: Store, platform: str, adapter: Adapter, clock: FakeClock, **settings: Any
) -> Deliverer:
    cfg = DeliveryConfig(**settings)
    return Deliverer(store, FakeTips(), {platform: adapter}, cfg, clock, random.Random(1), "w1")


def statuses(results: list[DeliveryResult]) -> list[str]:
    return [r.status for r in results]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    for channel in ("C_LEARN", "C_OPS", "C_DEV"):
        fake.add_channel(channel)
    yield fake
    await fake.stop()


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.close()


def slack_adapter(fake: FakeSlack, clock: FakeClock) -> SlackAdapter:
    return SlackAdapter(
        make_config(fake.api_url),
        make_secrets(),
        StandInRouter(),
        RecordingEvents(),
        monotonic=lambda: clock.now().timestamp(),
        sleep=clock.sleep,
    )


def discord_adapter(fake: FakeDiscord) -> DiscordAdapter:
    config = config_from_mapping({"discord": {"api_url": fake.api_url}})
    return create_discord_adapter(
        config, Secrets({"DISCORD_TOKEN": fake.token}), Router(), Events()
    )


def discord_target(fake: FakeDiscord) -> tuple[str, str]:
    g = fake.guilds[0]
    return str(g.id), str(g.channels[0])


def retry_is_due(clock: FakeClock, store: Store) -> None:
    """Move the clock to the earliest `retry_at` of the waiting rows."""
    waiting = [x.retry_at for x in store.list_deliveries(status=PLANNED) if x.retry_at]
    clock.set(min(waiting))


# ----- 1. a failed post stays retryable -----------------------------------------------------


async def test_ten_slack_503s_in_a_row_post_once_on_a_later_pass(
    store: Store, slack: FakeSlack
) -> None:
    """The incident: ten 503s (5 attempts a pass) used to mark the day failed for good. Now the
    pass reports it failed with a retry time, the next passes try again, and it posts once."""
    configure(store, [spec("slack", "T1", "C_LEARN")], DUE - timedelta(hours=2))
    for _ in range(10):
        slack.fail("chat.postMessage", status=503)
    clock = FakeClock(DUE)
    adapter = slack_adapter(slack, clock)
    d = deliverer(store, "slack", adapter, clock, backoff_max_seconds=2)
    try:
        first = await d.run_pass()
        assert [(r.status, r.attempts) for r in first] == [(FAILED, 5)]
        assert first[0].retry_at is not None and "503" in first[0].error
        clock.advance(30)  # the next tick: the backoff between passes has not run out yet
        assert await d.run_pass() == []
        retry_is_due(clock, store)
        assert statuses(await d.run_pass()) == [FAILED]  # the other five 503s
        retry_is_due(clock, store)
        [last] = await d.run_pass()
    finally:
        await adapter.stop()
    assert (last.status, last.tip_id) == (SENT, first[0].tip_id)
    assert len(slack.calls_to("chat.postMessage")) == 11
    assert len(slack.channels["C_LEARN"].messages) == 1
    assert [x.status for x in store.list_deliveries()] == [SENT]
    assert clock.now() - DUE < timedelta(minutes=10)


async def test_a_post_failing_all_morning_is_given_up_at_the_end_of_the_window(
    store: Store,
) -> None:
    """Retried while the catch-up window lasts, then recorded failed: never posted late."""
    configure(store, [spec("slack", "T1", "C1")], DUE - timedelta(hours=2))
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [TransientError("http_503")] * 10_000
    clock = FakeClock(DUE)
    d = deliverer(store, "slack", adapter, clock, catch_up_hours=1, backoff_max_seconds=1)
    results: list[DeliveryResult] = []
    for _ in range(50):
        results += await d.run_pass()
        if results[-1].retry_at is None:
            break
        retry_is_due(clock, store)
        assert clock.now() <= DUE + timedelta(hours=1)  # no try after the window
    final = results[-1]
    assert (final.status, final.retry_at) == (FAILED, None)
    assert len(results) > 3  # several passes tried
    assert [x.status for x in store.list_deliveries()] == [FAILED]
    adapter.script["C1"] = []  # the platform is back, late at night: nothing goes out
    clock.set(DUE + timedelta(hours=14))
    assert await d.run_pass() == []
    assert adapter.posts == []


async def test_a_retryable_row_found_after_the_window_is_failed_not_skipped(store: Store) -> None:
    """A row that failed and waits for a later pass, when no pass comes until the window has
    passed, is recorded failed with what went wrong, not as a silent skip."""
    configure(store, [spec("slack", "T1", "C1")], DUE - timedelta(hours=2))
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [TransientError("http_503")] * 5
    clock = FakeClock(DUE)
    d = deliverer(store, "slack", adapter, clock)
    assert statuses(await d.run_pass()) == [FAILED]
    clock.set(DUE + CATCH_UP + timedelta(minutes=5))  # the process was down meanwhile
    [r] = await d.run_pass()
    assert r.status == FAILED and "catch-up window" in r.error and "http_503" in r.error
    assert adapter.posts == []


# ----- 2. a refused token is an adapter outage ------------------------------------------------


async def test_a_revoked_slack_token_pauses_nothing_and_posts_once_it_works_again(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    channels = ["C_LEARN", "C_OPS", "C_DEV"]
    configure(store, [spec("slack", "T1", c) for c in channels], DUE - timedelta(hours=2))
    workspace = slack.tokens.pop(BOT_TOKEN)  # Slack answers invalid_auth to everything
    clock = FakeClock(DUE)
    adapter = slack_adapter(slack, clock)
    metrics = Metrics(CollectorRegistry())
    d = Deliverer(
        store,
        FakeTips(),
        {"slack": adapter},
        DeliveryConfig(),
        clock,
        random.Random(1),
        "w1",
        observer=metrics,
    )
    try:
        with caplog.at_level(logging.WARNING, logger="bot.runtime.delivery"):
            first = await d.run_pass()
            clock.advance(30)
            assert await d.run_pass() == []  # waiting, not hammering Slack every tick
        assert statuses(first) == [FAILED] * 3
        assert all("invalid_auth" in r.error and r.retry_at for r in first)
        assert not any(s.paused for s in store.list_subscriptions())
        assert list(d.unauthorized()) == ["slack"]
        assert "invalid_auth" in d.unauthorized()["slack"]
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "nothing is paused" in errors[0].getMessage()
        assert BOT_TOKEN not in caplog.text
        failures = metrics.registry.get_sample_value(
            "k8stip_adapter_auth_failures_total", {"platform": "slack"}
        )
        assert failures is not None and failures >= 1
        slack.tokens[BOT_TOKEN] = workspace  # the token works again
        for _ in range(3):
            retry_is_due(clock, store)
            await d.run_pass()
            if not store.list_deliveries(status=PLANNED):
                break
    finally:
        await adapter.stop()
    assert sorted(x.status for x in store.list_deliveries()) == [SENT] * 3
    assert {c: len(slack.channels[c].messages) for c in channels} == dict.fromkeys(channels, 1)
    assert d.unauthorized() == {}
    assert clock.now() - DUE < CATCH_UP


async def test_a_rejected_discord_token_pauses_nothing_and_posts_once_it_works_again(
    store: Store, discord_fake: FakeDiscord
) -> None:
    guild, channel = discord_target(discord_fake)
    configure(store, [spec("discord", guild, channel)], DUE - timedelta(hours=2))
    adapter = discord_adapter(discord_fake)  # with the token that works
    good = discord_fake.token
    discord_fake.token = "rotated-on-the-developer-portal"  # ours is refused: HTTP 401
    clock = FakeClock(DUE)
    d = deliverer(store, "discord", adapter, clock)
    try:
        [first] = await d.run_pass()
        assert (first.status, first.retry_at is not None) == (FAILED, True)
        assert "DISCORD_TOKEN" in first.error
        assert not any(s.paused for s in store.list_subscriptions())
        assert list(d.unauthorized()) == ["discord"]
        discord_fake.token = good  # fixed
        retry_is_due(clock, store)
        [r] = await d.run_pass()
    finally:
        await adapter.stop()
    assert r.status == SENT
    assert len(discord_fake.channel_messages) == 1
    assert d.unauthorized() == {}


async def test_while_the_token_is_refused_the_other_posts_are_held_without_calling(
    store: Store,
) -> None:
    """One refused call is enough: the platform's other due posts wait for the next probe
    instead of each being refused in turn, and none of them is paused."""
    configure(store, [spec("slack", "T1", f"C{i}") for i in range(20)], DUE - timedelta(hours=2))
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C0"] = [AuthError("invalid_auth: the Slack bot token is not valid")]
    clock = FakeClock(DUE)
    d = deliverer(store, "slack", adapter, clock, concurrency=1)
    results = await d.run_pass()
    assert statuses(results) == [FAILED] * 20 and all(r.retry_at for r in results)
    assert adapter.calls == 1
    assert not any(s.paused for s in store.list_subscriptions())
    retry_is_due(clock, store)
    assert statuses(await d.run_pass()) == [SENT] * 20  # the probe went through: all post
    assert len(adapter.posts) == 20 and d.unauthorized() == {}


# ----- 3. a restore never doubles a post ------------------------------------------------------


@pytest.mark.parametrize("kind", DATABASES)
async def test_a_wiped_database_does_not_post_the_slack_tip_twice(
    kind: str, tmp_path: Path, slack: FakeSlack
) -> None:
    """Day D is posted; the database file is deleted; the catch-up pass of the fresh store
    finds the post in the channel (message metadata) and records it, posting nothing."""
    specs = [spec("slack", "T1", "C_LEARN")]
    clock = FakeClock(DUE)
    adapter = slack_adapter(slack, clock)
    try:
        with fresh_store(kind, tmp_path / "before") as store:
            configure(store, specs, DUE - timedelta(hours=2))
            assert statuses(await deliverer(store, "slack", adapter, clock).run_pass()) == [SENT]
        assert slack.calls_to("conversations.history") == []  # on time: no lookup
        clock.set(DUE + timedelta(hours=1))
        with fresh_store(kind, tmp_path / "after") as store:  # same config, empty database
            configure(store, specs, clock.now())
            [r] = await deliverer(store, "slack", adapter, clock).run_pass()
            assert [x.status for x in store.list_deliveries()] == [SENT]
    finally:
        await adapter.stop()
    assert (r.status, r.reconciled) == (SENT, True)
    assert r.message_id == slack.channels["C_LEARN"].messages[0]["ts"]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.channels["C_LEARN"].messages) == 1


@pytest.mark.parametrize("kind", DATABASES)
async def test_a_wiped_database_does_not_post_the_discord_tip_twice(
    kind: str, tmp_path: Path, discord_fake: FakeDiscord
) -> None:
    """The same on Discord, hours later, when the nonce no longer protects: the post is found
    in the channel's messages by the delivery id it carries."""
    guild, channel = discord_target(discord_fake)
    specs = [spec("discord", guild, channel)]
    clock = FakeClock(DUE)
    adapter = discord_adapter(discord_fake)
    try:
        with fresh_store(kind, tmp_path / "before") as store:
            configure(store, specs, DUE - timedelta(hours=2))
            [first] = await deliverer(store, "discord", adapter, clock).run_pass()
        assert first.status == SENT
        discord_fake.forget_nonces()  # hours pass: Discord no longer enforces the nonce
        clock.set(DUE + timedelta(hours=2))
        with fresh_store(kind, tmp_path / "after") as store:
            configure(store, specs, clock.now())
            [r] = await deliverer(store, "discord", adapter, clock).run_pass()
    finally:
        await adapter.stop()
    assert (r.status, r.reconciled, r.message_id) == (SENT, True, first.message_id)
    assert len(discord_fake.requests_to("POST", r"/channels/\d+/messages")) == 1
    assert len(discord_fake.channel_messages) == 1


async def test_an_on_time_post_is_not_looked_up_and_a_late_first_try_is(store: Store) -> None:
    """The rule: a post more than two ticks (at least a minute) overdue when its pass starts
    is a catch-up post, and the channel is searched for it before its first attempt."""
    configure(store, [spec("slack", "T1", "C1"), spec("slack", "T1", "C2")], DUE)
    clock = FakeClock(DUE + timedelta(seconds=59))
    d = deliverer(store, "slack", RecordingAdapter(platform="slack"), clock, tick_seconds=30)
    adapter = d.adapters["slack"]
    assert isinstance(adapter, RecordingAdapter)
    assert statuses(await d.run_pass()) == [SENT, SENT]
    assert adapter.find_calls == 0
    clock.set(DUE + timedelta(days=1, seconds=61))
    assert statuses(await d.run_pass()) == [SENT, SENT]
    assert adapter.find_calls == 2 and len(adapter.posts) == 4
