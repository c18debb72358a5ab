"""The subscription commands: an admin starts, changes, pauses, resumes and stops a channel's
daily tip; anyone sees its status (names, help text and who may run each: bot/core/commands.py).

`subscribe` takes its words in any order (a time, a timezone, days, topics) and keeps what an
earlier subscription said for what is left out. Subscriptions written in the config file are
changed there, not from chat.
"""

from __future__ import annotations

from bot.core.invocation import Invocation
from bot.core.learning_model import SubscriptionMode
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.core.wording import CONFIG_OWNED, error, info
from bot.runtime.channel_commands import ChannelCommands
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.delivery.tip_choice import channel_past, learning_settings, pick_daily
from bot.runtime.personal_commands import personal_status_lines
from bot.runtime.schedule_words import (
    MODE_WORDS,
    ScheduleWords,
    local_when,
    read_schedule_words,
    when_text,
)
from bot.runtime.store import Subscription, SubscriptionSpec

SUBSCRIBE_EXAMPLE = ("09:00", "Europe/Amsterdam", "weekdays", "security")
MANUAL_PAUSE_PREFIX = "paused by "
__all__ = ["MANUAL_PAUSE_PREFIX", "MODE_WORDS", "SubscriptionCommands", "local_when"]


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
            f"{verb}: {_what(sub)} {when_text(sub)} in this channel ({topics}). "
            f"Next: {local_when(due, sub.timezone)}.",
            visibility=Visibility.CHANNEL,
        )

    def _parse_subscribe(
        self, inv: Invocation, args: list[str], existing: Subscription | None
    ) -> SubscriptionSpec:
        base = ScheduleWords.of(existing) if existing else ScheduleWords.defaults(self.ctx)
        w = read_schedule_words(self.ctx, inv, args, base)
        return SubscriptionSpec(
            inv.platform,
            inv.workspace,
            inv.channel,
            w.time,
            w.timezone,
            w.days,
            w.topics,
            w.mode,
            every_days=w.every_days,
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
        sub = None if inv.direct else await self.ctx.subscription(inv)
        personal = await personal_status_lines(self.ctx, inv)
        if sub is None:
            if personal:
                return Reply(ReplyKind.INFO, "Your personal daily tip", lines=personal)
            return self.ctx.not_subscribed(inv)
        now = self.ctx.clock.now()
        found = await self.ctx.db(self.ctx.store.next_unwritten_post, sub, now)
        due = found[1] if found else sub.schedule.next_after(now)[1]
        topics = (
            ", ".join(self.ctx.engine.corpus.topic_title(t) for t in sub.topics) or "all topics"
        )
        lines = [
            f"Schedule: {when_text(sub)}"
            + (" (from the config file)" if sub.origin == "config" else ""),
            f"Topics: {topics}",
            f"Mode: {sub.mode.value} ({_what(sub)} each time)",
        ]
        if sub.paused:
            resume = self.ctx.example(inv, "resume")
            lines.append(f"Paused: {sub.paused_reason}. {resume} restarts it.")
        else:
            lines.append(f"Next post: {local_when(due, sub.timezone)}")
        if found and found[2]:  # `skip` (or `post now`) already settled these dates
            lines.append("Not posted again: " + ", ".join(f"{d:%a %d %b}" for d in found[2]))
        lines += await ChannelCommands(self.ctx).status_lines(inv, sub)
        last = await self.ctx.db(self.ctx.store.last_delivery, sub.id)
        if last is not None:
            lines.append(
                f"Last: {last.local_date:%a %d %b} {last.status}"
                + (f" ({last.last_error})" if last.last_error and last.status != "sent" else "")
            )
        return Reply(ReplyKind.INFO, "Daily tip in this channel", lines=(*lines, *personal))

    async def cmd_next(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        now = self.ctx.clock.now()
        # As `status` says: past the dates `skip` or `post now` already settled.
        found = await self.ctx.db(self.ctx.store.next_unwritten_post, sub, now)
        local_date, due = found[:2] if found else sub.schedule.next_after(now)
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
