"""A tip's words and stems for the index: the fast paths give what the regex and `stem` give."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.core.textnorm import _TOKEN_RE, plain_stems, raw_words, stem


def by_regex(text: str) -> list[str]:
    """What raw_words gave before the fast path, for any text."""
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).lower())


TRICKY = "aZ09 -'’_.,:\n\t()é"


@given(st.text(alphabet=TRICKY, max_size=40))
def test_words_of_text_made_of_joins_and_separators_are_the_regexs(text: str) -> None:
    assert raw_words(text) == by_regex(text)


@given(st.text(max_size=40))
def test_words_of_any_text_are_the_regexs(text: str) -> None:
    assert raw_words(text) == by_regex(text)


def test_hyphen_and_apostrophe_join_words_only_between_two_of_them() -> None:
    assert raw_words("Pod-Eviction don't --x y- 'q' a_b") == [
        "pod-eviction",
        "don't",
        "x",
        "y",
        "q",
        "a",
        "b",
    ]
    assert raw_words("The pod’s IP doesn’t change") == ["the", "pod’s", "ip", "doesn’t", "change"]


@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz'’0é", min_size=1, max_size=12)))
def test_plain_stems_are_the_stems_of_each_word(batch: list[str]) -> None:
    assert plain_stems(batch) == [stem(w) for w in batch]
