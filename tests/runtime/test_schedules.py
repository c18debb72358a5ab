"""Schedules and personal subscriptions through the ledger (issue 13): `every N days` and
`weekly on`, snooze, `skip`, `post now`, and members' own tips by direct message, on SQLite
and PostgreSQL. Fake adapters record what is posted; the clock is injected."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import Config, DeliveryConfig, config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.replies import ReplyKind
from bot.runtime.delivery import Deliverer
from bot.runtime.delivery.post_now import ImmediatePost, LatePostNow
from bot.runtime.router import Router
from bot.runtime.store import SENT, SKIPPED, Store
from tests.fakes.clock import FakeClock
from tests.fakes.recording import RecordingAdapter

pytestmark = pytest.mark.both_databases

AMS = "Europe/Amsterdam"
DAILY = (1, 2, 3, 4, 5, 6, 7)
# Friday 2026-03-27 11:00 in Amsterdam (CET); DST starts Sunday 29 March.
NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


def config() -> Config:
    return config_from_mapping({"timezone": AMS, "rate_limit": {"commands_per_minute": 1000}})


def deliverer(
    store: Store, engine: Engine, clock: FakeClock, worker: str = "w1", *adapters: RecordingAdapter
) -> Deliverer:
    found = {a.platform: a for a in adapters} or {"slack": RecordingAdapter(platform="slack")}
    return Deliverer(store, engine, found, DeliveryConfig(), clock, random.Random(1), worker)


def router(store: Store, engine: Engine, clock: FakeClock, d: Deliverer | None = None) -> Router:
    post_now = ImmediatePost(d) if d is not None else None
    return Router(engine, store, config(), clock, random.Random(7), post_now=post_now)


def inv(
    text: str, admin: bool = False, user: str = "U1", platform: str = "slack", ws: str = "T1"
) -> Invocation:
    return Invocation(platform, ws, "C1", user, text, admin, "Ada")


def adapter_of(d: Deliverer, platform: str = "slack") -> RecordingAdapter:
    a = d.adapters[platform]
    assert isinstance(a, RecordingAdapter)
    return a


async def run_days(d: Deliverer, clock: FakeClock, start: datetime, days: int) -> list[date]:
    """A pass every hour for `days` days; the local dates that posted."""
    clock.set(start)
    sent: list[date] = []
    for _ in range(days * 24):
        for r in await d.run_pass():
            if r.status == SENT:
                sent.append(date.fromisoformat(r.local_date))
        clock.advance(3600)
    return sent


# -- every N days, weekly on, snooze -------------------------------------------------------


async def test_every_three_days_posts_on_its_cycle_over_months_and_dst(
    store: Store, engine: Engine
) -> None:
    """Set on Friday 27 March at 11:00: the cycle starts that day (its 09:00 has passed), so
    posts go out on 30 March, 2 April, … at 09:00 local, summer time or not."""
    clock = FakeClock(NOW)
    r = router(store, engine, clock)
    reply = await r.handle(inv("subscribe 09:00 every 3 days", admin=True))
    assert "every 3 days at 09:00 Europe/Amsterdam" in reply.text, reply.text
    assert "Mon 30 Mar 09:00 CEST" in reply.text
    d = deliverer(store, engine, clock)
    sent = await run_days(d, clock, NOW, 40)
    assert sent == [date(2026, 3, 30) + timedelta(days=3 * i) for i in range(13)]
    posts = adapter_of(d).posts
    assert len(posts) == 13
    rows = store.list_deliveries()
    assert {x.due_at.astimezone(UTC).hour for x in rows} == {7}  # 09:00 CEST


async def test_weekly_on_a_day_posts_once_a_week(store: Store, engine: Engine) -> None:
    clock = FakeClock(NOW)
    await router(store, engine, clock).handle(inv("subscribe weekly on tue 08:00", admin=True))
    d = deliverer(store, engine, clock)
    sent = await run_days(d, clock, NOW, 21)
    assert sent == [date(2026, 3, 31), date(2026, 4, 7), date(2026, 4, 14)]


async def test_a_config_cycle_starts_the_day_it_is_first_synced(store: Store) -> None:
    from bot.runtime.config_sync import config_subscriptions

    cfg = config_from_mapping(
        {
            "timezone": AMS,
            "subscriptions": [{"platform": "slack", "channel": "C9", "days": "every 2 days"}],
        }
    )
    store.sync_config_subscriptions(config_subscriptions(cfg), NOW)
    [sub] = store.list_subscriptions()
    assert (sub.every_days, sub.anchor_date) == (2, date(2026, 3, 27))
    # Synced again a day later, unchanged: the anchor stays.
    store.sync_config_subscriptions(config_subscriptions(cfg), NOW + timedelta(days=1))
    assert store.list_subscriptions()[0].anchor_date == date(2026, 3, 27)


async def test_a_snoozed_personal_tip_posts_nothing_and_does_not_catch_up(
    store: Store, engine: Engine
) -> None:
    clock = FakeClock(NOW)
    r = router(store, engine, clock)
    await r.handle(inv("subscribe me 09:00"))
    reply = await r.handle(inv("snooze 3d"))
    assert "Snoozed for 3 days" in reply.text and "not sent later" in reply.text
    d = deliverer(store, engine, clock)
    sent = await run_days(d, clock, NOW, 6)
    # Weekdays by default; Monday 30 March 09:00 falls in the snooze (until 30 March 12:00
    # CEST): never posted, not even late.
    assert sent == [date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 2)]
    assert {x.local_date for x in store.list_deliveries()} == set(sent)
    assert all(p.target.channel == "dm:U1" for p in adapter_of(d).posts)


async def test_snooze_off_wakes_it(store: Store, engine: Engine) -> None:
    clock = FakeClock(NOW)
    r = router(store, engine, clock)
    await r.handle(inv("subscribe me 12:00"))
    await r.handle(inv("snooze 30d"))
    reply = await r.handle(inv("snooze off"))
    assert "Snooze off" in reply.text and "Fri 27 Mar 12:00" in reply.text
    d = deliverer(store, engine, clock)
    assert await run_days(d, clock, NOW, 1) == [date(2026, 3, 27)]


@pytest.mark.parametrize("word", ["9999d", "0d", "91d", "-1d", "7", "🎉", "x" * 10_000, ""])
async def test_a_wrong_snooze_says_what_would_work(store: Store, engine: Engine, word: str) -> None:
    r = router(store, engine, FakeClock(NOW))
    await r.handle(inv("subscribe me"))
    reply = await r.handle(inv(f"snooze {word}"))
    assert reply.kind is ReplyKind.ERROR
    assert "1d to 90d" in reply.text and len(reply.text) < 200
    assert any("/k8stip snooze 7d" in line for line in reply.lines)
    assert store.get_personal_subscription("slack", "T1", "U1").snoozed_until is None  # type: ignore[union-attr]


# -- skip ----------------------------------------------------------------------------------


async def test_skip_skips_the_next_post_and_twice_the_one_after(
    store: Store, engine: Engine
) -> None:
    clock = FakeClock(NOW)
    r = router(store, engine, clock)
    await r.handle(inv("subscribe 09:00 daily", admin=True))
    first = await r.handle(inv("skip", admin=True))
    assert "Sat 28 Mar" in first.text, first.text
    second = await r.handle(inv("skip", admin=True))
    assert "Sun 29 Mar" in second.text, second.text
    rows = store.list_deliveries()
    assert [(x.local_date, x.status, x.last_error) for x in rows] == [
        (date(2026, 3, 28), SKIPPED, "skipped by Ada"),
        (date(2026, 3, 29), SKIPPED, "skipped by Ada"),
    ]
    status = await r.handle(inv("status"))
    assert "Next post: Mon 30 Mar 09:00 CEST" in status.lines
    assert "Not posted again: Sat 28 Mar, Sun 29 Mar" in status.lines
    preview = await r.handle(inv("next", admin=True))  # `next` agrees with `status`
    assert "posts Mon 30 Mar 09:00 CEST" in preview.text, preview.text
    # Two replicas run their passes: neither posts the skipped days.
    a, b = deliverer(store, engine, clock, "a"), deliverer(store, engine, clock, "b")
    b.adapters = a.adapters
    clock.set(NOW)
    for _ in range(72):
        await asyncio.gather(a.run_pass(), b.run_pass())
        clock.advance(3600)
    assert [p.delivery_id for p in adapter_of(a).posts] == ["k8s-1-20260330"]


async def test_skip_is_for_admins_and_refused_with_the_reason(store: Store, engine: Engine) -> None:
    r = router(store, engine, FakeClock(NOW))
    await r.handle(inv("subscribe", admin=True))
    for text in ("skip", "post now"):
        reply = await r.handle(inv(text))
        assert reply.kind is ReplyKind.ERROR
        assert reply.text.startswith("Only workspace admins can"), reply.text
    assert store.list_deliveries() == []


# -- post now ------------------------------------------------------------------------------


async def test_post_now_posts_at_once_and_today_s_scheduled_post_does_not_go_out(
    store: Store, engine: Engine
) -> None:
    clock = FakeClock(NOW)
    d = deliverer(store, engine, clock)
    r = router(store, engine, clock, d)
    await r.handle(inv("subscribe 15:00 daily", admin=True))
    reply = await r.handle(inv("post now", admin=True))
    assert reply.text.startswith("Posted now, as the tip of Fri 27 Mar"), reply.text
    posts = adapter_of(d).posts
    assert [(p.target.channel, p.delivery_id) for p in posts] == [("C1", "k8s-1-20260327")]
    again = await r.handle(inv("post now", admin=True))
    assert again.text == "The tip of Fri 27 Mar already went out here; nothing posted."
    # The day goes on: 15:00 passes, then the next day's 15:00.
    sent = await run_days(d, clock, NOW, 2)
    assert sent == [date(2026, 3, 28)]
    assert len(adapter_of(d).posts) == 2


async def test_post_now_after_today_s_post_went_out_posts_nothing(
    store: Store, engine: Engine
) -> None:
    clock = FakeClock(NOW)
    d = deliverer(store, engine, clock)
    r = router(store, engine, clock, d)
    await r.handle(inv("subscribe 10:30", admin=True))  # weekdays; 11:00 now: from Monday
    clock.set(datetime(2026, 3, 30, 9, 0, tzinfo=UTC))  # Monday 11:00 CEST, 10:30 went out
    await d.run_pass()
    assert len(adapter_of(d).posts) == 1
    reply = await r.handle(inv("post now", admin=True))
    assert "already went out" in reply.text and "Mon 30 Mar" in reply.text
    assert len(adapter_of(d).posts) == 1


async def test_post_now_on_a_skipped_day_posts_and_counts_as_that_day(
    store: Store, engine: Engine
) -> None:
    """An admin skipped today's post, then changed their mind: `post now` reopens the row."""
    clock = FakeClock(NOW)
    d = deliverer(store, engine, clock)
    r = router(store, engine, clock, d)
    await r.handle(inv("subscribe 18:00 daily", admin=True))
    assert "Fri 27 Mar" in (await r.handle(inv("skip", admin=True))).text
    assert (await r.handle(inv("post now", admin=True))).text.startswith("Posted now")
    [row] = store.list_deliveries()
    assert (row.local_date, row.status) == (date(2026, 3, 27), SENT)


