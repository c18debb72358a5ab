"""Block Kit for issue 12: the feedback buttons on every tip card, and quiz cards."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from bot.adapters.slack.render import (
    ACTION_ID_RE,
    BUTTON_LABEL_MAX,
    BUTTONS_PER_ACTIONS_BLOCK,
    action_kind,
    render,
)
from bot.core.replies import Action, QuizCard, Reply, ReplyKind, TipCard, Visibility, tally_line
from bot.core.wording import feedback_actions
from tests.adapters.slack.test_render import check_golden, validated
from tests.slack_support import RBAC_CARD, SECRETS_CARD, tip_reply

FEEDBACK = [
    ("👍 Useful", "vote useful hoka-ch10-007"),
    ("👎 Not useful", "vote not_useful hoka-ch10-007"),
    ("✅ Knew it", "vote knew_it hoka-ch10-007"),
]

QUIZ = QuizCard(
    question_id="hoka-ch10-007~secrets",
    tip_id="hoka-ch10-007",
    prompt=(
        "Don't put ______ in env vars of the Deployment spec: mount them from Azure Key Vault "
        "with the CSI driver & rotate them there."
    ),
    choices=tuple(
        Action(label, f"quiz-answer hoka-ch10-007~secrets {i}", "quiz")
        for i, label in enumerate(("ConfigMaps", "Secrets", "Service accounts", "Volumes"))
    ),
    source="Hands-On Kubernetes on Azure, 2nd ed.",
    chapter="Ch. 10 Securing your AKS cluster",
    tally=tally_line(14, 9),
)


def with_feedback(reply: Reply, *cards: TipCard) -> Reply:
    """`reply` with each card's feedback buttons, as the router adds them."""
    votes = tuple(a for card in cards for a in feedback_actions(card.tip_id))
    return replace(reply, actions=reply.actions + votes)


def quiz_reply(card: QuizCard = QUIZ, **kw: Any) -> Reply:
    return Reply(kind=ReplyKind.QUIZ, text=card.prompt, quiz=card, **kw)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_a_tip_card_has_the_three_feedback_buttons_in_their_own_row_under_it() -> None:
    message = validated(render(with_feedback(tip_reply(SECRETS_CARD), SECRETS_CARD)))
    check_golden("slack_tip_card_feedback.json", message)
    types = [b["type"] for b in message["blocks"]]
    assert types == ["section", "context", "actions", "actions"]
    votes, others = message["blocks"][2]["elements"], message["blocks"][3]["elements"]
    assert [(b["text"]["text"], b["value"]) for b in votes] == FEEDBACK
    assert [action_kind(b["action_id"]) for b in votes] == ["vote"] * 3
    assert [b["text"]["text"] for b in others] == [
        "Another tip",
        "More on Secrets",
        "Share in channel",
    ]
    ids = [b["action_id"] for b in buttons(message)]
    assert len(set(ids)) == len(ids) == 6
    assert all(ACTION_ID_RE.match(i) for i in ids)
    assert [i for i in ids if i.startswith("k8stip:vote:")] == [
        "k8stip:vote:2",
        "k8stip:vote:3",
        "k8stip:vote:4",
    ]


def test_a_daily_post_keeps_its_feedback_buttons_and_drops_only_share() -> None:
    message = validated(
        render(with_feedback(tip_reply(SECRETS_CARD, Visibility.CHANNEL), SECRETS_CARD))
    )
    kinds = [action_kind(b["action_id"]) for b in buttons(message)]
    assert kinds == ["vote", "vote", "vote", "another", "more"]


def test_search_results_get_each_cards_feedback_row_under_that_card() -> None:
    reply = Reply(
        kind=ReplyKind.SEARCH, text="2 tips match “rbac”", cards=(RBAC_CARD, SECRETS_CARD)
    )
    message = validated(render(with_feedback(reply, SECRETS_CARD, RBAC_CARD)))
    rows = [(i, b) for i, b in enumerate(message["blocks"]) if b["type"] == "actions"]
    divider = next(i for i, b in enumerate(message["blocks"]) if b["type"] == "divider")
    (first_at, first), (second_at, second) = rows
    assert first_at < divider < second_at
    assert {b["value"].split()[-1] for b in first["elements"]} == {"hoka-ch08-002"}
    assert {b["value"].split()[-1] for b in second["elements"]} == {"hoka-ch10-007"}


