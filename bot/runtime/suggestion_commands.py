"""Suggested tips: members suggest, admins review (names, help text and who may run each:
bot/core/commands.py; the checks and the community source: bot/core/suggestions.py; the
tables: bot/runtime/store/suggestions.py).

- `suggest <text> [| topic …]` checks the text as `k8stip validate` would, refuses a tip the
  corpus already has (showing it) and a sixth pending suggestion, queues it, answers the
  member privately and posts a notice with review buttons to the platform's
  `review_channel`, when one is set.
- `review` lists the oldest pending suggestions privately, each with Approve, Edit and Reject
  buttons (kind "review"). `review approve ID` makes it a community tip at once (searchable
  and in rotation on every replica); `review reject ID [reason]`; `review edit ID` answers
  with a form (text and topics) whose submission is `review save ID` with `Invocation.fields`
  (typed on the console: `review save ID <text> | topic …`). Of two admins approving one
  suggestion at once, one wins and the other is told who decided it.
- The author hears of the decision by direct message (`direct_target`), best effort.

Text stays raw here (adapters neutralise mentions and markup); names are display names.
"""

from __future__ import annotations

import re

from bot.core.corpus import Tip
from bot.core.invocation import Invocation
from bot.core.replies import Action, Form, FormField, Reply, ReplyKind, Visibility
from bot.core.suggestions import (
    ALREADY_PENDING,
    MAX_PENDING,
    NO_SUCH,
    NOTHING_PENDING,
    QUEUED,
    QUEUED_NEXT,
    REVIEW_LISTED,
    TOO_MANY_PENDING,
    DuplicateFinder,
    Suggested,
    SuggestionRefused,
    check_suggestion,
    decided_line,
    loose_key,
    preview,
    split_topics,
    topics_note,
)
from bot.core.wording import error, info
from bot.ports import Notifier, Target, direct_target
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.community import CommunityEngine
from bot.runtime.store.suggestions import PENDING, Suggestion, TooManyPending

_ID_RE = re.compile(r"^#?([0-9]{1,9})$")
_TOPIC_SPLIT_RE = re.compile(r"[,\s]+")
TEXT_FIELD_MAX = 3000  # a Slack section's limit, what validate allows


def review_actions(suggestion_id: int) -> tuple[Action, ...]:
    """The three buttons of one suggestion: commands of at most 24 characters."""
    return (
        Action(f"Approve #{suggestion_id}", f"review approve {suggestion_id}", "review"),
        Action(f"Edit #{suggestion_id}", f"review edit {suggestion_id}", "review"),
        Action(f"Reject #{suggestion_id}", f"review reject {suggestion_id}", "review"),
    )


def _line(s: Suggestion) -> str:
    topics = f" [{', '.join(s.topics)}]" if s.topics else ""
    return f"#{s.id} by {s.member_name or 'a member'}: {preview(s.text)}{topics}"


class SuggestionCommands:
    """The handlers of suggest and review."""

    def __init__(self, ctx: CommandContext, notifier: Notifier | None = None) -> None:
        self.suggest = SuggestCommand(ctx, notifier)
        self.review = ReviewCommand(ctx, notifier)

    def handlers(self) -> dict[str, CommandHandler]:
        return {"suggest": self.suggest.cmd_suggest, "review": self.review.cmd_review}


