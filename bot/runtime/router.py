"""The command router: an `Invocation` in, a neutral `Reply` out, the same on every platform.

`/k8stip` with no words, or with topic names, gives a tip from the channel's rotation; any
other words are a question (`engine.tip`), never an error. The named commands, their help
text, who may run them and how each platform types them are declared once, in
`bot.core.commands.COMMANDS`; the router binds a handler to each (the subscription ones live in
`bot.runtime.subscription_commands`, votes, progress and retirements in
`bot.runtime.learning_commands`, the quiz in `bot.runtime.quiz_commands`, threads and
mentions in `bot.runtime.channel_commands`, requests in `bot.runtime.request_commands`, past
posts in `bot.runtime.history_commands`), so every hint names the asking platform's syntax.
Buttons carry a command (`another …`, `more <topic>`, `share <tip_id>`, `vote <kind> <tip_id>`,
`quiz-answer <question> <index>`, `request <words>` under a "nothing found" answer,
`history N page P`) and are routed exactly like typed commands; with threads on, the answer to
Another / More on a daily post goes in its thread. A question nothing answers is noted for
admins. A topic request draws the tips this channel's votes retired only when nothing else
answers. Raw user text stays raw here: adapters neutralise mentions and markup.
"""

from __future__ import annotations

import difflib
import random
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.config import Config
from bot.core.commands import COMMANDS, CommandSpec
from bot.core.invocation import Invocation
from bot.core.learning import prefer_unretired
from bot.core.picker import pick, rotation_state
from bot.core.replies import Reply, ReplyKind, TipCard, Visibility
from bot.core.wording import (
    NO_TIPS,
    RATE_LIMITED,
    admins,
    error,
    info,
    not_admin,
    paused_notice,
    tip_reply,
    usage,
)
from bot.ports import Clock, CommandObserver, Notifier, PostNow, TipEngine
from bot.runtime.channel_commands import ChannelCommands
from bot.runtime.clock import SystemClock
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.community import CommunityEngine
from bot.runtime.history_commands import HistoryCommands
from bot.runtime.learning_commands import LearningCommands, channel_retired
from bot.runtime.personal_commands import PersonalCommands, rotation_key
from bot.runtime.quiz_commands import QuizCommands
from bot.runtime.request_commands import RequestCommands
from bot.runtime.schedule_commands import ScheduleCommands
from bot.runtime.store import Store
from bot.runtime.subscription_commands import MANUAL_PAUSE_PREFIX, SubscriptionCommands
from bot.runtime.suggestion_commands import SuggestionCommands

# The commands that leave a channel's pause alone, or report it themselves, and the presses
# and the quiz (posted to the whole channel, or a card edited in place): no notice after.
# A member's own subscription is not the channel's: no notice after those either.
_NO_PAUSED_NOTICE = (
    *("pause", "resume", "status", "quiz", "quiz-answer", "vote", "post-now"),
    *("subscribe-me", "unsubscribe-me", "snooze"),
)


@dataclass(frozen=True)
class Command:
    """A command of the table with the handler that runs it."""

    spec: CommandSpec
    run: CommandHandler

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def summary(self) -> str:
        return self.spec.summary

    @property
    def admin(self) -> bool:
        return self.spec.admin


def bind(handlers: Mapping[str, CommandHandler]) -> dict[str, Command]:
    """Every command typed by name (all but `tip`, the default), in table order, with its
    handler. Raises if the table and the handlers do not name the same commands."""
    typed = {spec.word: spec for spec in COMMANDS.values() if spec.word}
    if set(typed) != set(handlers):
        missing = sorted(set(typed) - set(handlers))
        extra = sorted(set(handlers) - set(typed))
        raise ValueError(
            f"commands without a handler: {missing}; handlers not in the table: {extra}"
        )
    return {word: Command(spec, handlers[word]) for word, spec in typed.items()}