async def test_post_now_without_delivery_here_says_so(store: Store, engine: Engine) -> None:
    r = Router(engine, store, config(), FakeClock(NOW), random.Random(7), post_now=LatePostNow())
    await r.handle(inv("subscribe", admin=True))
    reply = await r.handle(inv("post now", admin=True))
    assert reply.kind is ReplyKind.ERROR and "not running" in reply.text
    assert store.list_deliveries() == []


# -- personal subscriptions ----------------------------------------------------------------


async def test_subscribe_me_is_for_anyone_and_posts_by_direct_message_once(
    store: Store, engine: Engine
) -> None:
    """Two replicas race for a member's personal tip: it goes out once, to `dm:<member>`."""
    clock = FakeClock(NOW)
    r = router(store, engine, clock)
    reply = await r.handle(inv("subscribe me 12:00 Europe/London weekdays rbac"))
    assert reply.kind is ReplyKind.INFO, reply.text
    assert "by direct message every weekday at 12:00 Europe/London" in reply.text
    assert "Fri 27 Mar 12:00 GMT" in reply.text
    [sub] = store.list_subscriptions()
    assert (sub.channel, sub.member, sub.workspace, sub.topics) == ("dm:U1", "U1", "T1", ("rbac",))
    assert store.get_subscription("slack", "T1", "C1") is None  # not the channel's
    shared = RecordingAdapter(platform="slack")
    a = deliverer(store, engine, clock, "a", shared)
    b = deliverer(store, engine, clock, "b", shared)
    clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    await asyncio.gather(a.run_pass(), b.run_pass(), a.run_pass(), b.run_pass())
    assert [(p.target.channel, p.delivery_id) for p in shared.posts] == [
        ("dm:U1", "k8s-1-20260327")
    ]
    assert shared.posts[0].target.is_direct and shared.posts[0].target.direct_to == "U1"


