"""Issue 13 on Slack, end to end: a member's own daily tip by direct message (subscribe me,
snooze, unsubscribe me), posted by the real Deliverer through the Slack adapter, once a day.
Everything is real but Slack (see members_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.core.engine import Engine
from bot.runtime.store import SENT, Store
from tests.adapters.slack.members_support import Bot, running_bot, shown
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
