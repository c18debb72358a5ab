"""Words that name a topic only in passing.

A question's word may be a topic's alias and, in the question, part of a phrasing of another
topic's concepts: in "give each replica its own volume per replica", "replica" names ReplicaSets,
but "volume per replica" is what StatefulSets are for. The phrasing of several words, met in
full, says what the question is about; the alias inside it only names the thing it is about. So
an alias all of whose words another topic's phrasing used, where no phrasing of its own topics
used them, does not name its topics: they count only if another word names or describes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.search import Understanding


def name_topics(u: Understanding, topics: Sequence[str], at: range, named_at: list[range]) -> None:
    """Record in `u` that the words at positions `at` name `topics` (an alias), and where."""
    u.spans.append(list(topics))
    named_at.append(at)
    u.topics.extend([t for t in topics if t not in u.topics])


def in_passing(positions: range, topics: Sequence[str], idioms: Mapping[int, set[str]]) -> bool:
    """Whether an alias at `positions`, naming `topics`, is only a word of another topic's
    phrasing (`idioms`: position -> the topics whose phrasings of several words used it)."""
    return all(
        idioms.get(i) and not idioms[i] & set(topics) and idioms[i] - set(topics) for i in positions
    )


def drop_passing_names(
    u: Understanding, named_at: Sequence[range], idioms: Mapping[int, set[str]]
) -> None:
    """Forget in `u` the aliases named only in passing (see the module's docstring): their
    spans, and their topics when no other alias names them."""
    if not idioms or not named_at:
        return
    keep = [
        (span, at)
        for span, at in zip(u.spans, named_at, strict=True)
        if not in_passing(at, span, idioms)
    ]
    if len(keep) == len(u.spans):
        return
    u.spans = [span for span, _ in keep]
    named = {t for span in u.spans for t in span}
    u.topics = [t for t in u.topics if t in named]
