"""The subscription commands: an admin starts, changes, pauses, resumes and stops a channel's
daily tip; anyone sees its status (names, help text and who may run each: bot/core/commands.py).

`subscribe` takes its words in any order (a time, a timezone, days, topics) and keeps what an
earlier subscription said for what is left out. Subscriptions written in the config file are
changed there, not from chat.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime

from bot.core.invocation import Invocation
from bot.core.learning_model import SubscriptionMode
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.core.schedules import (
    describe_days,
    looks_like_days,
    parse_days,
    parse_time,
    parse_timezone,
)
from bot.core.wording import CONFIG_OWNED, error, info
from bot.runtime.channel_commands import ChannelCommands
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.delivery.tip_choice import channel_past, learning_settings, pick_daily
from bot.runtime.store import Subscription, SubscriptionSpec

SUBSCRIBE_EXAMPLE = ("09:00", "Europe/Amsterdam", "weekdays", "security")
_TIME_LIKE = re.compile(r"^\d{1,2}[:.h]\d{2}$|^\d{1,2}:\d{1,2}$|^\d{1,2}(am|pm)$", re.I)
MANUAL_PAUSE_PREFIX = "paused by "
# The mode word of `subscribe` (any position): what the channel gets each day.
MODE_WORDS = {
    "tip": SubscriptionMode.TIP,
    "tips": SubscriptionMode.TIP,
    "quiz": SubscriptionMode.QUIZ,
}


def local_when(due: datetime, tz: str) -> str:
    """'Mon 30 Mar 09:00 CEST' in the channel's timezone."""
    return due.astimezone(parse_timezone(tz)).strftime("%a %d %b %H:%M %Z")


