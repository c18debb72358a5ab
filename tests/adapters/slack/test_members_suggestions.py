"""Issue 13 on Slack, end to end: a member suggests a tip, admins review it (list, Edit in a
modal, Approve), the author hears by direct message, and the tip is searchable and drawn at
once. Everything is real but Slack (see members_support.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
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
from tests.slack_support import NOW as WALL_CLOCK
from tests.slack_support import (
    actions_form,
    block_actions,
    form,
    migrated,
    sign,
    slash_command,
    view_submission,
)

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
    assert [b["text"]["text"] for b in buttons(notice.args)] == [
        "Approve #1",
        "Edit #1",
        "Reject #1",
    ]

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


HOSTILE = "<!channel> <@U_ADMIN> @everyone <script>x</script> drain nodes with kubectl drain first"


async def test_a_hostile_suggestion_pings_nobody_in_the_review_notice_the_list_or_the_dm(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    thanks = await bot.command(f"suggest {HOSTILE} | kubectl")
    assert "waits for an admin's review" in shown(thanks)
    listed = await bot.command("review", user="U_ADMIN")
    await bot.answer_to(await bot.press(button(listed, "Approve #1"), user="U_ADMIN"))
    [notice, dm] = fake.calls_to("chat.postMessage")
    for message in (thanks, listed, notice.args, dm.args):
        text = shown(message)
        assert "<!channel>" not in text and "<@U_ADMIN>" not in text and "<script>" not in text
        assert "@everyone" not in text
    assert (notice.args["channel"], dm.args["channel"]) == (REVIEW_CHANNEL, "DU_MEMBER")


async def test_approve_pressed_on_the_review_channels_notice_answers_the_admin_privately(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    await bot.command(f"suggest {SUGGESTED} | ingress")
    [notice] = fake.channels[REVIEW_CHANNEL].messages
    rid = await bot.press(
        button(notice, "Approve #1"),
        user="U_ADMIN",
        ts=notice["ts"],
        ephemeral=False,
        channel=REVIEW_CHANNEL,
    )
    answer = await bot.answer_to(rid)
    assert answer["response_type"] == "ephemeral"
    assert "Approved #1" in answer["text"]
    member = await bot.answer_to(
        await bot.press(button(notice, "Reject #1"), user="U_MEMBER", channel=REVIEW_CHANNEL)
    )
    assert "Only workspace admins" in member["text"]


async def test_a_rejected_suggestion_is_told_to_its_author_by_direct_message(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    listed = await suggest_and_list(bot)
    answer = await bot.answer_to(await bot.press(button(listed, "Reject #1"), user="U_ADMIN"))
    assert "Rejected #1" in answer["text"] and "was told by direct message" in shown(answer)
    dm = fake.calls_to("chat.postMessage")[-1]
    assert dm.args["channel"] == "DU_MEMBER" and "not approved" in dm.args["text"]
    s = store.suggestion(1)
    assert s is not None and s.status == "rejected" and store.community_entries() == []


async def test_an_edit_with_an_unknown_topic_keeps_the_modal_open_with_the_reason(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    listed = await suggest_and_list(bot)
    await bot.press(button(listed, "Edit #1"), user="U_ADMIN")
    [view] = await fake.wait_for(lambda: fake.views)
    envelope = await fake.push(
        "interactive", view_submission(view, {"topics": "nosuchtopic"}, user="U_ADMIN")
    )
    ack = (await fake.ack_for(envelope)).get("payload") or {}
    assert ack.get("response_action") == "errors", ack
    s = store.suggestion(1)
    assert s is not None and s.topics == ("ingress",)


async def signed(bot: Bot, payload: dict[str, object], *, command: bool = False) -> tuple[int, str]:
    """POST `payload` (an interaction, or a slash command's fields) to the HTTP-mode adapter
    as Slack would: form-encoded and signed."""
    body = form({k: str(v) for k, v in payload.items()}) if command else actions_form(payload)
    url = f"http://127.0.0.1:{bot.adapter.http_port}/slack/events"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=sign(body, WALL_CLOCK)) as resp,
    ):
        return resp.status, await resp.text()


async def test_over_http_a_signed_edit_press_opens_the_modal_and_a_signed_submission_saves(
    fake: FakeSlack, engine: Engine, store: Store, tmp_path: Path
) -> None:
    ledger = migrated(f"sqlite:///{tmp_path}/ledger.db")
    async with running_bot(fake, engine, store, NOW, http_database=ledger) as bot:
        _, url = fake.response_url()
        suggest = slash_command(f"suggest {SUGGESTED} | ingress", url)
        status, text = await signed(bot, dict(suggest), command=True)
        assert status == 200 and "waits for an admin's review" in text
        _, url = fake.response_url()
        press = block_actions("k8stip:review:1", "review edit 1", url, user="U_ADMIN")
        assert (await signed(bot, press))[0] == 200
        [view] = await fake.wait_for(lambda: fake.views)
        status, text = await signed(bot, view_submission(view, {"text": EDITED}, user="U_ADMIN"))
        assert (status, text) == (200, "")
        s = store.suggestion(1)
        assert s is not None and s.text == EDITED
        forged = actions_form(view_submission(view, {"text": "forged " + EDITED}, user="U_ADMIN"))
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{bot.adapter.http_port}/slack/events",
                data=forged,
                headers=sign(forged, WALL_CLOCK, secret="not-the-secret"),
            ) as resp,
        ):
            assert resp.status == 401
        s = store.suggestion(1)
        assert s is not None and s.text == EDITED


@pytest.mark.parametrize(
    ("text", "told"),
    [
        # One 10,000-character word used to be cut to nothing ("Write the tip after...").
        ("x" * 10_000, "The tip is too long"),
        (("word " * 2000).strip(), "The tip is too long"),
        ("🙂" * 300, "at least 4 words"),
        ("<!everyone>", "at least 4 words"),
        ("", "Write the tip after the command"),
    ],
)
async def test_a_suggestion_that_cannot_be_a_tip_is_refused_saying_what_to_fix(
    fake: FakeSlack, bot: Bot, store: Store, text: str, told: str
) -> None:
    refused = await bot.command(f"suggest {text}")
    assert refused["response_type"] == "ephemeral"
    assert told in refused["text"], refused["text"]
    assert "Example: /k8stip suggest" in refused["text"]
    assert "<!everyone>" not in shown(refused)
    assert store.pending_suggestions(10) == ([], 0)
    assert fake.calls_to("chat.postMessage") == []


async def test_a_review_channel_without_the_bot_still_queues_the_suggestion(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    fake.channels[REVIEW_CHANNEL].members = False
    thanks = await bot.command(f"suggest {SUGGESTED} | ingress")
    assert "waits for an admin's review" in shown(thanks)
    assert [c.args["channel"] for c in fake.calls_to("chat.postMessage")] == [REVIEW_CHANNEL]
    assert fake.channels[REVIEW_CHANNEL].messages == []
    s = store.suggestion(1)
    assert s is not None and s.status == "pending"


async def test_edit_pressed_after_another_admin_approved_says_so_and_opens_nothing(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    listed = await suggest_and_list(bot)
    await bot.answer_to(await bot.press(button(listed, "Approve #1"), user="U_ADMIN"))
    late = await bot.answer_to(await bot.press(button(listed, "Edit #1"), user="U_OWNER"))
    assert "already approved by u_admin" in late["text"]
    assert fake.views == []


async def test_an_approved_tip_is_posted_daily_credited_to_its_author(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    await bot.command("subscribe 09:00 Europe/Amsterdam daily ingress", user="U_ADMIN")
    listed = await suggest_and_list(bot)
    await bot.answer_to(await bot.press(button(listed, "Approve #1"), user="U_ADMIN"))
    s = store.suggestion(1)
    assert s is not None
    posted = []
    for day in (2, 3):  # two tips on Ingress now: the rotation shows both in two days
        posted += await bot.run_pass(datetime(2026, 12, day, 8, 5, tzinfo=UTC))
    assert s.tip_id in [r.tip_id for r in posted]
    [daily] = [
        m
        for m in fake.channels["C_LEARN"].messages
        if "ingressClassName" in m["blocks"][1]["text"]["text"]
    ]
    assert "Community · suggested by u_member, approved by u_admin" in shown(daily)