async def test_one_personal_subscription_per_member_per_platform(
    store: Store, engine: Engine
) -> None:
    """Re-running changes it; Discord ids are global, so any guild finds the same one."""
    r = router(store, engine, FakeClock(NOW))
    await r.handle(inv("subscribe me 08:00"))
    changed = await r.handle(inv("subscribe me 07:30 every 2 days"))
    assert changed.text.startswith("Changed:") and "every 2 days at 07:30" in changed.text
    await r.handle(inv("subscribe me", platform="discord", ws="G1", user="42"))
    again = await r.handle(inv("subscribe me 10:00", platform="discord", ws="G2", user="42"))
    assert again.text.startswith("Changed:"), again.text
    subs = sorted((s.platform, s.workspace, s.channel, s.time) for s in store.list_subscriptions())
    assert subs == [("discord", "", "dm:42", "10:00"), ("slack", "T1", "dm:U1", "07:30")]


async def test_unsubscribe_me_ends_only_the_member_s_own(store: Store, engine: Engine) -> None:
    r = router(store, engine, FakeClock(NOW))
    await r.handle(inv("subscribe", admin=True))
    await r.handle(inv("subscribe me"))
    await r.handle(inv("subscribe me", user="U2"))
    reply = await r.handle(inv("unsubscribe me"))
    assert reply.text.startswith("Unsubscribed: no more personal tips")
    assert sorted(s.channel for s in store.list_subscriptions()) == ["C1", "dm:U2"]
    nothing = await r.handle(inv("unsubscribe me"))
    assert "no personal daily tip" in nothing.text and "/k8stip subscribe me 08:30" in nothing.text


