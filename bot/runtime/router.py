"""The command router: an `Invocation` in, a neutral `Reply` out, the same on every platform.

`/k8stip` with no words, or with topic names, gives a tip from the channel's rotation; any
other words are a question (`engine.tip`), never an error. Named commands are below; each
handler's docstring is its help text (what it does); how it is typed on each platform comes
from `bot.core.wording.SYNTAX`, so every hint names the asking platform's syntax. Buttons carry
a command (`another …`, `more <topic>`, `share <tip_id>`) and are routed exactly like typed
commands. Raw user text stays raw here: adapters neutralise mentions and markup.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import random
import re
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, Protocol, TypeVar

from bot.config import Config
from bot.core.corpus import Corpus, Tip
from bot.core.invocation import Invocation
from bot.core.picker import choose_daily_tip, pick, rotation_state
from bot.core.replies import Reply, ReplyKind, TipCard, Visibility
from bot.core.schedules import (
    describe_days,
    looks_like_days,
    parse_days,
    parse_time,
    parse_timezone,
)
from bot.core.search import Hit, Understanding
from bot.core.wording import (
    CONFIG_OWNED,
    NO_TIPS,
    RATE_LIMITED,
    admins,
    error,
    example,
    info,
    not_admin,
    not_subscribed,
    paused_notice,
    tip_reply,
    usage,
)
from bot.ports import Clock
from bot.runtime.clock import SystemClock
from bot.runtime.store import Store, Subscription, SubscriptionSpec

P = ParamSpec("P")
T = TypeVar("T")

SUBSCRIBE_EXAMPLE = ("09:00", "Europe/Amsterdam", "weekdays", "security")
_TIME_LIKE = re.compile(r"^\d{1,2}[:.h]\d{2}$|^\d{1,2}:\d{1,2}$|^\d{1,2}(am|pm)$", re.I)
MANUAL_PAUSE_PREFIX = "paused by "


class EngineLike(Protocol):
    """What the router needs from `bot.core.engine.Engine`."""

    @property
    def corpus(self) -> Corpus: ...

    def card(self, tip: Tip, score: float | None = None) -> TipCard: ...

    def tip(
        self, query: str = "", rng: random.Random | None = None, exclude: Collection[str] = ()
    ) -> Any: ...

    def search(self, query: str, limit: int = 5) -> Any: ...

    def best(self, query: str) -> tuple[list[Hit], Understanding]: ...

    def topics(self) -> list[dict[str, Any]]: ...

    def resolve_topics(self, names: Sequence[str]) -> tuple[list[str], list[str]]: ...


class CommandObserver(Protocol):
    def command_handled(self, platform: str, command: str) -> None: ...


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    admin: bool
    run: Callable[[Invocation, list[str]], Awaitable[Reply]]


def local_when(due: datetime, tz: str) -> str:
    """'Mon 30 Mar 09:00 CEST' in the channel's timezone."""
    return due.astimezone(parse_timezone(tz)).strftime("%a %d %b %H:%M %Z")


