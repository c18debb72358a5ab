"""The learning commands: members vote on tips, see their progress and the channel's
leaderboard, and can be forgotten; admins list and restore retired tips (names, help text and
who may run each: bot/core/commands.py; the rules: bot/core/learning.py; the quiz commands:
bot/runtime/quiz_commands.py).

A vote press is answered privately and never posts in the channel. The leaderboard shows the
display names stored with answers, as text: never a member id, never a mention.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.core.invocation import Invocation
from bot.core.learning import retired_tips, tally
from bot.core.learning_model import VOTE_LABELS, VoteKind
from bot.core.progress import LEADERBOARD_DAYS, LEADERBOARD_SIZE, streak
from bot.core.replies import Reply, ReplyKind
from bot.core.schedules import parse_timezone
from bot.core.wording import admins, error, info, not_admin
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.personal_commands import rotation_key
from bot.runtime.store import Store

_KINDS = {k.value: k for k in VoteKind}
SHORT_TEXT = 70  # how much of a tip the retired list shows
RETIRED_LISTED = 25  # the retired list shows this many, then says how many more
CHOICE_DIGITS = 2  # a choice index is 0..3; anything longer is not one


def short(text: str, limit: int = SHORT_TEXT) -> str:
    """A tip's first `limit` characters, cut at a word, with an ellipsis when cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return head.rstrip(",.;:") + "…"


def channel_retired(store: Store, platform: str, workspace: str, channel: str) -> list[str]:
    """The ids of the tips a channel's votes retire now, sorted (blocking: two reads)."""
    votes = store.channel_votes(platform, workspace, channel)
    restored = store.channel_restorations(platform, workspace, channel)
    return sorted(retired_tips(tally(votes, restored)))


async def channel_timezone(ctx: CommandContext, inv: Invocation) -> str:
    """The timezone of the channel's daily tip, else the config's."""
    sub = await ctx.db_or(
        "read the channel's subscription",
        None,
        ctx.store.get_subscription,
        inv.platform,
        inv.workspace,
        inv.channel,
    )
    return sub.timezone if sub is not None else ctx.config.timezone


def local_date(tz: str, at: datetime) -> date:
    return at.astimezone(parse_timezone(tz)).date()