async def test_status_shows_the_member_s_personal_tip(store: Store, engine: Engine) -> None:
    clock = FakeClock(NOW)
    r = router(store, engine, clock)
    await r.handle(inv("subscribe me 07:00 weekly on mon"))
    alone = await r.handle(inv("status"))
    assert alone.text == "Your personal daily tip"
    assert "Your personal tip: weekly on mon at 07:00 Europe/Amsterdam" in alone.lines[0]
    await r.handle(inv("subscribe", admin=True))
    both = await r.handle(inv("status"))
    assert both.text == "Daily tip in this channel"
    assert any(line.startswith("Your personal tip:") for line in both.lines)
    other = await r.handle(inv("status", user="U2"))
    assert not any("personal" in line for line in other.lines)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("25:00", "not a time of day"),
        ("every 0 days", "N must be from 2 to 90"),
        ("weekly on funday", "'funday' is not a day"),
        ("🎉🎉", "not a time, timezone, day or topic"),
        ("@everyone <script>", "not a time, timezone, day or topic"),
        ("x" * 250, "not a time, timezone, day or topic"),
        ("Mars/Olympus", "not a known timezone"),
    ],
)
async def test_hostile_subscribe_me_is_refused_with_what_to_do(
    store: Store, engine: Engine, words: str, says: str
) -> None:
    r = router(store, engine, FakeClock(NOW))
    reply = await r.handle(inv(f"subscribe me {words}"))
    assert reply.kind is ReplyKind.ERROR
    assert says in reply.text, reply.text
    assert len(reply.text) < 300
    assert reply.lines and "/k8stip subscribe me 08:30" in reply.lines[0]
    assert store.list_subscriptions() == []


async def test_snooze_without_a_personal_tip_says_how_to_start_one(
    store: Store, engine: Engine
) -> None:
    reply = await router(store, engine, FakeClock(NOW)).handle(inv("snooze 7d"))
    assert "no personal daily tip" in reply.text


@pytest.mark.parametrize(
    ("platform", "hint"),
    [
        ("console", "/k8stip subscribe me 08:30 Europe/Berlin weekdays"),
        ("discord", "/k8stip subscribe-me time:08:30 timezone:Europe/Berlin days:weekdays"),
    ],
)
async def test_hints_are_in_the_asking_platform_s_syntax(
    store: Store, engine: Engine, platform: str, hint: str
) -> None:
    r = router(store, engine, FakeClock(NOW))
    reply = await r.handle(inv("subscribe me 24:61", platform=platform, ws="W"))
    assert reply.kind is ReplyKind.ERROR and reply.lines == (f"Example: {hint}",)
    ok = await r.handle(inv("subscribe me 08:00 every 2 days", platform=platform, ws="W"))
    assert "every 2 days at 08:00" in ok.text
    assert "snooze" in ok.lines[0] and ("unsubscribe-me" in ok.lines[0]) == (platform == "discord")


async def test_post_now_racing_the_scheduled_pass_posts_once(store: Store, engine: Engine) -> None:
    """At the due minute an admin runs `post now` on one replica while another runs its
    pass: the day's row is claimed once, so the channel gets one tip."""
    clock = FakeClock(NOW)
    shared = RecordingAdapter(platform="slack")
    a = deliverer(store, engine, clock, "a", shared)
    b = deliverer(store, engine, clock, "b", shared)
    r = router(store, engine, clock, a)
    await r.handle(inv("subscribe 12:00 daily", admin=True))
    clock.set(datetime(2026, 3, 27, 11, 0, tzinfo=UTC))  # 12:00 in Amsterdam
    replies = await asyncio.gather(r.handle(inv("post now", admin=True)), b.run_pass())
    await b.run_pass()
    assert [p.delivery_id for p in shared.posts] == ["k8s-1-20260327"]
    text = replies[0].text
    assert text.startswith(("Posted now", "The tip of Fri 27 Mar")), text
