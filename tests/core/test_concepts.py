"""Topic concepts (tips/topics.yaml `concepts`): plain phrasings that let a question find a
topic it never names, checked by the loader and `k8stip validate`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.corpus import Corpus, Source, Tip, Topic
from bot.core.engine import Engine
from bot.core.loader import load_corpus

TOPICS = """\
version: 1
topics:
  quotas:
    title: Quotas
    description: Limits on what a team may use.
    aliases: [quota, quotas]
    keywords: [quota]
    related: []
    concepts: [one team starves the others, noisy neighbour, hog]
  widgets:
    title: Widgets
    description: Things that spin.
    aliases: [widget]
    related: []
"""
TIPS = """\
source:
  id: manual
  title: Shop manual
tips:
- id: q-1
  text: Set a quota per namespace so that no team takes every core of the cluster.
  topics: [quotas]
- id: w-1
  text: Widgets spin clockwise unless oiled.
  topics: [widgets]
"""


def _corpus(tmp_path: Path, topics: str = TOPICS) -> Path:
    (tmp_path / "topics.yaml").write_text(topics, encoding="utf-8")
    (tmp_path / "manual.yaml").write_text(TIPS, encoding="utf-8")
    return tmp_path


def _validate(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, list[str]]:
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


def test_the_loader_reads_concepts_as_phrasings_of_the_topic(tmp_path: Path) -> None:
    """`concepts` is loaded into Topic.concepts in the file's order; a topic without it has none."""
    corpus = load_corpus([_corpus(tmp_path)])
    assert corpus.errors == []
    assert corpus.topics["quotas"].concepts == (
        "one team starves the others",
        "noisy neighbour",
        "hog",
    )
    assert corpus.topics["widgets"].concepts == ()


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("one team starves the others", 9),
        ("{a: b}", 9),
        ("[hog, 3]", 9),
        ("[[noisy, neighbour]]", 9),
    ],
)
def test_concepts_must_be_a_list_of_strings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, line: int
) -> None:
    """A `concepts` value that is not a list of strings is one problem, at its line, with a fix."""
    topics = TOPICS.replace(
        "    concepts: [one team starves the others, noisy neighbour, hog]",
        f"    concepts: {value}",
    )
    code, lines = _validate(capsys, _corpus(tmp_path, topics))
    assert code == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{tmp_path / 'topics.yaml'}:{line}: error: "), lines[0]
    assert "`concepts` must be a list of strings" in lines[0]


def test_a_misspelt_concepts_key_is_named_with_the_right_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`concept:` (singular) is an unknown key, and validate suggests `concepts`."""
    topics = TOPICS.replace("    concepts: [", "    concept: [")
    code, lines = _validate(capsys, _corpus(tmp_path, topics))
    assert code == 1
    assert len(lines) == 1 and "unknown key `concept`" in lines[0] and "`concepts`" in lines[0]


def test_a_question_finds_a_topic_it_describes_but_never_names(tmp_path: Path) -> None:
    """ "stop one team starving the others" shares no word with the quota tip, yet finds it;
    without the concepts the same question finds nothing."""
    corpus = load_corpus([_corpus(tmp_path)])
    question = "how do I stop one team starving the others"
    hits = Engine(corpus).search(question).hits
    assert [h.tip.id for h in hits] == ["q-1"]
    assert Engine(corpus).tip(question, rng=random.Random(0)).tip == corpus.by_id["q-1"]
    bare = load_corpus([_corpus(tmp_path, TOPICS.replace("    concepts:", "    #"))])
    assert Engine(bare).search(question).hits == []


def test_a_concept_is_matched_whole_not_by_one_of_its_words(tmp_path: Path) -> None:
    """ "noisy neighbour" needs both words: "noisy fans" is not about quotas."""
    engine = Engine(load_corpus([_corpus(tmp_path)]))
    assert [h.tip.id for h in engine.search("a noisy neighbour again").hits] == ["q-1"]
    assert engine.search("noisy fans in the server room").hits == []


def test_concepts_do_not_answer_out_of_corpus_questions(tmp_path: Path) -> None:
    """A question about something the corpus lacks still gets nothing, even with a concept word
    in it: the unknown words outweigh it."""
    engine = Engine(load_corpus([_corpus(tmp_path)]))
    assert engine.search("kafka consumer group hog rebalance partitions").hits == []
    assert engine.tip("kafka consumer group hog rebalance partitions").tip is None


def test_a_topic_request_is_not_changed_by_concepts() -> None:
    """`/k8stip widget` names the topic; concepts of other topics take no part in it."""
    topics = {
        "widgets": Topic("widgets", "Widgets", "Things.", aliases=("widget",)),
        "gadgets": Topic("gadgets", "Gadgets", "Other.", aliases=("gadget",), concepts=("widget",)),
    }
    tips = [
        Tip("w-1", "Widgets spin clockwise.", "s", ("widgets",)),
        Tip("g-1", "Gadgets hum quietly.", "s", ("gadgets",)),
    ]
    engine = Engine(Corpus(tips=tips, sources={"s": Source("s", "Manual")}, topics=topics))
    hits, u = engine.index.search("widget")
    assert u.topic_only and u.concepts == {}
    assert [h.tip.id for h in hits] == ["w-1"]


def test_the_bundled_taxonomy_gives_every_topic_concepts() -> None:
    """Every topic of tips/topics.yaml says in plain words what it is about."""
    corpus = load_corpus([Path(__file__).resolve().parents[2] / "tips"])
    assert corpus.errors == []
    assert all(t.concepts for t in corpus.topics.values()), [
        t.id for t in corpus.topics.values() if not t.concepts
    ]
