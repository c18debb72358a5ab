"""Reading a request and ranking tips for it.

A request is read in three steps: words are normalised and stemmed (`textnorm`), misspelt
words are corrected against the topic aliases and the corpus vocabulary (Damerau-Levenshtein,
one edit for short words, two for long ones), a word that joins two ("nodepool") is split, and
runs of words that name a topic ("cluster role binding", "hpa", "helm chart", also typed as one
word: "helmchart") are recognised, and so are topics a question describes in plain words
(their `concepts`, `bot/core/concepts.py`: "noisy neighbour" is about requests and limits).
Tips are then ranked by BM25 over their text plus how central each recognised topic is to
them (a tip's first topic is its subject). A topic request that names a part of its topic
("role binding" of RBAC, "hpa" of scaling) ranks the topic's tips whose text says that part
first, and draws only among those saying it nearly as much as the best (`topic_pool`,
`best_matches`). A request whose words mostly appear nowhere in the corpus gets no results,
not noise; a concept's words count as understood, and everyday words around it ("app",
"keep") count half against it.

Tips of a source in another language (`language: de`) are indexed with that language's stems,
tagged with it (`de:geheimnis`), or word for word where PyStemmer has no stemmer; a request's
words are looked up in English and in each such language. An English-only corpus is ranked
exactly as before.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from bot.core.concepts import Concepts, concept_word, unknown_weight
from bot.core.corpus import Corpus, Tip, Topic
from bot.core.everyday import EVERYDAY, EVERYDAY_WEIGHT
from bot.core.passing import drop_passing_names, name_topics
from bot.core.postings import (
    SEARCH_WORD_SHARE,
    bm25_idf,
    numpy_installed,
    postings_of,
    text_frequencies,
    warn_without_numpy,
)
from bot.core.subjects import subject_named, uncovered_subjects
from bot.core.synonyms import expansions_of, synonym_idf
from bot.core.textnorm import (
    STOPWORDS,
    foreign_term,
    language_key,
    normalize,
    phrase_key,
    stem,
    words,
)
from bot.core.topic_parts import (
    COMMON_SHARE,
    Part,
    Said,
    name_stems,
    named_part,
)

if TYPE_CHECKING:
    from bot.core.vector_rank import VectorScorer

BM25_K1, BM25_B = 1.2, 0.75
# How much a tip is "about" a topic, by the topic's place in its list.
TOPIC_POSITION_WEIGHT = (1.0, 0.55, 0.4, 0.3, 0.25)
MAX_ALIAS_WORDS = 5
MIN_COVERAGE = 0.5  # share of a question's meaning (IDF-weighted) the corpus must know
EXPANSION_WEIGHT = 0.4
SYNONYM_SHARE = 0.5  # how much a word known only by its `expansions` counts as understood
# A topic recognised from its concepts (plain words, not its name) counts this much against a
# topic named outright, and its tips' words join the question at this weight.
CONCEPT_TOPIC_WEIGHT = 1.5
CONCEPT_TERM_WEIGHT = 0.5
# A tip word inside a recognised phrasing ("power" in "lost power") counts this much.
CONCEPT_IDIOM_WEIGHT = 0.5
RERANK_POOL = 30  # of a question's best tips, how many `answer_rank` looks at again
FOCUS_CANDIDATES = 50  # of a topic's best tips, how many are read for the part a request names
VECTOR_THRESHOLD = 20_000  # from this many tips, rank with numpy
# Of the tips saying the part a topic request names, those saying it at least this share as
# much (BM25 over the part's words: how often, in how short a text) as the one saying it most
# are drawn from (`best_matches`, `topic_pool`).
PART_RATIO = 0.7


@dataclass(frozen=True)
class Hit:
    tip: Tip
    score: float
    focus: float = 0.0  # how much the tip's text says the part of a topic a request names
    said: float = 0.0  # how often and densely it says it, 1.0 for the tip saying it most


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
    concepts: dict[str, float] = field(default_factory=dict)  # topic id -> concept strength
    concept_words: list[str] = field(default_factory=list)  # words only the taxonomy knows
    idiom_terms: set[str] = field(default_factory=set)  # tip words read as part of a concept
    everyday_terms: set[str] = field(default_factory=set)  # tip words of everyday English
    # Alias phrases (stems) that name a part of their topic, not the topic itself: "role
    # binding" of rbac, "hpa" of scaling, "liveness probe" of probes; with their telling stems.
    subtopics: list[Part] = field(default_factory=list)
    outside: str = ""  # a subject no tip covers that the request names (subjects.py)

    @property
    def empty(self) -> bool:
        return not self.topics and not self.terms and not self.unknown and not self.concepts


def _max_edits(word: str) -> int:
    n = len(word)
    return 0 if n < 4 else 1 if n < 8 else 2


class SearchIndex:
    """An in-memory index over a corpus: BM25 postings, topic postings, alias table."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.tips: list[Tip] = list(corpus.tips)
        n = len(self.tips)
        source_language = {sid: language_key(s.language) for sid, s in corpus.sources.items()}
        tip_languages = [source_language.get(t.source, "") for t in self.tips]
        self.doc_len, self.post_docs, self.post_tfs, self.postings, vocab = postings_of(
            self.tips, tip_languages
        )
        self.languages = sorted(set(tip_languages) - {""})  # besides English
        self.avgdl = (sum(self.doc_len) / n) if n else 1.0
        self.idf = {t: bm25_idf(n, b - a) for t, (a, b) in self.postings.items()}
        # A topic request reads the text alone, with how rare each word is in the text; a
        # word only search words hold counts as part understood (`understand`).
        text_df = text_frequencies(self.tips, self.post_tfs, self.postings)
        self.text_idf, self.search_only = self.idf, frozenset[str]()
        if text_df is not None:
            self.text_idf = {t: bm25_idf(n, df) for t, df in text_df.items()}
            self.search_only = frozenset(self.postings.keys() - text_df.keys())
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0
        self.topic_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tip in enumerate(self.tips):
            for pos, topic_id in enumerate(tip.topics):
                w = TOPIC_POSITION_WEIGHT[min(pos, len(TOPIC_POSITION_WEIGHT) - 1)]
                self.topic_postings[topic_id].append((i, w))
        self._vector: VectorScorer | None = _vector_scorer(self)
        # Alias phrases (as stem tuples) -> topic ids; the topic id and title count as aliases.
        from bot.core.topic_names import alias_table  # not imported when the index is cached

        self.aliases, alias_words = alias_table(corpus)
        self.alias_words = sorted(w for w in alias_words if len(w) >= 3)
        self.alias_word_set = frozenset(alias_words)
        self.vocab_words = sorted(w for w in vocab if len(w) >= 4)
        self.topic_stems = {t.id: _stand_in(self, t) for t in corpus.topics.values()}
        self.name_stems = name_stems(corpus.topics.values())
        self.alias_stems = {s for k in self.aliases for s in k}
        self.known_stems = set(self.postings) | self.alias_stems
        known = self.known_stems.__contains__
        self.outside = uncovered_subjects(corpus.subjects, known)
        self.expansions = expansions_of(corpus)

    @functools.cached_property
    def concepts(self) -> Concepts:
        """Built on the first question that needs them: a topic request starts no slower."""
        return Concepts(self.corpus.topics.values(), self.expansions, self.aliases.keys())

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_vector"] = None  # numpy arrays are rebuilt, not pickled
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._vector = _vector_scorer(self)

    def said(self, term: str) -> bool:
        """Whether some tip's text holds `term` (not only its search words)."""
        return term in self.postings and term not in self.search_only

    # -- reading a request -------------------------------------------------------------

    def _correct(self, word: str) -> str | None:
        """The known word `word` is a typo of, or None.

        Topic names are corrected eagerly (one edit from 4 letters, two from 8, keeping the
        first letter: "alertmanager" is not "certmanager"); ordinary words only from 7
        letters, with one edit: "bake" must not become "base".
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
            if best is not None and (best[1] < 2 or str(best[0])[:1] == word[:1]):
                return str(best[0])
        return None

    def understand(self, query: str) -> Understanding:
        text = normalize(query)
        u = Understanding(text=text)
        toks: list[str] = []  # raw words, typos corrected, joined words split
        for w in words(text):
            # A concept word is no typo to correct ("starving" is not "starting").
            familiar = _familiar(self, w)
            if w not in STOPWORDS and not familiar and "-" not in w:
                split = split_joined(self, w)
                fixed = None if split else self._correct(w)
                if split is None and fixed is None:
                    split = split_joined(self, w, loose=True)
                if split is not None:
                    u.corrections[w] = " ".join(split)
                    toks.extend(split)
                    continue
                if fixed is not None and fixed != w:
                    u.corrections[w] = fixed
                    w = fixed
            toks.append(w)
        stems = [stem(p) for w in toks for p in w.replace("-", " ").split()]
        raw = [p for w in toks for p in w.replace("-", " ").split()]
        covered = [False] * len(stems)
        named_at: list[range] = []  # the positions of each alias in `u.spans`
        i = 0
        while i < len(stems):
            for n in range(min(MAX_ALIAS_WORDS, len(stems) - i), 0, -1):
                key = tuple(stems[i : i + n])
                if n == 2 and key not in self.aliases:
                    # Two words of a name typed as one: "config map" for "configmap".
                    key = (stem(raw[i] + raw[i + 1]),)
                # An everyday word names a topic only as itself: "live" is not "liveness".
                vague = n == 1 and raw[i] in EVERYDAY and raw[i] not in self.alias_word_set
                if (
                    key in self.aliases
                    and not vague
                    and not all(r in STOPWORDS for r in raw[i : i + n])
                ):
                    name_topics(u, self.aliases[key], range(i, i + n), named_at)
                    named = parts_named(self, key, raw[i : i + n])
                    u.subtopics.extend(named)
                    if not any(self.said(st) for st in key):
                        # "passwords" names the topic but no tip says it: rank by the
                        # words the topic's tips do use ("secret"), or the part's ("sa":
                        # "service account").
                        said = [s for part, _ in named for s in part if self.said(s)]
                        for topic in self.aliases[key][:1]:
                            u.topic_terms.extend(said or self.topic_stems.get(topic, ()))
                    for j in range(i, i + n):
                        covered[j] = True
                    i += n
                    break
            else:
                i += 1
        by_concept = _read_concepts(self, u, raw, covered, named_at)
        known_w = total_w = 0.0
        content = 0
        uncovered = 0
        for pos, (s, r, cov) in enumerate(zip(stems, raw, covered, strict=True)):
            if r in STOPWORDS:
                continue
            content += 1
            known = [s] if s in self.postings else []
            known += foreign_known(self, r)
            u.terms.extend(known)
            if r in EVERYDAY:
                u.everyday_terms.update(known)
            if cov:
                known_w += self.max_idf
                total_w += self.max_idf
                continue
            uncovered += 1
            if pos in by_concept:  # a word of a recognised concept is understood
                known_w, total_w = known_w + self.max_idf, total_w + self.max_idf
            elif known:
                w_ = max(self.idf[t] for t in known)
                in_text = not self.search_only.issuperset(known)
                known_w += w_ if in_text else SEARCH_WORD_SHARE * w_
                total_w += w_
            else:
                u.unknown.append(r)  # its expansions, if any, stand in for it (`query_terms`)
                synonym = synonym_idf(self, s)  # "reboot" is half understood as "restart"
                known_w += SYNONYM_SHARE * synonym
                total_w += synonym or self.max_idf * unknown_weight(
                    r, self.concepts.stems if u.concepts else ()
                )
        u.topic_only = bool(u.topics) and uncovered == 0
        u.coverage = known_w / total_w if total_w else 0.0
        if not u.topic_only and (outside := subject_named(self.outside, stems)):
            u.outside, u.coverage = outside, 0.0  # "how do i back up etcd": not our subject
        return u

    # -- ranking ----------------------------------------------------------------------

    def _bm25(self, weighted_terms: dict[str, float], words: bool = True) -> dict[int, float]:
        """BM25 over the tips' text and, unless `words` is False (a topic request), their
        search words: those count SEARCH_WORD_TF, a fraction, and `int` drops it."""
        scores: dict[int, float] = defaultdict(float)
        for t, qw in weighted_terms.items():
            span = self.postings.get(t)
            if not span:
                continue
            idf = (self.idf if words else self.text_idf).get(t, 0.0) * qw
            a, b = span
            for doc, tf in zip(self.post_docs[a:b], self.post_tfs[a:b], strict=True):
                if not words and not (tf := int(tf)):
                    continue
                norm = BM25_K1 * (1 - BM25_B + BM25_B * self.doc_len[doc] / self.avgdl)
                scores[doc] += idf * tf * (BM25_K1 + 1) / (tf + norm)
        return scores

    def search(self, query: str, limit: int = 5) -> tuple[list[Hit], Understanding]:
        u = self.understand(query)
        if u.empty or (not u.topic_only and u.coverage < MIN_COVERAGE):
            return [], u
        focused = u.topic_only and bool(u.subtopics)
        if not u.topic_only:  # a question: its best tips are looked at again (`answer_rank`)
            from bot.core.answer_rank import rerank  # not imported for a topic request

            hits = self.rank(u, query_terms(self, u), max(limit, RERANK_POOL))
            return rerank(self, hits, u, limit), u
        wanted = max(limit, FOCUS_CANDIDATES) if focused else limit
        hits = self.rank(u, query_terms(self, u), wanted)
        if not focused:
            return hits, u
        from bot.core.topic_pool import refocus

        return refocus(self, hits, u, limit), u

    def rank(self, u: Understanding, weighted: dict[str, float], limit: int) -> list[Hit]:
        """Tips ranked by BM25 over `weighted` plus how central the request's topics are."""
        if self._vector is not None:
            return self._vector.search(u, weighted, limit)
        text_scores = self._bm25(weighted, words=not u.topic_only)
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
            # A free-text answer must share a meaningful word with the question, or be about a
            # topic the question describes.
            combined = {
                d: s for d, s in combined.items() if d in text_scores or d in described(self, u)
            }
        ranked = sorted(combined.items(), key=lambda x: (-x[1], x[0]))[: max(limit, 0)]
        return [Hit(self.tips[d], round(s, 4)) for d, s in ranked]

    def suggest(self, query: str, n: int = 3) -> list[str]:
        """Topics whose names look like a word of the request, for "did you mean …"."""
        from bot.core.topic_suggest import suggest_topics

        return suggest_topics(self, query, n)


