"""Threads and the one allowed mention through the router, the store and delivery
(bot/runtime/channel_commands.py, bot/runtime/store/channel_options.py): on SQLite and on
PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import DeliveryConfig, config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.runtime.delivery import Deliverer
from bot.runtime.router import Router
from bot.runtime.store import SENT, Store, SubscriptionSpec
from tests.fakes.clock import FakeClock
from tests.fakes.recording import RecordingAdapter
from tests.fakes.tips import FakeTips

pytestmark = pytest.mark.both_databases  # every `store` test: SQLite and PostgreSQL

# Friday 2026-03-27, 09:00 in Amsterdam is 08:00 UTC.
DUE = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
CONFIG = config_from_mapping(
    {"timezone": "Europe/Amsterdam", "rate_limit": {"commands_per_minute": 10_000}}
)
GROUP = "<!subteam^S0123ABC|@k8s-learners>"


def inv(
    text: str,
    *,
    admin: bool = False,
    ref: str = "",
    platform: str = "slack",
    workspace: str = "T1",
    channel: str = "C1",
) -> Invocation:
    return Invocation(platform, workspace, channel, "U1", text, admin, "Ada", ref)


def subscribe(store: Store, platform: str = "slack", workspace: str = "T1") -> None:
    spec = SubscriptionSpec(
        platform, workspace, "C1", "09:00", "Europe/Amsterdam", (1, 2, 3, 4, 5, 6, 7), ()
    )
    store.upsert_subscription(spec, "chat", "U1", DUE - timedelta(hours=2))


def router(engine: Engine, store: Store) -> Router:
    return Router(engine, store, CONFIG, FakeClock(DUE), random.Random(3))


async def deliver(store: Store, platform: str = "slack") -> RecordingAdapter:
    adapter = RecordingAdapter(platform=platform)
    d = Deliverer(
        store, FakeTips(), {platform: adapter}, DeliveryConfig(), FakeClock(DUE), random.Random(1)
    )
    results = await d.run_pass()
    assert [r.status for r in results] == [SENT]
    return adapter


def assert_private_tip(reply: Reply) -> None:
    assert reply.kind is ReplyKind.TIP, reply.text
    assert reply.visibility is Visibility.EPHEMERAL


# -- threads ------------------------------------------------------------------------------


async def test_members_cannot_turn_threads_or_the_mention_on(engine: Engine, store: Store) -> None:
    subscribe(store)
    r = router(engine, store)
    for text in ("threads on", f"mention {GROUP}"):
        reply = await r.handle(inv(text))
        assert reply.kind is ReplyKind.ERROR
        assert reply.text.startswith("Only workspace admins can")
    assert not store.threads_enabled("slack", "T1", "C1")
    assert store.get_subscription("slack", "T1", "C1").mention == ""  # type: ignore[union-attr]


async def test_with_threads_on_more_and_another_on_a_daily_post_answer_in_its_thread(
    engine: Engine, store: Store
) -> None:
    subscribe(store)
    posted = (await deliver(store)).posts[0].message_id
    r = router(engine, store)
    on = await r.handle(inv("threads on", admin=True))
    assert on.kind is ReplyKind.INFO and "Threads on" in on.text
    assert store.threads_enabled("slack", "T1", "C1")
    for press in ("more secrets", "another"):
        reply = await r.handle(inv(press, ref=posted))
        assert reply.kind is ReplyKind.TIP
        assert reply.visibility is Visibility.THREAD
        # Everyone in the thread sees it already: no "Share with the channel" button.
        assert [a.kind for a in reply.actions if a.kind == "share"] == []


async def test_other_messages_typed_commands_and_votes_are_answered_as_before(
    engine: Engine, store: Store
) -> None:
    subscribe(store)
    posted = (await deliver(store)).posts[0].message_id
    r = router(engine, store)
    await r.handle(inv("threads on", admin=True))
    assert_private_tip(await r.handle(inv("more secrets", ref="1700000000.000999")))
    assert_private_tip(await r.handle(inv("more secrets")))  # typed: no message
    # The same message id in another channel is not this channel's daily post.
    assert_private_tip(await r.handle(inv("more secrets", ref=posted, channel="C2")))
    tip = engine.corpus.tips[0].id
    vote = await r.handle(inv(f"vote useful {tip}", ref=posted))
    assert vote.visibility is Visibility.EPHEMERAL


async def test_with_threads_off_a_press_on_a_daily_post_stays_private(
    engine: Engine, store: Store
) -> None:
    subscribe(store)
    posted = (await deliver(store)).posts[0].message_id
    r = router(engine, store)
    assert_private_tip(await r.handle(inv("more secrets", ref=posted)))  # never turned on
    await r.handle(inv("threads on", admin=True))
    off = await r.handle(inv("threads off", admin=True))
    assert "Threads off" in off.text
    assert_private_tip(await r.handle(inv("more secrets", ref=posted)))


async def test_threads_takes_only_on_or_off_and_says_how(engine: Engine, store: Store) -> None:
    r = router(engine, store)
    bad = await r.handle(inv("threads maybe", admin=True))
    assert bad.kind is ReplyKind.ERROR and "/k8stip threads on" in " ".join(bad.lines)
    shown = await r.handle(inv("threads", admin=True))
    assert shown.text == "Threads are off in this channel."
    discord = await r.handle(inv("threads on", admin=True, platform="discord"))
    assert any("Create Public Threads" in line for line in discord.lines)


async def test_threads_and_the_leaderboard_are_separate_settings_of_one_channel(
    store: Store,
) -> None:
    key = ("slack", "T1", "C1")
    store.set_leaderboard(*key, True, "U1", DUE)
    store.set_threads(*key, True, "U1", DUE)
    assert store.leaderboard_enabled(*key) and store.threads_enabled(*key)
    store.set_leaderboard(*key, False, "U1", DUE)
    assert store.threads_enabled(*key) and not store.leaderboard_enabled(*key)
    store.set_threads(*key, False, "U1", DUE)
    assert not store.threads_enabled(*key)
    assert not store.threads_enabled("slack", "T1", "C2")


# -- the mention --------------------------------------------------------------------------


async def test_a_slack_user_group_is_stored_as_its_id_and_pinged_by_each_daily_post(
    engine: Engine, store: Store
) -> None:
    subscribe(store)
    r = router(engine, store)
    done = await r.handle(inv(f"mention {GROUP}", admin=True))
    assert done.kind is ReplyKind.INFO
    assert (
        done.text
        == "Each daily tip here now pings the user group with id S0123ABC, and nobody else."
    )
    assert store.get_subscription("slack", "T1", "C1").mention == "group:S0123ABC"  # type: ignore[union-attr]
    post = (await deliver(store)).posts[0].reply
    assert post.mention == "group:S0123ABC"
    status = await r.handle(inv("status"))
    assert "Pings: the user group with id S0123ABC" in status.lines
    assert any(line.startswith("Threads: off") for line in status.lines)


async def test_mention_off_stops_the_ping(engine: Engine, store: Store) -> None:
    subscribe(store)
    r = router(engine, store)
    await r.handle(inv("mention <@U0AAA|ada>", admin=True))
    assert store.get_subscription("slack", "T1", "C1").mention == "user:U0AAA"  # type: ignore[union-attr]
    off = await r.handle(inv("mention off", admin=True))
    assert off.text == "Daily tips here ping nobody now."
    assert (await deliver(store)).posts[0].reply.mention == ""


@pytest.mark.parametrize(
    "typed",
    ["@everyone", "@here", "<!channel>", "<!everyone>", "<!here|here>", "@channel"],
)
async def test_a_broadcast_is_refused_with_what_to_do_instead(
    engine: Engine, store: Store, typed: str
) -> None:
    subscribe(store)
    reply = await router(engine, store).handle(inv(f"mention {typed}", admin=True))
    assert reply.kind is ReplyKind.ERROR
    assert "never pings the whole channel" in reply.text
    assert "/k8stip mention off" in " ".join(reply.lines)
    assert store.get_subscription("slack", "T1", "C1").mention == ""  # type: ignore[union-attr]


async def test_discord_takes_one_role_and_refuses_the_everyone_role(
    engine: Engine, store: Store
) -> None:
    guild = "1300000000000000100"
    subscribe(store, "discord", guild)
    r = router(engine, store)
    refused = await r.handle(
        inv(f"mention <@&{guild}>", admin=True, platform="discord", workspace=guild)
    )
    assert refused.kind is ReplyKind.ERROR and "never pings the whole channel" in refused.text
    assert "/k8stip-admin mention off:off" in " ".join(refused.lines)
    two = await r.handle(
        inv("mention <@&1> <@&2>", admin=True, platform="discord", workspace=guild)
    )
    assert two.kind is ReplyKind.ERROR and "just one" in two.text
    ok = await r.handle(inv("mention <@&777>", admin=True, platform="discord", workspace=guild))
    assert ok.kind is ReplyKind.INFO
    assert store.get_subscription("discord", guild, "C1").mention == "role:777"  # type: ignore[union-attr]


async def test_a_mention_needs_a_daily_tip_in_the_channel(engine: Engine, store: Store) -> None:
    reply = await router(engine, store).handle(inv(f"mention {GROUP}", admin=True))
    assert reply.text.startswith("This channel has no daily tip.")


async def test_a_plain_name_on_slack_says_how_to_send_the_group_id(
    engine: Engine, store: Store
) -> None:
    subscribe(store)
    reply = await router(engine, store).handle(inv("mention @k8s-learners", admin=True))
    assert reply.kind is ReplyKind.ERROR and "without its id" in reply.text


async def test_the_console_keeps_the_typed_name(engine: Engine, store: Store) -> None:
    subscribe(store, "console", "")
    r = router(engine, store)
    await r.handle(inv("mention @k8s-learners", admin=True, platform="console", workspace=""))
    sub = store.get_subscription("console", "", "C1")
    assert sub is not None and sub.mention == "group:k8s-learners"
    shown = await r.handle(inv("mention", admin=True, platform="console", workspace=""))
    assert shown.text == "Daily tips here ping @k8s-learners."