class SubscriptionCommands:
    """The handlers of subscribe, unsubscribe, pause, resume, status and next."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, CommandHandler]:
        return {
            "subscribe": self.cmd_subscribe,
            "unsubscribe": self.cmd_unsubscribe,
            "pause": self.cmd_pause,
            "resume": self.cmd_resume,
            "status": self.cmd_status,
            "next": self.cmd_next,
        }

    async def cmd_subscribe(self, inv: Invocation, args: list[str]) -> Reply:
        existing = await self.ctx.subscription(inv)
        if existing is not None and existing.origin == "config":
            return error(CONFIG_OWNED.format(source=self.ctx.config.source))
        try:
            spec = self._parse_subscribe(inv, args, existing)
        except ValueError as e:
            return error(str(e), self.ctx.example(inv, "subscribe", *SUBSCRIBE_EXAMPLE))
        sub = await self.ctx.db(
            self.ctx.store.upsert_subscription, spec, "chat", inv.user, self.ctx.clock.now()
        )
        _, due = sub.schedule.next_after(self.ctx.clock.now())
        topics = (
            ", ".join(self.ctx.engine.corpus.topic_title(t) for t in sub.topics) or "all topics"
        )
        verb = "Changed" if existing else "Subscribed"
        return Reply(
            ReplyKind.INFO,
            f"{verb}: {_what(sub)} {_when(sub)} in this channel ({topics}). "
            f"Next: {local_when(due, sub.timezone)}.",
            visibility=Visibility.CHANNEL,
        )

    def _parse_subscribe(
        self, inv: Invocation, args: list[str], existing: Subscription | None
    ) -> SubscriptionSpec:
        time = existing.time if existing else self.ctx.config.default_time
        tz = existing.timezone if existing else self.ctx.config.timezone
        days = existing.days if existing else parse_days(self.ctx.config.default_days)
        mode = existing.mode if existing else SubscriptionMode.TIP
        topic_words: list[str] = []
        for word in args:
            low = word.lower()
            if low in MODE_WORDS:
                mode = MODE_WORDS[low]
            elif _TIME_LIKE.match(word) or (":" in word and any(ch.isdigit() for ch in word)):
                time = _normalise_time(word)
            elif "/" in word or low in ("utc", "gmt"):
                tz = parse_timezone("UTC" if low in ("utc", "gmt") else word).key
            elif _is_days(low):
                days = parse_days(low)
            else:
                topic_words.append(word)
        topics: list[str] = []
        if topic_words:
            topics, unknown = self.ctx.engine.resolve_topics(topic_words)
            if unknown:
                modes = [m for u in unknown for m in difflib.get_close_matches(u.lower(), ["quiz"])]
                hint = " Did you mean `quiz`?" if modes else ""
                raise ValueError(
                    f"{', '.join(repr(u) for u in unknown)}: not a time, timezone, day or "
                    f"topic (see {self.ctx.example(inv, 'topics')}).{hint}"
                )
        elif existing is not None:
            topics = list(existing.topics)
        return SubscriptionSpec(
            inv.platform, inv.workspace, inv.channel, time, tz, tuple(days), tuple(topics), mode
        )

    async def cmd_unsubscribe(self, inv: Invocation, args: list[str]) -> Reply:
        existing = await self.ctx.subscription(inv)
        if existing is None:
            return self.ctx.not_subscribed(inv)
        if existing.origin == "config":
            return error(CONFIG_OWNED.format(source=self.ctx.config.source))
        await self.ctx.db(
            self.ctx.store.delete_subscription, inv.platform, inv.workspace, inv.channel
        )
        return Reply(
            ReplyKind.INFO,
            f"Unsubscribed: no more daily tips here. {self.ctx.example(inv, 'subscribe')} "
            "brings them back.",
            visibility=Visibility.CHANNEL,
        )

    async def cmd_pause(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        if sub.paused:
            resume = self.ctx.example(inv, "resume")
            return info(f"Already paused: {sub.paused_reason}. {resume} restarts it.")
        reason = f"{MANUAL_PAUSE_PREFIX}{inv.user_name or inv.user}"
        await self.ctx.db(self.ctx.store.set_paused, sub.id, True, reason, self.ctx.clock.now())
        return info(f"Paused. {self.ctx.example(inv, 'resume')} restarts the daily tip.")

    async def cmd_resume(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        if not sub.paused:
            return info("The daily tip here isn't paused.")
        await self.ctx.db(self.ctx.store.set_paused, sub.id, False, "", self.ctx.clock.now())
        _, due = sub.schedule.next_after(self.ctx.clock.now())
        return info(f"Resumed. Next tip: {local_when(due, sub.timezone)}.")

    async def cmd_status(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        _, due = sub.schedule.next_after(self.ctx.clock.now())
        topics = (
            ", ".join(self.ctx.engine.corpus.topic_title(t) for t in sub.topics) or "all topics"
        )
        lines = [
            f"Schedule: {_when(sub)}"
            + (" (from the config file)" if sub.origin == "config" else ""),
            f"Topics: {topics}",
            f"Mode: {sub.mode.value} ({_what(sub)} each time)",
        ]
        if sub.paused:
            resume = self.ctx.example(inv, "resume")
            lines.append(f"Paused: {sub.paused_reason}. {resume} restarts it.")
        else:
            lines.append(f"Next post: {local_when(due, sub.timezone)}")
        lines += await ChannelCommands(self.ctx).status_lines(inv, sub)
        last = await self.ctx.db(self.ctx.store.last_delivery, sub.id)
        if last is not None:
            lines.append(
                f"Last: {last.local_date:%a %d %b} {last.status}"
                + (f" ({last.last_error})" if last.last_error and last.status != "sent" else "")
            )
        return Reply(ReplyKind.INFO, "Daily tip in this channel", lines=tuple(lines))

    async def cmd_next(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        local_date, due = sub.schedule.next_after(self.ctx.clock.now())
        when = local_when(due, sub.timezone)
        note = "paused, so it won't post" if sub.paused else f"posts {when}"
        if sub.mode is SubscriptionMode.QUIZ:
            return info(
                f"Next ({note}): a quiz question. Which one depends on the channel's answers "
                "until then: a question most missed comes back first."
            )
        past = await self.ctx.db(
            channel_past, self.ctx.store, inv.platform, inv.workspace, inv.channel
        )
        corpus = self.ctx.engine.corpus
        pick = pick_daily(
            corpus, sub, local_date, past, learning_settings(self.ctx.config.learning)
        )
        tip = corpus.by_id.get(pick.tip_id) if pick is not None else None
        if pick is None or tip is None:
            return error(f"No tips match this channel's topics ({', '.join(sub.topics)}).")
        return Reply(
            ReplyKind.TIP,
            f"Preview ({note}): {tip.text}",
            cards=(self.ctx.engine.card(tip),),
            visibility=Visibility.EPHEMERAL,
            lines=(
                f"Why: {pick.explanation}.",
                "Tips shown and votes cast in this channel before then can change the pick.",
            ),
        )


def _what(sub: Subscription) -> str:
    return "a quiz question" if sub.mode is SubscriptionMode.QUIZ else "a tip"


def _when(sub: Subscription) -> str:
    days = describe_days(sub.days)
    every = {"daily": "every day", "weekdays": "every weekday", "weekends": "every weekend day"}
    return f"{every.get(days, 'on ' + days)} at {sub.time} {sub.timezone}"


def _normalise_time(word: str) -> str:
    m = re.match(r"^(\d{1,2})[:.h](\d{2})$", word)
    candidate = f"{int(m.group(1)):02d}:{m.group(2)}" if m else word
    return parse_time(candidate).strftime("%H:%M")


def _is_days(low: str) -> bool:
    return looks_like_days(low)
