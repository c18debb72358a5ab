"""Topic concepts (tips/topics.yaml `concepts`): plain phrasings that let a question find a
topic it never names, checked by the loader and `k8stip validate`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.concepts import Concepts
from bot.core.corpus import Corpus, Source, Tip, Topic
from bot.core.engine import Engine
from bot.core.loader import load_corpus
from bot.core.textnorm import stem

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


def _topic(tid: str, *concepts: str, aliases: tuple[str, ...] = ()) -> Topic:
    return Topic(tid, tid.title(), "A topic.", aliases=aliases or (tid,), concepts=concepts)


def test_a_long_phrasing_matches_with_one_word_missing_at_half_strength() -> None:
    """ "keep passwords out of the image" (three content words) is met by a question holding
    two of them, one telling (used by no other topic), at half the weight of those words."""
    concepts = Concepts(
        [_topic("secrets", "keep passwords out of the image"), _topic("noise", "noisy neighbour")]
    )
    assert concepts.match("keep my passwords away".split()).strength == {"secrets": 1.0}
    # Whole, the phrasing weighs 3 against noisy neighbour's 2; in part, 2 x 0.5 = 1.
    whole = concepts.match("keep passwords out of the image noisy neighbour".split())
    assert whole.strength == {"secrets": 1.0, "noise": 2 / 3}
    partial = concepts.match("keep passwords noisy neighbour".split())
    assert partial.strength == {"noise": 1.0, "secrets": 0.5}


def test_a_partial_match_needs_a_telling_word() -> None:
    """Two of "find my app by name" are "app" and "name", words other topics' phrasings use
    too: not enough to say the question is about services."""
    concepts = Concepts(
        [
            _topic("services", "find my app by name"),
            _topic("apps", "app crashed"),
            _topic("names", "stable names"),
        ]
    )
    assert "services" not in concepts.match("name of my app".split()).strength
    assert "services" in concepts.match("find my app".split()).strength  # "find" is telling


def test_two_word_phrasings_need_both_words() -> None:
    """Only phrasings of three words or more may miss one: "noisy neighbour" needs both."""
    concepts = Concepts([_topic("quotas", "noisy neighbour")])
    assert concepts.match("a noisy fan".split()).strength == {}


def test_a_question_word_stands_for_its_expansions_synonyms() -> None:
    """With `expansions` reboot -> restart, "reboot automatically" meets "restart
    automatically"; a synonym alone never meets a phrasing ("stop" is not "not ready")."""
    topics = [_topic("probes", "restart automatically", "not ready")]
    synonyms = {stem("reboot"): [stem("restart")], stem("stop"): [stem("ready")]}
    concepts = Concepts(topics, synonyms)
    assert concepts.match("reboot it automatically".split()).strength == {"probes": 1.0}
    assert concepts.match("stop everything".split()).strength == {}
    assert Concepts(topics).match("reboot it automatically".split()).strength == {}


def test_one_word_phrasings_that_name_a_topic_or_are_everyday_words_are_ignored() -> None:
    """ "which node" is the scheduling topic's name, "what people do" one everyday word:
    neither is read as a concept; "starving" still is."""
    concepts = Concepts(
        [_topic("pods", "which node", "what people do", "starving")], names={(stem("node"),)}
    )
    assert concepts.match("which node".split()).strength == {}
    assert concepts.match("people".split()).strength == {}
    assert concepts.match("starving".split()).strength == {"pods": 1.0}


def test_everyday_words_count_little_against_coverage(tmp_path: Path) -> None:
    """A question holding four everyday words no tip uses ("honestly", "usually", "notice",
    "late") still finds the quota tip it describes (counted in full, they would sink it below
    the coverage bar), while a question about something the corpus lacks ("kafka",
    "rebalance") still gets nothing."""
    engine = Engine(load_corpus([_corpus(tmp_path)]))
    question = "honestly we usually notice it too late when one team starves the others"
    assert [h.tip.id for h in engine.search(question).hits] == ["q-1"]
    assert engine.search("kafka rebalance happens quickly").hits == []


def test_an_everyday_word_is_not_read_as_a_typo() -> None:
    """ "gets" is one edit from the alias word "sets" of another topic but is no typo."""
    topics = {"sets": Topic("sets", "Sets", "Sets.", aliases=("sets", "replica sets"))}
    tips = [Tip("s-1", "Replica sets keep copies running.", "s", ("sets",))]
    engine = Engine(Corpus(tips=tips, sources={"s": Source("s", "Manual")}, topics=topics))
    _, u = engine.index.search("it gets busy")
    assert "gets" not in u.corrections
