"""A channel's past daily tips: `yesterday` (yesterday's post, as a card to read again and vote
on) and `history [N]` (the last N posts, newest first, paged with an "Older" button whose
command is `history N page P`). Posts are the delivery ledger's sent rows
(bot/runtime/store/posts.py); each tip is looked up in the corpus as it is now, so a tip
removed since is shown as such.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.invocation import Invocation
from bot.core.learning_model import VOTE_LABELS, VoteKind
from bot.core.replies import Action, Reply, ReplyKind
from bot.core.schedules import parse_timezone
from bot.core.wording import error, info, tip_reply
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.learning_commands import local_date, short
from bot.runtime.store.posts import PostRow

HISTORY_DEFAULT = 5  # posts a page shows unless asked
HISTORY_MAX = 25  # and at most
PAGE_MAX = 1000  # a page number past this is no page (25,000 posts back)
GONE = "(no longer in the corpus)"
NOT_IN_A_CHANNEL = "History is kept per channel: run this in a channel with a daily tip."


class HistoryCommands:
    """The handlers of yesterday and history."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, CommandHandler]:
        return {"yesterday": self.cmd_yesterday, "history": self.cmd_history}

    async def _timezone(self, inv: Invocation) -> tuple[str, bool]:
        """The channel's timezone, and whether it has a daily tip now."""
        sub = await self.ctx.subscription(inv)
        return (sub.timezone, True) if sub is not None else (self.ctx.config.timezone, False)

    def _status(self, post: PostRow, tz: str) -> str:
        at = post.posted_at
        when = f"sent {at.astimezone(parse_timezone(tz)):%H:%M}" if at is not None else "sent"
        counts = {
            VoteKind.USEFUL: post.useful,
            VoteKind.NOT_USEFUL: post.not_useful,
            VoteKind.KNEW_IT: post.knew_it,
        }
        votes = " · ".join(f"{VOTE_LABELS[k].split()[0]} {n}" for k, n in counts.items())
        return f"{when} · {votes}"

    def _line(self, post: PostRow, tz: str) -> str:
        tip = self.ctx.engine.corpus.by_id.get(post.tip_id or "")
        if tip is None:
            what = f"{post.tip_id or 'a tip'} {GONE}"
        else:
            card = self.ctx.engine.card(tip)
            what = f"{short(tip.text)} — {card.attribution}"
        return f"{post.local_date.isoformat()} — {what} — {self._status(post, tz)}"

    async def cmd_yesterday(self, inv: Invocation, args: list[str]) -> Reply:
        """Yesterday's daily tip in this channel, to read again."""
        if inv.direct:
            return info(NOT_IN_A_CHANNEL)
        tz, subscribed = await self._timezone(inv)
        day = local_date(tz, self.ctx.clock.now()) - timedelta(days=1)
        posts = await self.ctx.db(
            self.ctx.store.channel_posts, inv.platform, inv.workspace, inv.channel, 1, 0, day
        )
        if not posts:
            if not subscribed:
                return self.ctx.not_subscribed(inv)
            history = self.ctx.example(inv, "history")
            return info(f"No tip was posted here yesterday ({day.isoformat()}).", history)
        post = posts[0]
        tip = self.ctx.engine.corpus.by_id.get(post.tip_id or "")
        if tip is None:
            return info(
                f"Yesterday's tip here ({day.isoformat()}), {post.tip_id}, is no longer in the "
                "corpus."
            )
        lines = (f"Posted here yesterday ({day.isoformat()}): {self._status(post, tz)}",)
        return tip_reply(self.ctx.engine.card(tip), lines=lines)

    async def cmd_history(self, inv: Invocation, args: list[str]) -> Reply:
        """This channel's last daily tips, newest first."""
        parsed = _parse(args)
        if parsed is None:
            return error(
                f"History takes how many posts to show, 1 to {HISTORY_MAX} (default "
                f"{HISTORY_DEFAULT}).",
                self.ctx.example(inv, "history", "10"),
            )
        if inv.direct:
            return info(NOT_IN_A_CHANNEL)
        n, page = parsed
        tz, subscribed = await self._timezone(inv)
        rows = await self.ctx.db(
            self.ctx.store.channel_posts,
            inv.platform,
            inv.workspace,
            inv.channel,
            n + 1,
            (page - 1) * n,
        )
        posts, older = rows[:n], len(rows) > n
        if not posts:
            if page > 1:
                return info("No older posts here.", self.ctx.example(inv, "history"))
            if not subscribed:
                return self.ctx.not_subscribed(inv)
            return info("No daily tip has been posted here yet.")
        first = (page - 1) * n + 1
        title = (
            f"The last {len(posts)} daily tip{'' if len(posts) == 1 else 's'} posted here, "
            "newest first:"
            if page == 1
            else f"Daily tips posted here, {first} to {first + len(posts) - 1} back:"
        )
        lines = [self._line(p, tz) for p in posts]
        if not subscribed:
            lines.append(self.ctx.not_subscribed(inv).text)
        actions = (Action("Older", f"history {n} page {page + 1}", "history"),) if older else ()
        return Reply(ReplyKind.INFO, title, lines=tuple(lines), actions=actions)


def _parse(args: list[str]) -> tuple[int, int] | None:
    """`[N] [page P]` as (N, P); None when it is not that or out of bounds."""
    words = [a.lower() for a in args]
    n, page = HISTORY_DEFAULT, 1
    if words and words[0] != "page":
        if not _number(words[0], HISTORY_MAX):
            return None
        n = int(words.pop(0))
    if words:
        if len(words) != 2 or words[0] != "page" or not _number(words[1], PAGE_MAX):
            return None
        page = int(words[1])
    return n, page


def _number(word: str, most: int) -> bool:
    return word.isascii() and word.isdigit() and len(word) <= 4 and 1 <= int(word) <= most
