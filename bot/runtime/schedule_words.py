"""The words of `subscribe` and `subscribe me`, read in any order: a time, a timezone, days
(`weekdays`, `mon,wed`, `every 3 days`, `weekly on fri`), topics and (channels only) a mode;
what is left out keeps its earlier value. Also how a schedule is phrased back."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.invocation import Invocation
from bot.core.learning_model import SubscriptionMode
from bot.core.schedules import (
    describe_days,
    looks_like_days,
    parse_cadence,
    parse_time,
    parse_timezone,
    take_day_phrase,
)
from bot.runtime.command_context import CommandContext
from bot.runtime.store import Subscription

_TIME_LIKE = re.compile(r"^\d{1,2}[:.h]\d{2}$|^\d{1,2}:\d{1,2}$|^\d{1,2}(am|pm)$", re.I)
# The mode word of `subscribe` (any position): what the channel gets each day.
MODE_WORDS = {
    "tip": SubscriptionMode.TIP,
    "tips": SubscriptionMode.TIP,
    "quiz": SubscriptionMode.QUIZ,
}
ECHO_LIMIT = 40  # at most this much of a typed word is quoted back


@dataclass(frozen=True)
class ScheduleWords:
    """A schedule as the words set it."""

    time: str
    timezone: str
    days: tuple[int, ...]
    every_days: int | None
    topics: tuple[str, ...]
    mode: SubscriptionMode = SubscriptionMode.TIP

    @classmethod
    def of(cls, sub: Subscription) -> ScheduleWords:
        return cls(sub.time, sub.timezone, sub.days, sub.every_days, sub.topics, sub.mode)

    @classmethod
    def defaults(cls, ctx: CommandContext) -> ScheduleWords:
        days, every = parse_cadence(ctx.config.default_days)
        return cls(ctx.config.default_time, ctx.config.timezone, days, every, ())


def read_schedule_words(
    ctx: CommandContext,
    inv: Invocation,
    args: list[str],
    base: ScheduleWords,
    modes: bool = True,
) -> ScheduleWords:
    """`base` changed by the words. Raises ValueError saying what is wrong and what works."""
    out = base
    phrase, rest = take_day_phrase(args)
    if phrase is not None:
        days, every = parse_cadence(phrase)
        out = replace(out, days=days, every_days=every)
    topic_words: list[str] = []
    for word in rest:
        low = word.lower()
        if modes and low in MODE_WORDS:
            out = replace(out, mode=MODE_WORDS[low])
        elif _TIME_LIKE.match(word) or (":" in word and any(ch.isdigit() for ch in word)):
            out = replace(out, time=_normalise_time(word))
        elif "/" in word or low in ("utc", "gmt"):
            out = replace(
                out, timezone=parse_timezone("UTC" if low in ("utc", "gmt") else word).key
            )
        elif looks_like_days(low):
            days, every = parse_cadence(low)
            out = replace(out, days=days, every_days=every)
        else:
            topic_words.append(word)
    if topic_words:
        topics, unknown = ctx.engine.resolve_topics(topic_words)
        if unknown:
            modes_ = [m for u in unknown for m in difflib.get_close_matches(u.lower(), ["quiz"])]
            hint = " Did you mean `quiz`?" if modes and modes_ else ""
            named = ", ".join(repr(echo(u)) for u in unknown[:3])
            raise ValueError(
                f"{named}: not a time, timezone, day or topic "
                f"(see {ctx.example(inv, 'topics')}).{hint}"
            )
        out = replace(out, topics=tuple(topics))
    return out


def echo(word: str) -> str:
    """A typed word quoted back, cut to `ECHO_LIMIT` characters."""
    return word if len(word) <= ECHO_LIMIT else word[: ECHO_LIMIT - 1] + "…"


def _normalise_time(word: str) -> str:
    m = re.match(r"^(\d{1,2})[:.h](\d{2})$", word)
    candidate = f"{int(m.group(1)):02d}:{m.group(2)}" if m else echo(word)
    return parse_time(candidate).strftime("%H:%M")


def local_when(due: datetime, tz: str) -> str:
    """'Mon 30 Mar 09:00 CEST' in the subscription's timezone."""
    return due.astimezone(parse_timezone(tz)).strftime("%a %d %b %H:%M %Z")


def when_text(sub: Subscription) -> str:
    """'every weekday at 09:00 Europe/Amsterdam', 'every 3 days at …', 'weekly on fri at …'."""
    days = describe_days(sub.days, sub.every_days)
    every = {"daily": "every day", "weekdays": "every weekday", "weekends": "every weekend day"}
    phrase = days if days.startswith(("every ", "weekly ")) else every.get(days, "on " + days)
    return f"{phrase} at {sub.time} {sub.timezone}"
