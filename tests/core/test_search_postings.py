"""The index's postings are the same whether a loop or numpy builds them (bot/core/postings.py)."""

from __future__ import annotations

import random

import pytest

from bot.core import postings
from bot.core.corpus import Tip
from bot.core.engine import Engine
from bot.core.loader import bundled_tips_dir
from bot.core.postings import Postings, postings_by_loop, postings_by_numpy
from bot.core.search import SearchIndex


def as_plain(p: Postings) -> tuple[list[float], dict[str, list[tuple[int, float]]], list[str]]:
    doc_len, docs, tfs, spans, vocab = p
    by_term = {t: list(zip(docs[a:b], tfs[a:b], strict=True)) for t, (a, b) in spans.items()}
    return list(doc_len), by_term, sorted(vocab)


def test_bundled_corpus_postings_are_the_same_both_ways() -> None:
    tips = Engine.from_paths([bundled_tips_dir()], use_cache=False).corpus.tips
    english = [""] * len(tips)
    loop, vectorised = postings_by_loop(tips, english), postings_by_numpy(tips, english)
    assert as_plain(loop) == as_plain(vectorised)
    assert len(loop[1]) == len(vectorised[1]) > 1000


def test_hyphens_apostrophes_unicode_stopwords_and_empty_texts_index_the_same() -> None:
    words = (
        "pod-eviction-timeout don't don’t the a Straße ＳＥＣＲＥＴＳ café kube-proxy "
        "of-the helm helm charts -- ' 日本語 secrets rbac x"
    ).split()
    rng = random.Random(7)
    tips = [
        Tip(f"t{i}", " ".join(rng.choices(words, k=rng.randint(0, 30))), "s", ("pods",))
        for i in range(500)
    ]
    languages = [rng.choice(["", "", "de", "fr", "xx"]) for _ in tips]  # xx: no stemmer
    assert as_plain(postings_by_loop(tips, languages)) == as_plain(
        postings_by_numpy(tips, languages)
    )
    assert any(":" in t for t in postings_by_numpy(tips, languages)[3])  # de:… terms exist
    assert as_plain(postings_by_loop([], [])) == as_plain(postings_by_numpy([], []))


def test_numpy_built_postings_rank_as_the_loop_built_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine.from_paths([bundled_tips_dir()], use_cache=False)
    loop_index = SearchIndex(engine.corpus)
    monkeypatch.setattr(postings, "NUMPY_FROM_TIPS", 0)
    numpy_index = SearchIndex(engine.corpus)
    for q in ("secrets", "how do I roll back a deployment", "pod eviction", "rbac roles"):
        assert loop_index.search(q, 10)[0] == numpy_index.search(q, 10)[0]
