"""The second look at a question's best tips (bot/core/answer_rank.py), and the reading of
questions that goes with it: platform topics, parts of a topic named in other words, typos,
joined words, everyday words and synonyms."""

from __future__ import annotations

import dataclasses
import functools
import random
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.corpus import Corpus, Source, Tip, Topic
from bot.core.engine import Engine
from bot.core.loader import load_corpus

ROOT = Path(__file__).resolve().parents[2]


def _access_corpus(platform: bool) -> Corpus:
    """Two tips about access rights: one that holds in any cluster and one about a vendor's
    cloud, which says the question's word "access"."""
    topics = {
        "rights": Topic(
            "rights",
            "Rights",
            "Who may do what.",
            aliases=("grants",),
            keywords=("grant",),
            concepts=("read only access",),
        ),
        "cloudco": Topic(
            "cloudco", "CloudCo", "A vendor's cloud.", aliases=("cloudco",), platform=platform
        ),
        "cloudk8s": Topic(
            "cloudk8s",
            "CloudK8s",
            "Its managed clusters.",
            aliases=("cloudk8s",),
            platform=platform,
        ),
        "cooking": Topic("cooking", "Cooking", "Food.", aliases=("cooking",)),
    }
    tips = [
        Tip(
            "a-cloud",
            "On CloudCo, access to a cluster has two layers: CloudCo access for the "
            "cloud and the cluster's own rights, both given to CloudCo accounts.",
            "s",
            ("rights", "cloudco", "cloudk8s"),
        ),
        Tip(
            "a-def",
            "A grant lists what a user may do; it holds nothing until each right is "
            "named, and it applies to the resources it names.",
            "s",
            ("rights",),
        ),
        Tip("c-1", "Salt the water before the pasta goes in.", "s", ("cooking",)),
    ]
    return Corpus(tips=tips, sources={"s": Source("s", "Manual")}, topics=topics)


def _first(engine: Engine, question: str) -> str:
    hits = engine.search(question).hits
    assert hits, question
    return hits[0].tip.id


def test_a_generic_question_is_answered_by_the_tip_that_holds_in_any_cluster() -> None:
    """ "read only access" describes the rights topic; the CloudCo tip says "access" and wins
    on words alone, but a question that names no platform is answered first by the
    tip that holds anywhere. Without `platform: true` the same corpus ranks CloudCo's first."""
    question = "give the intern read only access"
    assert _first(Engine(_access_corpus(platform=False)), question) == "a-cloud"
    assert _first(Engine(_access_corpus(platform=True)), question) == "a-def"


def test_a_question_about_the_platform_gets_the_platforms_tip_first() -> None:
    """Naming the platform makes its tips what the question asks for."""
    engine = Engine(_access_corpus(platform=True))
    assert _first(engine, "read only access on cloudco") == "a-cloud"


def test_a_platform_tip_still_answers_when_it_is_the_only_tip_of_its_subject() -> None:
    """The platform rule orders tips of one subject; it does not push the only tip about
    serverless below tips that merely share the word "run"."""
    topics = {
        "serverless": Topic("serverless", "Serverless", "Functions.", aliases=("faas",)),
        "cloudco": Topic("cloudco", "CloudCo", "A cloud.", aliases=("cloudco",), platform=True),
        "nodes": Topic("nodes", "Nodes", "Machines.", aliases=("node",)),
    }
    tips = [
        Tip(
            "f-1",
            "CloudCo Functions can run on any cluster: the runtime is open source.",
            "s",
            ("serverless", "cloudco"),
        ),
        Tip(
            "n-1",
            "Worker nodes run your workload; the node section says which one.",
            "s",
            ("nodes",),
        ),
    ]
    engine = Engine(Corpus(tips=tips, sources={"s": Source("s", "M")}, topics=topics))
    assert _first(engine, "run faas on my own cluster") == "f-1"


