"""Synonyms as the search index reads them: the taxonomy's `expansions` (a word people use ->
words the tips use), and number words, which also mean their digits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.corpus import Corpus
from bot.core.textnorm import stem
from bot.core.topic_parts import DIGITS

if TYPE_CHECKING:
    from bot.core.search import SearchIndex


def expansions_of(corpus: Corpus) -> dict[str, list[str]]:
    """The taxonomy's `expansions` as stems; a number word also means its digit ("zero": "scale
    to and from 0")."""
    digits = {k: list(v) for k, v in DIGITS.items()}
    return digits | {stem(k): [stem(w) for w in v] for k, v in corpus.expansions.items()}


def synonym_idf(index: SearchIndex, s: str) -> float:
    """The IDF of the rarest tip word that stem `s` expands to; 0.0 when it expands to none."""
    return max((index.idf[e] for e in index.expansions.get(s, ()) if e in index.idf), default=0.0)
