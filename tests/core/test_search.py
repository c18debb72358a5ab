"""Reading a request (topics, aliases, typos) and answering it with tips that really fit."""

from __future__ import annotations

import random

import pytest

from bot.core.corpus import Corpus, Source, Tip, Topic
from bot.core.engine import Engine
from bot.core.textnorm import normalize, phrase_key, stem, words
from tests.core_support import engine

ALIASES = {
    "cm": "configmaps",
    "svc": "services",
    "sts": "statefulsets",
    "rs": "replicasets",
    "hpa": "scaling",
    "pvc": "storage",
    "ns": "namespaces",
}
TYPOS = {
    "secert": "secrets",
    "statefulsetts": "statefulsets",
    "helm chart": "helm",
    "configmaps": "configmaps",
    "autoscaler": "scaling",
    "cluster role binding": "rbac",
    "Secrets": "secrets",
    "  SECRETS!!  ": "secrets",
    "role based access control": "rbac",
    "horizontal pod autoscaler": "scaling",
    "mutual tls": "mtls",
}
OUT_OF_CORPUS = ("ansible playbook loops", "java garbage collection")


def _tip_id(e: Engine, query: str, seed: int) -> str:
    tip = e.tip(query, rng=random.Random(seed)).tip
    assert tip is not None, query
    return tip.id


def _mentions(text: str, topic: Topic) -> bool:
    """Whether `text` names the topic (its id, title, an alias or a keyword), stem by stem."""
    tokens = [stem(p) for w in words(normalize(text, 100_000)) for p in w.replace("-", " ").split()]
    for name in (topic.id, topic.title, *topic.aliases, *topic.keywords):
        key = phrase_key(name)
        n = len(key)
        if key and any(tuple(tokens[i : i + n]) == key for i in range(len(tokens) - n + 1)):
            return True
    return False


def _topics_with_tips() -> list[str]:
    counts = engine().corpus.topic_counts()
    return [t for t, n in counts.items() if n > 0]


@pytest.mark.parametrize("topic", _topics_with_tips())
def test_topic_name_gives_a_tip_of_that_topic(topic: str) -> None:
    """`tip <topic id>` returns a tip tagged with that topic, and search ranks one first."""
    e = engine()
    answer = e.tip(topic, rng=random.Random(0))
    assert answer.tip is not None, answer.message
    assert topic in answer.tip.topics
    assert topic in answer.topics
    hits = e.search(topic).hits
    assert hits and topic in hits[0].tip.topics


@pytest.mark.parametrize("topic", ["secrets", "rbac", "helm", "statefulsets", "keda", "istio"])
def test_topic_title_gives_a_tip_of_that_topic(topic: str) -> None:
    """The topic's title as shown in chat (e.g. "StatefulSets") is understood as the topic."""
    e = engine()
    title = e.corpus.topic_title(topic)
    answer = e.tip(title, rng=random.Random(1))
    assert answer.tip is not None and topic in answer.tip.topics


@pytest.mark.parametrize(("alias", "topic"), ALIASES.items())
def test_kubectl_short_names_are_topics(alias: str, topic: str) -> None:
    """kubectl short names (cm, svc, sts, rs, hpa, pvc, ns) answer with a tip of their topic."""
    e = engine()
    answer = e.tip(alias, rng=random.Random(2))
    assert answer.topics == [topic]
    assert answer.tip is not None and topic in answer.tip.topics
    hits = e.search(alias).hits
    on_topic = [topic in h.tip.topics for h in hits]
    assert on_topic[0] and on_topic == sorted(on_topic, reverse=True), "topic tips come first"
    for hit in hits:
        assert topic in hit.tip.topics or _mentions(hit.tip.text, e.corpus.topics[topic]), (
            f"{alias!r} found {hit.tip.id}, which neither carries nor names {topic}"
        )


