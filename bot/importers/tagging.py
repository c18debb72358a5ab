"""Assign topics to a tip's text from the taxonomy's keywords and aliases."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.corpus import Topic
from bot.core.textnorm import normalize, phrase_key, stem, words

MAX_TOPICS = 4


def _phrases(topic: Topic) -> set[tuple[str, ...]]:
    # Aliases are how people ask ("resources", "operator"); in prose those words often mean
    # something else, so tagging reads only the keywords, which are chosen for prose.
    return {phrase_key(p) for p in (topic.id, *topic.keywords)} - {()}


class Tagger:
    """Tags texts with one taxonomy. The phrase table is built once, not once per tip: a
    5 MB highlights file has ~65,000 tips."""

    def __init__(self, topics: Mapping[str, Topic], max_topics: int = MAX_TOPICS) -> None:
        self.max_topics = max_topics
        table = [(p, tid) for tid, t in topics.items() for p in _phrases(t)]
        table.sort(key=lambda x: -len(x[0]))  # longest phrases claim their tokens first
        # First stem -> (order, phrase, topic id): a text is matched only against phrases
        # whose first word it contains, in the longest-first order.
        self.by_first: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        for order, (p, tid) in enumerate(table):
            self.by_first.setdefault(p[0], []).append((order, p, tid))

    def __call__(self, text: str) -> list[str]:
        """Topic ids for `text`, the most-mentioned first; [] when no topic is mentioned.

        Mentions near the start count more, so "The purpose of a ReplicaSet is … Pods" is about
        ReplicaSets first.
        A longer phrase that matches hides the shorter ones inside it ("service mesh" is not also
        a mention of "service").
        """
        tokens: list[str] = []
        for w in words(normalize(text, max_chars=100_000)):
            tokens.extend(stem(p) for p in w.replace("-", " ").split())
        starts: dict[str, list[int]] = {}  # token -> positions, so a phrase is tried only there
        for i, tok in enumerate(tokens):
            starts.setdefault(tok, []).append(i)
        table = sorted(c for tok in starts for c in self.by_first.get(tok, ()))
        claimed = [False] * len(tokens)
        counts: dict[str, float] = {}
        first: dict[str, int] = {}
        for _, phrase, tid in table:
            n = len(phrase)
            for i in starts[phrase[0]]:
                if tuple(tokens[i : i + n]) == phrase and not any(claimed[i : i + n]):
                    for j in range(i, i + n):
                        claimed[j] = True
                    # Earlier mentions weigh more: a tip's subject comes first.
                    counts[tid] = counts.get(tid, 0.0) + n / (1 + i / 10)
                    first[tid] = min(first.get(tid, i), i)
        ranked = sorted(counts, key=lambda t: (-counts[t], first[t]))
        return ranked[: self.max_topics]


def assign_topics(
    text: str, topics: Mapping[str, Topic], max_topics: int = MAX_TOPICS
) -> list[str]:
    """Topic ids for `text` (see `Tagger`; use one Tagger to tag many texts)."""
    return Tagger(topics, max_topics)(text)
