"""Issue 13 on Slack, end to end: a member's own daily tip by direct message (subscribe me,
snooze, unsubscribe me), posted by the real Deliverer through the Slack adapter, once a day.
Everything is real but Slack (see members_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.engine import Engine
from bot.runtime.store import PAUSED, SENT, Store
from tests.adapters.slack.members_support import Bot, button, buttons, running_bot, shown
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tuesday, 11:00 in Amsterdam
WED = datetime(2026, 12, 2, 8, 5, tzinfo=UTC)  # 09:05 in Amsterdam
THU = datetime(2026, 12, 3, 8, 5, tzinfo=UTC)
SAT = datetime(2026, 12, 5, 8, 5, tzinfo=UTC)
SUN = datetime(2026, 12, 6, 8, 5, tzinfo=UTC)


@pytest.fixture
async def bot(fake: FakeSlack, engine: Engine, store: Store) -> AsyncIterator[Bot]:
    async with running_bot(fake, engine, store, NOW) as bot:
        yield bot


def dms(fake: FakeSlack) -> list[dict[str, object]]:
    return [c.args for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "DU_MEMBER"]


async def test_a_personal_tip_comes_by_direct_message_once_then_snoozes_and_stops(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    done = await bot.command("subscribe me 09:00 Europe/Amsterdam daily")
    assert done["response_type"] == "ephemeral"
    assert "Subscribed: a tip for you by direct message" in done["text"]
    [sub] = store.list_subscriptions()
    assert (sub.channel, sub.member) == ("dm:U_MEMBER", "U_MEMBER")

    [result] = await bot.run_pass(WED)
    assert result.status == SENT
    [dm] = dms(fake)
    assert [c.args["users"] for c in fake.calls_to("conversations.open")] == ["U_MEMBER"]
    assert "Kubernetes tip of the day" in shown(dm)
    assert await bot.run_pass(WED.replace(minute=6)) == []  # a second pass posts nothing
    assert len(dms(fake)) == 1

    bot.clock.set(WED.replace(minute=10))
    snoozed = await bot.command("snooze 2d")
    assert "Snoozed for 2 days" in snoozed["text"]
    assert [r for r in await bot.run_pass(THU) if r.status == SENT] == []
    assert len(dms(fake)) == 1  # nothing the next day

    [after] = await bot.run_pass(SAT)  # the snooze is over: the tip comes again
    assert after.status == SENT and len(dms(fake)) == 2

    bot.clock.set(SAT.replace(hour=12))
    gone = await bot.command("unsubscribe me")
    assert "Unsubscribed" in gone["text"]
    assert store.list_subscriptions() == []
    assert await bot.run_pass(SUN) == []
    assert len(dms(fake)) == 2


def personal_post(fake: FakeSlack) -> dict[str, Any]:
    """The latest personal tip in the member's DM, as Slack holds it."""
    message: dict[str, Any] = fake.channels["DU_MEMBER"].messages[-1]
    return message


@pytest.mark.parametrize(
    ("method", "code", "reason", "calls"),
    [
        ("chat.postMessage", "messages_tab_disabled", "Messages tab is turned off", 1),
        # Opened twice: the pass first looks for an earlier post (it runs 5 minutes late).
        ("conversations.open", "user_disabled", "member U_MEMBER was deactivated", 2),
    ],
)
async def test_a_refused_direct_message_pauses_the_personal_tip_and_subscribe_me_restarts_it(
    fake: FakeSlack, bot: Bot, store: Store, method: str, code: str, reason: str, calls: int
) -> None:
    await bot.command("subscribe me 09:00 Europe/Amsterdam daily")
    for _ in range(calls):
        fake.fail(method, error=code)
    [result] = await bot.run_pass(WED)
    assert result.status == PAUSED and reason in result.error
    assert fake.faults[method] == []  # every refusal was met: none is left for Thursday
    [sub] = store.list_subscriptions()
    assert sub.paused and reason in sub.paused_reason
    bot.clock.set(WED.replace(hour=12))
    status = await bot.command("status")
    assert "Your personal tip is paused" in status["text"], status
    again = await bot.command("subscribe me")
    assert "Changed: a tip for you by direct message" in again["text"]
    [result] = await bot.run_pass(THU)
    assert result.status == SENT and len(fake.channels["DU_MEMBER"].messages) == 1


async def test_commands_typed_in_the_direct_message_act_on_the_members_own_tip(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    fake.add_channel("DU_MEMBER")
    done = await bot.command("subscribe me 09:00 Europe/Amsterdam daily", channel="DU_MEMBER")
    assert "Subscribed" in done["text"], done
    assert "Snoozed for 2 days" in (await bot.command("snooze 2d", channel="DU_MEMBER"))["text"]
    history = await bot.command("history", channel="DU_MEMBER")
    assert "run this in a channel with a daily tip" in history["text"]
    status = await bot.command("status", channel="DU_MEMBER")
    assert "Snoozed until Thu 03 Dec 11:00 CET" in status["text"], status
    assert "Unsubscribed" in (await bot.command("unsubscribe me", channel="DU_MEMBER"))["text"]
    assert store.list_subscriptions() == []


async def test_a_channels_mention_never_reaches_a_members_personal_tip(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    await bot.command("subscribe 09:00 Europe/Amsterdam daily", user="U_ADMIN")
    await bot.command("mention <!subteam^S1|@k8s>", user="U_ADMIN")
    await bot.command("subscribe me 09:00 Europe/Amsterdam daily")
    assert sorted(r.channel for r in await bot.run_pass(WED)) == ["C_LEARN", "dm:U_MEMBER"]
    [dm] = dms(fake)
    assert "subteam" not in shown(dm)


@pytest.mark.parametrize("seed", range(6))
async def test_another_on_a_personal_tip_continues_its_rotation_not_the_ims(
    fake: FakeSlack, bot: Bot, store: Store, seed: int
) -> None:
    """Pressing Another on the personal tip never answers with that same tip (the rotation
    is the personal subscription's, kept under "dm:U_MEMBER", not the IM's id "DU_MEMBER");
    with two tips on KEDA it used to, for four seeds of six."""
    bot.router.rng.seed(seed)
    await bot.command("subscribe me 09:00 Europe/Amsterdam daily keda")
    [delivered] = await bot.run_pass(WED)
    post = personal_post(fake)
    rid = await bot.press(
        button(post, "Another"), ts=post["ts"], ephemeral=False, channel="DU_MEMBER"
    )
    answer = await bot.answer_to(rid)
    assert answer["response_type"] == "ephemeral"
    [shared] = [b["value"] for b in buttons(answer) if b["value"].startswith("share ")]
    assert shared != f"share {delivered.tip_id}"
    assert shared.removeprefix("share ") in {
        t.id for t in bot.engine.corpus.tips_for_topics(["keda"])
    }


async def test_a_vote_on_a_personal_tip_counts_for_that_members_personal_rotation(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    await bot.command("subscribe me 09:00 Europe/Amsterdam daily")
    [delivered] = await bot.run_pass(WED)
    post = personal_post(fake)
    rid = await bot.press(
        button(post, "👍 Useful"), ts=post["ts"], ephemeral=False, channel="DU_MEMBER"
    )
    assert "Counted: 👍 Useful" in (await bot.answer_to(rid))["text"]
    [vote] = store.channel_votes("slack", "T1", "dm:U_MEMBER")  # where its deliveries learn
    assert (vote.tip_id, vote.member) == (delivered.tip_id, "U_MEMBER")
    assert store.channel_votes("slack", "T1", "DU_MEMBER") == []