class Router:
    """Builds replies from the engine, the store and the config. `await router.handle(inv)`."""

    def __init__(
        self,
        engine: TipEngine,
        store: Store,
        config: Config,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        observer: CommandObserver | None = None,
        post_now: PostNow | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.ctx = CommandContext(engine, store, config, clock or SystemClock())
        # Posts outside a command's answer (review notices, the author's direct message).
        self.notifier = notifier
        self.rng = rng or random.Random()
        self.observer = observer
        self._recent: dict[tuple[str, str, str], deque[float]] = defaultdict(deque)
        self.learning = LearningCommands(self.ctx)
        self.quiz = QuizCommands(self.ctx, self.rng)
        self.channel = ChannelCommands(self.ctx)
        self.requests = RequestCommands(self.ctx, observer)
        self.commands = bind(
            {
                "help": self.cmd_help,
                "search": self.cmd_search,
                "topics": self.cmd_topics,
                "another": self.cmd_another,
                "more": self.cmd_more,
                "share": self.cmd_share,
                **SubscriptionCommands(self.ctx).handlers(),
                **self.learning.handlers(),
                **self.quiz.handlers(),
                **SuggestionCommands(self.ctx, notifier).handlers(),
                **self.channel.handlers(),
                **self.requests.handlers(),
                **HistoryCommands(self.ctx).handlers(),
                **ScheduleCommands(self.ctx, post_now).handlers(),
                **PersonalCommands(self.ctx).handlers(),
            }
        )

    async def __call__(self, inv: Invocation) -> Reply:
        return await self.handle(inv)

    # -- entry point --------------------------------------------------------------------

    async def handle(self, inv: Invocation) -> Reply:
        words = inv.text.split()
        command, taken = self._command_of(words)
        name = command.name if command else "tip"
        if self.observer is not None:
            self.observer.command_handled(inv.platform, name)
        limited = self._rate_limited(inv)
        if limited is not None:
            return limited
        if isinstance(self.ctx.engine, CommunityEngine):
            await self.ctx.engine.refresh()  # tips approved on any replica answer at once
        if command is None:
            return await self.tip(inv, words)
        if command.admin and not inv.is_admin:
            what = command.summary.lower()
            return error(not_admin(inv.platform, what, slash=self.ctx.slash(inv)))
        reply = await command.run(inv, words[taken:])
        reply = await self.channel.threaded(inv, command.name, reply)
        if inv.is_admin and command.name not in _NO_PAUSED_NOTICE:
            reply = await self._with_paused_notice(inv, reply)
        return reply

    def _command_of(self, words: list[str]) -> tuple[Command | None, int]:
        """The command the words name and how many words name it: a two-word command
        (`subscribe me`, `post now`) before its first word's (`subscribe`)."""
        two = " ".join(words[:2]).lower()
        if len(words) >= 2 and two in self.commands:
            return self.commands[two], 2
        first = words[0].lower() if words else ""
        return self.commands.get(first), 1

    def _rate_limited(self, inv: Invocation) -> Reply | None:
        limit = self.ctx.config.rate_limit.commands_per_minute
        if limit <= 0:
            return None
        now = self.ctx.clock.now().timestamp()
        q = self._recent[(inv.platform, inv.workspace, inv.user)]
        while q and q[0] <= now - 60:
            q.popleft()
        if len(q) >= limit:
            wait = max(1, int(q[0] + 60 - now + 0.999))
            return info(RATE_LIMITED.format(limit=limit, wait=wait))
        q.append(now)
        return None

    async def _with_paused_notice(self, inv: Invocation, reply: Reply) -> Reply:
        """Tell admins, the next time they run a command, that this channel's tips stopped."""
        sub = await self.ctx.subscription(inv)
        if sub is None or not sub.paused or sub.paused_reason.startswith(MANUAL_PAUSE_PREFIX):
            return reply
        notice = paused_notice(inv.platform, sub.paused_reason, slash=self.ctx.slash(inv))
        return replace(reply, lines=(*reply.lines, notice))

    # -- tips ---------------------------------------------------------------------------

    async def tip(self, inv: Invocation, words: list[str]) -> Reply:
        """A tip: from this channel's rotation, on a topic, or answering a few words."""
        if not self.ctx.engine.corpus.tips:
            return error(NO_TIPS)
        workspace, channel = rotation_key(inv)  # a direct message: the personal tip's
        history: list[str] = await self.ctx.db_or(
            "read the channel's history",
            [],
            self.ctx.store.channel_history,
            inv.platform,
            workspace,
            channel,
        )
        topics: list[str] = []
        if words:
            topics, unknown = self.ctx.engine.resolve_topics(words)
            if unknown or not topics:
                return await self._answer(inv, " ".join(words), history)
            # The same pool `k8stip tip` draws from (the tips mainly about the topic), taken
            # in this channel's rotation so repeated requests show different tips.
            candidates = [h.tip.id for h in self.ctx.engine.best(" ".join(words))[0]]
        else:
            sub = await self.ctx.subscription(inv)
            topics = list(sub.topics) if sub else []
            candidates = [t.id for t in self.ctx.engine.corpus.tips_for_topics(topics)]
        # Tips this channel's votes retired answer a request only when nothing else does.
        retired: list[str] = await self.ctx.db_or(
            "read the channel's votes",
            [],
            channel_retired,
            self.ctx.store,
            inv.platform,
            workspace,
            channel,
        )
        tip_id = pick(prefer_unretired(candidates, set(retired)), history, self.rng)
        tip = self.ctx.engine.corpus.by_id.get(tip_id) if tip_id else None
        if tip is None:
            return error(NO_TIPS)
        return await self._show(inv, self.ctx.engine.card(tip), topics)

    async def _answer(self, inv: Invocation, query: str, history: list[str]) -> Reply:
        """Words that aren't all topics: a question for the engine."""
        seen, _ = rotation_state([t.id for t in self.ctx.engine.corpus.tips], history)
        answer = self.ctx.engine.tip(query, rng=self.rng, exclude=seen)
        if answer.tip is None or answer.card is None:
            close = difflib.get_close_matches(query.split()[0].lower(), self.commands, n=1)
            hint = self.ctx.example(inv, self.commands[close[0]].name) if close else ""
            if hint:
                # A mistyped command, not a question: no request to note.
                help_ = self.ctx.example(inv, "help")
                line = f"Did you mean the command {hint}? Try {help_}"
                return Reply(ReplyKind.INFO, answer.message, lines=(line,))
            nothing = Reply(ReplyKind.INFO, answer.message)
            return await self.requests.note_unanswered(inv, query, nothing)
        return await self._show(inv, answer.card, list(answer.topics))

    async def _show(
        self,
        inv: Invocation,
        card: TipCard,
        topics: Sequence[str],
        visibility: Visibility = Visibility.EPHEMERAL,
        lines: tuple[str, ...] = (),
    ) -> Reply:
        workspace, channel = rotation_key(inv)
        await self.ctx.db_or(
            "record a tip shown",
            None,
            self.ctx.store.record_shown,
            inv.platform,
            workspace,
            channel,
            card.tip_id,
            "request",
            self.ctx.clock.now(),
        )
        return tip_reply(card, topics, visibility, lines)

    async def cmd_another(self, inv: Invocation, args: list[str]) -> Reply:
        return await self.tip(inv, args)

    async def cmd_more(self, inv: Invocation, args: list[str]) -> Reply:
        """A tip on that topic (the "More on …" button)."""
        if not args:
            return error("Say which topic.", self.ctx.example(inv, "more", "secrets"))
        return await self.tip(inv, args)

    async def cmd_share(self, inv: Invocation, args: list[str]) -> Reply:
        """Post that tip to the whole channel (the "Share" button)."""
        tip = self.ctx.engine.corpus.by_id.get(args[0]) if len(args) == 1 else None
        if tip is None:
            return error("That tip isn't in the corpus any more.")
        who = inv.user_name or "Someone"
        return await self._show(
            inv, self.ctx.engine.card(tip), (), Visibility.CHANNEL, (f"Shared by {who}",)
        )

    async def cmd_search(self, inv: Invocation, args: list[str]) -> Reply:
        if not args:
            return error(
                "Search for what?",
                self.ctx.example(inv, "search", "rotate secrets without downtime"),
            )
        result = self.ctx.engine.search(" ".join(args), limit=5)
        if not result.cards:
            nothing = Reply(ReplyKind.INFO, result.message)
            return await self.requests.note_unanswered(inv, " ".join(args), nothing)
        return Reply(ReplyKind.SEARCH, result.message, cards=tuple(result.cards))

    async def cmd_topics(self, inv: Invocation, args: list[str]) -> Reply:
        rows = self.ctx.engine.topics()
        lines = tuple(f"{r['id']} — {r['title']} ({r['count']})" for r in rows)
        return Reply(
            ReplyKind.TOPICS,
            f"{len(rows)} topics. Ask for one with {self.ctx.example(inv, 'tip', '<topic>')}:",
            lines=lines,
        )

    async def cmd_help(self, inv: Invocation, args: list[str]) -> Reply:
        slash = self.ctx.slash(inv)
        who = admins(inv.platform).who
        asked, _ = self._command_of(args)
        if asked is not None:
            spec = asked.spec
            shown = usage(inv.platform, spec.name, slash) or self.ctx.example(inv, "help")
            return info(shown, spec.help_summary(who))
        lines = tuple(
            f"{usage(inv.platform, spec.name, slash)} — {spec.help_summary(who)}"
            for spec in COMMANDS.values()
            if not spec.button
        )
        return Reply(ReplyKind.HELP, "k8stip: one Kubernetes tip a day.", lines=lines)
