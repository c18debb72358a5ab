"""Feedback and quiz presses end to end: real slack-bolt over the fake Slack (Socket Mode and
signed HTTP), a stand-in router that answers as issue 12's handlers will.

A vote or a quiz answer is told to the presser alone; a quiz card's tally is edited in place.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bot.adapters.slack import SlackAdapter
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind, Visibility, tally_line
from bot.core.wording import feedback_actions
from bot.ports import Target
from tests.adapters.slack.test_learning_render import QUIZ, quiz_reply, with_feedback
from tests.adapters.slack.test_render import validated
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    NOW,
    SECRETS_CARD,
    RecordingEvents,
    actions_form,
    block_actions,
    http_mode_adapter,
    make_config,
    make_secrets,
    sign,
    tip_reply,
)

TARGET = Target("slack", "T1", "C_LEARN")
USEFUL = "vote useful hoka-ch10-007"
RIGHT = "quiz-answer hoka-ch10-007~secrets 1"


@dataclass
class LearningRouter:
    """Answers votes and quiz answers like the router will, in the channel's visibility
    (so a test can see the adapter keep them private); records every Invocation."""

    calls: list[Invocation] = field(default_factory=list)
    gate: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    answered: int = 0

    async def __call__(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        self.arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        verb, *rest = inv.text.split()
        if verb == "vote":
            return Reply(ReplyKind.INFO, f"Noted: {rest[0]}.", visibility=Visibility.CHANNEL)
        if verb == "quiz-answer":
            self.answered += 1
            tally = tally_line(self.answered, self.answered)
            update = quiz_reply(replace(QUIZ, tally=tally), visibility=Visibility.CHANNEL)
            return replace(
                tip_reply(SECRETS_CARD, Visibility.CHANNEL),
                text=f"Right: Secrets. {SECRETS_CARD.text}",
                source_update=update,
            )
        return Reply(ReplyKind.INFO, "?")


@pytest.fixture
def learning() -> LearningRouter:
    return LearningRouter()


@pytest.fixture
async def adapter(
    fake: FakeSlack, learning: LearningRouter, events: RecordingEvents
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(make_config(fake.api_url), make_secrets(), learning, events)
    await adapter.start()
    yield adapter
    await adapter.stop()


def press_payload(
    fake: FakeSlack,
    value: str,
    *,
    kind: str,
    ts: str | None = None,
    ephemeral: bool = False,
    user: str = "U_MEMBER",
) -> tuple[str, dict[str, Any]]:
    rid, url = fake.response_url()
    payload = block_actions(f"k8stip:{kind}:2", value, url, user=user)
    payload["container"] = {
        "type": "message",
        "message_ts": ts or "1700000099.000100",
        "channel_id": "C_LEARN",
        "is_ephemeral": ephemeral,
    }
    return rid, payload


async def press(fake: FakeSlack, value: str, *, kind: str, **kw: Any) -> tuple[str, str]:
    """Press a button over the socket; returns (response_url id, envelope id)."""
    rid, payload = press_payload(fake, value, kind=kind, **kw)
    return rid, await fake.push("interactive", payload)


async def posted_quiz(fake: FakeSlack, adapter: SlackAdapter) -> str:
    """A quiz-mode daily post in C_LEARN; returns its ts."""
    return await adapter.post(TARGET, quiz_reply(replace(QUIZ, tally="")), "delivery-7")


async def test_a_daily_tip_is_posted_with_its_feedback_buttons_and_delivery_metadata(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    daily = with_feedback(tip_reply(SECRETS_CARD, Visibility.CHANNEL), SECRETS_CARD)
    ts = await adapter.post(TARGET, daily, "delivery-8")
    [call] = fake.calls_to("chat.postMessage")
    assert call.args["metadata"]["event_payload"] == {"delivery_id": "delivery-8"}
    message = validated({"blocks": call.args["blocks"]})
    rows = [
        [b["value"] for b in r["elements"]] for r in message["blocks"] if r["type"] == "actions"
    ]
    assert rows == [
        [
            "vote useful hoka-ch10-007",
            "vote not_useful hoka-ch10-007",
            "vote knew_it hoka-ch10-007",
        ],
        ["tip secrets", "search secrets"],
    ]
    assert fake.channels["C_LEARN"].messages[0]["ts"] == ts


async def test_a_vote_press_routes_its_command_and_is_answered_only_to_the_presser(
    fake: FakeSlack, adapter: SlackAdapter, learning: LearningRouter
) -> None:
    rid, _ = await press(fake, USEFUL, kind="vote")
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    [inv] = learning.calls
    assert (inv.platform, inv.workspace, inv.channel, inv.user, inv.text, inv.is_admin) == (
        "slack",
        "T1",
        "C_LEARN",
        "U_MEMBER",
        USEFUL,
        False,
    )
    # The router said CHANNEL; a vote still never posts for everyone.
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert answer["text"] == "Noted: useful."
    assert fake.calls_to("chat.postMessage") == fake.calls_to("chat.update") == []


async def test_an_admins_vote_reaches_the_router_as_an_admins(
    fake: FakeSlack, adapter: SlackAdapter, learning: LearningRouter
) -> None:
    rid, _ = await press(fake, "vote not_useful hoka-ch10-007", kind="vote", user="U_ADMIN")
    await fake.wait_for(lambda: fake.responses_for(rid))
    [inv] = learning.calls
    assert (inv.user, inv.text, inv.is_admin) == ("U_ADMIN", "vote not_useful hoka-ch10-007", True)


async def test_a_vote_is_acked_before_the_router_answers(
    fake: FakeSlack, adapter: SlackAdapter, learning: LearningRouter
) -> None:
    learning.gate = asyncio.Event()
    rid, envelope = await press(fake, USEFUL, kind="vote")
    ack = await fake.ack_for(envelope)
    assert not ack.get("payload")
    async with asyncio.timeout(5):
        await learning.arrived.wait()
    assert fake.responses_for(rid) == []  # the router is still busy, the ack went anyway
    learning.gate.set()
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert answer["response_type"] == "ephemeral"


async def test_a_quiz_answer_edits_the_posted_card_and_answers_the_presser_privately(
    fake: FakeSlack, adapter: SlackAdapter, learning: LearningRouter
) -> None:
    ts = await posted_quiz(fake, adapter)
    [message] = fake.channels["C_LEARN"].messages
    assert message["metadata"]["event_payload"] == {"delivery_id": "delivery-7"}
    rid, _ = await press(fake, RIGHT, kind="quiz", ts=ts)
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    [update] = await fake.wait_for(lambda: fake.calls_to("chat.update"))

    assert learning.calls[0].text == RIGHT
    # The router learns which message was pressed: the quiz answer finds its posting by it.
    assert learning.calls[0].message_ref == ts
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert answer["text"].startswith("Right: Secrets.")
    # The whole tip, to the presser only, and no button to give the answer away to the channel.
    assert "Share in channel" not in json.dumps(answer)
    assert (update.args["channel"], update.args["ts"]) == ("C_LEARN", ts)
    tally = [b for b in message["blocks"] if b["type"] == "context"][-1]
    assert tally["elements"][0]["text"] == "1 answered · 1 right"
    choices = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
    assert choices[1]["value"] == RIGHT
    assert message["metadata"]["event_payload"] == {"delivery_id": "delivery-7"}
    assert len(fake.calls_to("chat.postMessage")) == 1  # the daily post; nothing more


async def test_a_burst_of_answers_sends_one_edit_at_a_time_and_the_latest_tally_wins(
    fake: FakeSlack, adapter: SlackAdapter, learning: LearningRouter
) -> None:
    ts = await posted_quiz(fake, adapter)
    release = asyncio.Event()
    fake.fail("chat.update", delay_event=release)  # the first edit waits until released
    rids = []
    for _ in range(3):
        rid, _ = await press(fake, RIGHT, kind="quiz", ts=ts)
        rids.append(rid)
    await fake.wait_for(lambda: all(fake.responses_for(r) for r in rids))
    await fake.wait_for(lambda: fake.calls_to("chat.update"))
    assert len(fake.calls_to("chat.update")) == 1
    release.set()
    await fake.wait_for(lambda: len(fake.calls_to("chat.update")) == 2)
    await adapter.stop()  # drains the edits in progress
    [message] = fake.channels["C_LEARN"].messages
    tally = [b for b in message["blocks"] if b["type"] == "context"][-1]
    assert tally["elements"][0]["text"] == "3 answered · 3 right"
    assert len(fake.calls_to("chat.update")) == 2  # the second answer's version never went


async def test_an_ephemeral_quiz_card_is_replaced_through_the_response_url(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    rid, _ = await press(fake, RIGHT, kind="quiz", ephemeral=True)
    bodies = await fake.wait_for(
        lambda: len(fake.responses_for(rid)) == 2 and fake.responses_for(rid)
    )
    [replaced] = [b for b in bodies if b["replace_original"] is True]
    [answer] = [b for b in bodies if b["replace_original"] is False]
    assert "1 answered · 1 right" in json.dumps(replaced, ensure_ascii=False)
    assert answer["response_type"] == "ephemeral"
    assert fake.calls_to("chat.update") == []


@pytest.mark.parametrize(
    "container",
    [
        None,
        {"type": "view", "view_id": "V1"},
        {"type": "message", "channel_id": "C_LEARN"},  # no message_ts
        {"type": "message", "message_ts": "../../api", "channel_id": "C_LEARN"},
        {"type": "message", "message_ts": "1.1", "channel_id": "C_LEARN&x=1"},
        {"type": "message", "message_ts": ["1.1"], "channel_id": "C_LEARN"},
        "not an object",
    ],
)
async def test_a_press_naming_no_usable_message_edits_nothing_and_still_answers(
    fake: FakeSlack, adapter: SlackAdapter, container: Any
) -> None:
    rid, payload = press_payload(fake, RIGHT, kind="quiz")
    if container is None:
        del payload["container"]
    else:
        payload["container"] = container
    await fake.push("interactive", payload)
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert answer["response_type"] == "ephemeral"
    await adapter.stop()
    assert fake.calls_to("chat.update") == []


async def test_a_card_that_cannot_be_edited_is_logged_once_and_answers_still_go(
    fake: FakeSlack,
    adapter: SlackAdapter,
    learning: LearningRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="k8stip.slack")
    rids = []
    for _ in range(3):  # the message is not in the channel: chat.update says message_not_found
        rid, _ = await press(fake, RIGHT, kind="quiz", ts="1700000555.000100")
        rids.append(rid)
        await fake.wait_for(lambda: fake.responses_for(rids[-1]))
        await fake.wait_for(lambda: fake.calls_to("chat.update"))
    await adapter.stop()
    assert all(fake.responses_for(r)[0]["response_type"] == "ephemeral" for r in rids)
    assert len(fake.calls_to("chat.update")) == 1  # then left alone
    edits = [r for r in caplog.records if "edit message" in r.getMessage()]
    assert len(edits) == 1 and "message_not_found" in edits[0].getMessage()
    assert edits[0].exc_info is None


async def test_a_failed_edit_of_a_live_card_is_logged_and_the_next_press_retries(
    fake: FakeSlack, adapter: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    ts = await posted_quiz(fake, adapter)
    fake.fail("chat.update", status=500)
    rid, _ = await press(fake, RIGHT, kind="quiz", ts=ts)
    await fake.wait_for(lambda: fake.responses_for(rid))
    await fake.wait_for(lambda: fake.calls_to("chat.update"))
    rid, _ = await press(fake, RIGHT, kind="quiz", ts=ts)
    await fake.wait_for(lambda: len(fake.calls_to("chat.update")) >= 2)
    await adapter.stop()
    [message] = fake.channels["C_LEARN"].messages
    assert "2 answered · 2 right" in json.dumps(message["blocks"], ensure_ascii=False)
    assert any("failed (HTTP 500)" in r.getMessage() for r in caplog.records)


# ----- HTTP mode: the signature is checked before any of this -------------------------------


@pytest.fixture
async def http_adapter(
    fake: FakeSlack, learning: LearningRouter, events: RecordingEvents, tmp_path: Any
) -> AsyncIterator[SlackAdapter]:
    async with http_mode_adapter(fake.api_url, learning, events, tmp_path) as adapter:
        yield adapter


async def http_send(adapter: SlackAdapter, body: str, headers: dict[str, str]) -> int:
    import aiohttp

    url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers) as resp:
        return resp.status


@pytest.mark.parametrize(("kind", "value"), [("vote", USEFUL), ("quiz", RIGHT)])
async def test_forged_or_unsigned_vote_and_quiz_presses_never_reach_the_router(
    fake: FakeSlack, http_adapter: SlackAdapter, learning: LearningRouter, kind: str, value: str
) -> None:
    _, payload = press_payload(fake, value, kind=kind)
    body = actions_form(payload)
    forged = sign(body, NOW, secret="not-the-secret")
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert await http_send(http_adapter, body, forged) == 401
    assert await http_send(http_adapter, body, unsigned) in (400, 401)
    assert learning.calls == []
    assert fake.calls == [] and fake.responses == []

    rid, payload = press_payload(fake, value, kind=kind)
    assert (
        await http_send(http_adapter, actions_form(payload), sign(actions_form(payload), NOW))
        == 200
    )
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert [c.text for c in learning.calls] == [value]
    assert answer["response_type"] == "ephemeral"


def test_feedback_buttons_from_the_core_are_what_these_tests_press() -> None:
    """Guards the fixtures: the values pressed here are the core's own commands."""
    assert feedback_actions("hoka-ch10-007")[0].command == USEFUL
    assert QUIZ.choices[1].command == RIGHT
