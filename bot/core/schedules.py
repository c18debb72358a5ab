"""Local wall-clock schedules turned into UTC instants, correct across DST.

A subscription says "09:00 Europe/Amsterdam on weekdays". Each local date gets at most one
instant; the delivery ledger is keyed on that local date, so the repeated hour in autumn can
never produce a second post. Edge cases, decided here once:

- a time that does not exist (02:30 on the spring-forward day) posts at the same distance after
  the gap opens, i.e. 03:30 local (PEP 495 `fold=0` semantics: the pre-transition offset);
- a time that happens twice (02:30 on the fall-back day) posts at its first occurrence.

Two day forms beyond a weekday set: `every N days` (N from 2 to 90) posts on a cycle of local
dates counted from an anchor date (the local date the schedule was set: the cycle's first
day), and `weekly on <day>` is that one weekday. The cycle counts dates, not hours, so DST
never moves it.
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
EVERY_MIN, EVERY_MAX = 2, 90
_EVERY_RE = re.compile(r"^every\s+(\S+)\s+days?$")
_WEEKLY_RE = re.compile(r"^weekly\s+on\s+(\S+)$")
DAYS_HINT = "use daily, weekdays, a list like mon,wed,fri, every 3 days, or weekly on mon"


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
    """'daily' | 'weekdays' | 'mon,wed,fri' | [mon, wed] | 'weekly on fri' | 'every 3 days'
    -> ISO weekday numbers (Mon=1). `every N days` runs on any weekday (all seven): its cycle
    is `parse_every`'s."""
    return parse_cadence(value)[0]


def parse_every(value: str | list[str]) -> int | None:
    """N of 'every N days'; None for every other day form. Raises ValueError as parse_days."""
    return parse_cadence(value)[1]


def parse_cadence(value: str | list[str]) -> tuple[tuple[int, ...], int | None]:
    """(ISO weekdays, N of `every N days` or None). Raises ValueError saying what is valid."""
    if isinstance(value, str):
        v = " ".join(value.strip().lower().split())
        every = _EVERY_RE.match(v)
        if every:
            return (1, 2, 3, 4, 5, 6, 7), _parse_every_n(every.group(1))
        if v.startswith("every ") and v not in EVERY_DAY_WORDS:
            raise ValueError(f"{value!r} is not a day form; say every 3 days (2 to 90)")
        weekly = _WEEKLY_RE.match(v)
        if weekly:
            return (_one_day(weekly.group(1), value),), None
        if v.startswith("weekly"):
            raise ValueError(f"{value!r} is not a day form; say weekly on mon (any one day)")
        if v in EVERY_DAY_WORDS:
            return (1, 2, 3, 4, 5, 6, 7), None
        if v in WEEKDAY_WORDS:
            return (1, 2, 3, 4, 5), None
        if v in WEEKEND_WORDS:
            return (6, 7), None
        items = [p for p in re.split(r"[,\s]+", v) if p]
    else:
        items = [str(p).strip().lower() for p in value]
    out: set[int] = set()
    for item in items:
        key = item[:3]
        if key not in DAY_NAMES or item not in (key, FULL_DAY_NAMES[DAY_NAMES.index(key)]):
            raise ValueError(f"{_short(item)!r} is not a day; {DAYS_HINT}")
        out.add(DAY_NAMES.index(key) + 1)
    if not out:
        raise ValueError(f"no days given; {DAYS_HINT}")
    return tuple(sorted(out)), None


def _parse_every_n(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"every {_short(text)} days: say a whole number, like every 3 days")
    n = int(text)
    if n == 1:
        raise ValueError("every 1 day is daily; say daily (every N days takes N from 2 to 90)")
    if not EVERY_MIN <= n <= EVERY_MAX:
        raise ValueError(
            f"every {n} days: N must be from {EVERY_MIN} to {EVERY_MAX}, like every 3 days"
        )
    return n


def _one_day(item: str, value: str) -> int:
    key = item[:3]
    if key not in DAY_NAMES or item not in (key, FULL_DAY_NAMES[DAY_NAMES.index(key)]):
        raise ValueError(
            f"{_short(value)!r}: {_short(item)!r} is not a day; say weekly on mon (or tue … sun)"
        )
    return DAY_NAMES.index(key) + 1


def _short(text: str, limit: int = 40) -> str:
    """Echo at most `limit` characters of what was typed (a 10,000-character word is cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def take_day_phrase(words: list[str]) -> tuple[str | None, list[str]]:
    """Find `every N days` / `weekly on <day>` among a command's words: (the phrase or None,
    the other words). A phrase that starts right but is incomplete or wrong is returned as
    it is, so `parse_cadence` says what is wrong with it."""
    low = [w.lower() for w in words]
    for i, w in enumerate(low):
        if w == "every":
            if i + 1 < len(low) and low[i + 1] == "day":
                end = i + 2
            else:
                end = i + 3 if i + 2 < len(low) and low[i + 2] in ("days", "day") else i + 2
            return " ".join(words[i:end]), words[:i] + words[end:]
        if w == "weekly":
            end = i + 3 if i + 1 < len(low) and low[i + 1] == "on" else i + 2
            return " ".join(words[i:end]), words[:i] + words[end:]
    return None, words


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
    # `every N days`: N, and the first local date of the cycle (None: the weekdays decide).
    every_days: int | None = None
    anchor: date | None = None

    @classmethod
    def parse(
        cls,
        time: str,
        timezone: str,
        days: str | list[str] | tuple[int, ...],
        every_days: int | None = None,
        anchor: date | None = None,
    ) -> Schedule:
        parsed_days = tuple(sorted(set(days))) if isinstance(days, tuple) else parse_days(days)
        cycle = every_days if every_days and anchor is not None else None
        return cls(
            parse_time(time),
            parse_timezone(timezone),
            parsed_days,
            cycle,
            anchor if cycle else None,
        )

    def due_at(self, local_date: date) -> datetime:
        """The UTC instant of this schedule's post on `local_date` (whatever the weekday)."""
        local = datetime.combine(local_date, self.time, tzinfo=self.tz)  # fold=0, see above
        return local.astimezone(UTC)

    def runs_on(self, local_date: date) -> bool:
        if self.every_days is not None and self.anchor is not None:
            offset = (local_date - self.anchor).days
            if offset < 0 or offset % self.every_days:
                return False
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
        # A cycle may start up to its length after `instant` (an anchor set ahead of time).
        horizon = 16 + 2 * (self.every_days or 0)
        if self.anchor is not None and self.anchor > d:
            horizon += (self.anchor - d).days
        for _ in range(horizon):
            if self.runs_on(d):
                due = self.due_at(d)
                if due > instant:
                    return d, due
            d += timedelta(days=1)
        raise ValueError("schedule has no days")  # parse_days never returns an empty tuple

    def describe(self) -> str:
        """'09:00 Europe/Amsterdam, weekdays'."""
        return f"{self.time:%H:%M} {self.tz.key}, {describe_days(self.days, self.every_days)}"


def describe_days(days: tuple[int, ...], every_days: int | None = None) -> str:
    """'daily', 'weekdays', 'mon,wed', 'every 3 days', 'weekly on fri' (a one-day set)."""
    if every_days:
        return f"every {every_days} days"
    if len(days) == 1:
        return f"weekly on {DAY_NAMES[days[0] - 1]}"
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