def _stand_in(index: SearchIndex, topic: Topic) -> list[str]:
    """Tip words that stand in for the topic's name: its first keyword's, keeping only the
    words of its names when there are some ("in a certain namespace" -> "namespace", not
    "certain")."""
    stems = [s for k in topic.keywords[:1] for s in phrase_key(k) if index.said(s)]
    names = {s for p in (topic.id, topic.title, *topic.aliases) for s in phrase_key(p)}
    return [s for s in stems if s in names] or stems


def query_terms(index: SearchIndex, u: Understanding) -> dict[str, float]:
    """The weighted stems a request is ranked by: its own words, the words standing in
    for the topics it names or describes, and the expansions of its words."""
    weighted: dict[str, float] = {}
    for t in u.terms + u.topic_terms:
        weight = CONCEPT_IDIOM_WEIGHT if t in u.idiom_terms else 1.0
        if t in u.everyday_terms:  # "bad" in "a bad deploy" is not the "bad actor" tip
            weight = min(weight, EVERYDAY_WEIGHT)
        weighted[t] = weighted.get(t, 0.0) + weight
    if not u.topic_only:
        for t in list(weighted):
            for e in index.expansions.get(t, ()):
                if e not in weighted:
                    weighted[e] = EXPANSION_WEIGHT
        # A word the corpus lacks may still have known synonyms.
        for w in u.unknown + u.concept_words:
            for e in index.expansions.get(stem(w), index.expansions.get(concept_word(w), ())):
                weighted.setdefault(e, EXPANSION_WEIGHT)
        for topic, strength in u.concepts.items():
            for t in index.topic_stems.get(topic, ()):
                weighted.setdefault(t, CONCEPT_TERM_WEIGHT * strength)
    return weighted


