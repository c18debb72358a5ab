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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.corpus import Corpus, Tip
from bot.textnorm import STOPWORDS, normalize, phrase_key, stem, terms, words

BM25_K1, BM25_B = 1.2, 0.75
# How much a tip is "about" a topic, by the topic's place in its list.
TOPIC_POSITION_WEIGHT = (1.0, 0.55, 0.4, 0.3, 0.25)
MAX_ALIAS_WORDS = 5
MIN_COVERAGE = 0.5  # share of a question's meaning (IDF-weighted) the corpus must know
EXPANSION_WEIGHT = 0.4


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
    topic_only: bool = False  # every meaningful word was part of a topic name
    coverage: float = 0.0  # IDF-weighted share of the request the corpus knows

    @property
    def empty(self) -> bool:
        return not self.topics and not self.terms and not self.unknown


def _max_edits(word: str) -> int:
    n = len(word)
    return 0 if n < 4 else 1 if n < 8 else 2


class SearchIndex:
    """An in-memory index over a corpus: BM25 postings, topic postings, alias table."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.tips: list[Tip] = list(corpus.tips)
        n = len(self.tips)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.doc_len: list[int] = []
        for i, tip in enumerate(self.tips):
            counts: dict[str, int] = {}
            for t in terms(tip.text):
                counts[t] = counts.get(t, 0) + 1
            for t, c in counts.items():
                self.postings[t].append((i, c))
            self.doc_len.append(sum(counts.values()))
        self.avgdl = (sum(self.doc_len) / n) if n else 1.0
        self.idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()
        }
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0
        self.topic_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tip in enumerate(self.tips):
            for pos, topic in enumerate(tip.topics):
                w = TOPIC_POSITION_WEIGHT[min(pos, len(TOPIC_POSITION_WEIGHT) - 1)]
                self.topic_postings[topic].append((i, w))
        # Alias phrases (as stem tuples) -> topic ids; the topic id and title count as aliases.
        self.aliases: dict[tuple[str, ...], list[str]] = defaultdict(list)
        alias_words: set[str] = set()
        for topic in corpus.topics.values():
            for phrase in (topic.id, topic.id.replace("-", " "), topic.title, *topic.aliases):
                key = phrase_key(phrase)
                if key and topic.id not in self.aliases[key]:
                    self.aliases[key].append(topic.id)
                alias_words.update(words(normalize(phrase)))
        self.alias_words = sorted(w for w in alias_words if len(w) >= 3)
        vocab: set[str] = set()
        for tip in self.tips:
            vocab.update(w for w in words(normalize(tip.text, 100_000)) if len(w) >= 4)
        self.vocab_words = sorted(vocab)
        self.known_stems = set(self.postings) | {s for k in self.aliases for s in k}
        self.expansions = {
            stem(k): [stem(w) for w in v] for k, v in corpus.expansions.items()
        }

    # -- reading a request -------------------------------------------------------------

    def _correct(self, word: str) -> str | None:
        """The known word `word` is a typo of, or None.

        Topic names are corrected eagerly (one edit from 4 letters, two from 8); ordinary
        words only from 7 letters, with one edit: "bake" must not become "base".
        """
        for choices, k in ((self.alias_words, _max_edits(word)),
                           (self.vocab_words, 1 if len(word) >= 7 else 0)):
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
                    for topic in self.aliases[key]:
                        if topic not in u.topics:
                            u.topics.append(topic)
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
            plist = self.postings.get(t)
            if not plist:
                continue
            idf = self.idf[t] * qw
            for doc, tf in plist:
                norm = BM25_K1 * (1 - BM25_B + BM25_B * self.doc_len[doc] / self.avgdl)
                scores[doc] += idf * tf * (BM25_K1 + 1) / (tf + norm)
        return scores

    def search(self, query: str, limit: int = 5) -> tuple[list[Hit], Understanding]:
        u = self.understand(query)
        if u.empty or (not u.topic_only and u.coverage < MIN_COVERAGE):
            return [], u
        weighted: dict[str, float] = {}
        for t in u.terms:
            weighted[t] = weighted.get(t, 0.0) + 1.0
        if not u.topic_only:
            for t in list(weighted):
                for e in self.expansions.get(t, ()):
                    if e not in weighted:
                        weighted[e] = EXPANSION_WEIGHT
            for w in u.unknown:  # a word the corpus lacks may still have known synonyms
                for e in self.expansions.get(stem(w), ()):
                    weighted.setdefault(e, EXPANSION_WEIGHT)
        text_scores = self._bm25(weighted)
        top_text = max(text_scores.values(), default=0.0) or 1.0
        topic_scores: dict[int, float] = defaultdict(float)
        for rank, topic in enumerate(u.topics):
            # In "database passwords" the last topic named is the head of the phrase.
            factor = 1.0 if rank == len(u.topics) - 1 else 0.7
            for doc, w in self.topic_postings.get(topic, ()):
                topic_scores[doc] += w * factor
        if u.topic_only:
            text_weight, topic_weight = 0.25, 1.0
        else:
            text_weight, topic_weight = 1.0, 0.5
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
        """Topic ids whose names look most like the request, for "did you mean …"."""
        text = normalize(query)
        if not text:
            return []
        names = {a: tid for key, tids in self.aliases.items() for tid in tids
                 for a in [" ".join(key)]}
        found = process.extract(" ".join(stem(w) for w in words(text)), list(names),
                                limit=10, score_cutoff=70)
        out: list[str] = []
        for name, _, _ in found:
            if names[name] not in out:
                out.append(names[name])
        return out[:n]


def best_matches(hits: Sequence[Hit], ratio: float = 0.85, cap: int = 8) -> list[Hit]:
    """The hits close to the top score: the pool a random tip is drawn from."""
    if not hits:
        return []
    floor = hits[0].score * ratio
    return [h for h in hits if h.score >= floor][:cap]
