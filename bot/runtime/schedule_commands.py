"""`skip` and `post now`: an admin changes this channel's next daily posts, in the ledger.

`skip` writes the next scheduled post's ledger row ahead of time as skipped, with who skipped
it, so no replica posts it; run again, it skips the one after (a post already skipped is
passed over). `post now` posts the next tip at once through the `PostNow` port (the delivery
ledger and the adapters: bot/runtime/delivery/post_now.py) and counts it as today's post, so
today's scheduled post does not go out again; if today's already went out, nothing is posted.
"""

from __future__ import annotations

from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.core.wording import error, info
from bot.ports import PostNow
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.schedule_words import local_when

SKIPPED_BY = "skipped by "


class ScheduleCommands:
    """The handlers of `skip` and `post now` (admins only: the command table says so)."""

    def __init__(self, ctx: CommandContext, post_now: PostNow | None = None) -> None:
        self.ctx = ctx
        self.poster = post_now

    def handlers(self) -> dict[str, CommandHandler]:
        return {"skip": self.cmd_skip, "post now": self.cmd_post_now}

    async def cmd_skip(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        now = self.ctx.clock.now()
        reason = f"{SKIPPED_BY}{inv.user_name or inv.user}"
        skipped = await self.ctx.db(self.ctx.store.skip_next_post, sub, now, reason, now)
        if skipped is None:
            return error("There is no scheduled post in the next year to skip.")
        local_date, due = skipped
        paused = " (The daily tip here is paused anyway.)" if sub.paused else ""
        return Reply(
            ReplyKind.INFO,
            f"Skipped the post of {local_date:%a %d %b} ({local_when(due, sub.timezone)}); "
            f"no tip goes out then.{paused}",
            lines=(f"Run {self.ctx.example(inv, 'skip')} again to skip the one after too.",),
            visibility=Visibility.CHANNEL,
        )

    async def cmd_post_now(self, inv: Invocation, args: list[str]) -> Reply:
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        if sub.paused:
            resume = self.ctx.example(inv, "resume")
            return info(f"The daily tip here is paused ({sub.paused_reason}); {resume} first.")
        if self.poster is None:
            return error("This process cannot post; try again on a running k8stip.")
        outcome = await self.poster.post_now(sub.id)
        day = f"{outcome.local_date:%a %d %b}"
        if outcome.status == "sent":
            return info(f"Posted now, as the tip of {day}: no other tip goes out here that day.")
        if outcome.status == "already_sent":
            return info(f"The tip of {day} already went out here; nothing posted.")
        if outcome.status == "busy":
            return info(f"The tip of {day} is being posted here right now.")
        if outcome.status == "unavailable":
            return error(f"Can't post from here: {outcome.detail}.")
        return error(f"Could not post the tip of {day}: {outcome.detail}.")


__all__ = ["SKIPPED_BY", "ScheduleCommands"]
