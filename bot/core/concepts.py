"""Topic concepts: what a topic is about, in the words people use for it.

A taxonomy's topic may list `concepts`, plain phrasings of what it is about and of the problems
it solves ("one app starves the others", "noisy neighbour"). A question holding every content
word of one phrasing, in any order, is about the topic, though it names none of the topic's
aliases and shares no word with its tips. A phrasing of three content words or more also
matches with one of them missing ("keep passwords out of the image" is met by "keep api
passwords out of my container"), at half the strength: people rarely say a phrasing word for
word. Then one of the words it does say must be telling, used by no other topic's phrasings
("password", not "app" or "traffic"); so must a phrasing met through a synonym. Words are
compared stemmed, without a possessive ("other's") or a leading number ("512Mi" is "mi"), and a
question's word also stands for the words the taxonomy's `expansions` give it ("reboot" ->
"restart"), so one phrasing covers its synonyms. A phrasing of one word that is a topic's name
("which node") is left to the name, and one of one everyday word ("people") is ignored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.corpus import Topic
from bot.core.everyday import EVERYDAY, EVERYDAY_WEIGHT
from bot.core.textnorm import STOPWORDS, normalize, stem, words

# A phrasing with this many content words or more matches with one of them missing, and
# counts this much per word it matched.
PARTIAL_FROM = 3
PARTIAL_WEIGHT = 0.5
# In a question whose concepts were recognised, a word no tip uses but the concepts do ("app",
# "keep") counts this much against its coverage: it is everyday talk about Kubernetes, no
# sign of another subject. "kafka" or "grafana" count in full.
CONCEPT_UNKNOWN_WEIGHT = 0.5


@dataclass
class ConceptMatch:
    """What the concepts made of a request's words."""

    strength: dict[str, float] = field(default_factory=dict)  # topic id -> 0..1, best first
    used: set[int] = field(default_factory=set)  # positions of the words a concept used
    # Stems of words read as part of a phrasing of several words ("power" in "lost power").
    idiom_terms: set[str] = field(default_factory=set)
    # Position -> the topics whose phrasing of several words, met in full, used the word there.
    idioms: dict[int, set[str]] = field(default_factory=dict)


class Concepts:
    """Every topic's phrasings, each as the set of its content stems."""

    def __init__(
        self,
        topics: Iterable[Topic],
        synonyms: Mapping[str, Sequence[str]] | None = None,
        names: Collection[tuple[str, ...]] = (),
    ) -> None:
        found = {
            (frozenset(concept_stems(phrase)), topic.id): None
            for topic in topics
            for phrase in topic.concepts
        }
        # A phrasing whose one word names a topic ("which node", "liveness") says nothing
        # the name does not: reading the name is enough, and it may name another topic.
        # So is one everyday word ("people", "safe"): alone it tells of no topic.
        vague = {(stem(w),) for w in EVERYDAY} | set(names)
        self.phrasings: list[tuple[frozenset[str], str]] = [
            k for k in found if k[0] and not (len(k[0]) == 1 and tuple(k[0]) in vague)
        ]
        self.stems = frozenset(s for key, _ in self.phrasings for s in key)
        # Stems only one topic's phrasings use ("password"), unlike "app" or "traffic".
        owners: dict[str, set[str]] = defaultdict(set)
        for key, topic in self.phrasings:
            for s in key:
                owners[s].add(topic)
        self.telling = frozenset(s for s, t in owners.items() if len(t) == 1)
        # Stem -> the concept stems it also stands for ("reboot" -> "restart").
        self.synonyms = {
            k: tuple(s for s in v if s in self.stems and s != k)
            for k, v in (synonyms or {}).items()
        }

    def match(self, raw: list[str]) -> ConceptMatch:
        """The topics a request's words (`raw`, split, typos corrected) describe.

        A topic's strength grows with the words its matched phrasings hold, relative to the
        best topic's."""
        m = ConceptMatch()
        if not self.phrasings:
            return m
        at: dict[str, list[int]] = defaultdict(list)
        said: set[str] = set()  # stems the request says, not only through a synonym
        for i, r in enumerate(raw):
            if r not in STOPWORDS:
                word = concept_word(r)
                said.add(word)
                for s in (word, *self.synonyms.get(word, ()), *self.synonyms.get(stem(r), ())):
                    if i not in at[s]:
                        at[s].append(i)
        strength: dict[str, float] = {}
        for key, topic in self.phrasings:
            present = key & at.keys()
            # A phrasing met only in part, or through a synonym, needs a telling word said
            # outright: "stop" is not "not ready", "container image" is no "container registry".
            loose = present != key or not present <= said
            if loose and not present & said & self.telling:
                continue
            if present == key:
                weight = float(len(key))
            elif len(key) >= PARTIAL_FROM and len(present) == len(key) - 1:
                weight = PARTIAL_WEIGHT * len(present)
            else:
                continue
            m.used.update(i for s in present for i in at[s])
            if len(key) > 1:  # "lost power": the idiom's words are not its meaning
                m.idiom_terms.update(stem(raw[i]) for s in present for i in at[s])
                for i in (i for s in present for i in at[s]) if present == key else ():
                    m.idioms.setdefault(i, set()).add(topic)
            strength[topic] = strength.get(topic, 0.0) + weight
        top = max(strength.values(), default=0.0)
        m.strength = {t: s / top for t, s in sorted(strength.items(), key=lambda x: -x[1])}
        return m


def concept_stems(phrase: str) -> list[str]:
    """The content stems of a phrasing ("one app starves the others" -> app, starv, others)."""
    parts = [p for w in words(normalize(phrase)) for p in w.split("-") if p]
    return [concept_word(p) for p in parts if p not in STOPWORDS]


def concept_word(word: str) -> str:
    """A word as concepts compare it: stemmed, without a possessive ("other's") or a leading
    number ("512mi" is "mi")."""
    for suffix in ("'s", "\u2019s", "'", "\u2019"):
        word = word.removesuffix(suffix)
    bare = word.lstrip("0123456789.,")
    return stem(bare if bare.isalpha() else word)


def unknown_weight(word: str, concept_stems: Collection[str]) -> float:
    """How much a word no tip uses counts against a question's coverage: little if it is
    everyday English ("quickly"), half if it is a word of the concepts recognised in the
    question (`concept_stems`: "app"), in full otherwise ("kafka")."""
    if word in EVERYDAY:
        return EVERYDAY_WEIGHT
    return CONCEPT_UNKNOWN_WEIGHT if concept_word(word) in concept_stems else 1.0
