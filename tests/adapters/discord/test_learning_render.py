"""Issue 12 on Discord, rendering: vote buttons on tip cards, quiz cards, custom id checks.

Replies are built by hand (the core's `feedback_actions` and `QuizCard`), as the router will
send them; regenerate the quiz golden file with `UPDATE_GOLDEN=1 pytest …` and review it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord.render import (
    CUSTOM_ID_MAX,
    QUIZ_TITLE,
    TALLY_LABEL,
    command_from_custom_id,
    keep_footer_marker,
    render,
)
from bot.core.replies import Action, QuizCard, Reply, ReplyKind, TipCard, Visibility, tally_line
from bot.core.wording import tip_actions
from tests.adapters.discord.test_render import check_golden
from tests.fakes.discord_router import SOURCE, tip_card

HOSTILE = "@everyone <@&123456789012345678> <script>alert(1)</script> {{ config.secret }}"


def voted_tip(card: TipCard | None = None) -> Reply:
    """A tip card as the router sends it: Another / More / Share, then the three votes."""
    card = card or tip_card("rbac")
    return Reply(
        ReplyKind.TIP,
        card.text,
        cards=(card,),
        actions=tip_actions(card, share=True),  # the three votes come with them
        visibility=Visibility.CHANNEL,
    )


def quiz(tally: str = "", prompt: str = "") -> QuizCard:
    return QuizCard(
        question_id="q-hoka-rbac-1",
        tip_id="hoka-rbac-1",
        prompt=prompt or "Bind a Role to a service account with a ______ in its namespace.",
        choices=tuple(
            Action(term, f"quiz-answer q-hoka-rbac-1 {i}", "quiz")
            for i, term in enumerate(("RoleBinding", "ConfigMap", "Ingress", "PodDisruption"))
        ),
        source=SOURCE,
        chapter="Ch. 10 Securing your AKS cluster",
        tally=tally,
    )


def quiz_reply(card: QuizCard | None = None) -> Reply:
    card = card or quiz()
    return Reply(ReplyKind.QUIZ, card.prompt, quiz=card, visibility=Visibility.CHANNEL)


def rows(payload: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [row["components"] for row in payload["components"]]


def test_a_tip_card_has_its_three_vote_buttons_in_a_row_of_their_own() -> None:
    payload = render(voted_tip()).to_json()
    card_row, vote_row = rows(payload)
    assert [b["label"] for b in card_row] == [
        "Another tip",
        "More on RBAC",
        "Share with the channel",
    ]
    assert [b["label"] for b in vote_row] == ["👍 Useful", "👎 Not useful", "✅ Knew it"]
    assert [b["custom_id"] for b in vote_row] == [
        "k8stip:vote useful hoka-rbac-1",
        "k8stip:vote not_useful hoka-rbac-1",
        "k8stip:vote knew_it hoka-rbac-1",
    ]
    assert {b["style"] for b in vote_row} == {discord.ButtonStyle.secondary.value}


def test_every_button_carries_its_command_as_custom_id() -> None:
    reply = voted_tip()
    payload = render(reply).to_json()
    ids = [b["custom_id"] for row in rows(payload) for b in row]
    assert ids == [f"k8stip:{a.command}" for a in reply.actions]
    assert [command_from_custom_id(i) for i in ids] == [a.command for a in reply.actions]


@given(st.lists(st.sampled_from(["another", "more", "share", "vote", "quiz"]), max_size=60))
def test_any_mix_of_buttons_keeps_discords_row_limits(kinds: list[str]) -> None:
    actions = tuple(
        Action("L" * 100, f"{kind} {i}" + "x" * 120, kind) for i, kind in enumerate(kinds)
    )
    payload = render(Reply(ReplyKind.TIP, "t", actions=actions)).to_json()
    assert len(payload["components"]) <= 5
    for row in rows(payload):
        assert 1 <= len(row) <= 5
        # One family a row: vote buttons never share a row with the card's other buttons.
        assert len({b["custom_id"].split(" ")[0] == "k8stip:vote" for b in row}) == 1
        for button in row:
            assert len(button["label"]) <= 80 and len(button["custom_id"]) <= CUSTOM_ID_MAX
    ids = [b["custom_id"] for row in rows(payload) for b in row]
    assert len(ids) == len(set(ids))


def test_a_quiz_card_shows_the_blank_the_source_and_one_button_per_choice() -> None:
    card = quiz()
    payload = render(quiz_reply(card)).to_json()
    (embed,) = payload["embeds"]
    assert embed["title"] == QUIZ_TITLE
    # Six underscores would be markdown; escaped, Discord shows them as they are.
    assert r"with a \_\_\_\_\_\_ in its namespace" in embed["description"]
    assert "RoleBinding" not in embed["description"]
    assert embed["footer"]["text"] == f"{SOURCE} · Ch. 10 Securing your AKS cluster"
    assert "fields" not in embed or embed["fields"] == []  # nobody answered yet: no tally
    assert payload["content"] is None  # the prompt is not repeated above the card
    (choices,) = rows(payload)
    assert [b["label"] for b in choices] == ["RoleBinding", "ConfigMap", "Ingress", "PodDisruption"]
    assert [b["custom_id"] for b in choices] == [
        f"k8stip:quiz-answer q-hoka-rbac-1 {i}" for i in range(4)
    ]
    assert payload["allowed_mentions"] == {"parse": []}


def test_a_quiz_card_with_answers_shows_the_tally() -> None:
    payload = render(quiz_reply(quiz(tally=tally_line(14, 9)))).to_json()
    assert payload["embeds"][0]["fields"] == [
        {"name": TALLY_LABEL, "value": "14 answered · 9 right", "inline": False}
    ]


def test_quiz_card_golden() -> None:
    check_golden("discord_quiz", render(quiz_reply(quiz(tally=tally_line(3, 2)))).to_json())


def test_a_quiz_with_more_actions_keeps_its_choices_on_the_first_row() -> None:
    reply = replace(quiz_reply(), actions=(Action("Another quiz", "quiz", "another"),))
    first, second = rows(render(reply).to_json())
    assert [b["custom_id"] for b in first] == [
        f"k8stip:quiz-answer q-hoka-rbac-1 {i}" for i in range(4)
    ]
    assert [b["custom_id"] for b in second] == ["k8stip:quiz"]


def test_hostile_tip_and_quiz_text_stays_inert() -> None:
    card = replace(tip_card("rbac"), text=HOSTILE, note=HOSTILE)
    hostile_quiz = replace(quiz(prompt=f"{HOSTILE} ______"), tally=HOSTILE, source=HOSTILE)
    for reply in (voted_tip(card), quiz_reply(hostile_quiz)):
        payload = render(reply).to_json()
        assert payload["allowed_mentions"] == {"parse": []}
        for embed in payload["embeds"]:
            text = " ".join(
                [embed["description"], embed["footer"]["text"]]
                + [f["value"] for f in embed.get("fields", [])]
            )
            assert "@everyone" not in text and "<@&123456789012345678>" not in text
            # Nothing is a template or HTML on Discord: the text arrives as it was.
            assert "{{ config.secret }}" in embed["description"]
            assert "<script>" in embed["description"]


@pytest.mark.parametrize(
    "value",
    [
        "k8stip:" + "v" * 94,  # 101 characters: longer than any custom id Discord carries
        "K8STIP:vote useful x",
        "k8stip-vote useful x",
        "k8stip:vote useful \x00x",
        "k8stip:\u202evote",
        "x" * 10_000,
    ],
)
def test_malformed_custom_ids_are_not_commands(value: str) -> None:
    assert command_from_custom_id(value) is None


def test_an_edit_keeps_the_delivery_marker_of_the_message_it_replaces() -> None:
    embeds = render(quiz_reply(quiz(tally=tally_line(1, 1)))).embeds
    footer = embeds[-1].footer.text or ""
    keep_footer_marker(embeds, footer + " · delivery-9")
    assert embeds[-1].footer.text == footer + " · delivery-9"
    other = render(quiz_reply()).embeds
    keep_footer_marker(other, "someone else's footer")
    assert other[-1].footer.text == footer
