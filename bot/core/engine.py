"""The engine behind `/k8stip`: a loaded corpus, its search index, and the answers they give.

`Engine.tip` answers what `/k8stip QUERY` answers; `Engine.search` what `/k8stip search …`
answers. Both take any string: empty, huge, emoji, control characters. Neither raises for it.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.core import engine_cache
from bot.core.corpus import NOTE_LIMIT, Corpus, Tip
from bot.core.replies import NOTE_LABEL, TipCard
from bot.core.search import VECTOR_THRESHOLD, Hit, SearchIndex, Understanding, best_matches
from bot.core.textnorm import normalize, phrase_key

FALLBACK_SUGGESTIONS = ("pods", "secrets", "rbac", "probes", "helm")


@dataclass
class TipAnswer:
    tip: Tip | None
    message: str
    card: TipCard | None = None
    topics: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    def tip_json(self) -> dict[str, Any] | None:
        return tip_json(self.tip, self.card) if self.tip and self.card else None

    def render_text(self) -> str:
        if self.card is None:
            return self.message
        return render_card_text(self.card)


@dataclass
class SearchResult:
    hits: list[Hit]
    cards: list[TipCard]
    message: str
    understanding: Understanding
    suggestions: list[str] = field(default_factory=list)

    def hits_json(self) -> list[dict[str, Any]]:
        return [tip_json(h.tip, c) for h, c in zip(self.hits, self.cards, strict=True)]

    def render_text(self) -> str:
        if not self.cards:
            return self.message
        blocks = [self.message]
        for n, card in enumerate(self.cards, start=1):
            blocks.append(f"{n}. [{card.score:.2f}] {render_card_text(card)}")
        return "\n\n".join(blocks)


def tip_json(tip: Tip, card: TipCard) -> dict[str, Any]:
    return {
        "id": tip.id,
        "text": tip.text,
        "topics": list(tip.topics),
        "source": card.source,
        "source_id": tip.source,
        "chapter": tip.chapter,
        "chapter_number": tip.chapter_number,
        "chapter_title": tip.chapter_title,
        "links": list(tip.links),
        "note": tip.note,
        "location": tip.location,
        "highlighted_at": tip.highlighted_at,
        "score": card.score,
    }


def render_card_text(card: TipCard) -> str:
    """A tip card as plain text (console, CLI, notification fallback)."""
    topics = ", ".join(card.topic_titles)
    note = f"\n  {NOTE_LABEL}: {card.note}" if card.note else ""
    return f"{card.text}{note}\n  — {card.attribution}" + (f"  [{topics}]" if topics else "")


def _release_build_memory() -> None:
    """Give the memory a large build freed back to the OS. Parsing and indexing 100,000 tips
    frees ~90 MB that glibc keeps in its heap: without this a bot stays that much bigger after
    a cold start than after a warm one. Without glibc (musl, macOS) there is no malloc_trim."""
    import ctypes  # here: only a large build needs it (~10 ms to import)

    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return
    trim(0)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a corpus is built. Parsing and indexing 100,000 tips
    makes a million containers, and the collector walks the older ones again and again (0.3 s)
    to find nothing: a build makes no reference cycles. `_release_build_memory` collects once
    after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def card_for(corpus: Corpus, tip: Tip, score: float | None = None) -> TipCard:
    """The card every platform renders for `tip` (its source and topic titles from `corpus`)."""
    return TipCard(
        tip_id=tip.id,
        text=tip.text,
        source=corpus.source_title(tip),
        chapter=tip.chapter,
        topics=tip.topics,
        topic_titles=tuple(corpus.topic_title(t) for t in tip.topics),
        links=tip.links,
        score=score,
        note=tip.note[:NOTE_LIMIT],
    )


class CorpusSettings(Protocol):
    """What the engine needs of the config: where the tip files are."""

    @property
    def corpus_paths(self) -> list[Path]: ...


class Engine:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.index = SearchIndex(corpus)

    @classmethod
    def from_paths(cls, paths: Sequence[str | Path], *, use_cache: bool = True) -> Engine:
        """Load and index the corpus at `paths`, or read it from the disk cache."""
        if use_cache and isinstance(cached := engine_cache.load(paths), Engine):
            return cached
        # Only a build parses YAML: a cached engine starts without the loader's imports.
        from bot.core.loader import load_corpus

        with _collector_paused():
            engine = cls(load_corpus(paths))
        large = len(engine.corpus.tips) >= VECTOR_THRESHOLD  # a small build frees little
        if large:  # before pickling too: its memo of every object comes on top (+33 MB)
            _release_build_memory()
        if use_cache:
            engine_cache.store(paths, engine)
            if large:
                _release_build_memory()
        return engine

    @classmethod
    def from_config(cls, config: CorpusSettings) -> Engine:
        return cls.from_paths(config.corpus_paths)

    def card(self, tip: Tip, score: float | None = None) -> TipCard:
        return card_for(self.corpus, tip, score)

    def _nothing(self, query: str, u: Understanding) -> tuple[str, list[str]]:
        suggestions = self.index.suggest(query) or [
            t for t in FALLBACK_SUGGESTIONS if t in self.corpus.topics
        ]
        shown = normalize(query, max_chars=60)
        names = ", ".join(suggestions)
        if u.empty:
            return f"Nothing to look up there. Try a topic, e.g. {names}.", suggestions
        # a subject no tip mentions: say which
        why = f": the tips don't cover {u.outside} yet" if u.outside else ""
        return (
            f"No tip answers “{shown}”{why}. Did you mean: {names}? "
            "(the topics command lists them all)",
            suggestions,
        )

    def tip(
        self,
        query: str = "",
        rng: random.Random | None = None,
        exclude: Collection[str] = (),
    ) -> TipAnswer:
        """One tip that answers `query`, drawn at random among the best matches.

        `exclude` (e.g. tips this channel saw recently) is avoided while others remain.
        """
        rng = rng or random.Random()
        if not normalize(query):
            pool = [t for t in self.corpus.tips if t.id not in exclude] or self.corpus.tips
            if not pool:
                return TipAnswer(None, "There are no tips loaded yet.")
            tip = rng.choice(pool)
            return TipAnswer(tip, "", self.card(tip))
        best, u = self.best(query)
        if not best:
            message, suggestions = self._nothing(query, u)
            return TipAnswer(None, message, topics=u.topics, suggestions=suggestions)
        fresh = [h for h in best if h.tip.id not in exclude] or best
        hit = rng.choice(fresh)
        return TipAnswer(hit.tip, "", self.card(hit.tip, hit.score), topics=u.topics)

    def best(self, query: str) -> tuple[list[Hit], Understanding]:
        """The tips that answer `query` best: the pool `tip` (and the chat) draw from.

        A topic request draws from the topic's best tips, those about the part of the topic
        it names when it names one ("role binding"); a question from the few that answer it
        best.
        """
        hits, u = self.index.search(query, limit=50)
        if u.topic_only:
            return best_matches(hits, ratio=0.8, subjects=u.topics), u
        return best_matches(hits, ratio=0.95), u

    def search(self, query: str, limit: int = 5) -> SearchResult:
        hits, u = self.index.search(query, limit=limit)
        cards = [self.card(h.tip, h.score) for h in hits]
        if not hits:
            message, suggestions = self._nothing(query, u)
            return SearchResult([], [], message, u, suggestions)
        shown = normalize(query, max_chars=60)
        message = f"{len(hits)} tip{'s' if len(hits) != 1 else ''} for “{shown}”:"
        return SearchResult(hits, cards, message, u)

    def topics(self) -> list[dict[str, Any]]:
        counts = self.corpus.topic_counts()
        return [
            {"id": t.id, "title": t.title, "description": t.description, "count": counts[t.id]}
            for t in self.corpus.topics.values()
        ]

    def resolve_topics(self, names: Sequence[str]) -> tuple[list[str], list[str]]:
        """Topic ids for names/aliases/typos in `names`, and the names that match none."""
        found: list[str] = []
        unknown: list[str] = []
        for name in names:
            key = phrase_key(name)
            ids = self.index.aliases.get(key)
            if not ids:
                u = self.index.understand(name)
                ids = u.topics if u.topic_only else None
            if ids:
                found.extend(i for i in ids[:1] if i not in found)
            else:
                unknown.append(name)
        return found, unknown

    def nearest_topic(self, query: str) -> str | None:
        """The topic id closest to `query` (a request's words): the topic it names, else the
        topic of what answers it best, else the topic whose name looks most like one of its
        words (`SearchIndex.suggest`, without the fallback list); None when nothing is near."""
        if not normalize(query):
            return None
        named, _ = self.resolve_topics([query])
        if named:
            return named[0]
        hits, u = self.best(query)
        if u.topics:
            return u.topics[0]
        for hit in hits:
            if hit.tip.topics:
                return hit.tip.topics[0]
        suggested = self.index.suggest(query, n=1)
        return suggested[0] if suggested else None
