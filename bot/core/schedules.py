"""Local wall-clock schedules turned into UTC instants, correct across DST.

A subscription says "09:00 Europe/Amsterdam on weekdays". Each local date gets at most one
instant; the delivery ledger is keyed on that local date, so the repeated hour in autumn can
never produce a second post. Edge cases, decided here once:

- a time that does not exist (02:30 on the spring-forward day) posts at the same distance after
  the gap opens, i.e. 03:30 local (PEP 495 `fold=0` semantics: the pre-transition offset);
- a time that happens twice (02:30 on the fall-back day) posts at its first occurrence.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# The day vocabulary, written once: config, the store and chat commands all use these.
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY_DAY_WORDS = ("daily", "every day", "everyday")
WEEKDAY_WORDS = ("weekdays", "workdays")
WEEKEND_WORDS = ("weekends",)
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_time(value: str) -> dtime:
    """'09:00' -> time(9, 0). Raises ValueError with an example on anything else."""
    m = _TIME_RE.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a time of day; use 24-hour HH:MM, e.g. 09:00")
    return dtime(int(m.group(1)), int(m.group(2)))


def parse_timezone(value: str) -> ZoneInfo:
    """'Europe/Amsterdam' -> ZoneInfo. Raises ValueError that suggests the nearest names."""
    try:
        if "/" in value or value.upper() == "UTC":
            return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    close = difflib.get_close_matches(value, sorted(available_timezones()), n=3, cutoff=0.6)
    hint = (
        f"did you mean {', '.join(close)}?" if close else "use an IANA name like Europe/Amsterdam"
    )
    raise ValueError(f"{value!r} is not a known timezone; {hint}")


def parse_days(value: str | list[str]) -> tuple[int, ...]:
    """'daily' | 'weekdays' | 'mon,wed,fri' | [mon, wed] -> ISO weekday numbers (Mon=1)."""
    if isinstance(value, str):
        v = value.strip().lower()
        if v in EVERY_DAY_WORDS:
            return (1, 2, 3, 4, 5, 6, 7)
        if v in WEEKDAY_WORDS:
            return (1, 2, 3, 4, 5)
        if v in WEEKEND_WORDS:
            return (6, 7)
        items = [p for p in re.split(r"[,\s]+", v) if p]
    else:
        items = [str(p).strip().lower() for p in value]
    out: set[int] = set()
    for item in items:
        key = item[:3]
        if key not in DAY_NAMES or item not in (key, FULL_DAY_NAMES[DAY_NAMES.index(key)]):
            raise ValueError(
                f"{item!r} is not a day; use daily, weekdays, or a list like mon,wed,fri"
            )
        out.add(DAY_NAMES.index(key) + 1)
    if not out:
        raise ValueError("no days given; use daily, weekdays, or a list like mon,wed,fri")
    return tuple(sorted(out))


def looks_like_days(text: str) -> bool:
    """Whether a word of a command is a day set ('weekdays', 'mon,wed')."""
    try:
        parse_days(text)
    except ValueError:
        return False
    return True


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


def describe_days(days: tuple[int, ...]) -> str:
    if days == (1, 2, 3, 4, 5, 6, 7):
        return "daily"
    if days == (1, 2, 3, 4, 5):
        return "weekdays"
    if days == (6, 7):
        return "weekends"
    return ",".join(DAY_NAMES[d - 1] for d in days)


def days_to_text(days: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in days)


def days_from_text(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(",") if p)
