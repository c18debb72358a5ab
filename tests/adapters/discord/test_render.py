"""Reply -> Discord embed and component JSON: golden files, escaping, limits.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 pytest …`
and review the diff.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord.render import (
    COLOUR,
    CUSTOM_ID_MAX,
    command_from_custom_id,
    custom_id,
    embed_size,
    render,
)
from bot.core.replies import Action, Reply, ReplyKind, TipCard, Visibility
from tests.core_support import ROOT
from tests.fakes.discord_router import tip_card, tip_reply

GOLDEN = ROOT / "tests" / "adapters" / "golden"


def check_golden(name: str, payload: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing {path}; run with UPDATE_GOLDEN=1 once and review it"
    assert text == path.read_text(encoding="utf-8")


def test_tip_card_golden() -> None:
    check_golden("discord_tip", render(tip_reply("rbac")).to_json())


def test_search_results_golden() -> None:
    reply = Reply(
        ReplyKind.SEARCH,
        "2 tips match 'secret rotation'",
        cards=(tip_card("secrets"), tip_card("rbac")),
        actions=(Action("More on Secrets", "more secrets", "more"),),
        visibility=Visibility.EPHEMERAL,
    )
    check_golden("discord_search", render(reply).to_json())


def test_help_golden() -> None:
    reply = Reply(
        ReplyKind.HELP,
        "k8stip answers with Kubernetes tips.",
        lines=("/k8stip tip query:rbac — a tip on RBAC", "/k8stip topics — every topic"),
    )
    check_golden("discord_help", render(reply).to_json())


def test_a_tip_is_one_embed_in_the_k8stip_colour_without_duplicate_text() -> None:
    message = render(tip_reply())
    assert message.content is None
    (embed,) = message.embeds
    assert embed.colour == COLOUR
    assert embed.footer.text == tip_card().attribution


def test_notes_under_a_tip_are_shown_above_its_card() -> None:
    reply = tip_reply()
    noted = Reply(
        reply.kind, reply.text, reply.cards, reply.actions, reply.visibility, ("Paused: x",)
    )
    assert render(noted).content == "Paused: x"
    assert len(render(noted).embeds) == 1


def test_echoed_text_cannot_ping_or_format() -> None:
    reply = Reply(ReplyKind.INFO, "No tip matches '@here <@123456789012345678> _x_'")
    content = render(reply).content or ""
    assert "@here" not in content and "@\u200bhere" in content
    assert "<@123456789012345678>" not in content
    assert r"\_x\_" in content


def test_tip_text_keeps_its_markdown_but_not_mentions() -> None:
    card = TipCard("t", "Run `kubectl get pods` @everyone", "Book", "", ("rbac",), ("RBAC",))
    (embed,) = render(Reply(ReplyKind.TIP, card.text, cards=(card,))).embeds
    assert embed.description == "Run `kubectl get pods` @\u200beveryone"
    assert embed.footer.text == "Book"  # no chapter: no dangling separator


def test_long_text_is_clipped_to_discord_limits() -> None:
    card = TipCard("t", "x" * 5000, "S" * 3000, "", ("a",), ("A" * 2000,))
    message = render(
        Reply(ReplyKind.TIP, "", cards=(card,), actions=(Action("L" * 200, "c" * 300),))
    )
    payload = message.to_json()
    embed = payload["embeds"][0]
    assert len(embed["description"]) <= 4096 and embed["description"].endswith("…")
    assert sum(embed_size(e) for e in message.embeds) <= 6000
    assert len(embed["title"]) <= 256
    assert len(embed["footer"]["text"]) <= 2048
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    button = payload["components"][0]["components"][0]
    assert len(button["label"]) <= 80
    assert len(button["custom_id"]) <= CUSTOM_ID_MAX


card_texts = st.text(min_size=1, max_size=5000)


@given(st.lists(card_texts, min_size=1, max_size=12), st.text(max_size=3000))
def test_any_search_result_fits_one_discord_message(texts: list[str], header: str) -> None:
    cards = tuple(
        TipCard(f"t{i}", text, "Source " * 20, "Ch. 1 Intro", ("rbac",), ("RBAC",))
        for i, text in enumerate(texts)
    )
    message = render(Reply(ReplyKind.SEARCH, header, cards=cards))
    assert len(message.embeds) <= 10
    assert sum(embed_size(e) for e in message.embeds) <= 6000
    assert len(message.content or "") <= 2000
    assert "@everyone" not in (message.content or "")


@given(st.text(max_size=500))
def test_echoed_text_never_carries_a_live_mention(typed: str) -> None:
    content = render(Reply(ReplyKind.INFO, f"No tip matches '{typed} @everyone'")).content
    assert content is not None and "@everyone" not in content and "@here" not in content


def test_duplicate_actions_become_one_button() -> None:
    reply = Reply(ReplyKind.TIP, "t", actions=(Action("A", "rbac"), Action("B", "rbac")))
    components = render(reply).to_json()["components"]
    assert [b["custom_id"] for row in components for b in row["components"]] == ["k8stip:rbac"]


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=150))
def test_custom_ids_fit_and_round_trip(command: str) -> None:
    value = custom_id(command)
    assert len(value) <= CUSTOM_ID_MAX
    parsed = command_from_custom_id(value)
    if not command.strip().isprintable():  # no k8stip command carries control characters
        assert parsed is None
    elif command.strip() and len(command) <= CUSTOM_ID_MAX - len("k8stip:"):
        assert parsed == command.strip()


@pytest.mark.parametrize("value", ["other-app:vote", "", "k8stip:", "k8stip:   "])
def test_foreign_or_empty_custom_ids_are_not_ours(value: str) -> None:
    assert command_from_custom_id(value) is None
