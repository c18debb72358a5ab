"""A second look at a question's best tips: which of them answers it, not only matches it.

The first ranking (`SearchIndex.rank`) finds the right topic; within it, the tip that shares
the most words with a question is often not its answer. "give the intern read only access" is
about RBAC, and the tip saying "RBAC" and "access" most is the one about Azure's two layers of
RBAC; the answer is the tip that says what a role is. So a question's best candidates
(`search.RERANK_POOL`) are ranked again:

- A tip tied to a vendor's platform (its topics marked `platform: true` in the taxonomy: Azure,
  AKS) loses `PLATFORM_WEIGHT` times the share of its topics that are platforms, when the
  question names or describes no platform topic: a generic question is answered first by the
  tip that holds in any cluster. "log in to AKS with our Azure AD accounts" is not generic.
- A question that names a part of a topic ("sa" of RBAC: a service account; "hpa" of scaling)
  ranks the tips saying that part higher, by `topic_parts.focus_of`, as a topic request does
  (`topic_pool.refocus`): "the sa of our pipeline" is answered by the tip about service accounts,
  not by one that only says "RBAC".

Topic requests ("rbac", "role binding") are not reranked here: the whole topic is asked for.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from bot.core.corpus import Tip
from bot.core.topic_parts import Part, focus_of

if TYPE_CHECKING:
    from bot.core.search import Hit, SearchIndex, Understanding

# What a tip loses when all of its topics are platforms the question did not ask about.
PLATFORM_WEIGHT = 0.5
# What a tip gains when it says the part of a topic the question names.
PART_WEIGHT = 0.5


def asked_topics(u: Understanding) -> set[str]:
    """The topics a question names or describes."""
    return set(u.topics) | set(u.concepts)


def platform_share(tip: Tip, platforms: Collection[str], position_weight: Sequence[float]) -> float:
    """The share of `tip`'s topics, by their weight in its list, that are `platforms`: 0 for a
    tip that holds anywhere, near 1 for one mostly about Azure."""
    total = tied = 0.0
    for pos, topic in enumerate(tip.topics):
        w = position_weight[min(pos, len(position_weight) - 1)]
        total += w
        if topic in platforms:
            tied += w
    return tied / total if total else 0.0


def unsaid_parts(u: Understanding) -> list[Part]:
    """The parts of topics a question names in words no tip uses ("sa" for "service account"):
    a part it says in the tips' own words ("node", "hpa") is already ranked by them."""
    said = set(u.terms)
    return [p for p in u.subtopics if not set(p[1]) <= said]


def rerank(index: SearchIndex, hits: Sequence[Hit], u: Understanding, limit: int) -> list[Hit]:
    """A question's `hits` ranked again (see the module's docstring): the first `limit`."""
    from bot.core.search import TOPIC_POSITION_WEIGHT as position_weight
    from bot.core.search import Hit

    idf, max_idf = index.idf, index.max_idf
    platforms = {t.id for t in index.corpus.topics.values() if t.platform}
    if platforms & asked_topics(u):
        platforms = set()  # the question is about a platform: its tips are what it asks
    parts = unsaid_parts(u)
    if u.topic_only or not (platforms or parts):
        return list(hits[: max(limit, 0)])
    # A platform's tip is put after the tips about the same subject that hold anywhere; it is
    # still the answer when it is the only tip about its subject ("run faas on my own k8s").
    general = {
        h.tip.topics[0]
        for h in hits
        if h.tip.topics and not platform_share(h.tip, platforms, position_weight)
    }
    scored = []
    for h in hits:
        focus = focus_of(h.tip.text, parts, idf, max_idf) if parts else 0.0
        score = h.score + PART_WEIGHT * (focus >= 1.0)  # says it, not some of its words
        if h.tip.topics and h.tip.topics[0] in general:
            score -= PLATFORM_WEIGHT * platform_share(h.tip, platforms, position_weight)
        # Scores stay >= 0 (search's contract); tips the penalty takes to 0 keep their order
        # (the sort is stable).
        scored.append(Hit(h.tip, round(max(score, 0.0), 4), focus))
    return sorted(scored, key=lambda h: -h.score)[: max(limit, 0)]
