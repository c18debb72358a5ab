"""Names typed as one word or as two ("helmchart", "config map") and "did you mean" order."""

from __future__ import annotations

import random

import pytest

from tests.core_support import engine

# (joined, split, topic): each request must be understood both ways.
JOINED_AND_SPLIT = [
    ("helmchart", "helm chart", "helm"),
    ("configmap", "config map", "configmaps"),
    ("rolebinding", "role binding", "rbac"),
    ("statefulset", "stateful set", "statefulsets"),
    ("livenessprobe", "liveness probe", "probes"),
    ("nodepool", "node pool", "scheduling"),
]
FORMS = [(form, topic) for joined, split, topic in JOINED_AND_SPLIT for form in (joined, split)]


@pytest.mark.parametrize(("query", "topic"), FORMS)
def test_a_name_joined_or_split_finds_its_topic(query: str, topic: str) -> None:
    """`tip helmchart` and `search "config map"` answer with a tip whose subject is the topic."""
    e = engine()
    result = e.search(query)
    assert result.hits, f"{query!r} found nothing"
    assert topic in result.understanding.topics
    assert result.hits[0].tip.topics[0] == topic
    answer = e.tip(query, rng=random.Random(5))
    assert answer.tip is not None and topic in answer.tip.topics


@pytest.mark.parametrize(("joined", "split", "topic"), JOINED_AND_SPLIT)
def test_joined_and_split_forms_mean_the_same(joined: str, split: str, topic: str) -> None:
    """Both spellings are read alike: the same topics, and each one's first tip is among the
    other's first five (the words of the split form may also rank tips that use them)."""
    e = engine()
    one, two = e.search(joined), e.search(split)
    assert one.understanding.topics == two.understanding.topics
    assert one.understanding.topic_only == two.understanding.topic_only
    assert one.hits[0].tip.id in {h.tip.id for h in two.hits}
    assert two.hits[0].tip.id in {h.tip.id for h in one.hits}


def test_an_unknown_word_is_read_as_the_two_words_it_joins() -> None:
    """A word like "nodepool" names no topic but joins "node" and "pool": the split is recorded."""
    u = engine().index.understand("nodepool")
    assert u.corrections == {"nodepool": "node pool"}
    assert "scheduling" in u.topics


def test_a_typo_of_a_joined_name_is_corrected_not_split() -> None:
    """The word "hlemchart" is a typo of "helmchart", not "hlem" + "chart"."""
    u = engine().index.understand("hlemchart")
    assert u.corrections == {"hlemchart": "helmchart"}
    assert u.topics == ["helm"] and u.topic_only


@pytest.mark.parametrize("query", ["podcast", "typescript", "helmet", "cookbook", "podman"])
def test_words_that_only_look_joined_still_find_nothing(query: str) -> None:
    """A split needs a topic word and parts of three letters or more: "helmet" is not "helm"
    + "et", "typescript" is not "type" + "script" (neither names a topic)."""
    e = engine()
    assert e.search(query).hits == []
    assert e.tip(query, rng=random.Random(0)).tip is None


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("xyzhelmchartabc", "helm"),
        ("zzstatefulsetzz", "statefulsets"),
        ("hlemchrat", "helm"),
        ("cofnigmap", "configmaps"),
        ("ingres-nginx", "ingress"),
        ("stateful-sett", "statefulsets"),
    ],
)
def test_did_you_mean_puts_the_closest_topic_first(query: str, first: str) -> None:
    """Suggestions are ranked by how close a topic's name is, not the fallback list (pods,
    secrets, rbac, probes, helm)."""
    assert engine().index.suggest(query)[:1] == [first]


def test_nothing_found_suggests_the_topic_named_inside_the_word() -> None:
    """A request that finds nothing but holds a topic's name offers that topic first."""
    result = engine().search("xyzhelmchartabc")
    assert result.hits == []
    assert result.suggestions[0] == "helm"
    assert "Did you mean: helm" in result.message
