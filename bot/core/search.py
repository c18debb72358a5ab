"""Reading a request and ranking tips for it.

A request is read in three steps: words are normalised and stemmed (`textnorm`), misspelt
words are corrected against the topic aliases and the corpus vocabulary (Damerau-Levenshtein,
one edit for short words, two for long ones), and runs of words that name a topic ("cluster
role binding", "hpa", "helm chart") are recognised. Tips are then ranked by BM25 over their
text plus how central each recognised topic is to them (a tip's first topic is its subject).
A request whose words mostly appear nowhere in the corpus gets no results, not noise.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, TypeAlias

from bot.core.corpus import Corpus, Tip, Topic
from bot.core.textnorm import STOPWORDS, normalize, phrase_key, raw_words, stem, terms_of, words

BM25_K1, BM25_B = 1.2, 0.75
# How much a tip is "about" a topic, by the topic's place in its list.
TOPIC_POSITION_WEIGHT = (1.0, 0.55, 0.4, 0.3, 0.25)
MAX_ALIAS_WORDS = 5
MIN_COVERAGE = 0.5  # share of a question's meaning (IDF-weighted) the corpus must know
EXPANSION_WEIGHT = 0.4
VECTOR_THRESHOLD = 20_000  # from this many tips, rank with numpy


@dataclass(frozen=True)
class Hit:
    tip: Tip
    score: float


@dataclass
class Understanding:
    """What the engine made of a request."""

    text: str  # the normalised request
    topics: list[str] = field(default_factory=list)  # recognised topic ids, in order
    terms: list[str] = field(default_factory=list)  # stemmed content terms for ranking
    corrections: dict[str, str] = field(default_factory=dict)  # typo -> corrected word
    unknown: list[str] = field(default_factory=list)  # words found nowhere
    topic_terms: list[str] = field(default_factory=list)  # tip words standing in for aliases
    spans: list[list[str]] = field(default_factory=list)  # topic ids of each alias matched
    topic_only: bool = False  # every meaningful word was part of a topic name
    coverage: float = 0.0  # IDF-weighted share of the request the corpus knows

    @property
    def empty(self) -> bool:
        return not self.topics and not self.terms and not self.unknown


def _max_edits(word: str) -> int:
    n = len(word)
    return 0 if n < 4 else 1 if n < 8 else 2


Postings: TypeAlias = (
    "tuple[array[float], array[int], array[float], dict[str, tuple[int, int]], list[str]]"
)


def postings_of(tips: Sequence[Tip]) -> Postings:
    """BM25 postings of `tips`: each tip's length in terms, one array of tip numbers and one of
    term counts for all terms (sliced per term: a dict of 20,000 small arrays pickles and loads
    ten times slower), term -> (start, end), and the distinct words.

    A small corpus is indexed by a loop (no numpy import: the bundled corpus's cold start), a
    large one with numpy (the loop takes 5 s over 100,000 tips). Both give the same postings.
    """
    return postings_by_loop(tips) if len(tips) < VECTOR_THRESHOLD else postings_by_numpy(tips)


def postings_by_loop(tips: Sequence[Tip]) -> Postings:
    docs: dict[str, array[int]] = {}
    tfs: dict[str, array[float]] = {}
    doc_len = array("f")
    vocab: dict[str, None] = {}
    for i, tip in enumerate(tips):
        counts: dict[str, int] = {}
        tokens = raw_words(tip.text)
        vocab.update(dict.fromkeys(tokens))
        for t in terms_of(tokens):
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


def postings_by_numpy(tips: Sequence[Tip]) -> Postings:
    """Each distinct word is stemmed once; every (term, tip) pair becomes one int64 and
    np.unique sorts and counts them in C."""
    import numpy as np

    n = len(tips)
    # Tip by tip in chunks, each word becomes its number at once: holding 3.6 million word
    # strings would cost 200 MB.
    word_id: dict[str, int] = {}
    lengths = np.empty(n, dtype=np.int64)
    chunks: list[np.ndarray[Any, np.dtype[np.int32]]] = []
    for at in range(0, n, 4096):
        word_lists = [raw_words(t.text) for t in tips[at : at + 4096]]
        lengths[at : at + len(word_lists)] = [len(ws) for ws in word_lists]
        flat = list(chain.from_iterable(word_lists))
        for w in dict.fromkeys(flat):
            word_id.setdefault(w, len(word_id))
        chunks.append(np.fromiter(map(word_id.__getitem__, flat), dtype=np.int32, count=len(flat)))
    ids = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
    del chunks
    vocab = list(word_id)
    # The terms of each distinct word (none for a stopword, several for "pod-eviction"), as
    # one flat array of term numbers with offsets.
    term_id: dict[str, int] = {}
    word_terms: list[int] = []
    starts = np.zeros(len(vocab) + 1, dtype=np.int64)
    for i, w in enumerate(vocab):
        word_terms.extend(term_id.setdefault(t, len(term_id)) for t in terms_of([w]))
        starts[i + 1] = len(word_terms)
    per_word = (starts[1:] - starts[:-1])[ids]  # how many terms each word occurrence gives
    docs = np.repeat(np.repeat(np.arange(n, dtype=np.int64), lengths), per_word)
    first = np.repeat(starts[:-1][ids] - np.cumsum(per_word) + per_word, per_word)
    del ids
    first += np.arange(len(first))
    pairs = np.asarray(word_terms, dtype=np.int64)[first]
    del first
    pairs *= max(n, 1)
    pairs += docs
    pairs, counts = np.unique(pairs, return_counts=True)
    pair_terms = pairs // max(n, 1)
    ends = np.searchsorted(pair_terms, np.arange(len(term_id)), side="right")
    postings: dict[str, tuple[int, int]] = {}
    start = 0
    for t, end in zip(term_id, ends.tolist(), strict=True):
        postings[t] = (start, end)
        start = end
    doc_len = array("f", np.bincount(docs, minlength=n).astype(np.float32).tobytes())
    post_docs = array("i", (pairs % max(n, 1)).astype(np.int32).tobytes())
    post_tfs = array("f", counts.astype(np.float32).tobytes())
    return doc_len, post_docs, post_tfs, postings, vocab


class SearchIndex:
    """An in-memory index over a corpus: BM25 postings, topic postings, alias table."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.tips: list[Tip] = list(corpus.tips)
        n = len(self.tips)
        self.doc_len, self.post_docs, self.post_tfs, self.postings, vocab = postings_of(self.tips)
        self.avgdl = (sum(self.doc_len) / n) if n else 1.0
        self.idf = {
            t: math.log(1 + (n - (b - a) + 0.5) / ((b - a) + 0.5))
            for t, (a, b) in self.postings.items()
        }
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0
        self.topic_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tip in enumerate(self.tips):
            for pos, topic_id in enumerate(tip.topics):
                w = TOPIC_POSITION_WEIGHT[min(pos, len(TOPIC_POSITION_WEIGHT) - 1)]
                self.topic_postings[topic_id].append((i, w))
        self._vector: _VectorScorer | None = _VectorScorer(self) if n >= VECTOR_THRESHOLD else None
        # Alias phrases (as stem tuples) -> topic ids; the topic id and title count as aliases.
        self.aliases: dict[tuple[str, ...], list[str]] = defaultdict(list)
        alias_words: set[str] = set()
        for topic in corpus.topics.values():
            names = (topic.id, topic.id.replace("-", " "), topic.title)
            for phrase in (*names, *topic.aliases):
                key = phrase_key(phrase)
                if key and topic.id not in self.aliases[key]:
                    # A topic's own name beats another topic's alias: "containers" is the
                    # containers topic even though pods lists it as an alias.
                    self.aliases[key].insert(
                        0 if phrase in names else len(self.aliases[key]), topic.id
                    )
                alias_words.update(words(normalize(phrase)))
        self.alias_words = sorted(w for w in alias_words if len(w) >= 3)
        self.vocab_words = sorted(w for w in vocab if len(w) >= 4)
        self.topic_stems = {t.id: self._stand_in(t) for t in corpus.topics.values()}
        self.known_stems = set(self.postings) | {s for k in self.aliases for s in k}
        self.expansions = {stem(k): [stem(w) for w in v] for k, v in corpus.expansions.items()}

    def _stand_in(self, topic: Topic) -> list[str]:
        """Tip words that stand in for the topic's name: its first keyword's, keeping only the
        words of its names when there are some ("in a certain namespace" -> "namespace", not
        "certain")."""
        stems = [s for k in topic.keywords[:1] for s in phrase_key(k) if s in self.postings]
        names = {s for p in (topic.id, topic.title, *topic.aliases) for s in phrase_key(p)}
        return [s for s in stems if s in names] or stems

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_vector"] = None  # numpy arrays are rebuilt, not pickled
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._vector = _VectorScorer(self) if len(self.tips) >= VECTOR_THRESHOLD else None

    # -- reading a request -------------------------------------------------------------

    def _correct(self, word: str) -> str | None:
        """The known word `word` is a typo of, or None.

        Topic names are corrected eagerly (one edit from 4 letters, two from 8); ordinary
        words only from 7 letters, with one edit: "bake" must not become "base".
        """
        from rapidfuzz import process  # only needed for words we don't know
        from rapidfuzz.distance import DamerauLevenshtein

        for choices, k in (
            (self.alias_words, _max_edits(word)),
            (self.vocab_words, 1 if len(word) >= 7 else 0),
        ):
            if k == 0:
                continue
            best = process.extractOne(
                word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=k
            )
            if best is not None:
                return str(best[0])
        return None

    def understand(self, query: str) -> Understanding:
        text = normalize(query)
        u = Understanding(text=text)
        toks: list[str] = []  # raw words, typos corrected
        for w in words(text):
            if w not in STOPWORDS and stem(w) not in self.known_stems and "-" not in w:
                fixed = self._correct(w)
                if fixed is not None and fixed != w:
                    u.corrections[w] = fixed
                    w = fixed
            toks.append(w)
        stems = [stem(p) for w in toks for p in w.replace("-", " ").split()]
        raw = [p for w in toks for p in w.replace("-", " ").split()]
        covered = [False] * len(stems)
        i = 0
        while i < len(stems):
            for n in range(min(MAX_ALIAS_WORDS, len(stems) - i), 0, -1):
                key = tuple(stems[i : i + n])
                if key in self.aliases and not all(r in STOPWORDS for r in raw[i : i + n]):
                    u.spans.append(list(self.aliases[key]))
                    for topic in self.aliases[key]:
                        if topic not in u.topics:
                            u.topics.append(topic)
                    if not any(st in self.postings for st in key):
                        # "passwords" names the topic but no tip says it: rank by the
                        # words the topic's tips do use ("secret").
                        for topic in self.aliases[key][:1]:
                            u.topic_terms.extend(self.topic_stems.get(topic, ()))
                    for j in range(i, i + n):
                        covered[j] = True
                    i += n
                    break
            else:
                i += 1
        known_w = total_w = 0.0
        content = 0
        uncovered = 0
        for s, r, cov in zip(stems, raw, covered, strict=True):
            if r in STOPWORDS:
                continue
            content += 1
            if s in self.postings:
                u.terms.append(s)
            if cov:
                known_w += self.max_idf
                total_w += self.max_idf
                continue
            uncovered += 1
            if s in self.postings:
                w_ = self.idf[s]
                known_w += w_
                total_w += w_
            else:
                u.unknown.append(r)
                total_w += self.max_idf
        u.topic_only = bool(u.topics) and uncovered == 0
        u.coverage = known_w / total_w if total_w else 0.0
        return u

    # -- ranking ----------------------------------------------------------------------

    def _bm25(self, weighted_terms: dict[str, float]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for t, qw in weighted_terms.items():
            span = self.postings.get(t)
            if not span:
                continue
            idf = self.idf[t] * qw
            a, b = span
            for doc, tf in zip(self.post_docs[a:b], self.post_tfs[a:b], strict=True):
                norm = BM25_K1 * (1 - BM25_B + BM25_B * self.doc_len[doc] / self.avgdl)
                scores[doc] += idf * tf * (BM25_K1 + 1) / (tf + norm)
        return scores

    def search(self, query: str, limit: int = 5) -> tuple[list[Hit], Understanding]:
        u = self.understand(query)
        if u.empty or (not u.topic_only and u.coverage < MIN_COVERAGE):
            return [], u
        weighted: dict[str, float] = {}
        for t in u.terms + u.topic_terms:
            weighted[t] = weighted.get(t, 0.0) + 1.0
        if not u.topic_only:
            for t in list(weighted):
                for e in self.expansions.get(t, ()):
                    if e not in weighted:
                        weighted[e] = EXPANSION_WEIGHT
            for w in u.unknown:  # a word the corpus lacks may still have known synonyms
                for e in self.expansions.get(stem(w), ()):
                    weighted.setdefault(e, EXPANSION_WEIGHT)
        if self._vector is not None:
            return self._vector.search(u, weighted, limit), u
        text_scores = self._bm25(weighted)
        top_text = max(text_scores.values(), default=0.0) or 1.0
        topic_scores: dict[int, float] = defaultdict(float)
        for topic, factor in topic_factors(u).items():
            for doc, weight in self.topic_postings.get(topic, ()):
                topic_scores[doc] += weight * factor
        text_weight, topic_weight = mix_weights(u)
        combined: dict[int, float] = defaultdict(float)
        for doc, s in text_scores.items():
            combined[doc] += text_weight * s / top_text
        for doc, s in topic_scores.items():
            combined[doc] += topic_weight * s
        if not u.topic_only:
            # A free-text answer must share a meaningful word with the question.
            combined = {d: s for d, s in combined.items() if d in text_scores}
        ranked = sorted(combined.items(), key=lambda x: (-x[1], x[0]))[: max(limit, 0)]
        return [Hit(self.tips[d], round(s, 4)) for d, s in ranked], u

    def suggest(self, query: str, n: int = 3) -> list[str]:
        """Topic ids whose names look like a word of the request, for "did you mean …".

        Word against alias word, by similarity ratio: a whole-query partial match would
        suggest "troubleshooting" for "ansible playbook loops".
        """
        from rapidfuzz import fuzz, process

        scored: dict[str, float] = {}
        for w in words(normalize(query)):
            if len(w) < 3 or w in STOPWORDS:
                continue
            for name, score, _ in process.extract(
                w, self.alias_words, scorer=fuzz.ratio, limit=5, score_cutoff=75
            ):
                for tid in self.aliases.get(phrase_key(name), ()):
                    scored[tid] = max(scored.get(tid, 0.0), score)
        return sorted(scored, key=lambda t: -scored[t])[:n]


def mix_weights(u: Understanding) -> tuple[float, float]:
    """How text match and topic match combine: a topic request is mostly about the topic."""
    return (0.25, 1.0) if u.topic_only else (1.0, 0.5)


def topic_factors(u: Understanding) -> dict[str, float]:
    """How much each recognised topic counts. In "database passwords" the last topic named
    is the head of the phrase; an alias shared by two topics ("key vault": secrets, azure)
    means the topic that lists it first."""
    factors: dict[str, float] = {}
    for n, span in enumerate(u.spans):
        last = n == len(u.spans) - 1
        for k, topic in enumerate(span):
            f = (1.0 if k == 0 else 0.5) if last else 0.3
            factors[topic] = max(factors.get(topic, 0.0), f)
    return factors


class _VectorScorer:
    """The same ranking with numpy, for large corpora (imported only when one is loaded)."""

    def __init__(self, index: SearchIndex) -> None:
        import numpy as np

        self.index = index
        dl = np.frombuffer(index.doc_len, dtype=np.float32)
        self.docs = np.frombuffer(index.post_docs, dtype=np.int32)
        self.tfs = np.frombuffer(index.post_tfs, dtype=np.float32)
        self.norm = BM25_K1 * (1 - BM25_B + BM25_B * dl / index.avgdl)
        self.topics = {
            t: (np.array([d for d, _ in p], dtype=np.int32), np.array([w for _, w in p]))
            for t, p in index.topic_postings.items()
        }

    def search(self, u: Understanding, weighted: dict[str, float], limit: int) -> list[Hit]:
        import numpy as np

        ix = self.index
        n = len(ix.tips)
        text = np.zeros(n, dtype=np.float32)
        for t, qw in weighted.items():
            span = ix.postings.get(t)
            if not span:
                continue
            docs, tf = self.docs[span[0] : span[1]], self.tfs[span[0] : span[1]]
            text[docs] += ix.idf[t] * qw * tf * (BM25_K1 + 1) / (tf + self.norm[docs])
        text_weight, topic_weight = mix_weights(u)
        top = float(text.max()) if n else 0.0
        combined = text * (text_weight / (top or 1.0))
        for topic, factor in topic_factors(u).items():
            if topic in self.topics:
                docs, w = self.topics[topic]
                combined[docs] += topic_weight * factor * w
        if not u.topic_only:
            combined[text <= 0] = 0.0
        k = min(max(limit, 0), int((combined > 0).sum()))
        if k == 0:
            return []
        idx = np.argpartition(-combined, k - 1)[:k]
        order = sorted(idx.tolist(), key=lambda d: (-float(combined[d]), d))
        return [Hit(ix.tips[d], round(float(combined[d]), 4)) for d in order]


def best_matches(hits: Sequence[Hit], ratio: float = 0.85, cap: int = 8) -> list[Hit]:
    """The hits close to the top score: the pool a random tip is drawn from."""
    if not hits:
        return []
    floor = hits[0].score * ratio
    return [h for h in hits if h.score >= floor][:cap]
