"""The part of a topic a request names, and how much a tip says it.

"k8s role binding" is a request for the RBAC topic, but not for every RBAC tip: it names a
part of the topic. A tip saying that part ("A RoleBinding links a subject to a role") is
about the request; one that only mentions roles, or only carries the topic, is not. The
search index reranks a topic request's hits by `focus_of` and draws only among those
saying the part (`search.best_matches`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence

from bot.core.corpus import Topic
from bot.core.textnorm import STOPWORDS, normalize, phrase_key, raw_words, stem, words

# How much more a tip saying the part is about the topic: its topic weight counts
# 1 + FOCUS_WEIGHT * focus times.
FOCUS_WEIGHT = 1.0
COMMON_SHARE = 0.25  # a word in more of the tips than this does not narrow a topic down
# "Scale to zero" is said "scale to and from 0" too.
NUMBER_WORDS = dict(
    zip("0123456789", "zero one two three four five six seven eight nine".split(), strict=True)
)
DIGITS = {word: (digit,) for digit, word in NUMBER_WORDS.items()}  # a question's "zero" is "0"

# An alias phrase (stems) and its telling stems, those that narrow its topic down.
Part = tuple[tuple[str, ...], tuple[str, ...]]


def name_stems(topics: Iterable[Topic]) -> dict[str, set[str]]:
    """Each topic's own name as stems: its id and title ("Scaling and autoscaling")."""
    return {
        t.id: {s for p in (t.id, t.id.replace("-", " "), t.title) for s in phrase_key(p)}
        for t in topics
    }


class Said:
    """The terms some tip's text holds (`SearchIndex.said`), as a container for `named_part`:
    a short name only search words hold is still one no tip uses."""

    def __init__(self, said: Callable[[str], bool]) -> None:
        self.said = said

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.said(term)


def named_part(
    key: tuple[str, ...],
    raw: list[str],
    topic: Topic,
    narrows: Callable[[str, str], bool],
    known: Container[str],
) -> Part | None:
    """Alias `key` (typed as the words `raw`) with the stems that narrow `topic` down, when
    it names a part of the topic: stems that are not the topic's own name ("probe" of
    "liveness probe"), no stopword, no word most tips use (`narrows`). None: the alias names
    the whole topic ("secrets", "stateful set"). A short name no tip uses (not in `known`)
    stands for the alias it abbreviates ("netpol": "network policy", "sa": "service account")."""
    if len(key) == 1 and len(raw) == 1 and key[0] not in known:
        for alias in topic.aliases:
            parts = words(normalize(alias.replace("-", " ")))
            if len(parts) >= 2 and abbreviates(raw[0], parts):
                key, raw = phrase_key(alias), parts
                break
    if len(raw) > 1 and not narrows(stem("".join(raw)), topic.id):
        return None  # "stateful set" is "statefulset", the topic's own name
    stop = {stem(r) for r in raw if r in STOPWORDS}
    telling = tuple(s for s in dict.fromkeys(key) if s not in stop and narrows(s, topic.id))
    return (key, telling) if telling else None


def focus_of(text: str, parts: Sequence[Part], idf: Mapping[str, float], max_idf: float) -> float:
    """How much a tip's `text` says one of `parts`: 1.0 when it says it (its words in a
    row, joined into one word, "RoleBinding" and "ClusterRoleBinding" for "role binding", or
    its one telling word), less than 0.5 for some of its telling words; the best of `parts`."""
    stems = [
        NUMBER_WORDS.get(p) or stem(p) for w in raw_words(text) for p in w.replace("-", " ").split()
    ]
    have = set(stems)
    best = 0.0
    for key, telling in parts:
        joined = "".join(key)
        n = len(key)
        if (
            any(tuple(stems[j : j + n]) == key for j in range(len(stems) - n + 1))
            or (len(joined) >= 6 and any(joined in s for s in stems))
            or (len(telling) == 1 and telling[0] in have)
        ):
            return 1.0
        weight = {s: idf.get(s, max_idf) for s in telling}
        found = sum(w for s, w in weight.items() if s in have)
        best = max(best, 0.5 * found / sum(weight.values()))
    return best


def abbreviates(short: str, parts: Sequence[str]) -> bool:
    """Whether `short` is made of the start of each of `parts`, in order ("netpol":
    "network", "policy"; "pvc": "persistent", "volume", "claim")."""
    if not parts:
        return not short
    head = parts[0]
    return any(
        short[:k] == head[:k] and abbreviates(short[k:], parts[1:])
        for k in range(1, min(len(short), len(head)) + 1)
    )
