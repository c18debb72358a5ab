"""Personal subscriptions: any member's own daily tip, by direct message, at their own time.

`subscribe me [HH:MM] [timezone] [days] [topics]` creates or changes it (defaults: the
config's time, timezone and days), `snooze 7d` holds it for 1 to 90 days (`snooze off` wakes
it), `unsubscribe me` ends it. One per member per platform: stored as a subscription whose
channel is `dm:<member>` (`bot.ports.direct_target`), keyed by the member's workspace on
Slack (ids are per workspace) and "" on Discord (ids are global). Delivery posts it through the
same ledger as a channel's: once a day, never twice. It is never a channel's subscription.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.core.invocation import Invocation
from bot.core.replies import Reply
from bot.core.wording import error, info
from bot.ports import direct_target
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.schedule_words import (
    ScheduleWords,
    echo,
    local_when,
    read_schedule_words,
    when_text,
)
from bot.runtime.store import Subscription, SubscriptionSpec

SNOOZE_MIN_DAYS, SNOOZE_MAX_DAYS = 1, 90
_SNOOZE = re.compile(r"^(\d{1,6})\s*d(ays?)?$")
_WAKE_WORDS = ("off", "wake")


def personal_workspace(inv: Invocation) -> str:
    """Where a member's id is unique: their Slack workspace; "" on Discord (global ids)."""
    return "" if inv.platform == "discord" else inv.workspace


def rotation_key(inv: Invocation) -> tuple[str, str]:
    """The (workspace, channel) whose rotation, showings and votes `inv` belongs to: in a
    direct message, the member's personal subscription (its deliveries are kept under
    "dm:<member>", not the IM's own id), so Another and the feedback buttons on a personal
    tip follow that rotation; elsewhere, the channel itself."""
    if inv.direct:
        target = direct_target(inv.platform, personal_workspace(inv), inv.user)
        return target.workspace, target.channel
    return inv.workspace, inv.channel


async def personal_subscription(ctx: CommandContext, inv: Invocation) -> Subscription | None:
    return await ctx.db(
        ctx.store.get_personal_subscription, inv.platform, personal_workspace(inv), inv.user
    )


def _topics(ctx: CommandContext, sub: Subscription) -> str:
    return ", ".join(ctx.engine.corpus.topic_title(t) for t in sub.topics) or "all topics"


def next_personal(sub: Subscription, now: datetime) -> datetime:
    """The next post's instant: the first after `now` and after any snooze."""
    start = max(now, sub.snoozed_until) if sub.snoozed_until else now
    return sub.schedule.next_after(start)[1]


async def personal_status_lines(ctx: CommandContext, inv: Invocation) -> tuple[str, ...]:
    """What `status` adds about the asking member's own subscription (() when none)."""
    sub = await personal_subscription(ctx, inv)
    if sub is None:
        return ()
    now = ctx.clock.now()
    lines = [f"Your personal tip: {when_text(sub)}, by direct message ({_topics(ctx, sub)})"]
    if sub.paused:
        again = ctx.example(inv, "subscribe-me")
        lines.append(f"Your personal tip is paused: {sub.paused_reason}. {again} restarts it.")
        return tuple(lines)  # no "next one": nothing goes out until it is restarted
    if sub.snoozed_until is not None and sub.snoozed_until > now:
        lines.append(f"Snoozed until {local_when(sub.snoozed_until, sub.timezone)}")
    lines.append(f"Your next one: {local_when(next_personal(sub, now), sub.timezone)}")
    return tuple(lines)


