"""The terms a quiz may hide, read from the topic taxonomy, and the choices each topic offers.

`bot.core.quiz` explains the rules; this module holds what they are read from: which names
and aliases of `topics.yaml` are quiz terms, which are everyday words (`GENERIC_TERMS`), and
each topic's labels with the shape a choice must share with the hidden term (words, number).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.corpus import Corpus, Topic
from bot.core.textnorm import stem

_TOKEN_RE = re.compile(r"[^\W_]+")
SINGLE, PLURAL, NAME = "one", "many", "name"

# Everyday words that are also names: hiding them makes a trivial question ("a ______ in a
# Pod") or an unfair one ("When ______ an application": monitoring? troubleshooting?).
GENERIC_TERMS = frozenset(
    """container containers config configuration port ports network networks node nodes image
    images error errors failure failures log logs function functions role roles resource
    resources memory cpu capacity priority schedule scheduler events metric metrics monitor
    insights volume volumes disk disks chart charts patch mesh stateful limits quota quotas
    registry immutable debug debugging broken secure securing hardening harden audit auditing
    authentication authorization credentials password passwords certificate certificates
    tenant tenants scale replicas deploy deploys permissions tracing observability operator
    operators database databases dashboards failure troubleshoot canary sidecar sidecars
    stdout stderr security storage networking monitoring logging scheduling troubleshooting
    serverless scaling autoscaling architecture""".split()
) | frozenset(
    p.strip()
    for p in """access control, app config, command line, common errors, crash loop, environment
    config, health check, health checks, k8s secrets, k8s service, kube control, kube cuddle,
    kubernetes components, kubernetes namespace, kubernetes secrets, kubernetes service, not
    working, requests and limits, scale down, scale up""".replace("\n", " ").split(",")
)


def phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _TOKEN_RE.findall(phrase))


def stems_of(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(stem(w) for w in words)


def squash(words: Iterable[str]) -> str:
    return "".join(words)


@dataclass(frozen=True)
class Label:
    """A candidate term a topic offers as a choice, with the shape it must share."""

    text: str
    topic: str
    words: int
    number: str  # SINGLE | PLURAL | NAME
    stems: tuple[str, ...]
    key: str  # its letters and digits, lowercase: "configmap", "servicemesh"


def clean_title(title: str) -> bool:
    """A title that names ("Helm", "Service mesh"), not one that describes ("Requests and
    limits", "Custom resources (CRDs)")."""
    return bool(title) and not re.search(r"[()/&,]| and ", title) and len(phrase_words(title)) <= 3


def number_of(phrase: str, names: set[str]) -> str:
    """Singular, plural or a name: "secret" is singular because the topic also lists
    "secrets"; a phrase without such a pair is plural when its last word ends in -s."""
    low = " ".join(phrase_words(phrase))
    if low.endswith("s") and (low[:-1] in names or low[:-2] in names):
        return PLURAL
    if f"{low}s" in names or f"{low}es" in names:
        return SINGLE
    last = low.split(" ")[-1] if low else ""
    if " " in low:
        return PLURAL if last.endswith("s") and not last.endswith(("ss", "us", "is")) else SINGLE
    return NAME


def make_label(text: str, topic: str, number: str) -> Label:
    words = phrase_words(text)
    return Label(text, topic, len(words), number, stems_of(words), squash(words))


class TermIndex:
    """The terms a taxonomy lets a quiz hide, and the labels each topic offers as choices."""

    def __init__(self, topics: dict[str, Topic]) -> None:
        self.topics = topics
        self.generic = {" ".join(phrase_words(p)) for p in GENERIC_TERMS}
        # lowercase word tuple -> topic ids it names (title holders first)
        self.terms: dict[tuple[str, ...], list[str]] = {}
        self.names: dict[str, set[str]] = {}  # topic -> every name, alias, keyword (lowercase)
        self.alias_keys: dict[str, set[tuple[str, ...]]] = {}  # topic -> stem tuples of names
        self.specific: dict[str, set[tuple[str, ...]]] = {}  # topic -> quizzable word tuples
        self.labels: dict[str, list[Label]] = {}
        self.mentions: dict[str, set[tuple[str, ...]]] = {}  # topic -> stems of every name
        for topic in topics.values():
            self._add(topic)
        # A label's stems -> every topic naming it, keywords included ("key vault": secrets
        # and azure; "audit logs": logging, and security's "audit logging").
        self.namers: dict[tuple[str, ...], set[str]] = {}
        for topic_id, keys in self.mentions.items():
            for key in keys:
                self.namers.setdefault(key, set()).add(topic_id)
        self.first_words = {words[0] for words in self.terms}
        self.longest = max((len(words) for words in self.terms), default=0)
        self.longest_mention = max((len(k) for m in self.mentions.values() for k in m), default=0)

    def _add(self, topic: Topic) -> None:
        title_words = phrase_words(topic.title)
        names = {" ".join(phrase_words(p)) for p in (topic.id, topic.title, *topic.aliases)}
        self.names[topic.id] = names | {" ".join(phrase_words(k)) for k in topic.keywords}
        self.alias_keys[topic.id] = {stems_of(n.split()) for n in names if n}
        self.mentions[topic.id] = {stems_of(n.split()) for n in self.names[topic.id] if n}
        own: list[tuple[str, ...]] = []
        labels: list[Label] = []
        if clean_title(topic.title) and " ".join(title_words) not in self.generic:
            own.append(title_words)
            labels.append(make_label(topic.title, topic.id, number_of(topic.title, names)))
            low = " ".join(title_words)
            for cut in (1, 2):  # "ConfigMaps" -> "ConfigMap", "Ingresses" -> "Ingress"
                if len(title_words) == 1 and low[:-cut] in names and low.endswith("s"):
                    singular = topic.title[:-cut]
                    own.append(phrase_words(singular))
                    labels.append(make_label(singular, topic.id, SINGLE))
                    break
        for alias in topic.aliases:
            words = phrase_words(alias)
            if not words or " ".join(words) in self.generic or words in own:
                continue
            # One word only with a singular/plural pair ("rolebinding"): a one-word name
            # ("envoy", "dns") has no peers of its kind among the titles to stand beside.
            if len(words) > 1 or (len(words[0]) >= 3 and number_of(alias, names) != NAME):
                own.append(words)
            if len(words) > 1 and len(words) <= 3:
                labels.append(make_label(alias, topic.id, number_of(alias, names)))
        self.specific[topic.id] = set(own)
        self.labels[topic.id] = labels
        for words in own:
            holders = self.terms.setdefault(words, [])
            if topic.id not in holders:
                holders.insert(0 if words == title_words else len(holders), topic.id)


@functools.lru_cache(maxsize=8)
def _index_for(key: tuple[tuple[str, Topic], ...]) -> TermIndex:
    return TermIndex(dict(key))


def term_index(corpus: Corpus) -> TermIndex:
    """The corpus's `TermIndex`, built once per taxonomy."""
    return _index_for(tuple(corpus.topics.items()))
