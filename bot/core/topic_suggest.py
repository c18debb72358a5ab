"""Topics to suggest for a request nothing answered: "did you mean …"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.textnorm import STOPWORDS, normalize, phrase_key, stem, words

if TYPE_CHECKING:
    from bot.core.search import SearchIndex


def suggest_topics(index: SearchIndex, query: str, n: int = 3) -> list[str]:
    """Topic ids whose names look like a word of the request, for "did you mean …".

    Word against alias word (names of several words also joined: "helmchart"), closest
    first, by similarity ratio: a whole-query partial match would suggest
    "troubleshooting" for "ansible playbook loops". A word like no name as a whole may
    still contain one ("helmcharting" holds "helm"): such a name counts, below any name
    alike as a whole. The parts of a hyphenated word count as words ("ingres-nginx" is
    close to "ingress").
    """
    from rapidfuzz import fuzz, process

    scored: dict[str, float] = {}
    # A hyphenated word ("ingres-nginx") is also looked at part by part.
    said = words(normalize(query))
    parts = [p for w in said if "-" in w for p in w.split("-")]
    for w in [*said, *parts]:
        if len(w) < 3 or w in STOPWORDS:
            continue
        found = process.extract(w, index.alias_words, scorer=fuzz.ratio, limit=5, score_cutoff=75)
        if not found and len(w) >= 6:
            inside = [a for a in index.alias_words if len(a) >= 4 and a in w]
            # Scored under the 75 cutoff above, longest name first: "helmchart" in
            # "helmchartz2", before "helm" and "chart".
            found = [(a, 50 + 20 * len(a) / len(w), 0) for a in inside]
        for name, score, _ in found:
            for tid in _alias_topics(index, name):
                scored[tid] = max(scored.get(tid, 0.0), score)
    return sorted(scored, key=lambda t: -scored[t])[:n]


def _alias_topics(index: SearchIndex, name: str) -> list[str]:
    """The topics an alias word names; a joined name ("helmchart") by its one stem."""
    return index.aliases.get(phrase_key(name)) or index.aliases.get((stem(name),), [])
