"""The reader's note under a tip, on every platform: labelled, and rendered as text (no markup,
no mentions, no masked links), like anything a person typed. Cards without a note are
unchanged (the other golden files)."""

from __future__ import annotations

from dataclasses import replace

from bot.adapters.console.adapter import render_card
from bot.adapters.discord.render import render as discord_render
from bot.adapters.slack.render import render as slack_render
from bot.core.replies import NOTE_LABEL
from tests.adapters.discord.test_render import check_golden as discord_golden
from tests.adapters.slack.test_render import check_golden as slack_golden
from tests.adapters.slack.test_render import validated
from tests.fakes.discord_router import tip_reply as discord_tip_reply
from tests.slack_support import SECRETS_CARD, tip_reply

NOTE = "Ask @here first <!channel> & see [docs](http://evil.example) *now*"


def test_slack_card_shows_the_note_in_a_context_block_under_the_tip() -> None:
    card = replace(SECRETS_CARD, note=NOTE)
    message = validated(slack_render(tip_reply(card)))
    slack_golden("slack_tip_card_note.json", message)
    note_block = message["blocks"][1]
    assert note_block["type"] == "context"
    text = note_block["elements"][0]["text"]
    assert text.startswith(f"*{NOTE_LABEL}:* ")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "@here" not in text and "&amp;" in text
    assert "](http" not in text  # no masked link
    assert message["blocks"][2]["elements"][0]["text"].startswith("Hands-On Kubernetes")


def test_discord_card_shows_the_note_as_a_field_escaped() -> None:
    reply = discord_tip_reply("rbac")
    reply = replace(reply, cards=(replace(reply.cards[0], note=NOTE),))
    payload = discord_render(reply).to_json()
    discord_golden("discord_tip_note", payload)
    field = payload["embeds"][0]["fields"][0]
    assert field["name"] == NOTE_LABEL
    assert "@here" not in field["value"] and "\\*now\\*" in field["value"]
    assert "\\[docs\\]" in field["value"] or "\\[docs]" in field["value"]


def test_console_card_shows_the_note_under_the_tip() -> None:
    card = replace(SECRETS_CARD, note="Ask first\x1b[2J")
    lines = render_card(card)
    assert lines[1] == f"  {NOTE_LABEL}: Ask first"
    assert lines[2].startswith("  — Hands-On Kubernetes")


def test_cards_without_a_note_have_no_note_line() -> None:
    assert all(NOTE_LABEL not in line for line in render_card(SECRETS_CARD))
    assert len(slack_render(tip_reply(SECRETS_CARD))["blocks"]) == 3