class LearningCommands:
    """The handlers of vote, stats, leaderboard, forget, retired and restore."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, CommandHandler]:
        return {
            "vote": self.cmd_vote,
            "stats": self.cmd_stats,
            "leaderboard": self.cmd_leaderboard,
            "forget": self.cmd_forget,
            "retired": self.cmd_retired,
            "restore": self.cmd_restore,
        }

    async def _timezone(self, inv: Invocation) -> str:
        return await channel_timezone(self.ctx, inv)

    def _local_date(self, tz: str, at: datetime) -> date:
        return local_date(tz, at)

    # -- votes --------------------------------------------------------------------------

    async def cmd_vote(self, inv: Invocation, args: list[str]) -> Reply:
        """Your feedback on a tip in this channel (the three feedback buttons)."""
        labels = ", ".join(VOTE_LABELS.values())
        if len(args) != 2:
            return error(f"A vote is one of {labels}, on one tip: press a tip's button.")
        kind = _KINDS.get(args[0].lower())
        if kind is None:
            return error(f"That's not a vote. A vote is one of {labels}.")
        tip = self.ctx.engine.corpus.by_id.get(args[1])
        if tip is None:
            return error("That tip isn't in the corpus any more, so it can't take a vote.")
        workspace, channel = rotation_key(inv)  # on a personal tip: its rotation's votes
        previous = await self.ctx.db(
            self.ctx.store.record_vote,
            inv.platform,
            workspace,
            channel,
            tip.id,
            inv.user,
            kind,
            inv.is_admin,
            self.ctx.clock.now(),
        )
        label = VOTE_LABELS[kind]
        if previous is None:
            text = f"Counted: {label}"
        elif previous is kind:
            text = f"You had already said {label}; it still counts once."
        else:
            text = f"Changed your vote from {VOTE_LABELS[previous]} to {label}"
        return info(text, "Only you see this. Pressing another button changes your vote.")

    # -- progress -----------------------------------------------------------------------

    async def cmd_stats(self, inv: Invocation, args: list[str]) -> Reply:
        """Your votes, quizzes answered, share right and streak, only to you."""
        votes = await self.ctx.db(self.ctx.store.member_vote_count, inv.platform, inv.user)
        answers = await self.ctx.db(self.ctx.store.member_quiz_answers, inv.platform, inv.user)
        tz = await self._timezone(inv)
        now = self.ctx.clock.now()
        answered = len(answers)
        right = sum(1 for a in answers if a.correct)
        days = streak((self._local_date(tz, a.at) for a in answers), self._local_date(tz, now))
        share = f" ({right} right, {round(100 * right / answered)}%)" if answered else ""
        return info(
            "Your progress (only you see this)",
            f"Votes: {votes}",
            f"Quizzes answered: {answered}{share}",
            f"Streak: {days} day{'' if days == 1 else 's'} in a row with a quiz answered",
        )

    async def cmd_leaderboard(self, inv: Invocation, args: list[str]) -> Reply:
        """The channel's top ten by right answers; `on` / `off` (admins) switch it."""
        if args:
            setting = args[0].lower()
            if len(args) > 1 or setting not in ("on", "off"):
                return error(
                    "The leaderboard is turned on or off.",
                    self.ctx.example(inv, "leaderboard", "on"),
                )
            if not inv.is_admin:
                what = f"turn the leaderboard {setting}"
                return error(not_admin(inv.platform, what, slash=self.ctx.slash(inv)))
            enabled = setting == "on"
            await self.ctx.db(
                self.ctx.store.set_leaderboard,
                inv.platform,
                inv.workspace,
                inv.channel,
                enabled,
                inv.user,
                self.ctx.clock.now(),
            )
            if enabled:
                return info(
                    f"Leaderboard on: {self.ctx.example(inv, 'leaderboard')} shows this "
                    "channel's top ten by right quiz answers."
                )
            return info("Leaderboard off in this channel.")
        enabled = await self.ctx.db(
            self.ctx.store.leaderboard_enabled, inv.platform, inv.workspace, inv.channel
        )
        if not enabled:
            who = admins(inv.platform).who
            on = self.ctx.example(inv, "leaderboard", "on")
            return info(f"The leaderboard is off in this channel. {who.capitalize()} can run {on}.")
        tz = await self._timezone(inv)
        today = self._local_date(tz, self.ctx.clock.now())
        start = today - timedelta(days=LEADERBOARD_DAYS - 1)
        since = datetime.combine(start, time(0), tzinfo=parse_timezone(tz))
        rows = await self.ctx.db(
            self.ctx.store.quiz_leaderboard,
            inv.platform,
            inv.workspace,
            inv.channel,
            since,
            LEADERBOARD_SIZE,
        )
        if not rows:
            quiz = self.ctx.example(inv, "quiz")
            return info(f"No right answers here in the last {LEADERBOARD_DAYS} days. {quiz}")
        lines: list[str] = []
        rank, previous = 0, -1
        for n, row in enumerate(rows, start=1):
            if row.right != previous:
                rank, previous = n, row.right
            # A display name, shown as text: never the member id, never a mention.
            name = row.name.strip() if row.name and row.name.strip() else "A member"
            lines.append(f"{rank}. {name} — {row.right} right of {row.answered}")
        return Reply(
            ReplyKind.INFO, f"Quiz leaderboard, last {LEADERBOARD_DAYS} days", lines=tuple(lines)
        )

    async def cmd_forget(self, inv: Invocation, args: list[str]) -> Reply:
        """Delete the member's votes, quiz answers and requests everywhere."""
        if [a.lower() for a in args] != ["me"]:
            return error(
                "To delete your votes, quiz answers and requests everywhere, say so:",
                self.ctx.example(inv, "forget", "me"),
            )
        gone = await self.ctx.db(self.ctx.store.forget_member, inv.platform, inv.user)
        asked = await self.ctx.db(self.ctx.store.forget_member_requests, inv.platform, inv.user)
        also = (
            (
                f"Also deleted {asked} request{'' if asked == 1 else 's'} for tips and unanswered "
                "questions of yours.",
            )
            if asked
            else ()
        )
        return info(
            f"Done: deleted {gone.votes} vote{'' if gone.votes == 1 else 's'} and "
            f"{gone.answers} quiz answer{'' if gone.answers == 1 else 's'} of yours, in every "
            "channel. Tallies and the leaderboard no longer count them.",
            *also,
        )

    # -- retirements (admins) -----------------------------------------------------------

    async def _retired(self, inv: Invocation) -> list[str]:
        return await self.ctx.db(
            channel_retired, self.ctx.store, inv.platform, inv.workspace, inv.channel
        )

    async def cmd_retired(self, inv: Invocation, args: list[str]) -> Reply:
        """The tips this channel's votes retired, with how to restore one."""
        retired = await self._retired(inv)
        if not retired:
            return info("No tip is retired in this channel.")
        by_id = self.ctx.engine.corpus.by_id
        lines = [
            f"{tip_id} — {short(by_id[tip_id].text) if tip_id in by_id else '(no longer loaded)'}"
            for tip_id in retired[:RETIRED_LISTED]
        ]
        if len(retired) > RETIRED_LISTED:
            lines.append(f"… and {len(retired) - RETIRED_LISTED} more")
        lines.append(f"Restore one: {self.ctx.example(inv, 'restore', retired[0])}")
        n = len(retired)
        return Reply(
            ReplyKind.INFO,
            f"{n} tip{'' if n == 1 else 's'} retired here by votes (never posted daily again):",
            lines=tuple(lines),
        )

    async def cmd_restore(self, inv: Invocation, args: list[str]) -> Reply:
        """Undo a tip's retirement in this channel."""
        if len(args) != 1:
            return error("Say which tip to restore.", self.ctx.example(inv, "restore", "<tip id>"))
        tip = self.ctx.engine.corpus.by_id.get(args[0])
        if tip is None:
            retired = self.ctx.example(inv, "retired")
            return error(f"There's no tip with that id. {retired} lists the retired ones.")
        if tip.id not in await self._retired(inv):
            return info("That tip isn't retired in this channel.")
        await self.ctx.db(
            self.ctx.store.restore_tip,
            inv.platform,
            inv.workspace,
            inv.channel,
            tip.id,
            inv.user,
            self.ctx.clock.now(),
        )
        return info(
            f"Restored: “{short(tip.text)}” is back in this channel's daily posts.",
            "Votes from now on can retire it again.",
        )
