"""Local wall-clock schedules turned into UTC instants, correct across DST.

A subscription says "09:00 Europe/Amsterdam on weekdays". Each local date gets at most one
instant; the delivery ledger is keyed on that local date, so the repeated hour in autumn can
never produce a second post. Edge cases, decided here once:

- a time that does not exist (02:30 on the spring-forward day) posts at the same distance after
  the gap opens, i.e. 03:30 local (PEP 495 `fold=0` semantics: the pre-transition offset);
- a time that happens twice (02:30 on the fall-back day) posts at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from bot.config import parse_days, parse_time, parse_timezone


@dataclass(frozen=True)
class Schedule:
    time: dtime
    tz: ZoneInfo
    days: tuple[int, ...]  # ISO weekdays, Monday = 1

    @classmethod
    def parse(cls, time: str, timezone: str, days: str | list[str] | tuple[int, ...]) -> Schedule:
        parsed_days = tuple(sorted(set(days))) if isinstance(days, tuple) else parse_days(days)
        return cls(parse_time(time), parse_timezone(timezone), parsed_days)

    def due_at(self, local_date: date) -> datetime:
        """The UTC instant of this schedule's post on `local_date` (whatever the weekday)."""
        local = datetime.combine(local_date, self.time, tzinfo=self.tz)  # fold=0, see above
        return local.astimezone(UTC)

    def runs_on(self, local_date: date) -> bool:
        return local_date.isoweekday() in self.days

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[date, datetime]]:
        """(local date, UTC due instant) for every post due in the half-open range (start, end]."""
        first = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date() + timedelta(days=1)
        out: list[tuple[date, datetime]] = []
        d = first
        while d <= last:
            if self.runs_on(d):
                due = self.due_at(d)
                if start < due <= end:
                    out.append((d, due))
            d += timedelta(days=1)
        return out

    def next_after(self, instant: datetime) -> tuple[date, datetime]:
        """The first post strictly after `instant`."""
        d = instant.astimezone(self.tz).date() - timedelta(days=1)
        for _ in range(16):
            if self.runs_on(d):
                due = self.due_at(d)
                if due > instant:
                    return d, due
            d += timedelta(days=1)
        raise ValueError("schedule has no days")  # parse_days never returns an empty tuple

    def describe(self) -> str:
        """'09:00 Europe/Amsterdam, weekdays'."""
        return f"{self.time:%H:%M} {self.tz.key}, {describe_days(self.days)}"


_DAY_ABBR = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def describe_days(days: tuple[int, ...]) -> str:
    if days == (1, 2, 3, 4, 5, 6, 7):
        return "daily"
    if days == (1, 2, 3, 4, 5):
        return "weekdays"
    if days == (6, 7):
        return "weekends"
    return ",".join(_DAY_ABBR[d - 1] for d in days)


def days_to_text(days: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in days)


def days_from_text(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(",") if p)
