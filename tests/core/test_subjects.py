"""Subjects the tips don't cover (topics.yaml `other_subjects`, bot/core/subjects.py): a
question about one gets "nothing found" naming it, not a tip sharing an everyday word."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
import yaml

from bench.relevance import evaluate
from bot.core.corpus import Corpus, Source, Tip
from bot.core.engine import Engine
from bot.core.loader import bundled_tips_dir, load_corpus
from bot.core.subjects import subject_named, uncovered_subjects
from bot.core.textnorm import phrase_key
from tests.core_support import ROOT

SETS = ROOT / "tests" / "relevance"


@pytest.fixture(scope="module")
def book() -> Engine:
    return Engine(load_corpus([bundled_tips_dir()]))


def test_the_bundled_taxonomy_lists_subjects_and_the_book_leaves_many_uncovered(
    book: Engine,
) -> None:
    assert len(book.corpus.subjects) > 300
    outside = set(book.index.outside.values())
    assert {"velero", "daemonset", "cronjob", "poddisruptionbudget"} <= outside
    # the book speaks of these: they are searched as usual
    assert not {"statefulset", "configmap", "rbac", "node pool", "nginx ingress"} & outside


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("backing up our namespaces with velero", "velero"),
        ("run one log agent per machine with a daemonset", "daemonset"),
        ("our nightly cronjob never starts", "cronjob"),
    ],
)
def test_a_question_about_a_subject_no_tip_mentions_gets_nothing_naming_it(
    book: Engine, question: str, subject: str
) -> None:
    result = book.search(question)
    assert result.hits == []
    assert f"the tips don't cover {subject} yet" in result.message
    assert f"“{question}”" in result.message and "Did you mean" in result.message
    answer = book.tip(question, rng=random.Random(1))
    assert answer.tip is None and subject in answer.message


def test_once_a_tip_mentions_the_subject_it_is_searched_as_usual(book: Engine) -> None:
    runbook = Tip(
        "rb-1",
        "A DaemonSet runs one copy of a pod on every node: log agents, node exporters.",
        "rb",
        ("pods",),
    )
    corpus = book.corpus
    grown = Corpus(
        [*corpus.tips, runbook],
        {**corpus.sources, "rb": Source("rb", "Runbook")},
        corpus.topics,
        [],
        corpus.expansions,
        corpus.subjects,
    )
    hits = Engine(grown).search("run one log agent per machine with a daemonset").hits
    assert "rb-1" in [h.tip.id for h in hits][:3]


def test_a_name_with_a_word_the_tips_use_is_no_reason_to_say_nothing(book: Engine) -> None:
    assert book.search("a vm in my nodepool went offline").hits
    assert book.search("nginx ingress annotations").hits
    assert book.index.understand("secrets").outside == ""


def test_matching_takes_the_longest_name_and_skips_known_words() -> None:
    known = {"node"}.__contains__
    outside = uncovered_subjects(["argo cd", "argo", "node pool", "etcd", "a b c d"], known)
    assert set(outside.values()) == {"argo cd", "argo", "etcd"}  # "node pool": node is known
    assert subject_named(outside, list(phrase_key("deploy with argo cd today"))) == "argo cd"
    assert subject_named(outside, list(phrase_key("back up etcd"))) == "etcd"
    assert subject_named(outside, list(phrase_key("restart a node"))) == ""
    assert subject_named({}, ["etcd"]) == ""


def test_other_subjects_may_be_one_list_and_a_malformed_one_is_named(tmp_path: Path) -> None:
    taxonomy = yaml.safe_load((bundled_tips_dir() / "topics.yaml").read_text(encoding="utf-8"))
    for value, subjects, problem in (
        (["Velero", " etcd "], ("velero", "etcd"), False),
        ({"tools": "velero"}, (), True),
        ({"tools": [["velero"]]}, (), True),
    ):
        taxonomy["other_subjects"] = value
        (tmp_path / "topics.yaml").write_text(yaml.safe_dump(taxonomy), encoding="utf-8")
        (tmp_path / "tips.yaml").write_text(
            "source: {id: s, title: S}\ntips:\n- {id: t1, text: Pods run containers., "
            "topics: [pods]}\n",
            encoding="utf-8",
        )
        corpus = load_corpus([tmp_path])
        assert corpus.subjects == subjects
        named = [p for p in corpus.problems if "other_subjects" in p.message]
        assert bool(named) == problem, corpus.problems


def _without_subjects(engine: Engine) -> Engine:
    return Engine(dataclasses.replace(engine.corpus, subjects=()))


@pytest.mark.parametrize(
    "name",
    [
        "judged.yaml",
        "holdout.yaml",
        "topics.yaml",
        "paraphrase.yaml",
        "paraphrase_fresh2.yaml",
        "paraphrase_fresh4.yaml",
        "paraphrase_fresh5.yaml",
        "paraphrase_fresh6.yaml",
        "per_tip_questions.yaml",
    ],
)
def test_no_answerable_question_of_the_judged_sets_is_refused(book: Engine, name: str) -> None:
    """Every answerable question gets the same answers with the subjects as without, but one:
    "bump image tag from a jenkins job" names Jenkins, which no tip mentions."""
    plain = _without_subjects(book)
    changed = []
    for item in yaml.safe_load((SETS / name).read_text(encoding="utf-8"))["queries"]:
        q = str(item["q"])
        ours, theirs = book.search(q).hits, plain.search(q).hits
        if item["kind"] != "none" and [h.tip.id for h in ours] != [h.tip.id for h in theirs]:
            changed.append(q)
    assert changed == (["bump image tag from a jenkins job"] if name.startswith("per_tip") else [])


def test_more_out_of_corpus_questions_get_nothing(book: Engine) -> None:
    """ooc_dev.yaml (60 questions the book does not answer, written blind): "nothing found"
    for 23 without the subjects, 30 with them."""
    tips = [{"id": t.id, "topics": list(t.topics)} for t in book.corpus.tips]

    def rate(engine: Engine) -> float:
        result = evaluate(
            lambda q: [h.tip.id for h in engine.search(q, limit=5).hits],
            lambda q, seed: None,
            tips,
            SETS / "ooc_dev.yaml",
        )
        return result.mean(result.none_ok)

    assert rate(_without_subjects(book)) == pytest.approx(23 / 60)
    assert rate(book) >= 30 / 60