def test_the_platform_key_must_be_true_or_false(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`platform: yes please` is one problem at its line, saying what is valid."""
    topics = (ROOT / "tips" / "topics.yaml").read_text(encoding="utf-8")
    assert topics.count("    platform: true\n") == 2  # azure and aks
    (tmp_path / "topics.yaml").write_text(
        topics.replace("    platform: true\n", "    platform: yes please\n", 1), encoding="utf-8"
    )
    code = main(["validate", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1, out
    assert "`platform` must be true or false" in out + err
    assert f"{tmp_path / 'topics.yaml'}:" in out + err


def test_the_bundled_taxonomy_marks_azure_and_aks_as_platforms() -> None:
    corpus = load_corpus([ROOT / "tips"])
    assert {t.id for t in corpus.topics.values() if t.platform} == {"azure", "aks"}


@functools.cache
def _book() -> Engine:
    return Engine.from_paths([ROOT / "tips"], use_cache=False)


def test_the_book_answers_a_generic_access_question_with_no_azure_tip_first() -> None:
    """On the bundled book, "give the intern read only access" is about RBAC in any cluster:
    the first answer is not tied to Azure; with no topic marked `platform` it is the tip about
    Azure's two layers of RBAC."""
    question = "give the intern read only access"
    first = _book().search(question).hits[0].tip
    assert first.topics[0] == "rbac" and not {"azure", "aks"} & set(first.topics)
    flat = load_corpus([ROOT / "tips"])
    flat.topics = {k: dataclasses.replace(t, platform=False) for k, t in flat.topics.items()}
    # the text alone decides here: the search words of a generic RBAC tip say "read only"
    flat.tips = [t._replace(search_words=()) for t in flat.tips]
    assert Engine(flat).search(question).hits[0].tip.id == "hka-c10-17676a"


def test_a_part_of_a_topic_named_by_its_short_name_finds_the_tip_that_says_it() -> None:
    """ "sa" is a service account, a part of RBAC: "the sa of our pipeline" is answered by the
    tip about service accounts, which never says "sa" nor "RBAC"."""
    hits = _book().search("the sa of our pipeline").hits
    assert hits and "service account" in hits[0].tip.text


def test_rights_for_an_sa_in_one_ns_are_the_role_binding_and_service_account_tips() -> None:
    """ "sa" and "ns" are short names of parts of RBAC and namespaces: the answers are the tip
    about binding a role in a namespace and the one about service accounts, not the tips that
    only say "RBAC"."""
    hits = _book().search("give an sa rights in one ns only").hits
    assert {h.tip.id for h in hits[:2]} == {"hka-c10-ae0194", "hka-c10-1b4d99"}


def test_a_tool_the_corpus_lacks_is_not_read_as_a_two_edit_typo() -> None:
    """ "alertmanager" is two edits from "certmanager" but starts with another letter: it is
    no typo, the question is out of the corpus. One-letter typos are still corrected."""
    engine = _book()
    u = engine.index.understand("alertmanager silence routing")
    assert "alertmanager" not in u.corrections
    assert engine.search("alertmanager silence routing").hits == []
    assert engine.tip("alertmanager silence routing", rng=random.Random(0)).tip is None
    assert engine.index.understand("statefulsetts").topics[:1] == ["statefulsets"]


@pytest.mark.parametrize("word", ["gatekeeper", "kubecost", "crossplane", "alertmanager"])
def test_a_product_name_is_not_split_into_two_everyday_words(word: str) -> None:
    """ "gatekeeper" is not "gate" + "keeper": neither part is a topic's name on its own, so
    the word stays unknown, counted against the question's coverage ("nodepool" is still
    "node" + "pool", tests/core/test_joined_words.py)."""
    u = _book().index.understand(f"{word} silence routing")
    assert word not in u.corrections
    assert word in u.unknown


def test_an_everyday_word_names_a_topic_only_as_itself() -> None:
    """ "live" stems like "liveness" but is everyday English: "where does etcd live" is about
    the cluster's architecture, not probes; "liveness" itself still names probes."""
    engine = _book()
    assert engine.index.understand("where does etcd live").topics == ["architecture"]
    assert engine.search("where does etcd live").hits[0].tip.id == "hka-c01-8d7cb0"
    assert "probes" in engine.index.understand("liveness").topics


def test_a_word_no_tip_uses_but_its_synonym_does_counts_as_understood() -> None:
    """ "reboot" is in no tip but the taxonomy's expansions read it as "restart": the question
    is understood and answered by the probes tip, not dropped for low coverage."""
    hits = _book().search("reboot my app automatically when it hangs").hits
    assert hits and hits[0].tip.id == "hka-c07-9f078a"


def test_a_number_word_in_a_question_meets_the_digit_in_a_tip() -> None:
    """ "zero" in a question meets "0" in "scale to and from 0 Pods": of two tips about
    scaling pods, the one saying "0" comes first."""
    topics = {"scaling": Topic("scaling", "Scaling", "More or fewer.", aliases=("scaling",))}
    tips = [
        Tip("s-hand", "Scaling pods by hand means editing the replicas count.", "s", ("scaling",)),
        Tip(
            "s-zero",
            "Scaling pods to and from 0 needs an event-driven autoscaler.",
            "s",
            ("scaling",),
        ),
    ]
    engine = Engine(Corpus(tips=tips, sources={"s": Source("s", "M")}, topics=topics))
    assert [h.tip.id for h in engine.search("scaling pods to zero").hits] == [
        "s-zero",
        "s-hand",
    ]


def test_a_word_known_only_by_its_synonym_counts_half() -> None:
    """A synonym is weaker evidence than the word itself: "reboot" (no tip says it; the
    taxonomy expands it to "restart") counts as understood, but less than "restart" does and
    more than a word nothing knows ("zorblax")."""
    topics = {"probes": Topic("probes", "Probes", "Health checks.", aliases=("probe",))}
    tips = [
        Tip("p-1", "A failing liveness probe makes Kubernetes restart the pod.", "s", ("probes",)),
        Tip("p-2", "A readiness probe keeps traffic away from the pod.", "s", ("probes",)),
    ]
    corpus = Corpus(
        tips=tips,
        sources={"s": Source("s", "M")},
        topics=topics,
        expansions={"reboot": ("restart",)},
    )
    index = Engine(corpus).index
    said, synonym, unknown = (
        index.understand(f"{word} the pod").coverage for word in ("restart", "reboot", "zorblax")
    )
    assert said > synonym > unknown
    assert [h.tip.id for h in index.search("reboot the pod")[0]][:1] == ["p-1"]
