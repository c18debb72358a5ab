"""Issue 13 on Slack, end to end: a member suggests a tip, admins review it (list, Edit in a
modal, Approve), the author hears by direct message, and the tip is searchable and drawn at
once. Everything is real but Slack (see members_support.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.core.engine import Engine
from bot.runtime.store import Store
from bot.runtime.store.suggestions import APPROVED
from tests.adapters.slack.members_support import (
    REVIEW_CHANNEL,
    Bot,
    button,
    buttons,
    running_bot,
    shown,
)
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import view_submission

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Amsterdam
SUGGESTED = "Give every Ingress an ingressClassName, or another controller may pick it up"
EDITED = (
    "Set spec.ingressClassName on every Ingress: with two ingress controllers installed, "
    "an Ingress without it may be served by either one."
)


@pytest.fixture
async def bot(fake: FakeSlack, engine: Engine, store: Store) -> AsyncIterator[Bot]:
    async with running_bot(fake, engine, store, NOW) as bot:
        yield bot


async def suggest_and_list(bot: Bot) -> dict[str, object]:
    """A member suggests SUGGESTED; returns an admin's `/k8stip review` answer."""
    thanks = await bot.command(f"suggest {SUGGESTED} | ingress")
    assert thanks["response_type"] == "ephemeral"
    assert "waits for an admin's review" in shown(thanks)
    return await bot.command("review", user="U_ADMIN")


async def test_a_suggestion_is_reviewed_edited_in_a_modal_approved_told_found_and_drawn(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    listed = await suggest_and_list(bot)
    # The reviewers heard of it in the review channel, with the three buttons.
    [notice] = fake.calls_to("chat.postMessage")
    assert notice.args["channel"] == REVIEW_CHANNEL
    assert "ingressClassName" in notice.args["text"] or "ingressClassName" in shown(notice.args)
    assert [b["text"]["text"] for b in buttons(notice.args)] == ["Approve #1", "Edit #1", "Reject #1"]

    assert listed["response_type"] == "ephemeral"
    assert "1 suggested tip waits for review" in shown(listed)
    assert [b["value"] for b in buttons(listed)] == [
        "review approve 1",
        "review edit 1",
        "review reject 1",
    ]

    # Edit opens a modal with the text and topics; submitting it saves the edit.
    edit_rid = await bot.press(button(listed, "Edit #1"), user="U_ADMIN")
    [view] = await fake.wait_for(lambda: fake.views)
    fields = {b["block_id"].split(":", 1)[-1]: b["element"] for b in view["blocks"]}
    assert fields["text"]["initial_value"] == SUGGESTED
    assert fields["topics"]["initial_value"] == "ingress"
    assert json.loads(view["private_metadata"])["command"] == "review save 1"
    envelope = await fake.push(
        "interactive", view_submission(view, {"text": EDITED}, user="U_ADMIN")
    )
    assert not (await fake.ack_for(envelope)).get("payload")  # the modal closes
    saved = await fake.wait_for(lambda: fake.calls_to("chat.postEphemeral"))
    assert "Saved #1" in saved[0].args["text"]
    s = store.suggestion(1)
    assert s is not None and (s.text, s.topics) == (EDITED, ("ingress",))
    assert fake.responses_for(edit_rid) == []  # the press opened the modal, nothing else

    # Approve: the author is told by direct message.
    approve_rid = await bot.press(button(listed, "Approve #1"), user="U_ADMIN")
    approved = await bot.answer_to(approve_rid)
    assert "Approved #1" in approved["text"]
    assert "was told by direct message" in shown(approved)
    assert [c.args["users"] for c in fake.calls_to("conversations.open")] == ["U_MEMBER"]
    dm = fake.calls_to("chat.postMessage")[-1]
    assert dm.args["channel"] == "DU_MEMBER"
    assert "approved" in dm.args["text"] and "spec.ingressClassName" in shown(dm.args)
    s = store.suggestion(1)
    assert s is not None and s.status == APPROVED and s.tip_id

    # Found by search, and drawn for its topic (the rotation reaches it within two asks).
    found = await bot.command("search ingressClassName controllers")
    assert "spec.ingressClassName" in shown(found)
    drawn = [shown(await bot.command("ingress")) for _ in range(2)]
    assert any("spec.ingressClassName" in d for d in drawn), drawn

    # A second admin pressing Approve later is told it was decided already, and by whom.
    again = await bot.answer_to(await bot.press(button(listed, "Approve #1"), user="U_OWNER"))
    assert "already approved by u_admin" in again["text"]
    assert len(fake.calls_to("conversations.open")) == 1  # the author is not told twice


@pytest.mark.both_databases
async def test_two_admins_pressing_approve_at_once_one_approves_and_the_other_is_told(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    listed = await suggest_and_list(bot)
    approve = button(listed, "Approve #1")
    rids = await asyncio.gather(
        bot.press(approve, user="U_ADMIN"), bot.press(approve, user="U_OWNER")
    )
    answers = [(await bot.answer_to(rid))["text"] for rid in rids]
    assert sum("Approved #1" in a for a in answers) == 1, answers
    assert sum("was already approved by" in a for a in answers) == 1, answers
    [dm] = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "DU_MEMBER"]
    assert "approved" in dm.args["text"]
    assert len(store.community_entries()) == 1
