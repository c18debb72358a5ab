"""Assign topics to a tip's text from the taxonomy's keywords and aliases."""

from __future__ import annotations

from collections.abc import Mapping

from bot.corpus import Topic
from bot.textnorm import normalize, phrase_key, stem, words

MAX_TOPICS = 4


def _phrases(topic: Topic) -> set[tuple[str, ...]]:
    # Aliases are how people ask ("resources", "operator"); in prose those words often mean
    # something else, so tagging reads only the keywords, which are chosen for prose.
    return {phrase_key(p) for p in (topic.id, *topic.keywords)} - {()}


def assign_topics(text: str, topics: Mapping[str, Topic], max_topics: int = MAX_TOPICS) -> list[str]:
    """Topic ids for `text`, the most-mentioned first; [] when no topic is mentioned.

    Mentions near the start count more, so "The purpose of a ReplicaSet is … Pods" is about
    ReplicaSets first.
    A longer phrase that matches hides the shorter ones inside it ("service mesh" is not also
    a mention of "service").
    """
    tokens: list[str] = []
    for w in words(normalize(text, max_chars=100_000)):
        tokens.extend(stem(p) for p in w.replace("-", " ").split())
    table = [(p, tid) for tid, t in topics.items() for p in _phrases(t)]
    table.sort(key=lambda x: -len(x[0]))  # longest phrases claim their tokens first
    claimed = [False] * len(tokens)
    counts: dict[str, float] = {}
    first: dict[str, int] = {}
    for phrase, tid in table:
        n = len(phrase)
        for i in range(len(tokens) - n + 1):
            if tuple(tokens[i : i + n]) == phrase and not any(claimed[i : i + n]):
                for j in range(i, i + n):
                    claimed[j] = True
                # Earlier mentions weigh more: a tip's subject comes first.
                counts[tid] = counts.get(tid, 0.0) + n / (1 + i / 10)
                first[tid] = min(first.get(tid, i), i)
    ranked = sorted(counts, key=lambda t: (-counts[t], first[t]))
    return ranked[:max_topics]