def described(index: SearchIndex, u: Understanding) -> set[int]:
    """Tips whose subject is a topic the request's concepts describe."""
    return {d for t in u.concepts for d, w in index.topic_postings.get(t, ()) if w >= 1.0}


def _familiar(index: SearchIndex, w: str) -> bool:
    """Whether a word is known: everyday English, to the corpus, a topic name, or a concept
    ("starving" is no typo of "starting")."""
    return (
        w in EVERYDAY  # "gets" is not a typo of "sets"
        or stem(w) in index.known_stems
        or bool(foreign_known(index, w))
        or concept_word(w) in index.concepts.stems
    )


def _read_concepts(
    index: SearchIndex, u: Understanding, raw: list[str], covered: list[bool], named_at: list[range]
) -> set[int]:
    """Record in `u` the topics the request's concepts describe; the positions they used.
    A topic request is answered by the topic it names: concepts are for questions."""
    if u.topics and all(c or r in STOPWORDS for r, c in zip(raw, covered, strict=True)):
        return set()
    found = index.concepts.match(raw)
    u.concepts, u.idiom_terms = found.strength, found.idiom_terms
    drop_passing_names(u, named_at, found.idioms)
    # Words only the taxonomy knows ("netpol", "starving"): their expansions may name tip words.
    u.concept_words = [
        r
        for i, r in enumerate(raw)
        if (covered[i] or i in found.used)
        and r not in STOPWORDS
        and stem(r) not in index.postings
        and not foreign_known(index, r)
    ]
    return found.used


