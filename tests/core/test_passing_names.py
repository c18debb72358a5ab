"""Words that name a topic only in passing (bot/core/passing.py), and the concepts for a node
that went down and for data a stateful pod must keep (issue 11)."""

from __future__ import annotations

from bot.core.corpus import Corpus, Source, Tip, Topic
from bot.core.engine import Engine
from bot.core.passing import in_passing
from tests.core_support import engine


def _replica_corpus() -> Corpus:
    """ "replica" names the copies topic; "volume per replica" is what the stateful topic is
    for. The copies tip says "replica" most."""
    topics = {
        "copies": Topic("copies", "Copies", "Identical copies.", aliases=("replica", "replicas")),
        "stateful": Topic(
            "stateful",
            "Stateful",
            "Pods that keep their data.",
            aliases=("stateful",),
            concepts=("volume per replica",),
        ),
    }
    tips = [
        Tip(
            "copies-1",
            "A replica controller keeps identical pods running, replica after replica.",
            "s",
            ("copies",),
        ),
        Tip(
            "stateful-1",
            "A stateful workload gets its own persistent volume for each of its pods, "
            "kept when the pod moves.",
            "s",
            ("stateful",),
        ),
    ]
    return Corpus(tips=tips, sources={"s": Source("s", "M")}, topics=topics)


def test_an_alias_inside_another_topics_phrasing_does_not_name_its_topic() -> None:
    """ "a volume per replica" describes the stateful topic; its word "replica" no longer names
    the copies topic, so the stateful tip comes first. Without the rule the copies topic is
    named, and its tip, saying "replica" twice, wins."""
    e = Engine(_replica_corpus())
    result = e.search("give each broker of the queue a volume per replica")
    assert "copies" not in result.understanding.topics
    assert "stateful" in result.understanding.concepts
    assert result.hits[0].tip.id == "stateful-1"


def test_an_alias_said_on_its_own_still_names_its_topic() -> None:
    """Outside another topic's phrasing the alias names its topic as before."""
    e = Engine(_replica_corpus())
    result = e.search("how many replica pods are running")
    assert result.understanding.topics == ["copies"]
    assert result.hits[0].tip.id == "copies-1"


def test_in_passing_needs_every_word_of_the_alias_in_another_topics_phrasing() -> None:
    """An alias is in passing only if another topic's phrasing used all of its words and no
    phrasing of its own topics did."""
    idioms = {3: {"stateful"}, 4: {"stateful"}}
    assert in_passing(range(3, 4), ["copies"], idioms)
    assert not in_passing(range(2, 4), ["copies"], idioms)  # word 2 is its own
    assert not in_passing(range(3, 4), ["stateful"], idioms)  # its own topic's phrasing
    assert not in_passing(range(3, 4), ["copies"], {3: {"stateful", "copies"}})
    assert not in_passing(range(5, 6), ["copies"], idioms)


def test_the_book_answers_a_volume_per_replica_with_the_statefulset_tip() -> None:
    """On the bundled book "replica" is a ReplicaSets alias; "a disk per replica" is what
    StatefulSets are for, and their tip comes first (the ReplicaSet tip did without the rule)."""
    hits = engine().search("give each broker of the queue a disk per replica").hits
    assert hits and hits[0].tip.topics[0] == "statefulsets"


def test_a_machine_that_went_down_is_read_as_a_node_failure() -> None:
    """A vm, host or machine that "went down" or "is down" describes the scheduling topic (node
    failures), as "node died" does."""
    for question in (
        "the host went down, where do my pods go now",
        "our vm is down and the app is unavailable",
        "a machine went down overnight",
    ):
        u = engine().search(question).understanding
        assert next(iter(u.concepts), None) == "scheduling", (question, u.concepts)


def test_data_a_pod_lost_is_read_as_a_statefulset_question() -> None:
    """Losing data when a pod restarts, wanting a volume per replica, or names ending in a
    number are what StatefulSets are for: they are the strongest concept of the question."""
    for question in (
        "the database lost data after its pod restarted",
        "each member of our kafka cluster needs its own storage per replica",
        "each broker's name ends with a number",
    ):
        u = engine().search(question).understanding
        assert next(iter(u.concepts), None) == "statefulsets", (question, u.concepts)
