"""The checks a suggestion passes and the Community tips it becomes (bot/core/suggestions.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.community import COMMUNITY_SOURCE, CommunityEntry, community_tip_id
from bot.core.corpus import Tip
from bot.core.engine import Engine
from bot.core.loader import text_link_problems, text_too_long
from bot.core.suggestions import (
    DuplicateFinder,
    SuggestionRefused,
    check_suggestion,
    check_text,
    check_topics,
    split_topics,
    with_community,
)
from bot.importers.books import ID_DIGITS, _digest

TIP = "Run kubectl rollout undo deployment/web to roll a Deployment back quickly."


def entry(
    text: str = TIP, tip_id: str = "", topics: tuple[str, ...] = ("deployments",)
) -> CommunityEntry:
    return CommunityEntry(
        tip_id or community_tip_id(text), text, topics, "Ana", "Bo", date(2026, 12, 1)
    )


def test_text_and_topics_are_split_at_the_last_bar() -> None:
    assert split_topics("use a | b | pods rbac") == ("use a | b ", " pods rbac")
    assert split_topics("no topics here") == ("no topics here", "")


def test_the_length_and_link_rules_are_validates_own() -> None:
    long = "word " * 700
    with pytest.raises(SuggestionRefused) as caught:
        check_text(long)
    too_long = text_too_long(" ".join(long.split()))
    assert too_long is not None and too_long in caught.value.message
    bad = "Read https://exa mple before you scale the cluster up"
    with pytest.raises(SuggestionRefused) as caught:
        check_text(bad)
    assert text_link_problems(bad)[0] in caught.value.message


@given(st.text(max_size=4000))
def test_any_text_is_accepted_trimmed_or_refused_with_a_message(text: str) -> None:
    try:
        body = check_text(text)
    except SuggestionRefused as e:
        assert e.message and e.tip is None
    else:
        assert body == " ".join(text.split()) and len(body) <= 3000


def test_topics_are_ids_titles_or_aliases_and_a_typo_is_asked_about(engine: Engine) -> None:
    topics = engine.corpus.topics
    assert check_topics(["rbac", "Secrets", "svc", "rbac"], topics) == (
        "rbac",
        "secrets",
        "services",
    )
    with pytest.raises(SuggestionRefused, match="Did you mean: secrets"):
        check_topics(["secrts"], topics)


def test_a_repeat_of_a_corpus_tip_is_refused_with_that_tip(engine: Engine) -> None:
    tip = engine.corpus.tips[3]
    finder = DuplicateFinder(engine.corpus.tips)
    with pytest.raises(SuggestionRefused) as caught:
        check_suggestion(f"  {tip.text.lower()}!! ", [], engine.corpus, finder)
    assert caught.value.tip == tip
    ok = check_suggestion(f"{TIP} ", ["deployments"], engine.corpus, finder)
    assert (ok.text, ok.topics) == (TIP, ("deployments",))


def test_a_community_id_is_the_one_import_gives_the_same_text() -> None:
    assert community_tip_id(TIP) == f"community-{_digest(TIP, ID_DIGITS)}"
    assert community_tip_id(TIP.upper().replace(" ", "  ")) == community_tip_id(TIP)
    assert len(community_tip_id(TIP, long=True)) == len("community-") + 16


def test_community_tips_join_a_copy_of_the_corpus_once_each(engine: Engine) -> None:
    base = engine.corpus
    existing = base.tips[0]
    merged = with_community(
        base,
        [
            entry(),
            entry(tip_id=existing.id, text="Another text entirely about pods and nodes."),
            entry(text=existing.text.upper()),  # the same text as a file tip
            entry(text="Label every namespace with its owner team.", topics=("namespaces", "x")),
        ],
    )
    assert len(merged.tips) == len(base.tips) + 2 and len(base.tips) == len(engine.corpus.tips)
    tip = merged.by_id[community_tip_id(TIP)]
    assert tip == Tip(
        community_tip_id(TIP),
        TIP,
        "community",
        ("deployments",),
        None,
        "suggested by Ana, approved by Bo on 2026-12-01",
    )
    assert merged.source_title(tip) == COMMUNITY_SOURCE.title == "Community"
    owned = merged.by_id[community_tip_id("Label every namespace with its owner team.")]
    assert owned.topics == ("namespaces",)  # a topic the taxonomy lacks is dropped
    assert "community" not in base.sources
