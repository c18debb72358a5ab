"""Thread answers and the one allowed mention on Slack, end to end: real slack-bolt and
slack-sdk over the fake Slack (bot/adapters/slack/threads.py, mentions.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.render import render
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind, TipCard, Visibility
from bot.core.wording import daily_reply
from bot.ports import Target
from tests.adapters.slack.test_learning_presses import press
from tests.adapters.slack.test_render import validated
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import SECRETS_CARD, RecordingEvents, make_config, make_secrets, tip_reply

TARGET = Target("slack", "T1", "C_LEARN")
HOSTILE = TipCard(
    tip_id="hostile-1",
    text="Ping @everyone and <!channel> and <!here> and <@&999> and <!subteam^SEVIL> <@U666>.",
    source="A book",
    chapter="",
    topics=("secrets",),
    topic_titles=("Secrets",),
)
# Every sequence Slack turns into a ping: <!…> and <@…>.
PING = re.compile(r"<[!@][^>]*>")


@dataclass
class ThreadRouter:
    """Answers presses like the router with threads on: in the daily post's thread."""

    calls: list[Invocation] = field(default_factory=list)

    async def __call__(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        return tip_reply(SECRETS_CARD, Visibility.THREAD)


@pytest.fixture
async def adapter(fake: FakeSlack, events: RecordingEvents) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(make_config(fake.api_url), make_secrets(), ThreadRouter(), events)
    await adapter.start()
    yield adapter
    await adapter.stop()


def pings(message: dict[str, Any]) -> list[str]:
    """Every ping sequence in a message's text and its blocks' texts."""
    texts = [message["text"]]
    for block in message.get("blocks") or []:
        texts += [str(v) for v in _strings(block)]
    return [p for t in texts for p in PING.findall(t)]


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() if k in ("text", "elements") for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


async def test_a_daily_post_pings_exactly_its_user_group_whatever_the_tip_says(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    post = replace(daily_reply(HOSTILE), mention="group:S0123ABC")
    await adapter.post(TARGET, post, "delivery-1")
    [call] = fake.calls_to("chat.postMessage")
    message = validated({"text": call.args["text"], "blocks": call.args["blocks"]})
    assert message["text"].startswith("<!subteam^S0123ABC>")
    assert message["blocks"][0]["text"]["text"] == "<!subteam^S0123ABC>"
    assert set(pings(message)) == {"<!subteam^S0123ABC>"}
    assert "&lt;!channel&gt;" in message["text"]  # shown as text, never a ping


def test_a_member_mention_renders_as_the_member_and_a_malformed_token_pings_nobody() -> None:
    post = replace(daily_reply(HOSTILE), mention="user:U0AAA")
    assert set(pings(render(post, ephemeral=False))) == {"<@U0AAA>"}
    for bad in ("group:S1> <!channel", "role:123", "group:s0123abc", "everyone:x"):
        assert pings(render(replace(post, mention=bad), ephemeral=False)) == []


async def test_a_press_on_a_daily_post_is_answered_in_its_thread_for_everyone(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    ts = await adapter.post(TARGET, daily_reply(SECRETS_CARD), "delivery-2")
    rid, _ = await press(fake, "more secrets", kind="more", ts=ts)

    def two_posts() -> list[Any]:
        calls = fake.calls_to("chat.postMessage")
        return calls if len(calls) == 2 else []

    [_, answer] = await fake.wait_for(two_posts)
    assert answer.args["thread_ts"] == ts and answer.args["channel"] == "C_LEARN"
    assert fake.channels["C_LEARN"].messages[-1]["thread_ts"] == ts
    validated({"blocks": answer.args["blocks"]})
    assert fake.responses_for(rid) == []  # nothing privately: the thread has it


async def test_when_slack_refuses_the_thread_the_presser_gets_the_answer_privately(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    ts = await adapter.post(TARGET, daily_reply(SECRETS_CARD), "delivery-3")
    fake.fail("chat.postMessage", error="not_in_channel")
    rid, _ = await press(fake, "another", kind="another", ts=ts)
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert answer["response_type"] == "ephemeral"
    assert SECRETS_CARD.tip_id in str(answer["blocks"]) or "Key Vault" in answer["text"]
    assert [m for m in fake.channels["C_LEARN"].messages if m.get("thread_ts")] == []


async def test_a_thread_answer_to_an_ephemeral_message_goes_privately(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    rid, _ = await press(fake, "more secrets", kind="more", ephemeral=True)
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert answer["response_type"] == "ephemeral"
    assert fake.calls_to("chat.postMessage") == []


def test_a_thread_reply_renders_without_a_share_button() -> None:
    reply = replace(tip_reply(SECRETS_CARD), visibility=Visibility.THREAD, kind=ReplyKind.TIP)
    rendered = render(reply, ephemeral=False)
    kinds = [
        e["action_id"] for b in rendered["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert not any(":share:" in k for k in kinds)
