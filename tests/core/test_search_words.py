"""A tip's `search_words`: the words people use for what it answers, read by search only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import postings
from bot.core.corpus import Tip
from bot.core.engine import Engine
from bot.core.loader import MAX_SEARCH_WORDS, bundled_tips_dir, load_corpus
from bot.core.postings import SEARCH_WORD_TF, postings_by_loop, with_search_words
from bot.core.search import SearchIndex
from bot.importers.output import merge

TOPICS = bundled_tips_dir() / "topics.yaml"

UNITS = (
    "Kubernetes memory can be written in binary prefix notation (Mi, Gi) or base 10 "
    "notation (M, G)."
)


def write_book(folder: Path, tips: list[dict[str, object]]) -> Path:
    path = folder / "book.yaml"
    doc = {"source": {"id": "book", "title": "A book"}, "tips": tips}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def units_tip(**extra: object) -> dict[str, object]:
    return {"id": "units", "text": UNITS, "topics": ["resources"], **extra}


def other_tips() -> list[dict[str, object]]:
    return [
        {
            "id": "probe",
            "text": "A liveness probe restarts a container that hangs.",
            "topics": ["probes"],
        },
        {
            "id": "secret",
            "text": "Secrets are only base64 encoded, not encrypted.",
            "topics": ["secrets"],
        },
    ]


def test_a_question_in_the_search_words_finds_the_tip_its_text_alone_does_not(
    tmp_path: Path,
) -> None:
    question = "is a k a thousand or 1024 when sizing memory"
    plain = load_corpus([write_book(tmp_path, [units_tip(), *other_tips()])], TOPICS)
    assert not SearchIndex(plain).search(question)[0]  # "nothing found" without them
    (tmp_path / "book.yaml").unlink()
    words = ["kilobyte or kibibyte", "1000 or 1024", "thousand", "ram sizing units"]
    corpus = load_corpus(
        [write_book(tmp_path, [units_tip(search_words=words), *other_tips()])], TOPICS
    )
    assert corpus.errors == []
    assert corpus.tips[0].search_words == tuple(words)
    hits, _ = SearchIndex(corpus).search(question)
    assert [h.tip.id for h in hits][:1] == ["units"]
    # a typo of a search word is corrected to it: the words join the vocabulary
    hits, u = SearchIndex(corpus).search("kibibite or kilobite memory")
    assert u.corrections == {"kibibite": "kibibyte", "kilobite": "kilobyte"}
    assert [h.tip.id for h in hits][:1] == ["units"]
    # a word only search words hold counts as part understood: alone, it is not enough
    assert SearchIndex(corpus).search("thousand")[0] == []


def test_search_words_add_half_a_word_once_each_and_leave_the_tip_length_alone() -> None:
    tip = Tip("t", "memory notation", "s", (), search_words=("memory units", "units of ram", "RAM"))
    bare = postings_by_loop([tip._replace(search_words=())], [""])
    doc_len, _docs, tfs, spans, vocab = with_search_words(bare, [tip], [""])
    counts = {t: tfs[a:b].tolist() for t, (a, b) in spans.items()}
    assert list(doc_len) == list(bare[0])  # the text's two words
    assert counts["memori"] == [1 + SEARCH_WORD_TF]  # said in the text and in the words
    assert counts["unit"] == [SEARCH_WORD_TF]  # twice in the words: counted once
    assert counts["ram"] == [SEARCH_WORD_TF]
    assert {"units", "ram"} <= set(vocab)
    assert with_search_words(bare, [tip._replace(search_words=())], [""]) is bare


def test_the_numpy_path_adds_the_same_search_words(monkeypatch: pytest.MonkeyPatch) -> None:
    tips = Engine.from_paths([bundled_tips_dir()], use_cache=False).corpus.tips
    assert sum(1 for t in tips if t.search_words) >= 60  # the bundled book carries them
    loop = postings.postings_of(tips, [""] * len(tips))
    monkeypatch.setattr(postings, "NUMPY_FROM_TIPS", 0)
    vectorised = postings.postings_of(tips, [""] * len(tips))
    as_plain = [
        (
            list(p[0]),
            {t: list(zip(p[1][a:b], p[2][a:b], strict=True)) for t, (a, b) in p[3].items()},
        )
        for p in (loop, vectorised)
    ]
    assert as_plain[0] == as_plain[1]
    assert sorted(loop[4]) == sorted(vectorised[4])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("passwords", "is a list of words or short phrases"),
        ([["nested"]], "is not a word or phrase"),
        (["x" * 61], "over 60 characters"),
    ],
)
def test_a_malformed_search_words_entry_is_named_and_the_tip_still_loads(
    tmp_path: Path, value: object, message: str
) -> None:
    corpus = load_corpus([write_book(tmp_path, [units_tip(search_words=value)])], TOPICS)
    assert [t.id for t in corpus.tips] == ["units"]
    said = [p for p in corpus.problems if "search_words" in p.message or message in p.message]
    assert said and message in said[0].message, corpus.problems
    assert said[0].line > 0  # points at the tip's line


def test_too_many_search_words_keeps_the_first_ones_with_a_warning(tmp_path: Path) -> None:
    words = [f"word{i}" for i in range(MAX_SEARCH_WORDS + 5)]
    corpus = load_corpus([write_book(tmp_path, [units_tip(search_words=words)])], TOPICS)
    assert corpus.tips[0].search_words == tuple(words[:MAX_SEARCH_WORDS])
    assert corpus.errors == []
    assert any("the first 100 are used" in p.message for p in corpus.problems)


def test_a_misspelled_key_is_pointed_to_search_words(tmp_path: Path) -> None:
    corpus = load_corpus([write_book(tmp_path, [units_tip(search_word=["ram"])])], TOPICS)
    assert any("did you mean `search_words`" in p.message for p in corpus.problems), corpus.problems


def test_re_importing_keeps_a_tips_search_words() -> None:
    existing = {"source": {"id": "b"}, "tips": [units_tip(search_words=["ram units"])]}
    fresh = {
        "source": {"id": "b"},
        "tips": [{"id": "units", "text": UNITS + " Edited.", "topics": []}],
    }
    merged, _ = merge(existing, fresh)
    assert merged["tips"][0]["search_words"] == ["ram units"]
    assert merged["tips"][0]["text"].endswith("Edited.")