def test_a_quiz_card_matches_golden_with_its_blank_source_tally_and_choices() -> None:
    message = validated(render(quiz_reply(visibility=Visibility.CHANNEL)))
    check_golden("slack_quiz_card.json", message)
    prompt, source, tally, choices = message["blocks"]
    assert "Don't put ______ in env vars" in prompt["text"]["text"]
    assert "&amp; rotate" in prompt["text"]["text"]
    assert source["elements"][0]["text"] == (
        "Hands-On Kubernetes on Azure, 2nd ed. · Ch. 10 Securing your AKS cluster"
    )
    assert tally["elements"][0]["text"] == "14 answered · 9 right"
    assert [(b["action_id"], b["text"]["text"], b["value"]) for b in choices["elements"]] == [
        ("k8stip:quiz:0", "ConfigMaps", "quiz-answer hoka-ch10-007~secrets 0"),
        ("k8stip:quiz:1", "Secrets", "quiz-answer hoka-ch10-007~secrets 1"),
        ("k8stip:quiz:2", "Service accounts", "quiz-answer hoka-ch10-007~secrets 2"),
        ("k8stip:quiz:3", "Volumes", "quiz-answer hoka-ch10-007~secrets 3"),
    ]
    assert all(action_kind(b["action_id"]) == "quiz" for b in choices["elements"])


def test_a_quiz_nobody_answered_has_no_tally_line_and_never_a_share_button() -> None:
    message = validated(render(quiz_reply(replace(QUIZ, tally="")), ephemeral=True))
    assert [b["type"] for b in message["blocks"]] == ["section", "context", "actions"]
    assert "answered" not in json.dumps(message)
    assert {action_kind(b["action_id"]) for b in buttons(message)} == {"quiz"}


def test_a_quizs_own_buttons_and_lines_come_after_its_choices_with_distinct_ids() -> None:
    reply = quiz_reply(
        actions=(Action("Another quiz", "quiz", "another"),),
        lines=("Yesterday's answer: Secrets",),
    )
    message = validated(render(reply, ephemeral=False))
    types = [b["type"] for b in message["blocks"]]
    assert types == ["section", "context", "context", "actions", "section", "actions"]
    ids = [b["action_id"] for b in buttons(message)]
    assert ids == [*(f"k8stip:quiz:{i}" for i in range(4)), "k8stip:another:4"]


def test_many_choices_are_split_into_rows_of_at_most_25_and_long_labels_cut() -> None:
    choices = tuple(Action(f"{i} " + "x" * 100, f"quiz-answer q {i}", "quiz") for i in range(30))
    message = validated(render(quiz_reply(replace(QUIZ, choices=choices))))
    rows = [b["elements"] for b in message["blocks"] if b["type"] == "actions"]
    assert [len(r) for r in rows] == [BUTTONS_PER_ACTIONS_BLOCK, 5]
    labels = [b["text"]["text"] for r in rows for b in r]
    assert all(len(label) <= BUTTON_LABEL_MAX for label in labels)
    ids = [b["action_id"] for r in rows for b in r]
    assert len(set(ids)) == 30


HOSTILE = "<script>alert(1)</script> @everyone <!here> <@U123> {{ config.secret }} ${HOME}"


def test_hostile_tip_and_quiz_text_stays_inert() -> None:
    card = replace(SECRETS_CARD, text=HOSTILE, chapter="@channel <#C1>")
    quiz = replace(
        QUIZ,
        prompt=HOSTILE.replace("alert(1)", "______"),
        chapter="@here",
        tally="<!channel> 1 answered",
        choices=(Action("@everyone <b>", "quiz-answer q 0", "quiz"),),
    )
    for reply in (
        with_feedback(Reply(kind=ReplyKind.TIP, text=HOSTILE, cards=(card,)), card),
        quiz_reply(quiz, lines=(HOSTILE,)),
    ):
        message = validated(render(reply, ephemeral=False))
        dumped = json.dumps(message, ensure_ascii=False)
        assert "<script>" not in dumped and "&lt;script&gt;" in dumped
        assert "<!here>" not in dumped and "<@U123>" not in dumped and "<#C1>" not in dumped
        assert re.search(r"@(here|channel|everyone)\b", dumped) is None
        assert "{{ config.secret }}" in dumped  # shown as typed: nothing here templates it