class PersonalCommands:
    """The handlers of `subscribe me`, `unsubscribe me` and `snooze` (anyone may run them)."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, CommandHandler]:
        return {
            "subscribe me": self.cmd_subscribe_me,
            "unsubscribe me": self.cmd_unsubscribe_me,
            "snooze": self.cmd_snooze,
        }

    async def cmd_subscribe_me(self, inv: Invocation, args: list[str]) -> Reply:
        existing = await personal_subscription(self.ctx, inv)
        base = ScheduleWords.of(existing) if existing else ScheduleWords.defaults(self.ctx)
        try:
            w = read_schedule_words(self.ctx, inv, args, base, modes=False)
        except ValueError as e:
            example = self.ctx.example(inv, "subscribe-me", "08:30", "Europe/Berlin", "weekdays")
            return error(str(e), example)
        target = direct_target(inv.platform, personal_workspace(inv), inv.user)
        spec = SubscriptionSpec(
            target.platform,
            target.workspace,
            target.channel,
            w.time,
            w.timezone,
            w.days,
            w.topics,
            every_days=w.every_days,
            member=inv.user,
        )
        now = self.ctx.clock.now()
        sub = await self.ctx.db(self.ctx.store.upsert_subscription, spec, "chat", inv.user, now)
        if sub.paused:  # e.g. direct messages were refused once: running it again restarts it
            await self.ctx.db(self.ctx.store.set_paused, sub.id, False, "", now)
        verb = "Changed" if existing else "Subscribed"
        snooze = (
            f" Snoozed until {local_when(sub.snoozed_until, sub.timezone)}."
            if sub.snoozed_until is not None and sub.snoozed_until > now
            else ""
        )
        return info(
            f"{verb}: a tip for you by direct message {when_text(sub)} ({_topics(self.ctx, sub)})."
            f" Next: {local_when(next_personal(sub, now), sub.timezone)}.{snooze}",
            f"{self.ctx.example(inv, 'snooze', '7d')} holds it for a week; "
            f"{self.ctx.example(inv, 'unsubscribe-me')} stops it.",
        )

    async def cmd_unsubscribe_me(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await personal_subscription(self.ctx, inv)
        if sub is None:
            return info(self._none(inv))
        await self.ctx.db(
            self.ctx.store.delete_subscription, sub.platform, sub.workspace, sub.channel
        )
        return info(
            "Unsubscribed: no more personal tips. "
            f"{self.ctx.example(inv, 'subscribe-me')} brings them back."
        )

    async def cmd_snooze(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await personal_subscription(self.ctx, inv)
        if sub is None:
            return info(self._none(inv))
        word = " ".join(args).strip().lower()
        now = self.ctx.clock.now()
        if word in _WAKE_WORDS:
            await self.ctx.db(self.ctx.store.set_snooze, sub.id, None, now)
            if sub.paused:
                return info("Snooze off.", self._paused(inv, sub))
            nxt = sub.schedule.next_after(now)[1]
            return info(f"Snooze off. Your next tip: {local_when(nxt, sub.timezone)}.")
        m = _SNOOZE.match(word)
        days = int(m.group(1)) if m else 0
        if not m or not SNOOZE_MIN_DAYS <= days <= SNOOZE_MAX_DAYS:
            what = f"{echo(' '.join(args))!r} is not" if args else "Say"
            return error(
                f"{what} a snooze from {SNOOZE_MIN_DAYS}d to {SNOOZE_MAX_DAYS}d (days), or off.",
                self.ctx.example(inv, "snooze", "7d"),
            )
        until = now + timedelta(days=days)
        await self.ctx.db(self.ctx.store.set_snooze, sub.id, until, now)
        if sub.paused:  # no "next" to promise: it posts nothing until restarted
            return info(
                f"Snoozed for {days} day{'s' if days != 1 else ''}.", self._paused(inv, sub)
            )
        nxt = sub.schedule.next_after(until)[1]
        return info(
            f"Snoozed for {days} day{'s' if days != 1 else ''}: no personal tips until "
            f"{local_when(until, sub.timezone)}; the ones in between are not sent later. "
            f"Next: {local_when(nxt, sub.timezone)}.",
            f"{self.ctx.example(inv, 'snooze', 'off')} wakes it now.",
        )

    def _paused(self, inv: Invocation, sub: Subscription) -> str:
        """Why a member's own tip does not go out (direct messages refused, say), and the fix:
        on Discord only `/k8stip-admin status` shows it otherwise."""
        again = self.ctx.example(inv, "subscribe-me")
        return f"Your personal tip is paused: {sub.paused_reason}. {again} restarts it."

    def _none(self, inv: Invocation) -> str:
        start = self.ctx.example(inv, "subscribe-me", "08:30")
        return f"You have no personal daily tip. Start one: {start}"


__all__ = ["PersonalCommands", "personal_status_lines", "personal_workspace", "rotation_key"]