def foreign_known(index: SearchIndex, word: str) -> list[str]:
    """The index terms `word` has in the corpus's other languages (none for English-only)."""
    found: list[str] = []
    for language in index.languages:
        term = foreign_term(word, language)
        if term in index.postings and term not in found:
            found.append(term)
    return found


def split_joined(index: SearchIndex, word: str, loose: bool = False) -> tuple[str, str] | None:
    """Two words `word` joins ("helmchart" -> "helm", "chart"), or None.

    One part is a topic name on its own ("typescript" is not "type" + "script"). Best a
    pair that names a topic ("helm", "chart"), then two words the index knows; when
    `loose` (asked after typo correction failed, so "hlemchart" is read as a typo of
    "helmchart" first), the other part may be any word of four letters or more ("node" +
    "pool"): a request that is half unknown still has to pass the coverage check. Each
    part has three letters or more, so "helmet" is not "helm" + "et".
    """
    best: tuple[int, int, str, str] | None = None
    for k in range(3, len(word) - 2):
        a, b = word[:k], word[k:]
        sa, sb = stem(a), stem(b)
        if (sa, sb) in index.aliases:
            rank = 0
        elif (sa,) not in index.aliases and (sb,) not in index.aliases:
            # "typescript" is not "type" + "script", nor "alertmanager" "alert" + "manager":
            # one part must be a topic's name on its own ("node" of "nodepool").
            continue
        elif sa in index.known_stems and sb in index.known_stems:
            rank = 1
        elif loose and min(len(a), len(b)) >= 4:
            rank = 2
        else:
            continue
        candidate = (rank, -min(len(a), len(b)), a, b)  # then the most even split
        if best is None or candidate < best:
            best = candidate
    return None if best is None else (best[2], best[3])


