"""Daily delivery (bot/delivery.py): once per channel per day, catch-up, retries, reconciliation.

Runs on SQLite and the real PostgreSQL; the clock is injected and never sleeps for real.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.config import DeliveryConfig
from bot.core.wording import info
from bot.ports import (
    AmbiguousError,
    PermanentError,
    RateLimited,
    Target,
    TransientError,
)
from bot.runtime.delivery import Deliverer, backoff_delay
from bot.runtime.store import PAUSED, SENT, SKIPPED, Store, SubscriptionSpec
from tests.fakes.clock import FakeClock
from tests.fakes.databases import fresh_store
from tests.fakes.recording import RecordingAdapter
from tests.fakes.tips import FakeTips

pytestmark = pytest.mark.both_databases  # every `store` test: SQLite and PostgreSQL

AMS = "Europe/Amsterdam"
DAILY = (1, 2, 3, 4, 5, 6, 7)
# Friday 2026-03-27, 09:00 in Amsterdam is 08:00 UTC (CET, +01:00).
DUE = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
CREATED = DUE - timedelta(hours=2)


def subscribe(
    store: Store,
    channel: str = "C1",
    time: str = "09:00",
    days: tuple[int, ...] = DAILY,
    topics: tuple[str, ...] = (),
    at: datetime = CREATED,
) -> None:
    store.upsert_subscription(
        SubscriptionSpec("slack", "T1", channel, time, AMS, days, topics), "chat", "U1", at
    )


def make(
    store: Store, clock: FakeClock, adapter: RecordingAdapter | None = None, **settings: Any
) -> tuple[Deliverer, RecordingAdapter]:
    adapter = adapter or RecordingAdapter(platform="slack")
    cfg = DeliveryConfig(**settings)
    d = Deliverer(store, FakeTips(), {"slack": adapter}, cfg, clock, random.Random(1), "w1")
    return d, adapter


async def test_a_due_subscription_posts_once_and_a_second_pass_posts_nothing(store: Store) -> None:
    subscribe(store)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock)
    first = await d.run_pass()
    assert [(r.channel, r.status) for r in first] == [("C1", SENT)]
    assert adapter.posts[0].delivery_id == "k8s-1-20260327"
    assert adapter.posts[0].reply.cards[0].tip_id == first[0].tip_id
    assert await d.run_pass() == []
    assert len(adapter.posts) == 1


async def test_nothing_posts_before_the_local_time(store: Store) -> None:
    subscribe(store)
    d, adapter = make(store, FakeClock(DUE - timedelta(minutes=1)))
    assert await d.run_pass() == []
    assert adapter.posts == []


async def test_down_at_nine_back_at_eleven_posts_the_missed_tip_once(store: Store) -> None:
    subscribe(store)
    clock = FakeClock(DUE - timedelta(hours=1))
    d, adapter = make(store, clock)
    await d.run_pass()  # 08:00 local: nothing due yet
    clock.set(DUE + timedelta(hours=2))  # the process was down from 09:00 to 11:00
    assert [r.status for r in await d.run_pass()] == [SENT]
    clock.advance(3600)
    assert await d.run_pass() == []
    assert len(adapter.posts) == 1


async def test_later_than_the_catch_up_window_is_recorded_as_skipped_not_posted(
    store: Store,
) -> None:
    subscribe(store)
    clock = FakeClock(DUE + timedelta(hours=7))
    d, adapter = make(store, clock, catch_up_hours=6)
    results = await d.run_pass()
    assert [(r.status, r.local_date) for r in results] == [(SKIPPED, "2026-03-27")]
    assert adapter.posts == []
    assert [x.status for x in store.list_deliveries()] == [SKIPPED]
    assert await d.run_pass() == []  # reported once


async def test_a_planned_row_found_too_late_is_skipped_too(store: Store) -> None:
    """A row planned in time but only reached after the catch-up window is recorded as skipped,
    not posted."""
    subscribe(store)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock, catch_up_hours=6)
    d.adapters = {}  # this process can't post to slack: it only plans
    await d.run_pass()
    clock.set(DUE + timedelta(hours=6, minutes=1))
    d.adapters = {"slack": adapter}
    assert [r.status for r in await d.run_pass()] == [SKIPPED]
    assert adapter.posts == []


async def test_rate_limited_waits_retry_after_then_posts(store: Store) -> None:
    subscribe(store)
    clock = FakeClock(DUE)
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [RateLimited(7.0), RateLimited(3.0)]
    d, _ = make(store, clock, adapter)
    [r] = await d.run_pass()
    assert r.status == SENT
    assert clock.sleeps[:2] == [7.0, 3.0]
    assert len(adapter.posts) == 1


async def test_transient_errors_back_off_with_jitter_then_post(store: Store) -> None:
    """After a 5xx or a timeout the delivery waits an exponentially growing delay, jittered down by
    up to half, and posts once the platform answers."""
    subscribe(store)
    clock = FakeClock(DUE)
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [TransientError("http_500"), TransientError("timeout")]
    d, _ = make(store, clock, adapter, backoff_base_seconds=2, backoff_max_seconds=60)
    [r] = await d.run_pass()
    assert (r.status, r.attempts) == (SENT, 3)
    assert 1.0 <= clock.sleeps[0] <= 2.0
    assert 2.0 <= clock.sleeps[1] <= 4.0


async def test_transient_errors_stop_the_pass_after_max_attempts_and_stay_retryable(
    store: Store,
) -> None:
    """After `max_attempts` transient errors, with capped waits between them, the pass reports
    the delivery failed with the last error, and the row waits for a later pass (retry_at)."""
    subscribe(store)
    clock = FakeClock(DUE)
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [TransientError("http_503")] * 10
    d, _ = make(store, clock, adapter, max_attempts=4, backoff_max_seconds=5)
    [r] = await d.run_pass()
    assert (r.status, r.attempts, r.error) == ("failed", 4, "http_503")
    assert adapter.calls == 4
    assert len(clock.sleeps) == 3 and max(clock.sleeps) <= 5
    [row] = store.list_deliveries()
    assert row.status == "planned" and row.retry_at is not None and row.retry_at > clock.now()
    assert r.retry_at == row.retry_at.isoformat()


def test_backoff_is_bounded_and_jittered() -> None:
    """Backoff delays stay between half the base and the cap, reach at least half the cap, and
    differ from attempt to attempt."""
    rng = random.Random(3)
    delays = [backoff_delay(n, 1.0, 30.0, rng) for n in range(1, 12)]
    assert all(0.5 <= x <= 30.0 for x in delays)
    assert delays[-1] >= 15.0  # capped at 30, jittered down at most by half
    assert len(set(delays)) == len(delays)


async def test_an_ambiguous_post_that_landed_is_reconciled_not_reposted(store: Store) -> None:
    """When a post's outcome is unknown, the channel is searched for the delivery id, and a post
    found there is marked sent, not repeated."""
    subscribe(store)
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [AmbiguousError("connection reset")]
    d, _ = make(store, FakeClock(DUE), adapter)
    [r] = await d.run_pass()
    assert (r.status, r.reconciled) == (SENT, True)
    assert len(adapter.posts) == 1 and adapter.find_calls == 1


async def test_a_permanent_error_pauses_the_subscription_with_the_reason(store: Store) -> None:
    """A permanent platform error pauses the subscription with the platform's reason, and later days
    report it paused instead of posting."""
    subscribe(store)
    clock = FakeClock(DUE)
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [PermanentError("channel_not_found")]
    d, _ = make(store, clock, adapter)
    [r] = await d.run_pass()
    assert (r.status, r.error) == (PAUSED, "channel_not_found")
    [sub] = store.list_subscriptions()
    assert sub.paused and "channel_not_found" in sub.paused_reason
    clock.advance(24 * 3600)  # the next day: recorded as paused, not posted
    assert [r.status for r in await d.run_pass()] == [PAUSED]
    assert adapter.posts == []


async def test_crash_between_post_and_mark_is_reconciled_after_the_lease(store: Store) -> None:
    """A tip posted by a process that died before marking it is found in the channel once the lease
    expires, and marked sent with that tip, not posted again."""
    subscribe(store)
    clock = FakeClock(DUE)
    adapter = RecordingAdapter(platform="slack")
    # The dead process planned, claimed, chose a tip and posted, then vanished before marking.
    dead, _ = make(store, clock, adapter, lease_seconds=60)
    dead.adapters = {}
    await dead.run_pass()
    [row] = store.claim_deliveries(DUE, DUE, "dead", 60, 10, ["slack"])
    store.set_delivery_tip(row.id, "tip-01", "dead", DUE + timedelta(seconds=60), DUE)
    await adapter.post(Target("slack", "T1", "C1"), info("tip"), row.key)
    alive, _ = make(store, clock, adapter, lease_seconds=60)
    alive.worker = "alive"
    assert await alive.run_pass() == []  # lease still held
    clock.advance(61)
    [r] = await alive.run_pass()
    assert (r.status, r.reconciled, r.tip_id) == (SENT, True, "tip-01")
    assert len(adapter.posts) == 1


async def test_a_row_claimed_by_a_dead_process_before_posting_is_posted_once(store: Store) -> None:
    """A row claimed by a process that died before posting waits out the lease, then another process
    posts it once."""
    subscribe(store)
    clock = FakeClock(DUE)
    planner, adapter = make(store, clock, lease_seconds=60)
    planner.adapters = {}
    await planner.run_pass()
    store.claim_deliveries(DUE, DUE, "dead", 60, 10, ["slack"])
    d, _ = make(store, clock, adapter, lease_seconds=60)
    assert await d.run_pass() == []
    clock.advance(120)
    [r] = await d.run_pass()
    assert (r.status, r.reconciled) == (SENT, False)
    assert len(adapter.posts) == 1


async def test_rotation_shows_every_tip_before_repeating(store: Store) -> None:
    """Twelve daily posts to one channel show twelve different tips, and not in id order."""
    subscribe(store)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock)
    for _ in range(12):
        await d.run_pass()
        clock.advance(24 * 3600)
    shown = [p.reply.cards[0].tip_id for p in adapter.posts]
    assert len(shown) == 12 and len(set(shown)) == 12
    assert shown != sorted(shown)


async def test_topic_filter_limits_the_tips(store: Store) -> None:
    """A subscription with a topic filter only posts tips on those topics, without repeats."""
    subscribe(store, topics=("rbac",))
    clock = FakeClock(DUE)
    d, adapter = make(store, clock)
    for _ in range(4):
        await d.run_pass()
        clock.advance(24 * 3600)
    assert all(p.reply.cards[0].topics == ("rbac",) for p in adapter.posts)
    assert len({p.reply.cards[0].tip_id for p in adapter.posts}) == 4


async def test_weekdays_only_skips_the_weekend(store: Store) -> None:
    subscribe(store, days=(1, 2, 3, 4, 5))
    clock = FakeClock(DUE)  # Friday
    d, adapter = make(store, clock)
    for _ in range(4):  # Fri, Sat, Sun, Mon
        await d.run_pass()
        clock.advance(24 * 3600)
    assert [p.delivery_id[-8:] for p in adapter.posts] == ["20260327", "20260330"]


async def test_subscribing_after_the_hour_starts_tomorrow(store: Store) -> None:
    """A subscription created after today's posting time doesn't catch up today; its first tip comes
    tomorrow."""
    subscribe(store, at=DUE + timedelta(hours=1))
    clock = FakeClock(DUE + timedelta(hours=2))
    d, adapter = make(store, clock)
    assert await d.run_pass() == []
    assert adapter.posts == []
    clock.advance(24 * 3600)
    assert [r.status for r in await d.run_pass()] == [SENT]


async def test_paused_subscription_is_reported_and_not_posted(store: Store) -> None:
    """A paused subscription's due day is reported as paused, with the reason it was paused, and
    nothing is posted."""
    subscribe(store)
    [sub] = store.list_subscriptions()
    store.set_paused(sub.id, True, "paused by U1", CREATED)
    d, adapter = make(store, FakeClock(DUE))
    assert [(r.status, r.error) for r in await d.run_pass()] == [(PAUSED, "paused by U1")]
    assert adapter.posts == []


class FlakyStore(Store):
    """The database drops out for the first few marks (a failover), then comes back."""

    failures = 3

    def mark_sent_many(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE deliveries", {}, ConnectionError("server closed"))
        return super().mark_sent_many(*args, **kwargs)


async def test_database_down_for_a_moment_delays_the_mark_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """When the database drops out while marking, the mark is retried after a wait, so the tip is
    posted once and recorded as sent."""
    with fresh_store("sqlite", tmp_path) as base:
        store = FlakyStore(base.engine)
        subscribe(store)
        clock = FakeClock(DUE)
        d, adapter = make(store, clock)
        [r] = await d.run_pass()
        assert r.status == SENT
        assert len(adapter.posts) == 1
        assert [x.status for x in store.list_deliveries()] == [SENT]
        assert len(clock.sleeps) == 3


async def test_many_channels_all_post_exactly_once(store: Store) -> None:
    for i in range(250):
        subscribe(store, channel=f"C{i}")
    d, adapter = make(store, FakeClock(DUE), workspace_posts_per_second=0)
    results = await d.run_pass()
    assert len(results) == 250 and {r.status for r in results} == {SENT}
    assert sorted(adapter.channels()) == sorted(f"C{i}" for i in range(250))


async def test_a_claim_lost_to_another_process_is_not_posted(store: Store) -> None:
    """A process whose lease ran out before it posted finds the row taken over and skips it instead
    of posting."""
    subscribe(store)
    clock = FakeClock(DUE)
    slow, adapter = make(store, clock, lease_seconds=60)
    [row] = [*(await _plan_and_claim(store, slow, "slow"))]
    # Its lease runs out before it gets to post; another process takes the row over.
    clock.advance(61)
    [taken] = store.claim_deliveries(DUE, clock.now(), "fast", 60, 10, ["slack"])
    assert taken.id == row.id
    result = await slow.deliver(row, None, DUE)
    assert (result.status, result.error) == (SKIPPED, "taken over by another process")
    assert adapter.posts == []


async def _plan_and_claim(store: Store, d: Deliverer, worker: str) -> list[Any]:
    adapters, d.adapters = d.adapters, {}
    await d.run_pass()
    d.adapters = adapters
    return store.claim_deliveries(DUE, DUE, worker, 60, 10, ["slack"])