class _Common:
    """What both commands need: the checks, the duplicate finder, notices, a suggestion
    that must still be pending."""

    def __init__(self, ctx: CommandContext, notifier: Notifier | None = None) -> None:
        self.ctx = ctx
        self.notifier = notifier
        self._duplicates: tuple[object, DuplicateFinder] | None = None

    # -- helpers ----------------------------------------------------------------------------

    def _finder(self) -> DuplicateFinder:
        engine = self.ctx.engine
        if isinstance(engine, CommunityEngine):
            return engine.duplicates()
        corpus = engine.corpus
        if self._duplicates is None or self._duplicates[0] is not corpus:
            self._duplicates = (corpus, DuplicateFinder(corpus.tips))
        return self._duplicates[1]

    def _check(self, text: str, topics: str) -> Suggested:
        names = [t for t in _TOPIC_SPLIT_RE.split(topics) if t]
        return check_suggestion(text, names, self.ctx.engine.corpus, self._finder())

    def _refused(self, inv: Invocation, e: SuggestionRefused, command: str) -> Reply:
        if e.tip is not None:
            return self._repeats(e.message, e.tip)
        hint = self.ctx.example(inv, command, *self._example_values(command))
        return error(e.message, hint)

    @staticmethod
    def _example_values(command: str) -> tuple[str, ...]:
        if command == "suggest":
            return ("Use kubectl rollout undo to roll a Deployment back", "| deployments")
        return ()

    def _repeats(self, message: str, tip: Tip) -> Reply:
        return Reply(
            ReplyKind.ERROR,
            message,
            cards=(self.ctx.engine.card(tip),),
            lines=("Suggest something it doesn't say yet.",),
        )

    async def _notify(self, target: Target, reply: Reply) -> bool:
        if self.notifier is None:
            return False
        return await self.notifier.notify(target, reply)

    def _review_channel(self, platform: str) -> str:
        if platform == "slack":
            return self.ctx.config.slack.review_channel
        if platform == "discord":
            return self.ctx.config.discord.review_channel
        return ""

    async def _pending(self, sid: int) -> Suggestion | Reply:
        s = await self.ctx.db(self.ctx.store.suggestion, sid)
        if s is None:
            return error(NO_SUCH.format(id=sid))
        if s.status != PENDING:
            return self._already(s)
        return s

    @staticmethod
    def _already(s: Suggestion) -> Reply:
        at = s.decided_at.date() if s.decided_at else None
        return info(
            f"Suggestion #{s.id} was already {decided_line(s.status, s.decided_by_name, at)}."
        )


class SuggestCommand(_Common):
    """`suggest <text> [| topic …]`."""

    async def cmd_suggest(self, inv: Invocation, args: list[str]) -> Reply:
        """Suggest a tip of your own; admins review it before it joins the Community tips."""
        text, topics = split_topics(" ".join(args))
        try:
            checked = self._check(text, topics)
        except SuggestionRefused as e:
            return self._refused(inv, e, "suggest")
        pending, _ = await self.ctx.db(self.ctx.store.pending_suggestions, 1000)
        key = loose_key(checked.text)
        same = next((s for s in pending if loose_key(s.text) == key), None)
        if same is not None:
            return info(ALREADY_PENDING.format(id=same.id))
        name = inv.user_name or inv.user
        try:
            added = await self.ctx.db(
                self.ctx.store.add_suggestion,
                inv.platform,
                inv.workspace,
                inv.channel,
                inv.user,
                name,
                checked.text,
                checked.topics,
                self.ctx.clock.now(),
                MAX_PENDING,
            )
        except TooManyPending as e:
            return error(TOO_MANY_PENDING.format(n=e.pending))
        await self._tell_reviewers(added)
        thanks = QUEUED.format(name=f", {inv.user_name}" if inv.user_name else "", id=added.id)
        return info(thanks, preview(added.text), topics_note(added.topics), QUEUED_NEXT)

    async def _tell_reviewers(self, s: Suggestion) -> None:
        channel = self._review_channel(s.platform)
        if not channel:
            return
        notice = Reply(
            ReplyKind.INFO,
            f"New tip suggested by {s.member_name or 'a member'} (#{s.id}):",
            lines=(preview(s.text), topics_note(s.topics)),
            actions=review_actions(s.id),
            visibility=Visibility.CHANNEL,
        )
        await self._notify(Target(s.platform, s.workspace, channel), notice)


