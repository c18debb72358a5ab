"""Block Kit rendering: golden JSON for a tip card and a search result, escaping, mentions."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.adapters.slack.render import SECTION_TEXT_MAX, action_kind, mrkdwn, render
from bot.core.replies import Action, Reply, ReplyKind, TipCard, Visibility
from tests.core_support import ROOT
from tests.slack_support import RBAC_CARD, SECRETS_CARD, StandInRouter, tip_reply

GOLDEN = ROOT / "tests" / "adapters" / "golden"


def validated(message: dict[str, Any]) -> dict[str, Any]:
    """Round-trip every block through slack-sdk's models, which enforce Slack's limits."""
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        assert block.to_dict() == raw
    return message


def check_golden(name: str, message: dict[str, Any]) -> None:
    path = GOLDEN / name
    text = json.dumps(message, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_ephemeral_tip_card_matches_golden_block_kit() -> None:
    """An ephemeral tip: escaped text with a live link, source · chapter, topics, buttons."""
    message = validated(render(tip_reply(SECRETS_CARD)))
    check_golden("slack_tip_card.json", message)
    body = message["blocks"][0]["text"]["text"]
    assert "&amp; rotate" in body
    assert (
        "<https://learn.microsoft.com/azure/aks/csi-secrets-store-driver?tabs=a&amp;b=c>." in body
    )
    context = [e["text"] for e in message["blocks"][1]["elements"]]
    assert context == [
        "Hands-On Kubernetes on Azure, 2nd ed. · Ch. 10 Securing your AKS cluster",
        "Topics: Secrets · Security",
    ]
    buttons = message["blocks"][-1]["elements"]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        ("Another tip", "tip secrets"),
        ("More on Secrets", "search secrets"),
        ("Share in channel", "share hoka-ch10-007"),
    ]
    assert [action_kind(b["action_id"]) for b in buttons] == ["another", "more", "share"]


def test_search_results_match_golden_with_a_share_button_each() -> None:
    reply = Reply(
        kind=ReplyKind.SEARCH, text="2 tips match “rbac”", cards=(RBAC_CARD, SECRETS_CARD)
    )
    message = validated(render(reply))
    check_golden("slack_search_results.json", message)
    shares = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert [(s["text"]["text"], s["value"]) for s in shares] == [
        ("Share", "share hoka-ch08-002"),
        ("Share", "share hoka-ch10-007"),
    ]
    assert "&lt;ClusterRoles&gt;" in message["blocks"][1]["text"]["text"]


def test_channel_post_has_no_share_button_and_a_plain_fallback() -> None:
    message = validated(render(tip_reply(SECRETS_CARD, Visibility.CHANNEL)))
    labels = [b["text"]["text"] for b in message["blocks"][-1]["elements"]]
    assert labels == ["Another tip", "More on Secrets"]
    assert message["text"].startswith("Don't put secrets in env vars")
    assert "Hands-On Kubernetes on Azure, 2nd ed. · Ch. 10" in message["text"]


def test_a_daily_post_keeps_its_header_line_above_the_tip() -> None:
    reply = tip_reply(SECRETS_CARD, Visibility.CHANNEL)
    daily = Reply(
        kind=reply.kind,
        text=f"Today's Kubernetes tip: {SECRETS_CARD.text}",
        cards=reply.cards,
        actions=reply.actions,
        visibility=reply.visibility,
    )
    message = validated(render(daily))
    assert message["blocks"][0]["text"]["text"] == "*Today's Kubernetes tip*"
    assert message["blocks"][1]["text"]["text"].startswith("Don't put secrets")
    assert message["text"].startswith("Today's Kubernetes tip: Don't put secrets")


def test_mentions_and_broadcasts_in_echoed_text_are_neutralised() -> None:
    typed = "<!everyone> <!here> <!channel> <@U123ABC> <#C999|general> @here @channel @Everyone"
    reply = Reply(kind=ReplyKind.INFO, text=f"No tip matches “{typed}”")
    message = validated(render(reply))
    for text in (message["text"], message["blocks"][0]["text"]["text"]):
        assert "<!" not in text and "<@" not in text and "<#" not in text
        assert re.search(r"@(here|channel|everyone)\b", text, re.IGNORECASE) is None
        assert "&lt;!everyone&gt;" in text
        assert "@\u200dhere" in text


def test_overlong_tip_is_cut_within_slack_limits_without_half_an_escape() -> None:
    card = TipCard(
        tip_id="long", text="a & b < c " * 600, source="S", chapter="", topics=(), topic_titles=()
    )
    message = validated(render(Reply(kind=ReplyKind.TIP, text=card.text, cards=(card,))))
    body = message["blocks"][0]["text"]["text"]
    assert len(body) <= SECTION_TEXT_MAX
    assert body.endswith("…")
    assert re.search(r"&[a-z]*…$", body) is None


_PIECES = [*"<>&@!#|:/ .()[]", "here", "channel", "everyone", "U123", "http", "https://x.io/a"]


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_any_user_text_renders_without_live_mentions(text: str) -> None:
    """Whatever a user types, the only `<…>` left are links we made ourselves."""
    out = mrkdwn(text)
    for m in re.finditer(r"<([^>]*)>?", out):
        assert m.group(1).startswith(("http://", "https://")), out
    outside_links = re.sub(r"<https?://[^>]*>", "", out)  # an @ inside a URL is just a URL
    assert re.search(r"@(here|channel|everyone)\b", outside_links, re.IGNORECASE) is None


_TEXT = st.lists(
    st.sampled_from([*"ab &<>@|*_`\n", "é", "☸", "@here ", "<!channel>"]), max_size=1500
).map("".join)


@given(text=_TEXT, label=st.text(max_size=120), kind=st.sampled_from(list(ReplyKind)))
def test_any_reply_renders_to_block_kit_slack_accepts(
    text: str, label: str, kind: ReplyKind
) -> None:
    """Escaping can triple a text's length; every block still fits Slack's limits."""
    card = TipCard(
        tip_id="t1",
        text=text or "x",
        source=label or "S",
        chapter=label,
        topics=("a",),
        topic_titles=(label or "A",),
        links=("https://example.com/a?b=1&c=<2>",),
    )
    reply = Reply(
        kind=kind,
        text=text,
        cards=(card, card) if kind is ReplyKind.SEARCH else (card,),
        actions=(Action(label or "go", "tip a"),),
        lines=(text[:100],),
    )
    message = validated(render(reply))
    assert len(message["text"]) <= 3000
    assert 0 < len(message["blocks"]) <= 50


async def test_stand_in_router_answers_match_what_the_adapter_expects() -> None:
    """Guards the stand-in itself: search replies are SEARCH with cards, unknown text is echoed."""
    from bot.core.invocation import Invocation

    router = StandInRouter()
    reply = await router(Invocation("slack", "T1", "C1", "U1", text="search rbac"))
    assert reply.kind is ReplyKind.SEARCH and len(reply.cards) == 2
    echo = await router(Invocation("slack", "T1", "C1", "U1", text="@here what"))
    assert "@here what" in echo.text
