"""The pool a topic request draws from: the tips truly about what was asked, and still several.

A topic request's score is mostly the topic's weight in a tip, and every tip whose subject
is the topic carries the same weight: a pool cut at a share of the top score keeps them all.
So a request naming a part of its topic ("roles" of RBAC, "hpa" of scaling) is reranked
(`refocus`), and each hit carries how much it says the part (`Hit.said`: BM25 over the part's
words, 1.0 for the tip saying it most). `search.best_matches` then draws among the tips saying
the part (`topic_parts.focus_of`) at least `search.PART_RATIO` as much as that one: "A role
contains a set of permissions… The role also contains…" and the RoleBinding tip are drawn for
"roles", not the tip that says once, in passing, that RBAC limits access "to roles that really
need it". A whole topic ("secrets") is drawn among its best tips by score, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core.textnorm import stem
from bot.core.topic_parts import FOCUS_WEIGHT, Part, focus_of

if TYPE_CHECKING:
    from bot.core.search import Hit, SearchIndex, Understanding


def part_terms(parts: Sequence[Part]) -> dict[str, float]:
    """The stems a tip says a part with: its telling words, and its words typed as one
    ("rolebinding" for "role binding")."""
    terms: dict[str, float] = {}
    for key, telling in parts:
        for s in telling:
            terms[s] = 1.0
        if len(key) > 1:
            terms[stem("".join(key))] = 1.0
    return terms


def refocus(index: SearchIndex, hits: list[Hit], u: Understanding, limit: int) -> list[Hit]:
    """Hits of a topic request naming part of its topic, reranked: a tip's topic weight
    counts 1 + FOCUS_WEIGHT * focus times, so a tip about the topic that says the part
    comes before one that only says it in passing or only carries the topic. A tip the
    importer left without topics that says the whole part ("Taints repel, tolerations
    permit" for `taints`) counts as if the topic were its first. Each hit that says the part
    carries how much it says it (`Hit.said`, 1.0 for the tip saying it most)."""
    from bot.core.search import TOPIC_POSITION_WEIGHT as position_weight
    from bot.core.search import topic_factors

    factors = topic_factors(u)
    untagged = max(factors.values(), default=0.0) * position_weight[0] * (1 + FOCUS_WEIGHT)
    bm25 = index._bm25(part_terms(u.subtopics), words=False)  # the text alone
    said_by = {index.tips[d].id: s for d, s in bm25.items()}
    scored: list[Hit] = []
    for h in hits:
        weight = sum(
            f * position_weight[min(pos, len(position_weight) - 1)]
            for pos, t in enumerate(h.tip.topics)
            if (f := factors.get(t))
        )
        focus = 0.0
        if weight or not h.tip.topics:
            focus = focus_of(h.tip.text, u.subtopics, index.text_idf, index.max_idf)
        if not h.tip.topics:
            weight, focus = (untagged, focus) if focus >= 1.0 else (0.0, 0.0)
        score = round(h.score + FOCUS_WEIGHT * focus * weight, 4)
        scored.append(replace(h, score=score, focus=focus, said=said_by.get(h.tip.id, 0.0)))
    saying = [h.said for h in scored if h.focus >= 1.0] or [h.said for h in scored]
    most = max(saying, default=0.0) or 1.0
    scored = [replace(h, said=round(h.said / most, 4)) for h in scored]
    return sorted(scored, key=lambda h: -h.score)[: max(limit, 0)]