class Router:
    """Builds replies from the engine, the store and the config. `await router.handle(inv)`."""

    def __init__(
        self,
        engine: EngineLike,
        store: Store,
        config: Config,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        observer: CommandObserver | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.config = config
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.observer = observer
        self._recent: dict[tuple[str, str, str], deque[float]] = defaultdict(deque)
        self.commands: dict[str, Command] = {}
        for name, fn in (
            ("help", self.cmd_help),
            ("search", self.cmd_search),
            ("topics", self.cmd_topics),
            ("subscribe", self.cmd_subscribe),
            ("unsubscribe", self.cmd_unsubscribe),
            ("pause", self.cmd_pause),
            ("resume", self.cmd_resume),
            ("status", self.cmd_status),
            ("next", self.cmd_next),
            ("another", self.cmd_another),
            ("more", self.cmd_more),
            ("share", self.cmd_share),
        ):
            summary = _doc_summary(fn)
            admin = "(admins)" in summary
            self.commands[name] = Command(name, summary, admin, fn)

    async def __call__(self, inv: Invocation) -> Reply:
        return await self.handle(inv)

    def _slash(self, inv: Invocation) -> str:
        return self.config.slack.command if inv.platform == "slack" else "/k8stip"

    def _example(self, inv: Invocation, command: str, *values: str) -> str:
        """How `command values…` is typed where `inv` came from."""
        return example(inv.platform, command, *values, slash=self._slash(inv))

    def _not_subscribed(self, inv: Invocation) -> Reply:
        return info(not_subscribed(inv.platform, slash=self._slash(inv)))

    async def _db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- entry point --------------------------------------------------------------------

    async def handle(self, inv: Invocation) -> Reply:
        words = inv.text.split()
        first = words[0].lower() if words else ""
        command = self.commands.get(first)
        name = command.name if command else "tip"
        if self.observer is not None:
            self.observer.command_handled(inv.platform, name)
        limited = self._rate_limited(inv)
        if limited is not None:
            return limited
        if command is None:
            return await self.tip(inv, words)
        if command.admin and not inv.is_admin:
            what = command.summary.split(" (admins)")[0].lower()
            return error(not_admin(inv.platform, what, slash=self._slash(inv)))
        reply = await command.run(inv, words[1:])
        if inv.is_admin and command.name not in ("pause", "resume", "status"):
            reply = await self._with_paused_notice(inv, reply)
        return reply

    def _rate_limited(self, inv: Invocation) -> Reply | None:
        limit = self.config.rate_limit.commands_per_minute
        if limit <= 0:
            return None
        now = self.clock.now().timestamp()
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
        sub = await self._sub(inv)
        if sub is None or not sub.paused or sub.paused_reason.startswith(MANUAL_PAUSE_PREFIX):
            return reply
        notice = paused_notice(inv.platform, sub.paused_reason, slash=self._slash(inv))
        return Reply(
            reply.kind,
            reply.text,
            reply.cards,
            reply.actions,
            reply.visibility,
            (*reply.lines, notice),
        )

    async def _sub(self, inv: Invocation) -> Subscription | None:
        return await self._db(self.store.get_subscription, inv.platform, inv.workspace, inv.channel)

    # -- tips ---------------------------------------------------------------------------

    async def tip(self, inv: Invocation, words: list[str]) -> Reply:
        """A tip: from this channel's rotation, on a topic, or answering a few words."""
        if not self.engine.corpus.tips:
            return error(NO_TIPS)
        history = await self._db(
            self.store.channel_history, inv.platform, inv.workspace, inv.channel
        )
        topics: list[str] = []
        if words:
            topics, unknown = self.engine.resolve_topics(words)
            if unknown or not topics:
                return await self._answer(inv, " ".join(words), history)
            # The same pool `k8stip tip` draws from (the tips mainly about the topic), taken
            # in this channel's rotation so repeated requests show different tips.
            candidates = [h.tip.id for h in self.engine.best(" ".join(words))[0]]
        else:
            sub = await self._sub(inv)
            topics = list(sub.topics) if sub else []
            candidates = [t.id for t in self.engine.corpus.tips_for_topics(topics)]
        tip_id = pick(candidates, history, self.rng)
        tip = self.engine.corpus.by_id.get(tip_id) if tip_id else None
        if tip is None:
            return error(NO_TIPS)
        return await self._show(inv, self.engine.card(tip), topics)

    async def _answer(self, inv: Invocation, query: str, history: list[str]) -> Reply:
        """Words that aren't all topics: a question for the engine."""
        seen, _ = rotation_state([t.id for t in self.engine.corpus.tips], history)
        answer = self.engine.tip(query, rng=self.rng, exclude=seen)
        if answer.tip is None or answer.card is None:
            lines: tuple[str, ...] = ()
            close = difflib.get_close_matches(query.split()[0].lower(), self.commands, n=1)
            hint = self._example(inv, close[0]) if close else ""
            if hint:
                help_ = self._example(inv, "help")
                lines = (f"Did you mean the command {hint}? Try {help_}",)
            return Reply(ReplyKind.INFO, answer.message, lines=lines)
        return await self._show(inv, answer.card, list(answer.topics))

    async def _show(
        self,
        inv: Invocation,
        card: TipCard,
        topics: Sequence[str],
        visibility: Visibility = Visibility.EPHEMERAL,
        lines: tuple[str, ...] = (),
    ) -> Reply:
        await self._db(
            self.store.record_shown,
            inv.platform,
            inv.workspace,
            inv.channel,
            card.tip_id,
            "request",
            self.clock.now(),
        )
        return tip_reply(card, topics, visibility, lines)

    async def cmd_another(self, inv: Invocation, args: list[str]) -> Reply:
        """Another tip from this channel's rotation, optionally within topics (the button)."""
        return await self.tip(inv, args)

    async def cmd_more(self, inv: Invocation, args: list[str]) -> Reply:
        """A tip on that topic (the "More on …" button)."""
        if not args:
            return error("Say which topic.", self._example(inv, "more", "secrets"))
        return await self.tip(inv, args)

    async def cmd_share(self, inv: Invocation, args: list[str]) -> Reply:
        """Post that tip to the whole channel (the "Share" button)."""
        tip = self.engine.corpus.by_id.get(args[0]) if len(args) == 1 else None
        if tip is None:
            return error("That tip isn't in the corpus any more.")
        who = inv.user_name or "Someone"
        return await self._show(
            inv, self.engine.card(tip), (), Visibility.CHANNEL, (f"Shared by {who}",)
        )

    async def cmd_search(self, inv: Invocation, args: list[str]) -> Reply:
        """The best-matching tips for a question, ranked."""
        if not args:
            return error(
                "Search for what?",
                self._example(inv, "search", "rotate secrets without downtime"),
            )
        result = self.engine.search(" ".join(args), limit=5)
        if not result.cards:
            return Reply(ReplyKind.INFO, result.message)
        return Reply(ReplyKind.SEARCH, result.message, cards=tuple(result.cards))

    async def cmd_topics(self, inv: Invocation, args: list[str]) -> Reply:
        """Every topic and how many tips it has."""
        rows = self.engine.topics()
        lines = tuple(f"{r['id']} — {r['title']} ({r['count']})" for r in rows)
        return Reply(
            ReplyKind.TOPICS,
            f"{len(rows)} topics. Ask for one with {self._example(inv, 'tip', '<topic>')}:",
            lines=lines,
        )

    async def cmd_help(self, inv: Invocation, args: list[str]) -> Reply:
        """What each command does."""
        slash = self._slash(inv)
        who = f"({admins(inv.platform).who})"
        if args and args[0].lower() in self.commands:
            c = self.commands[args[0].lower()]
            shown = usage(inv.platform, c.name, slash) or self._example(inv, "help")
            return info(shown, c.summary.replace("(admins)", who))
        rows = [("tip", _doc_summary(self.tip))]
        rows += [
            (c.name, c.summary)
            for c in self.commands.values()
            if c.name not in ("another", "more", "share")
        ]
        lines = tuple(
            f"{usage(inv.platform, name, slash)} — {summary.replace('(admins)', who)}"
            for name, summary in rows
        )
        return Reply(ReplyKind.HELP, "k8stip: one Kubernetes tip a day.", lines=lines)

    # -- subscriptions ------------------------------------------------------------------

    async def cmd_subscribe(self, inv: Invocation, args: list[str]) -> Reply:
        """Post a tip in this channel every day (admins)."""
        existing = await self._sub(inv)
        if existing is not None and existing.origin == "config":
            return error(CONFIG_OWNED.format(source=self.config.source))
        try:
            spec = self._parse_subscribe(inv, args, existing)
        except ValueError as e:
            return error(str(e), self._example(inv, "subscribe", *SUBSCRIBE_EXAMPLE))
        sub = await self._db(
            self.store.upsert_subscription, spec, "chat", inv.user, self.clock.now()
        )
        _, due = sub.schedule.next_after(self.clock.now())
        topics = ", ".join(self.engine.corpus.topic_title(t) for t in sub.topics) or "all topics"
        verb = "Changed" if existing else "Subscribed"
        return Reply(
            ReplyKind.INFO,
            f"{verb}: a tip {_when(sub)} in this channel ({topics}). "
            f"Next: {local_when(due, sub.timezone)}.",
            visibility=Visibility.CHANNEL,
        )

    def _parse_subscribe(
        self, inv: Invocation, args: list[str], existing: Subscription | None
    ) -> SubscriptionSpec:
        time = existing.time if existing else self.config.default_time
        tz = existing.timezone if existing else self.config.timezone
        days = existing.days if existing else parse_days(self.config.default_days)
        topic_words: list[str] = []
        for word in args:
            low = word.lower()
            if _TIME_LIKE.match(word) or (":" in word and any(ch.isdigit() for ch in word)):
                time = _normalise_time(word)
            elif "/" in word or low in ("utc", "gmt"):
                tz = parse_timezone("UTC" if low in ("utc", "gmt") else word).key
            elif _is_days(low):
                days = parse_days(low)
            else:
                topic_words.append(word)
        topics: list[str] = []
        if topic_words:
            topics, unknown = self.engine.resolve_topics(topic_words)
            if unknown:
                raise ValueError(
                    f"{', '.join(repr(u) for u in unknown)}: not a time, timezone, day or "
                    f"topic (see {self._example(inv, 'topics')})"
                )
        elif existing is not None:
            topics = list(existing.topics)
        return SubscriptionSpec(
            inv.platform, inv.workspace, inv.channel, time, tz, tuple(days), tuple(topics)
        )

    async def cmd_unsubscribe(self, inv: Invocation, args: list[str]) -> Reply:
        """Stop the daily tip in this channel (admins)."""
        existing = await self._sub(inv)
        if existing is None:
            return self._not_subscribed(inv)
        if existing.origin == "config":
            return error(CONFIG_OWNED.format(source=self.config.source))
        await self._db(self.store.delete_subscription, inv.platform, inv.workspace, inv.channel)
        return Reply(
            ReplyKind.INFO,
            f"Unsubscribed: no more daily tips here. {self._example(inv, 'subscribe')} "
            "brings them back.",
            visibility=Visibility.CHANNEL,
        )

    async def cmd_pause(self, inv: Invocation, args: list[str]) -> Reply:
        """Pause the daily tip here, keeping its schedule (admins)."""
        sub = await self._sub(inv)
        if sub is None:
            return self._not_subscribed(inv)
        if sub.paused:
            resume = self._example(inv, "resume")
            return info(f"Already paused: {sub.paused_reason}. {resume} restarts it.")
        reason = f"{MANUAL_PAUSE_PREFIX}{inv.user_name or inv.user}"
        await self._db(self.store.set_paused, sub.id, True, reason, self.clock.now())
        return info(f"Paused. {self._example(inv, 'resume')} restarts the daily tip.")

    async def cmd_resume(self, inv: Invocation, args: list[str]) -> Reply:
        """Restart a paused daily tip (admins)."""
        sub = await self._sub(inv)
        if sub is None:
            return self._not_subscribed(inv)
        if not sub.paused:
            return info("The daily tip here isn't paused.")
        await self._db(self.store.set_paused, sub.id, False, "", self.clock.now())
        _, due = sub.schedule.next_after(self.clock.now())
        return info(f"Resumed. Next tip: {local_when(due, sub.timezone)}.")

    async def cmd_status(self, inv: Invocation, args: list[str]) -> Reply:
        """This channel's schedule, next post, topics and anything paused."""
        sub = await self._sub(inv)
        if sub is None:
            return self._not_subscribed(inv)
        _, due = sub.schedule.next_after(self.clock.now())
        topics = ", ".join(self.engine.corpus.topic_title(t) for t in sub.topics) or "all topics"
        lines = [
            f"Schedule: {_when(sub)}"
            + (" (from the config file)" if sub.origin == "config" else ""),
            f"Topics: {topics}",
        ]
        if sub.paused:
            resume = self._example(inv, "resume")
            lines.append(f"Paused: {sub.paused_reason}. {resume} restarts it.")
        else:
            lines.append(f"Next post: {local_when(due, sub.timezone)}")
        last = await self._db(self.store.last_delivery, sub.id)
        if last is not None:
            lines.append(
                f"Last: {last.local_date:%a %d %b} {last.status}"
                + (f" ({last.last_error})" if last.last_error and last.status != "sent" else "")
            )
        return Reply(ReplyKind.INFO, "Daily tip in this channel", lines=tuple(lines))

    async def cmd_next(self, inv: Invocation, args: list[str]) -> Reply:
        """Preview the next daily tip, only to you (admins)."""
        sub = await self._sub(inv)
        if sub is None:
            return self._not_subscribed(inv)
        local_date, due = sub.schedule.next_after(self.clock.now())
        history = await self._db(
            self.store.channel_history, inv.platform, inv.workspace, inv.channel
        )
        tip_id = choose_daily_tip(self.engine.corpus, sub, local_date.isoformat(), history)
        tip = self.engine.corpus.by_id.get(tip_id) if tip_id else None
        if tip is None:
            return error(f"No tips match this channel's topics ({', '.join(sub.topics)}).")
        when = local_when(due, sub.timezone)
        note = "paused, so it won't post" if sub.paused else f"posts {when}"
        return Reply(
            ReplyKind.TIP,
            f"Preview ({note}): {tip.text}",
            cards=(self.engine.card(tip),),
            visibility=Visibility.EPHEMERAL,
            lines=("Tips shown in this channel before then can change the pick.",),
        )


def _doc_summary(fn: Callable[..., Any]) -> str:
    return " ".join((inspect.getdoc(fn) or "").split())


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
