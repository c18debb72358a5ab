"""Issue 13 on Discord: a member's own tip by direct message, end to end on SQLite and
PostgreSQL: `/k8stip subscribe-me`, a delivery pass posts to the member's DM once (with its
nonce), `/k8stip snooze`, `/k8stip unsubscribe-me`, and a member who refuses DMs (50007):
paused with the reason, not retried."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.engine import Engine
from bot.runtime.store import PAUSED, SENT, Store
from tests.adapters.discord.members_support import (
    MEMBER,
    MODERATOR,
    NOW,
    Stack,
    answer,
    content,
    private,
    start_stack,
)
from tests.fakes.clock import FakeClock
from tests.fakes.discord_api import FakeDiscord

pytestmark = pytest.mark.both_databases

PERSONAL = ""  # a Discord member id is global: their own tip has no server
# The default days are weekdays: Monday to Wednesday, just past 09:00 in Amsterdam (CEST).
MONDAY = datetime(2026, 3, 30, 7, 0, 30, tzinfo=UTC)
TUESDAY = datetime(2026, 3, 31, 7, 0, 30, tzinfo=UTC)
WEDNESDAY = datetime(2026, 4, 1, 7, 0, 30, tzinfo=UTC)
SHY = 1_300_000_000_000_000_666  # accepts no direct messages


@pytest.fixture
async def stack(fake: FakeDiscord, engine: Engine, store: Store) -> AsyncIterator[Stack]:
    s = await start_stack(fake, engine, store, FakeClock(NOW))
    yield s
    await s.adapter.stop()


def dms(fake: FakeDiscord, member: int) -> list[dict[str, object]]:
    channel = fake.dm_channels.get(member)
    return [m for m in fake.channel_messages if m["channel_id"] == channel]


async def subscribe_me(fake: FakeDiscord, member: int) -> str:
    reply = await answer(
        fake,
        fake.slash(
            ["k8stip", "subscribe-me"],
            {"time": "09:00", "timezone": "Europe/Amsterdam"},
            user_id=member,
        ),
    )
    assert private(reply["data"])
    return content(reply)


async def test_subscribe_me_posts_by_dm_once_snooze_and_unsubscribe(
    fake: FakeDiscord, stack: Stack, store: Store
) -> None:
    said = await subscribe_me(fake, MEMBER)
    assert "direct message" in said and "09:00" in said, said
    sub = store.get_personal_subscription("discord", PERSONAL, str(MEMBER))
    assert sub is not None and sub.channel == f"dm:{MEMBER}"

    stack.clock.set(MONDAY)
    results = await stack.deliverer.run_pass()
    assert [r.status for r in results] == [SENT]
    [tip] = dms(fake, MEMBER)
    assert tip["nonce"] and tip["enforce_nonce"] is True
    assert tip["allowed_mentions"] == {"parse": []}
    # Another pass at the same moment: still one message.
    await stack.deliverer.run_pass()
    assert len(dms(fake, MEMBER)) == 1
    assert not [m for m in fake.channel_messages if m["channel_id"] != fake.dm_channels[MEMBER]]

    snoozed = await answer(
        fake, fake.slash(["k8stip", "snooze"], {"duration": "1d"}, user_id=MEMBER)
    )
    assert "snooze" in content(snoozed).lower(), snoozed
    stack.clock.set(TUESDAY)
    await stack.deliverer.run_pass()
    assert len(dms(fake, MEMBER)) == 1  # snoozed: nothing on Tuesday

    gone = await answer(fake, fake.slash(["k8stip", "unsubscribe-me"], user_id=MEMBER))
    assert private(gone["data"]), gone
    assert store.get_personal_subscription("discord", PERSONAL, str(MEMBER)) is None
    stack.clock.set(WEDNESDAY)
    await stack.deliverer.run_pass()
    assert len(dms(fake, MEMBER)) == 1


async def test_a_member_who_refuses_dms_is_paused_with_the_reason_not_retried(
    fake: FakeDiscord, stack: Stack, store: Store
) -> None:
    fake.dm_refused.add(SHY)
    await subscribe_me(fake, SHY)
    stack.clock.set(MONDAY)
    results = await stack.deliverer.run_pass()
    assert [r.status for r in results] == [PAUSED], results
    sub = store.get_personal_subscription("discord", PERSONAL, str(SHY))
    assert sub is not None and sub.paused
    assert "does not accept direct messages" in sub.paused_reason
    tries = len(fake.requests_to("POST", rf"/channels/{fake.dm_channels[SHY]}/messages"))
    assert tries == 1
    for day in (TUESDAY, WEDNESDAY):
        stack.clock.set(day)
        await stack.deliverer.run_pass()
    assert len(fake.requests_to("POST", rf"/channels/{fake.dm_channels[SHY]}/messages")) == 1
    # The member hears why (the reason, not a "next tip" that won't come) from their own
    # command: on Discord `status` is an admin's.
    snoozed = content(
        await answer(fake, fake.slash(["k8stip", "snooze"], {"duration": "3d"}, user_id=SHY))
    )
    assert "does not accept direct messages" in snoozed, snoozed
    assert "Next:" not in snoozed and "/k8stip subscribe-me" in snoozed
    # An admin's status (the same lines for their own tip) promises no next one either.
    fake.dm_refused.add(MODERATOR)
    await subscribe_me(fake, MODERATOR)
    stack.clock.set(stack.clock.now() + timedelta(days=1))
    await stack.deliverer.run_pass()
    status = content(
        await answer(fake, fake.slash(["k8stip-admin", "status"], admin=True, user_id=MODERATOR))
    )
    assert "Your personal tip is paused" in status and "Your next one" not in status, status
    # Running subscribe-me again (after changing their settings) restarts it.
    await subscribe_me(fake, SHY)
    again = store.get_personal_subscription("discord", PERSONAL, str(SHY))
    assert again is not None and not again.paused and again.paused_reason == ""
