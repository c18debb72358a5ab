"""Local time across daylight saving (bot/schedule.py + delivery), with an injected clock.

Europe/Amsterdam: clocks go forward at 02:00 on 2026-03-29 (02:00-03:00 does not exist) and
back at 03:00 on 2026-10-25 (02:00-03:00 happens twice).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import DeliveryConfig
from bot.core.schedules import Schedule
from bot.runtime.delivery import Deliverer
from bot.runtime.store import Store, SubscriptionSpec
from tests.fakes.clock import FakeClock
from tests.fakes.databases import fresh_store
from tests.fakes.recording import RecordingAdapter
from tests.fakes.tips import FakeTips

AMS = ZoneInfo("Europe/Amsterdam")
DAILY = (1, 2, 3, 4, 5, 6, 7)


async def sweep(
    tmp_path: Path, time: str, start: datetime, end: datetime, step_minutes: int = 10
) -> dict[str, datetime]:
    """Run a delivery pass every few minutes from start to end; {local date: when posted}."""
    with fresh_store("sqlite", tmp_path) as store:
        store.upsert_subscription(
            SubscriptionSpec("console", "", "term", time, "Europe/Amsterdam", DAILY),
            "config",
            "config",
            start,
        )
        clock = FakeClock(start)
        adapter = RecordingAdapter(platform="console")
        d = Deliverer(
            store, FakeTips(), {"console": adapter}, DeliveryConfig(), clock, random.Random(0)
        )
        posted: dict[str, datetime] = {}
        while clock.now() <= end:
            for r in await d.run_pass():
                assert r.status == "sent"
                assert r.local_date not in posted, f"posted twice for {r.local_date}"
                posted[r.local_date] = clock.now()
            clock.advance(step_minutes * 60)
        assert len(adapter.posts) == len(posted)
        return posted


def local(dt: datetime) -> str:
    return dt.astimezone(AMS).strftime("%Y-%m-%d %H:%M %Z")


async def test_nine_am_posts_at_nine_local_around_the_spring_change(tmp_path: Path) -> None:
    posted = await sweep(
        tmp_path,
        "09:00",
        datetime(2026, 3, 27, 22, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
    )
    assert {k: local(v) for k, v in posted.items()} == {
        "2026-03-28": "2026-03-28 09:00 CET",
        "2026-03-29": "2026-03-29 09:00 CEST",
    }


async def test_nine_am_posts_at_nine_local_around_the_autumn_change(tmp_path: Path) -> None:
    posted = await sweep(
        tmp_path,
        "09:00",
        datetime(2026, 10, 23, 22, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 22, 0, tzinfo=UTC),
    )
    assert {k: local(v) for k, v in posted.items()} == {
        "2026-10-24": "2026-10-24 09:00 CEST",
        "2026-10-25": "2026-10-25 09:00 CET",
    }


async def test_half_past_two_posts_once_on_the_day_the_clocks_go_back(tmp_path: Path) -> None:
    """On the night 02:30 happens twice, the tip posts once, at the first 02:30 (summer time)."""
    posted = await sweep(
        tmp_path,
        "02:30",
        datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 12, 0, tzinfo=UTC),
    )
    assert sorted(posted) == ["2026-10-25", "2026-10-26"]
    # The first of the two 02:30s (still summer time, +02:00).
    assert posted["2026-10-25"] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local(posted["2026-10-25"]) == "2026-10-25 02:30 CEST"


async def test_half_past_two_posts_once_on_the_day_it_does_not_exist(tmp_path: Path) -> None:
    """On the night 02:30 doesn't exist, the tip posts once, at 03:30 summer time, and at 02:30
    again the next day."""
    posted = await sweep(
        tmp_path,
        "02:30",
        datetime(2026, 3, 28, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 12, 0, tzinfo=UTC),
    )
    assert sorted(posted) == ["2026-03-29", "2026-03-30"]
    # 02:30 doesn't exist that night: it posts as the gap opens plus 30 min, 03:30 CEST.
    assert local(posted["2026-03-29"]) == "2026-03-29 03:30 CEST"
    assert local(posted["2026-03-30"]) == "2026-03-30 02:30 CEST"


def test_due_instants_in_utc() -> None:
    """09:00 in Amsterdam is due at 08:00 UTC in winter time and 07:00 UTC in summer time, switching
    on the days the clocks change."""
    nine = Schedule.parse("09:00", "Europe/Amsterdam", DAILY)
    assert nine.due_at(date(2026, 3, 28)) == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert nine.due_at(date(2026, 3, 29)) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert nine.due_at(date(2026, 10, 24)) == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)
    assert nine.due_at(date(2026, 10, 25)) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_next_after_crosses_the_weekend() -> None:
    """After Friday's post, a weekdays schedule's next occurrence is Monday at 09:00 local time."""
    weekdays = Schedule.parse("09:00", "Europe/Amsterdam", "weekdays")
    fri_after = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # Friday 10:00 CET
    assert weekdays.next_after(fri_after) == (
        date(2026, 3, 30),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    )


ZONES = ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hh=st.integers(0, 23),
    mm=st.sampled_from([0, 15, 30, 45, 59]),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1)),
    span_days=st.integers(1, 40),
)
def test_property_one_occurrence_per_local_date(
    zone: str, hh: int, mm: int, start: datetime, span_days: int
) -> None:
    """For any zone, time and range, a daily schedule has at most one occurrence per local date, in
    order and inside the range, and splitting the range finds the same ones."""
    sched = Schedule.parse(f"{hh:02d}:{mm:02d}", zone, DAILY)
    begin = start.replace(tzinfo=UTC)
    end = begin + timedelta(days=span_days)
    occ = sched.occurrences(begin, end)
    dates = [d for d, _ in occ]
    assert len(dates) == len(set(dates))
    assert all(begin < due <= end for _, due in occ)
    assert [due for _, due in occ] == sorted(due for _, due in occ)
    # Splitting the range in two finds the same occurrences (no gaps, no overlaps).
    mid = begin + (end - begin) / 2
    assert sched.occurrences(begin, mid) + sched.occurrences(mid, end) == occ
    assert span_days - 1 <= len(occ) <= span_days + 1


def test_store_round_trip_does_not_shift_times(tmp_path: Path) -> None:
    """An instant in the hour that happens twice reads back from the store unchanged."""
    with fresh_store("sqlite", tmp_path) as store:
        sub = store.upsert_subscription(
            SubscriptionSpec("console", "", "c", "02:30", "Europe/Amsterdam", DAILY),
            "chat",
            "u",
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        )
        assert isinstance(store, Store)
        assert sub.created_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
