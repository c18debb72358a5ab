"""The engine the router and delivery use: the tip files' corpus plus the community tips kept
in the database, the same on every replica.

Before each command and each delivery pass, `refresh()` asks the store for the community
source's version (a count and the newest change: one small query), at most once every
`CHECK_SECONDS`; when it moved, the corpus is rebuilt with the new tips on a worker thread and
swapped in whole, so a command in flight keeps the engine it started with, and commands that
arrive during a rebuild answer from the engine as it was rather than wait. An approval on this
replica calls `invalidate()`, so the approving admin's next command already finds the tip. A
store that cannot be read leaves the engine as it was (the file tips still answer).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.core.corpus import Corpus, Tip
from bot.core.engine import Engine, SearchResult, TipAnswer
from bot.core.replies import TipCard
from bot.core.search import Hit, Understanding
from bot.core.suggestions import DuplicateFinder, with_community
from bot.ports import Clock
from bot.runtime.clock import SystemClock
from bot.runtime.store import Store

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # how stale a replica's community tips may be


class CommunityEngine:
    """A `TipEngine` over the file corpus and the community tips (see the module notes)."""

    def __init__(
        self,
        base: Engine,
        store: Store,
        clock: Clock | None = None,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.base = base
        self.clock = clock or SystemClock()
        self.current = base
        self.store = store
        self.check_seconds = check_seconds
        self._version: tuple[int, datetime | None] = (0, None)
        self._checked_at: float | None = None
        self._lock = asyncio.Lock()
        self._duplicates: tuple[Corpus, DuplicateFinder] | None = None
        self.rebuilds = 0

    # -- keeping up with the store -----------------------------------------------------

    def invalidate(self) -> None:
        """Check the store on the next `refresh`, however recent the last check."""
        self._checked_at = None

    async def refresh(self) -> None:
        now = self._now()
        if self._checked_at is not None and now - self._checked_at < self.check_seconds:
            return
        if self._lock.locked():
            return  # another command is checking or rebuilding: answer with the engine as is
        async with self._lock:
            try:
                await asyncio.to_thread(self._refresh_blocking)
            except (SQLAlchemyError, OSError) as e:
                log.warning("community tips: could not read them (%s)", type(e).__name__)
            self._checked_at = self._now()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def refresh_blocking(self) -> None:
        """`refresh` for callers without an event loop (the CLI's delivery pass)."""
        self._refresh_blocking()
        self._checked_at = self._now()

    def _refresh_blocking(self) -> None:
        version = self.store.community_version()
        if version == self._version:
            return
        entries = self.store.community_entries()
        corpus = with_community(self.base.corpus, entries)
        added = len(corpus.tips) - len(self.base.corpus.tips)
        self.current = Engine(corpus) if added else self.base
        self._version = version
        self.rebuilds += 1
        log.info("community tips: %d in the corpus", added)

    def duplicates(self) -> DuplicateFinder:
        """What a new suggestion is checked against: every tip of the current corpus."""
        corpus = self.current.corpus
        if self._duplicates is None or self._duplicates[0] is not corpus:
            self._duplicates = (corpus, DuplicateFinder(corpus.tips))
        return self._duplicates[1]

    # -- the TipEngine protocol, answered by the current engine ---------------------------

    @property
    def corpus(self) -> Corpus:
        return self.current.corpus

    def card(self, tip: Tip, score: float | None = None) -> TipCard:
        return self.current.card(tip, score)

    def tip(
        self, query: str = "", rng: random.Random | None = None, exclude: Collection[str] = ()
    ) -> TipAnswer:
        return self.current.tip(query, rng, exclude)

    def search(self, query: str, limit: int = 5) -> SearchResult:
        return self.current.search(query, limit)

    def best(self, query: str) -> tuple[list[Hit], Understanding]:
        return self.current.best(query)

    def topics(self) -> Sequence[Mapping[str, object]]:
        return self.current.topics()

    def resolve_topics(self, names: Sequence[str]) -> tuple[list[str], list[str]]:
        return self.current.resolve_topics(names)

    def nearest_topic(self, query: str) -> str | None:
        return self.current.nearest_topic(query)
