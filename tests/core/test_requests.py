"""What is kept of a request's words, how they group, and the button that asks again
(bot/core/requests.py): bounded and inert for any input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.requests import (
    BUTTON_COMMAND_LIMIT,
    KEY_LIMIT,
    QUERY_LIMIT,
    has_words,
    kept_query,
    request_command,
    request_key,
    shown,
)

ANY_TEXT = st.text(max_size=12_000)


@given(ANY_TEXT)
def test_whatever_is_typed_the_kept_words_the_key_and_the_button_are_bounded(text: str) -> None:
    query, key, command = kept_query(text), request_key(text), request_command(text)
    assert len(query) <= QUERY_LIMIT and len(key) <= KEY_LIMIT
    assert len(command) <= BUTTON_COMMAND_LIMIT
    # Discord takes a custom id of printable characters only; the router splits on spaces.
    assert command.isprintable() and command.split()[0] == "request"
    assert query == query.strip() and "  " not in query and query.isprintable()


@given(ANY_TEXT)
def test_the_key_of_a_key_is_itself(text: str) -> None:
    key = request_key(text)
    assert request_key(key) == key


@given(st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), min_size=1))
def test_case_and_spacing_do_not_split_a_request(words: list[str]) -> None:
    plain = " ".join(words)
    loud = "  \t".join(w.upper() for w in words)
    assert request_key(loud) == request_key(plain)


def test_helm_chart_is_one_request_however_typed() -> None:
    assert request_key("Helm Chart") == request_key("helm  chart") == "helm chart"
    assert request_key("ＨＥＬＭ\u200bchart") == "helm chart"  # full-width, zero-width space


def test_the_kept_words_keep_their_case_and_drop_control_characters() -> None:
    assert kept_query(" Argo\tRollouts\x00 \u202eplease ") == "Argo Rollouts please"


def test_the_button_cuts_at_a_word_and_inside_one_word_only_when_it_must() -> None:
    assert request_command("helm chart") == "request helm chart"
    long_words = request_command("kustomize " * 30)
    assert long_words.endswith("kustomize") and len(long_words) <= BUTTON_COMMAND_LIMIT
    assert request_command("x" * 500) == "request " + "x" * (BUTTON_COMMAND_LIMIT - 8)


def test_only_words_make_a_request() -> None:
    assert has_words("helm") and has_words("k8s 1.29") and has_words("@everyone")
    assert not has_words("🔥🔥🔥") and not has_words("?!… ---") and not has_words("")


def test_a_shown_request_is_one_line_cut_with_an_ellipsis() -> None:
    assert shown("a\nb") == "a b"
    assert shown("x" * 100) == "x" * 59 + "…"
