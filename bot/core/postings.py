"""BM25 postings: which tips hold each term, and how often.

The index keeps them compact: each tip's length in terms, one array of tip numbers and one of
term counts for all terms, sliced per term (a dict of 20,000 small arrays pickles and loads
ten times slower), term -> (start, end), and the distinct words (for typo correction).

A small corpus is indexed by a loop (no numpy import: the bundled corpus's cold start stays
as it was), a large one with numpy: over 100,000 tips (3.6 million words) the loop takes 5 s.
Both give the same postings; tests/core/test_search_postings.py holds them to it.

numpy is optional (`pip install 'k8stip[fast]'`, 71 MB installed): without it a large corpus
is indexed and ranked by the same loops, slower, and one warning (search.py, when the index
is built or loaded) says how to speed it up.
"""

from __future__ import annotations

import logging
import math
from array import array
from collections.abc import Sequence
from functools import cache
from importlib.util import find_spec
from itertools import chain
from typing import Any, TypeAlias

from bot.core.corpus import Tip
from bot.core.textnorm import STOPWORDS, foreign_terms, plain_stems, raw_words, terms_of

NUMPY_FROM_TIPS = 20_000
SEARCH_WORD_TF = 0.5  # a tip's search word counts as half an occurrence in its text
SEARCH_WORD_SHARE = 0.4  # how much a word only search words hold counts as understood
NO_NUMPY_WARNING = (
    "%d tips indexed and ranked without numpy, more slowly: "
    "pip install 'k8stip[fast]' (or numpy) to speed up corpora of %d tips or more"
)
Postings: TypeAlias = (
    "tuple[array[float], array[int], array[float], dict[str, tuple[int, int]], list[str]]"
)


@cache
def numpy_installed() -> bool:
    """Whether the optional numpy is there, found without importing it (that takes 0.1 s)."""
    return find_spec("numpy") is not None


def warn_without_numpy(tips: int) -> None:
    """Said once per index of a large corpus, built or loaded from the engine cache alike."""
    logging.getLogger(__name__).warning(NO_NUMPY_WARNING, tips, NUMPY_FROM_TIPS)


def postings_of(tips: Sequence[Tip], languages: Sequence[str]) -> Postings:
    """The postings of `tips`; `languages[i]` is tip i's language key ('' for English)."""
    if len(tips) < NUMPY_FROM_TIPS or not numpy_installed():
        found = postings_by_loop(tips, languages)
    else:
        found = postings_by_numpy(tips, languages)
    return with_search_words(found, tips, languages)


def with_search_words(found: Postings, tips: Sequence[Tip], languages: Sequence[str]) -> Postings:
    """`found` with each tip's `search_words` added: every distinct term of them counts
    SEARCH_WORD_TF for the tip (however often the phrases repeat it), on top of its own text's
    count. The tip's length stays its text's, so a tip with many search words is not ranked
    lower for the words it does say. Their words join the vocabulary (typo correction)."""
    extra: dict[str, dict[int, float]] = {}
    extra_vocab: dict[str, None] = {}
    for i, tip in enumerate(tips):
        if not tip.search_words:
            continue
        tokens = dict.fromkeys(w for phrase in tip.search_words for w in raw_words(phrase))
        extra_vocab.update(tokens)
        for t in set(_terms(list(tokens), languages[i])):
            extra.setdefault(t, {})[i] = SEARCH_WORD_TF
    if not extra:
        return found
    doc_len, post_docs, post_tfs, spans, vocab = found
    docs, tfs = array("i"), array("f")
    merged: dict[str, tuple[int, int]] = {}
    for t in chain(spans, (t for t in extra if t not in spans)):
        start = len(docs)
        a, b = spans.get(t, (0, 0))
        if t not in extra:  # most terms: copied as they are
            docs.extend(post_docs[a:b])
            tfs.extend(post_tfs[a:b])
            merged[t] = (start, len(docs))
            continue
        counts = dict(zip(post_docs[a:b], post_tfs[a:b], strict=True))
        for d, w in extra[t].items():
            counts[d] = counts.get(d, 0.0) + w
        for d in sorted(counts):
            docs.append(d)
            tfs.append(counts[d])
        merged[t] = (start, len(docs))
    known = dict.fromkeys(vocab)
    return doc_len, docs, tfs, merged, vocab + [w for w in extra_vocab if w not in known]


def _terms(tokens: list[str], language: str) -> list[str]:
    return foreign_terms(tokens, language) if language else terms_of(tokens)


def postings_by_loop(tips: Sequence[Tip], languages: Sequence[str]) -> Postings:
    docs: dict[str, array[int]] = {}
    tfs: dict[str, array[float]] = {}
    doc_len = array("f")
    vocab: dict[str, None] = {}
    for i, tip in enumerate(tips):
        counts: dict[str, int] = {}
        tokens = raw_words(tip.text)
        vocab.update(dict.fromkeys(tokens))
        for t in _terms(tokens, languages[i]):
            counts[t] = counts.get(t, 0) + 1
        for t, c in counts.items():
            d = docs.get(t)
            if d is None:
                d = docs[t] = array("i")
                tfs[t] = array("f")
            d.append(i)
            tfs[t].append(c)
        doc_len.append(sum(counts.values()))
    post_docs = array("i")
    post_tfs = array("f")
    postings: dict[str, tuple[int, int]] = {}
    for t, d in docs.items():
        start = len(post_docs)
        post_docs.extend(d)
        post_tfs.extend(tfs[t])
        postings[t] = (start, len(post_docs))
    return doc_len, post_docs, post_tfs, postings, list(vocab)