def parts_named(index: SearchIndex, key: tuple[str, ...], raw: list[str]) -> list[Part]:
    """The part of its topic alias `key` names, if it names one ("role binding" of rbac)."""
    head = index.corpus.topics[index.aliases[key][0]]
    part = named_part(key, raw, head, partial(narrows, index), Said(index.said))
    return [part] if part is not None else []


def narrows(index: SearchIndex, s: str, topic: str) -> bool:
    """Whether stem `s` narrows `topic` down: not its own name, not in most tips."""
    # in more than COMMON_SHARE of the tips' text: as rare as that or less (idf falls with df)
    common = index.text_idf.get(s, math.inf) < bm25_idf(n := len(index.tips), COMMON_SHARE * n)
    return s not in index.name_stems.get(topic, set()) and not common


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
    for topic, strength in u.concepts.items():
        factors[topic] = max(factors.get(topic, 0.0), CONCEPT_TOPIC_WEIGHT * strength)
    return factors


def _vector_scorer(index: SearchIndex) -> VectorScorer | None:
    """numpy's ranking for a large corpus when numpy is installed (`k8stip[fast]`), else none:
    the loop ranks the same."""
    if len(index.tips) < VECTOR_THRESHOLD:
        return None
    if not numpy_installed():
        warn_without_numpy(len(index.tips))
        return None
    from bot.core.vector_rank import VectorScorer

    return VectorScorer(index)


def best_matches(
    hits: Sequence[Hit], ratio: float = 0.85, cap: int = 8, subjects: Collection[str] = ()
) -> list[Hit]:
    """The hits close to the top score: the pool a random tip is drawn from.

    When the best hit of a topic request says the part of the topic the request names
    ("role binding"), only the hits that say it are drawn from: a tip that merely mentions
    roles is not drawn for "role binding", nor a KEDA tip for "hpa". Of those, the tips whose
    subject (first topic) is one of `subjects`, the topics requested, when there are some: a
    tip about Istio that points to the mTLS docs is not drawn for "mutual tls". Of those, the
    ones saying the part nearly as much as the one saying it most (`PART_RATIO`): "roles"
    does not draw the tip mentioning roles once in passing.
    """
    if not hits:
        return []
    focused = hits[0].focus >= 1.0
    pool = [h for h in hits if h.focus >= 1.0] if focused else list(hits)
    if subjects:
        pool = [h for h in pool if h.tip.topics and h.tip.topics[0] in subjects] or pool
    if focused:
        most = max(h.said for h in pool)
        pool = [h for h in pool if h.said >= PART_RATIO * most]
    floor = pool[0].score * ratio
    return [h for h in pool if h.score >= floor][:cap]
