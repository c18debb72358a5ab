"""The Slack adapter with the real corpus and engine (bot/engine.py): every bundled tip renders
to valid Block Kit, and a slash command over Socket Mode answers with a real tip card.

The router (bot/commands.py) is not on main yet; `engine_router` below does the little a
router does for `tip` and `search`, so the engine's own cards and messages go through the
adapter unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.render import render
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.replies import Action, Reply, ReplyKind, Visibility
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import RecordingEvents, make_config, make_secrets, slash_command


def engine_router(engine: Engine) -> Callable[[Invocation], Awaitable[Reply]]:
    async def handle(inv: Invocation) -> Reply:
        verb, _, rest = inv.text.partition(" ")
        if verb == "search":
            result = engine.search(rest)
            return Reply(kind=ReplyKind.SEARCH, text=result.message, cards=tuple(result.cards))
        answer = engine.tip(inv.text)
        if answer.card is None:
            return Reply(kind=ReplyKind.INFO, text=answer.message)
        topic = answer.card.topics[0]
        return Reply(
            kind=ReplyKind.TIP,
            text=answer.card.text,
            cards=(answer.card,),
            actions=(Action("Another tip", f"tip {topic}", "another"),),
        )

    return handle


def valid(message: dict[str, Any]) -> None:
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()


def test_every_bundled_tip_renders_to_valid_block_kit(engine: Engine) -> None:
    assert engine.corpus.tips
    for tip in engine.corpus.tips:
        card = engine.card(tip)
        for visibility in Visibility:
            reply = Reply(kind=ReplyKind.TIP, text=card.text, cards=(card,), visibility=visibility)
            message = render(reply)
            valid(message)
            assert card.chapter in message["blocks"][1]["elements"][0]["text"]


@pytest.mark.parametrize("query", ["rbac", "secrets", "networking", "monitoring", "helm"])
def test_real_search_results_render_to_valid_block_kit(engine: Engine, query: str) -> None:
    result = engine.search(query)
    reply = Reply(kind=ReplyKind.SEARCH, text=result.message, cards=tuple(result.cards))
    message = render(reply)
    valid(message)
    shares = [b["accessory"]["value"] for b in message["blocks"] if "accessory" in b]
    assert shares == [f"share {c.tip_id}" for c in result.cards]


async def test_a_slash_command_over_socket_mode_answers_with_a_real_tip(
    fake: FakeSlack, engine: Engine
) -> None:
    adapter = SlackAdapter(
        make_config(fake.api_url), make_secrets(), engine_router(engine), RecordingEvents()
    )
    await adapter.start()
    try:
        _, url = fake.response_url()
        envelope = await fake.push("slash_commands", slash_command("rbac", url))
        payload = (await fake.ack_for(envelope))["payload"]
        valid(payload)
        tip_id = payload["blocks"][-1]["elements"][-1]["value"].removeprefix("share ")
        tip = engine.corpus.by_id[tip_id]
        assert "rbac" in tip.topics
        assert payload["blocks"][1]["elements"][0]["text"].startswith(
            "Hands-On Kubernetes on Azure, 2nd ed. · Ch. "
        )
        _, url = fake.response_url()
        envelope = await fake.push("slash_commands", slash_command("@here zzzqqq", url))
        payload = (await fake.ack_for(envelope))["payload"]
        assert "@here" not in payload["text"]
    finally:
        await adapter.stop()