@pytest.mark.parametrize(("query", "topic"), TYPOS.items())
def test_typos_and_variants_find_the_topic(query: str, topic: str) -> None:
    """Typos, plurals, spelled-out and multi-word names ("cluster role binding") find the topic."""
    e = engine()
    answer = e.tip(query, rng=random.Random(3))
    assert topic in answer.topics
    assert answer.tip is not None and topic in answer.tip.topics
    hits = e.search(query).hits
    assert hits and hits[0].tip.topics[0] == topic


def test_typo_is_corrected_to_the_topic_word() -> None:
    """The engine records the correction it made ("secert" -> "secret" or "secrets")."""
    u = engine().index.understand("secert")
    assert u.corrections["secert"] in ("secret", "secrets")
    assert u.topics == ["secrets"] and u.topic_only


@pytest.mark.parametrize("query", OUT_OF_CORPUS)
def test_out_of_corpus_gives_nothing_and_suggests_topics(query: str) -> None:
    """A request the corpus can't answer returns no tip and says "did you mean" with topics."""
    e = engine()
    result = e.search(query)
    assert result.hits == [] and result.cards == []
    assert "Did you mean" in result.message and query in result.message
    assert result.suggestions and set(result.suggestions) <= set(e.corpus.topics)
    assert all(s in result.message for s in result.suggestions)
    answer = e.tip(query, rng=random.Random(0))
    assert answer.tip is None and answer.card is None
    assert "Did you mean" in answer.message
    assert answer.suggestions and set(answer.suggestions) <= set(e.corpus.topics)


def test_empty_request_search_says_what_to_try() -> None:
    """Searching for nothing returns no hits and a message suggesting topics."""
    result = engine().search("   ")
    assert result.hits == []
    assert "Try a topic" in result.message and result.suggestions


def test_empty_tip_request_gives_a_random_tip() -> None:
    """`tip` with no query returns a random tip; different seeds give different tips."""
    e = engine()
    ids = {_tip_id(e, "", seed) for seed in range(10)}
    assert len(ids) > 3
    assert ids <= set(e.corpus.by_id)


def test_repeated_topic_requests_vary_and_stay_on_topic() -> None:
    """Asking `tip secrets` again and again shows several different tips, all about secrets."""
    e = engine()
    seen = []
    for seed in range(20):
        answer = e.tip("secrets", rng=random.Random(seed))
        assert answer.tip is not None and "secrets" in answer.tip.topics
        seen.append(answer.tip.id)
    assert len(set(seen)) > 1
    # Draws come from the secrets tips mainly about secrets, not from tips merely mentioning it.
    assert all(e.corpus.by_id[i].topics[0] == "secrets" for i in seen)


def test_same_seed_gives_the_same_tip() -> None:
    """The random source is injected: the same seed gives the same tip."""
    e = engine()
    first = e.tip("rbac", rng=random.Random(42)).tip
    assert first is not None
    assert e.tip("rbac", rng=random.Random(42)).tip == first


def test_exclude_avoids_recent_tips() -> None:
    """`exclude` (tips a channel saw recently) is avoided while other good tips remain."""
    e = engine()
    pool = {_tip_id(e, "secrets", seed) for seed in range(40)}
    keep = sorted(pool)[0]
    exclude = pool - {keep}
    for seed in range(10):
        answer = e.tip("secrets", rng=random.Random(seed), exclude=exclude)
        assert answer.tip is not None and answer.tip.id == keep


def test_exclude_everything_still_answers() -> None:
    """When every good tip was seen recently, a tip of the topic is still returned."""
    e = engine()
    everything = set(e.corpus.by_id)
    answer = e.tip("secrets", rng=random.Random(0), exclude=everything)
    assert answer.tip is not None and "secrets" in answer.tip.topics
    random_tip = e.tip("", rng=random.Random(0), exclude=everything - {"hka-c01-216abf"})
    assert random_tip.tip is not None and random_tip.tip.id == "hka-c01-216abf"


