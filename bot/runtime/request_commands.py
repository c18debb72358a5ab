"""Requests for tips: `request <words>` (members, and the `Request tips on this` button under
every "nothing found" answer) and `requests` (admins: what members asked for and what nobody
found, over 30 days). The words kept and how they group: bot/core/requests.py; the table:
bot/runtime/store/requests.py.

Questions no tip answered are noted by the router through `note_unanswered`, which also
counts them in the metrics (the count only, never the words) and adds the button. A request
is text a member typed: it stays raw here, and adapters neutralise mentions and markup
wherever it is shown.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.core.invocation import Invocation
from bot.core.replies import Action, Reply, ReplyKind
from bot.core.requests import (
    REQUEST,
    REQUEST_BUTTON_LABEL,
    REQUESTS_DAYS,
    REQUESTS_LISTED,
    UNANSWERED,
    has_words,
    request_command,
    shown,
)
from bot.core.wording import error, info
from bot.ports import CommandObserver, TipEngine
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.store.requests import RequestCount

REQUESTS_MAX = 25  # `requests N` lists at most this many of each kind
NO_TOPIC = "—"


def nearest_topics(engine: TipEngine, keys: list[str]) -> dict[str, str]:
    """Each key's nearest topic title ("—" when none is near). CPU work on the corpus: run it
    off the event loop."""
    out: dict[str, str] = {}
    for key in keys:
        topic = engine.nearest_topic(key)
        out[key] = engine.corpus.topic_title(topic) if topic else NO_TOPIC
    return out


class RequestCommands:
    """The handlers of request and requests, and the router's hook for unanswered questions."""

    def __init__(self, ctx: CommandContext, observer: CommandObserver | None = None) -> None:
        self.ctx = ctx
        self.observer = observer

    def handlers(self) -> dict[str, CommandHandler]:
        return {"request": self.cmd_request, "requests": self.cmd_requests}

    # -- questions nothing answered -----------------------------------------------------

    async def note_unanswered(self, inv: Invocation, query: str, reply: Reply) -> Reply:
        """`reply` (a "nothing found" answer to `query`) with the `Request tips on this`
        button; the question noted (best effort: a store error costs the member nothing) and
        counted. Words-free queries (emoji, punctuation) are neither: nothing to ask for."""
        if not has_words(query):
            return reply
        if self.observer is not None:
            self.observer.query_unanswered(inv.platform)
        await self.ctx.db_or(
            "note an unanswered question",
            False,
            self.ctx.store.record_tip_request,
            inv.platform,
            inv.workspace,
            inv.channel,
            inv.user,
            UNANSWERED,
            query,
            self.ctx.clock.now(),
        )
        button = Action(REQUEST_BUTTON_LABEL, request_command(query), "request")
        return replace(reply, actions=(*reply.actions, button))

    # -- commands -----------------------------------------------------------------------

    async def cmd_request(self, inv: Invocation, args: list[str]) -> Reply:
        """Ask for tips on something; admins see what members ask for."""
        words = " ".join(args)
        hint = self.ctx.example(inv, "request", "helm chart upgrades")
        if not args:
            return error("Say what you'd like tips on.", hint)
        if not has_words(words):
            return error("A request needs words (letters or digits): say what it is about.", hint)
        await self.ctx.db(
            self.ctx.store.record_tip_request,
            inv.platform,
            inv.workspace,
            inv.channel,
            inv.user,
            REQUEST,
            words,
            self.ctx.clock.now(),
        )
        lines = ["Admins see what members ask for, and can add tips on it."]
        topic = await asyncio.to_thread(self.ctx.engine.nearest_topic, words)
        if topic:
            lines.append(f"Meanwhile, the nearest topic: {self.ctx.example(inv, 'tip', topic)}")
        return info(f"Noted: you'd like tips on “{shown(words)}”.", *lines)

    async def cmd_requests(self, inv: Invocation, args: list[str]) -> Reply:
        """The top requests and unanswered questions of the last 30 days, each member counted
        once, with the nearest topic."""
        limit = REQUESTS_LISTED
        if args:
            if len(args) > 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= REQUESTS_MAX:
                return error(
                    f"Say how many of each to list, 1 to {REQUESTS_MAX}.",
                    self.ctx.example(inv, "requests", "10"),
                )
            limit = int(args[0])
        since = self.ctx.clock.now() - timedelta(days=REQUESTS_DAYS)
        store = self.ctx.store
        asked = await self.ctx.db(
            store.top_tip_requests, inv.platform, inv.workspace, REQUEST, since, limit
        )
        unfound = await self.ctx.db(
            store.top_tip_requests, inv.platform, inv.workspace, UNANSWERED, since, limit
        )
        if not asked and not unfound:
            request = self.ctx.example(inv, "request", "<words>")
            return info(
                f"No requests and no unanswered questions in the last {REQUESTS_DAYS} days.",
                f"Members ask for tips with {request}.",
            )
        keys = sorted({r.key for r in (*asked, *unfound)})
        topics = await asyncio.to_thread(nearest_topics, self.ctx.engine, keys)
        lines = [
            *_section(f"Requested ({len(asked)})", asked, topics, "No requests."),
            *_section(
                f"Asked, nothing found ({len(unfound)})", unfound, topics, "No such questions."
            ),
            "Each member counts once per request. Nearest topic: what tip files could extend.",
        ]
        return Reply(
            ReplyKind.INFO,
            f"What members asked for in the last {REQUESTS_DAYS} days (this workspace):",
            lines=tuple(lines),
        )


def _section(title: str, rows: list[RequestCount], topics: dict[str, str], empty: str) -> list[str]:
    if not rows:
        return [f"{title}: {empty}"]
    lines = [f"{title}:"]
    for n, r in enumerate(rows, start=1):
        who = f"{r.members} member{'' if r.members == 1 else 's'}"
        lines.append(f"{n}. “{shown(r.query)}” — {who} — nearest topic: {topics[r.key]}")
    return lines