class _Numbering(dict[str, int]):
    """word -> its number; a word is numbered, in turn, the first time it is looked up."""

    def __missing__(self, word: str) -> int:
        self[word] = number = len(self)
        return number


def postings_by_numpy(tips: Sequence[Tip], languages: Sequence[str]) -> Postings:
    """Each distinct word (of each language) is stemmed once; every (term, tip) pair becomes
    one int64 and np.unique sorts and counts them in C."""
    import numpy as np

    n = len(tips)
    # Tip by tip in chunks, each word becomes its number at once: holding 3.6 million word
    # strings would cost 200 MB. A word of a tip in another language is its own key
    # ("de\0geheimnis"): the same word stems differently there. Words never hold a \0.
    word_id = _Numbering()
    vocab: dict[str, None] = {}  # an English-only corpus's words are word_id's keys
    foreign = any(languages)
    lengths = np.empty(n, dtype=np.int64)
    chunks: list[np.ndarray[Any, np.dtype[np.int32]]] = []
    for at in range(0, n, 4096):
        word_lists = [raw_words(t.text) for t in tips[at : at + 4096]]
        lengths[at : at + len(word_lists)] = [len(ws) for ws in word_lists]
        flat = list(chain.from_iterable(word_lists))
        if foreign:
            vocab.update(dict.fromkeys(flat))
            flat = [
                f"{language}\0{w}" if language else w
                for language, ws in zip(languages[at : at + 4096], word_lists, strict=True)
                for w in ws
            ]
        del word_lists
        chunks.append(np.fromiter(map(word_id.__getitem__, flat), dtype=np.int32, count=len(flat)))
    if not foreign:
        vocab = dict.fromkeys(word_id)
    ids = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
    del chunks
    # Each distinct word's terms: none for a stopword, one for most words, several for
    # "pod-eviction". Most occurrences map to one term through `single` (-1: not one term);
    # only the few of several-term words are expanded, so no per-occurrence offset arrays.
    term_id: dict[str, int] = {}
    single_ids = [-1] * len(word_id)
    several: dict[int, list[int]] = {}
    # Nearly every word is English, has no hyphen and is one term: stemmed in one batch.
    plain = [w for w in word_id if "\0" not in w and "-" not in w and w not in STOPWORDS]
    stem_of = dict(zip(plain, plain_stems([w.replace("’", "'") for w in plain]), strict=True))
    del plain
    for i, key in enumerate(word_id):
        term = stem_of.get(key)
        if term is not None:  # what _terms([key], "") gives, as its only term
            single_ids[i] = term_id.setdefault(term, len(term_id))
            continue
        language, _, word = key.rpartition("\0")
        its = [term_id.setdefault(t, len(term_id)) for t in _terms([word], language)]
        if len(its) == 1:
            single_ids[i] = its[0]
        elif its:
            several[i] = its
    single = np.asarray(single_ids, dtype=np.int64)
    del single_ids
    docs = np.repeat(np.arange(n, dtype=np.int32), lengths)  # the tip of each occurrence
    pairs = single[ids]  # term * n + tip, for every occurrence with one term
    keep = pairs >= 0
    pairs *= max(n, 1)
    pairs += docs
    pairs = pairs[keep]
    del keep
    if several:
        is_several = np.zeros(len(word_id), dtype=bool)
        is_several[list(several)] = True
        where = np.flatnonzero(is_several[ids])
        extra = [
            term * max(n, 1) + tip
            for word, tip in zip(ids[where].tolist(), docs[where].tolist(), strict=True)
            for term in several[word]
        ]
        pairs = np.concatenate([pairs, np.asarray(extra, dtype=np.int64)])
    doc_len = array("f", np.bincount(pairs % max(n, 1), minlength=n).astype(np.float32).tobytes())
    del ids, docs
    # np.unique(pairs, return_counts=True), without its sorted copy (29 MB at 100,000 tips).
    pairs.sort()
    first = np.empty(len(pairs), dtype=bool)
    first[:1] = True
    np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    del first
    counts = np.diff(starts, append=len(pairs))
    pairs = pairs[starts]
    del starts
    ends = np.searchsorted(pairs // max(n, 1), np.arange(len(term_id)), side="right")
    postings: dict[str, tuple[int, int]] = {}
    start = 0
    for t, end in zip(term_id, ends.tolist(), strict=True):
        postings[t] = (start, end)
        start = end
    post_docs = array("i", (pairs % max(n, 1)).astype(np.int32).tobytes())
    post_tfs = array("f", counts.astype(np.float32).tobytes())
    return doc_len, post_docs, post_tfs, postings, list(vocab)


def bm25_idf(n: int, df: float) -> float:
    """BM25's inverse document frequency of a term `df` of `n` tips hold."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def text_frequencies(
    tips: Sequence[Tip], tfs: array[float], spans: dict[str, tuple[int, int]]
) -> dict[str, int] | None:
    """How many tips' text holds each term (their search words left out: each counts
    SEARCH_WORD_TF, under a text's 1), or None when no tip has search words (then it is each
    term's postings count). A term missing is one only search words hold."""
    if not any(t.search_words for t in tips):
        return None
    found = {t: sum(1 for tf in tfs[a:b] if tf >= 1.0) for t, (a, b) in spans.items()}
    return {t: df for t, df in found.items() if df}