@pytest.mark.parametrize(
    ("query", "expected_start"),
    [
        ("pods get no requests from their service", "This is how connections such as Service"),
        ("scale a deployment to zero pods", "KEDA is a custom autoscaler"),
        ("is base64 encoding secure", "Base64 encoding isn’t secure"),
        ("how long are events kept", "Note: Kubernetes maintains events for only 1 hour"),
        ("logs are your friends", "The following points summarize some of the common errors"),
    ],
)
def test_plain_questions_find_the_answering_tip(query: str, expected_start: str) -> None:
    """A question in plain words has the tip that answers it among the top 3 results."""
    hits = engine().search(query, limit=3).hits
    assert any(h.tip.text.startswith(expected_start) for h in hits), [h.tip.id for h in hits]


def test_search_is_ranked_and_limited() -> None:
    """Results come best first, at most `limit` of them, each with a card for the tip."""
    e = engine()
    for limit in (1, 3, 10):
        result = e.search("secrets", limit=limit)
        scores = [h.score for h in result.hits]
        assert 1 <= len(scores) <= limit
        assert scores == sorted(scores, reverse=True)
        assert [c.tip_id for c in result.cards] == [h.tip.id for h in result.hits]
    assert e.search("secrets", limit=0).hits == []


def test_resolve_topics_reads_names_aliases_and_typos() -> None:
    """resolve_topics maps names, aliases and typos to topic ids and returns the rest unknown."""
    found, unknown = engine().resolve_topics(["cm", "secert", "cluster role binding", "bananas"])
    assert found == ["configmaps", "secrets", "rbac"]
    assert unknown == ["bananas"]


def test_topics_lists_every_topic_with_its_count() -> None:
    """topics() lists each taxonomy topic with title, description and how many tips carry it."""
    e = engine()
    rows = e.topics()
    assert [r["id"] for r in rows] == list(e.corpus.topics)
    for row in rows:
        assert row["title"] and row["description"]
        assert row["count"] == sum(row["id"] in t.topics for t in e.corpus.tips)
    assert {r["id"]: r["count"] for r in rows}["secrets"] >= 5


def test_card_names_source_chapter_and_topic_titles() -> None:
    """A tip card cites the book title and "Ch. N Title", and shows topic titles."""
    e = engine()
    tip = e.corpus.by_id["hka-c01-216abf"]
    card = e.card(tip, 0.5)
    assert card.source == "Hands-On Kubernetes on Azure, 2nd ed."
    assert card.chapter == "Ch. 1 Introduction to Docker and Kubernetes"
    assert card.topics == tip.topics and "pods" in tip.topics
    assert card.topic_titles == tuple(e.corpus.topic_title(t) for t in tip.topics)
    assert "Pods" in card.topic_titles
    assert card.score == 0.5


def test_a_tiny_corpus_of_its_own() -> None:
    """The engine works on any corpus: a two-tip corpus answers its topic and nothing else."""
    topics = {
        "widgets": Topic("widgets", "Widgets", "Things.", aliases=("widget", "wdg")),
        "gadgets": Topic("gadgets", "Gadgets", "Other things.", aliases=("gadget",)),
    }
    tips = [
        Tip("w-1", "Widgets spin clockwise.", "s", ("widgets",)),
        Tip("g-1", "Gadgets hum quietly.", "s", ("gadgets",)),
    ]
    e = Engine(Corpus(tips=tips, sources={"s": Source("s", "Shop manual")}, topics=topics))
    assert e.tip("wdg", rng=random.Random(0)).tip == tips[0]
    assert e.tip("gadgts", rng=random.Random(0)).tip == tips[1]
    assert e.search("java garbage collection").hits == []
    empty = Engine(Corpus(topics=topics))
    assert empty.tip("").tip is None and empty.tip("widgets").tip is None
    assert empty.search("widgets").hits == []


def test_did_you_mean_names_topics_that_look_like_a_word_of_the_request() -> None:
    """Suggestions come from words that resemble a topic name, not from a loose match of the
    whole request: "ansible playbook loops" resembles no topic, "secretz managment" does."""
    e = engine()
    assert e.index.suggest("ansible playbook loops") == []
    assert e.index.suggest("secretz managment")[:1] == ["secrets"]
    assert "ingress" in e.index.suggest("ingresss rulez")