class ReviewCommand(_Common):
    """`review`, `review approve|reject|edit|save ID …`."""

    async def cmd_review(self, inv: Invocation, args: list[str]) -> Reply:
        """Review suggested tips: approve, edit or reject each."""
        if not args:
            return await self._list(inv)
        action = args[0].lower()
        if action not in ("approve", "reject", "edit", "save") or len(args) < 2:
            return error(
                "Say what to do with which suggestion: approve, edit or reject, and its number.",
                self.ctx.example(inv, "review", "approve 12"),
            )
        m = _ID_RE.match(args[1])
        if m is None:
            return error(
                f"“{args[1][:20]}” is not a suggestion number.",
                self.ctx.example(inv, "review", f"{action} 12"),
            )
        sid = int(m.group(1))
        rest = args[2:]
        if action == "approve":
            return await self._approve(inv, sid)
        if action == "reject":
            return await self._reject(inv, sid, " ".join(rest))
        if action == "edit":
            return await self._edit_form(inv, sid)
        return await self._save(inv, sid, rest)

    async def _list(self, inv: Invocation) -> Reply:
        listed, total = await self.ctx.db(self.ctx.store.pending_suggestions, REVIEW_LISTED)
        if not listed:
            return info(NOTHING_PENDING)
        lines = [_line(s) for s in listed]
        if total > len(listed):
            lines.append(f"And {total - len(listed)} more: decide these to see them.")
        actions = tuple(a for s in listed for a in review_actions(s.id))
        head = (
            f"{total} suggested tips wait for review:"
            if total != 1
            else "1 suggested tip waits for review:"
        )
        return Reply(ReplyKind.INFO, head, lines=tuple(lines), actions=actions)

    async def _approve(self, inv: Invocation, sid: int) -> Reply:
        s = await self._pending(sid)
        if isinstance(s, Reply):
            return s
        same = self._finder().repeats(s.text)
        if same is not None:  # the corpus gained it since it was suggested
            return self._repeats(f"#{sid} repeats a tip k8stip has now; reject it:", same)
        decision = await self.ctx.db(
            self.ctx.store.approve_suggestion,
            sid,
            inv.user,
            inv.user_name or inv.user,
            self.ctx.clock.now(),
        )
        if not decision.changed or decision.suggestion is None:
            return (
                self._already(decision.suggestion)
                if decision.suggestion
                else error(NO_SUCH.format(id=sid))
            )
        done = decision.suggestion
        if isinstance(self.ctx.engine, CommunityEngine):
            self.ctx.engine.invalidate()
            await self.ctx.engine.refresh()
        told = await self._notify(
            direct_target(done.platform, done.workspace, done.member),
            info(
                f"Your suggested tip was approved by {done.decided_by_name} and is now one of "
                "the Community tips, credited to you:",
                preview(done.text),
            ),
        )
        author = done.member_name or "The author"
        return info(
            f"Approved #{sid}: it is tip {done.tip_id} of the Community source, searchable "
            "and in rotation now.",
            f"{author} was told by direct message." if told else f"{author} could not be told.",
        )

    async def _reject(self, inv: Invocation, sid: int, reason: str) -> Reply:
        s = await self._pending(sid)
        if isinstance(s, Reply):
            return s
        decision = await self.ctx.db(
            self.ctx.store.reject_suggestion,
            sid,
            inv.user,
            inv.user_name or inv.user,
            reason.strip(),
            self.ctx.clock.now(),
        )
        if not decision.changed or decision.suggestion is None:
            return (
                self._already(decision.suggestion)
                if decision.suggestion
                else error(NO_SUCH.format(id=sid))
            )
        done = decision.suggestion
        why = f" Reason: {done.reason}" if done.reason else ""
        told = await self._notify(
            direct_target(done.platform, done.workspace, done.member),
            info(f"Your suggested tip was not approved.{why}", preview(done.text)),
        )
        author = done.member_name or "The author"
        return info(
            f"Rejected #{sid}.",
            f"{author} was told by direct message." if told else f"{author} could not be told.",
        )

    async def _edit_form(self, inv: Invocation, sid: int) -> Reply:
        s = await self._pending(sid)
        if isinstance(s, Reply):
            return s
        typed = self.ctx.example(inv, "review", f"save {sid} <text> | <topics>")
        form = Form(
            title=f"Edit suggestion #{sid}"[:23],
            command=f"review save {sid}",
            fields=(
                FormField("text", "Tip", s.text, multiline=True, max_length=TEXT_FIELD_MAX),
                FormField(
                    "topics",
                    "Topics (ids or names, space-separated)",
                    " ".join(s.topics),
                    max_length=200,
                    required=False,
                    placeholder="deployments rollouts",
                ),
            ),
        )
        return Reply(
            ReplyKind.INFO,
            f"Edit suggestion #{sid}: type {typed}",
            lines=(s.text, topics_note(s.topics)),
            form=form,
        )

    async def _save(self, inv: Invocation, sid: int, rest: list[str]) -> Reply:
        if inv.fields:
            text, topics = inv.field("text"), inv.field("topics")
        else:
            text, topics = split_topics(" ".join(rest))
        s = await self._pending(sid)
        if isinstance(s, Reply):
            return s
        try:
            checked = self._check(text, topics)
        except SuggestionRefused as e:
            if e.tip is not None:
                return self._repeats(e.message, e.tip)
            return error(
                e.message, self.ctx.example(inv, "review", f"save {sid} <text> | <topics>")
            )
        if not await self.ctx.db(self.ctx.store.edit_suggestion, sid, checked.text, checked.topics):
            latest = await self.ctx.db(self.ctx.store.suggestion, sid)
            return self._already(latest) if latest else error(NO_SUCH.format(id=sid))
        return Reply(
            ReplyKind.INFO,
            f"Saved #{sid}.",
            lines=(preview(checked.text), topics_note(checked.topics)),
            actions=review_actions(sid),
        )
