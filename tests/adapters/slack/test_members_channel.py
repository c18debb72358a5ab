"""Issue 13 on Slack, end to end, for a channel's daily tip: requests for tips nothing answers,
the channel's history, skip, post now, the one mention, threads, and members refused the
admins' commands. Everything is real but Slack (see members_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.core.engine import Engine
from bot.core.requests import REQUEST_BUTTON_LABEL
from bot.runtime.store import SENT, Store
from tests.adapters.slack.members_support import Bot, button, buttons, running_bot, shown
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tuesday, 11:00 in Amsterdam
WED = datetime(2026, 12, 2, 8, 5, tzinfo=UTC)  # 09:05 in Amsterdam
THU = datetime(2026, 12, 3, 8, 5, tzinfo=UTC)
FRI = datetime(2026, 12, 4, 8, 5, tzinfo=UTC)
NOTHING_ANSWERS = "zorblax quuxification frobnitz"


@pytest.fixture
async def bot(fake: FakeSlack, engine: Engine, store: Store) -> AsyncIterator[Bot]:
    async with running_bot(fake, engine, store, NOW) as bot:
        yield bot


def channel_posts(fake: FakeSlack) -> list[dict[str, object]]:
    return [c.args for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "C_LEARN"]


async def subscribed(bot: Bot) -> None:
    done = await bot.command("subscribe 09:00 Europe/Amsterdam daily", user="U_ADMIN")
    assert done["response_type"] == "in_channel", done


async def test_a_question_nothing_answers_can_be_requested_and_admins_see_the_request(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    nothing = await bot.command(NOTHING_ANSWERS)
    assert nothing["response_type"] == "ephemeral"
    request = button(nothing, REQUEST_BUTTON_LABEL)
    assert request["value"].startswith("request ")

    noted = await bot.answer_to(await bot.press(request))
    assert noted["response_type"] == "ephemeral"
    assert "Noted: you'd like tips on" in noted["text"]

    listed = await bot.command("requests", user="U_ADMIN")
    text = shown(listed)
    assert "Requested (1)" in text and "Asked, nothing found (1)" in text
    assert listed["text"].count("“zorblax quuxification frobnitz” — 1 member") == 2, text


async def test_history_lists_the_last_two_daily_posts_newest_first_and_yesterday_shows_one(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    await subscribed(bot)
    [wed] = await bot.run_pass(WED)
    [thu] = await bot.run_pass(THU)
    assert (wed.status, thu.status) == (SENT, SENT)
    assert wed.tip_id != thu.tip_id

    bot.clock.set(THU.replace(hour=12))
    history = await bot.command("history")
    assert "The last 2 daily tips posted here, newest first" in history["text"]
    text = shown(history)
    assert text.index("2026-12-03") < text.index("2026-12-02"), text
    yesterday = await bot.command("yesterday")
    assert "Posted here yesterday (2026-12-02)" in shown(yesterday)
    wed_tip = bot.engine.corpus.by_id[str(wed.tip_id)]
    assert [b["value"] for b in buttons(yesterday) if b["value"].startswith("share ")] == [
        f"share {wed_tip.id}"
    ]


async def test_skip_post_now_the_mention_and_threads_shape_the_daily_posts(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    await subscribed(bot)
    skipped = await bot.command("skip", user="U_ADMIN")
    assert "Skipped the post of Wed 02 Dec" in skipped["text"], skipped
    assert [r for r in await bot.run_pass(WED) if r.status == SENT] == []
    assert channel_posts(fake) == []

    bot.clock.set(THU.replace(hour=7))  # 08:00 in Amsterdam, before the daily post
    now = await bot.command("post now", user="U_ADMIN")
    assert "Posted now, as the tip of Thu 03 Dec" in now["text"], now
    assert len(channel_posts(fake)) == 1
    assert [r for r in await bot.run_pass(THU) if r.status == SENT] == []
    assert len(channel_posts(fake)) == 1  # the scheduled pass that day posts nothing

    set_to = await bot.command("mention <!subteam^S1|@k8s>", user="U_ADMIN")
    assert "S1" in set_to["text"], set_to
    on = await bot.command("threads on", user="U_ADMIN")
    assert "Threads on" in on["text"], on
    [fri] = await bot.run_pass(FRI)
    assert fri.status == SENT
    daily = channel_posts(fake)[-1]
    assert str(daily["text"]).startswith("<!subteam^S1>"), daily["text"]

    posted = fake.channels["C_LEARN"].messages[-1]
    bot.clock.set(FRI.replace(hour=9))
    rid = await bot.press(button(posted, "Another"), ts=posted["ts"], ephemeral=False)
    answer = await fake.wait_for(lambda: channel_posts(fake)[2:])
    assert answer[0]["thread_ts"] == posted["ts"]
    assert "subteam" not in shown(answer[0])  # a thread answer pings nobody
    assert fake.responses_for(rid) == []


@pytest.mark.parametrize(
    "command",
    [
        "review",
        "requests",
        "skip",
        "post now",
        "threads on",
        "mention <!subteam^S1|@k8s>",
        "subscribe 09:00 Europe/Amsterdam daily",
        "review approve 1",
    ],
)
async def test_members_are_refused_the_admins_commands_with_the_reason(
    fake: FakeSlack, bot: Bot, store: Store, command: str
) -> None:
    refused = await bot.command(command)
    assert refused["response_type"] == "ephemeral"
    assert "Only workspace admins" in refused["text"], refused
    assert store.list_subscriptions() == []
    assert fake.calls_to("chat.postMessage") == []


async def test_post_now_carries_the_mention_and_counts_in_history_after_two_skips(
    fake: FakeSlack, bot: Bot, store: Store
) -> None:
    await subscribed(bot)
    first = await bot.command("skip", user="U_ADMIN")
    second = await bot.command("skip", user="U_ADMIN")
    assert "Skipped the post of Wed 02 Dec" in first["text"]
    assert "Skipped the post of Thu 03 Dec" in second["text"]
    await bot.command("mention <!subteam^S1|@k8s>", user="U_ADMIN")
    now = await bot.command("post now", user="U_ADMIN")
    assert "Posted now, as the tip of Tue 01 Dec" in now["text"], now
    [post] = channel_posts(fake)
    assert str(post["text"]).startswith("<!subteam^S1>")
    again = await bot.command("post now", user="U_ADMIN")
    assert "already went out here; nothing posted" in again["text"]
    assert "2026-12-01" in shown(await bot.command("history"))
    for day in (WED, THU):
        assert [r for r in await bot.run_pass(day) if r.status == SENT] == []
    assert len(channel_posts(fake)) == 1
