"""Issue 13 in a Discord channel, end to end (the real discord.py adapter, Router, Store and
Deliverer against the fake Discord): "nothing found" → `Request tips on this` → the admins'
`requests` list; `history` and `yesterday` after daily posts; `skip`; `post-now` (that day's
scheduled pass posts nothing); `mention role:` → the daily post pings exactly that role;
`threads setting:on` → Another on the daily post answers in its thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.engine import Engine
from bot.runtime.store import SENT, SKIPPED, Store
from tests.adapters.discord.members_support import (
    MEMBER,
    ROLE,
    Stack,
    answer,
    buttons,
    content,
    private,
    start_stack,
)
from tests.fakes.clock import FakeClock
from tests.fakes.discord_api import FakeDiscord

ADMIN = ["k8stip-admin"]
FRIDAY_DUE = datetime(2026, 3, 27, 8, 0, 30, tzinfo=UTC)  # just past 09:00 in Amsterdam (CET)
DAY = timedelta(days=1)


@pytest.fixture
async def stack(fake: FakeDiscord, engine: Engine, store: Store) -> AsyncIterator[Stack]:
    s = await start_stack(fake, engine, store, FakeClock(datetime(2026, 3, 26, 10, 0, tzinfo=UTC)))
    yield s
    await s.adapter.stop()


async def admin(fake: FakeDiscord, command: str, **options: Any) -> str:
    roles = options.pop("roles", None)
    reply = await answer(fake, fake.slash([*ADMIN, command], options, roles=roles, admin=True))
    return content(reply)


def daily_posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    channel = fake.guilds[0].channels[0]
    return [m for m in fake.channel_messages if m["channel_id"] == channel]


async def test_nothing_found_request_button_and_the_admins_list(
    fake: FakeDiscord, stack: Stack
) -> None:
    nothing = await answer(
        fake, fake.slash(["k8stip", "search"], {"query": "zeppelin quasar"}, user_id=MEMBER)
    )
    assert private(nothing["data"])
    ids = buttons(nothing["data"])
    assert "Request tips on this" in ids, nothing
    thanks = await answer(fake, fake.button(ids["Request tips on this"], user_id=MEMBER))
    assert private(thanks["data"])
    listed = await admin(fake, "requests")
    assert "zeppelin quasar" in listed, listed
    assert "Requested (1)" in listed


async def test_daily_posts_then_history_and_yesterday(fake: FakeDiscord, stack: Stack) -> None:
    said = await admin(fake, "subscribe", time="09:00", timezone="Europe/Amsterdam", days="daily")
    assert "09:00" in said, said
    for day in range(2):  # Friday and Saturday
        stack.clock.set(FRIDAY_DUE + day * DAY)
        assert [r.status for r in await stack.deliverer.run_pass()] == [SENT]
    posted = daily_posts(fake)
    assert len(posted) == 2
    stack.clock.set(FRIDAY_DUE + 1 * DAY + timedelta(hours=3))  # Saturday noon

    history = await answer(fake, fake.slash(["k8stip", "history"]))
    text = content(history)
    assert "The last 2 daily tips posted here" in text, text
    assert text.index("2026-03-28") < text.index("2026-03-27")  # newest first

    yesterday = await answer(fake, fake.slash(["k8stip", "yesterday"]))
    said = content(yesterday)
    assert "Posted here yesterday (2026-03-27)" in said, said
    friday_text = posted[0]["embeds"][0]["description"]
    assert friday_text and friday_text in said  # Friday's tip, shown again
    saturday_text = posted[1]["embeds"][0]["description"]
    assert saturday_text not in said


async def test_skip_post_now_mention_and_threads(fake: FakeDiscord, stack: Stack) -> None:
    await admin(fake, "subscribe", time="09:00", timezone="Europe/Amsterdam", days="daily")
    skipped = await admin(fake, "skip")
    assert "Skipped the post of Fri 27 Mar" in skipped, skipped
    stack.clock.set(FRIDAY_DUE)
    await stack.deliverer.run_pass()
    [row] = stack.store.list_deliveries()
    assert (row.local_date.isoformat(), row.status) == ("2026-03-27", SKIPPED)
    assert daily_posts(fake) == []

    # Saturday morning, before 09:00: post now, then the scheduled pass posts nothing.
    stack.clock.set(FRIDAY_DUE + DAY - timedelta(hours=2))
    now = await admin(fake, "post-now")
    assert len(daily_posts(fake)) == 1, now
    stack.clock.set(FRIDAY_DUE + DAY)
    await stack.deliverer.run_pass()
    assert len(daily_posts(fake)) == 1

    await admin(fake, "mention", roles={"role": ROLE})
    threads = await admin(fake, "threads", setting="on")
    assert "thread" in threads.lower(), threads
    stack.clock.set(FRIDAY_DUE + 2 * DAY)  # Sunday
    assert [r.status for r in await stack.deliverer.run_pass()] == [SENT]
    daily = daily_posts(fake)[-1]
    assert daily["content"].startswith(f"<@&{ROLE}>")
    assert daily["allowed_mentions"] == {"parse": [], "roles": [ROLE]}

    channel = fake.guilds[0].channels[0]
    post = fake._history[channel][-1]
    another = next(v for k, v in buttons(post).items() if k.startswith("Another"))
    await fake.interact(fake.button(another, message=post, user_id=MEMBER))
    [answered] = await fake.wait_for(
        lambda: [m for m in fake.channel_messages if m["channel_id"] == int(post["id"])]
    )
    assert fake.threads == {int(post["id"]): channel}
    assert answered["allowed_mentions"] == {"parse": []}
