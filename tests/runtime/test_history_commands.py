"""A channel's past daily tips (bot/runtime/history_commands.py): `yesterday` and
`history [N]`, paged with the "Older" button. Through `Router.handle`, on SQLite and
PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.learning_model import VoteKind
from bot.core.replies import ReplyKind
from bot.runtime.router import Router
from bot.runtime.store import FAILED, Store, SubscriptionSpec
from tests.fakes.clock import FakeClock
from tests.fakes.ledger import add_delivery

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam
TODAY = date(2026, 12, 1)
NOT_SUBSCRIBED = (
    "This channel has no daily tip. Workspace admins can start one: /k8stip subscribe 09:00"
)


@pytest.fixture
def router(engine: Engine, store: Store) -> Router:
    config = config_from_mapping({"timezone": "UTC", "rate_limit": {"commands_per_minute": 1000}})
    return Router(engine, store, config, FakeClock(NOW), random.Random(7))


def inv(text: str, platform: str = "slack", direct: bool = False) -> Invocation:
    return Invocation(platform, "T1", "C1", "U1", text, False, "Ada", direct=direct)


def subscribe(store: Store, timezone: str = "Europe/Amsterdam") -> None:
    spec = SubscriptionSpec("slack", "T1", "C1", "09:00", timezone, (1, 2, 3, 4, 5, 6, 7))
    store.upsert_subscription(spec, "chat", "UADMIN", NOW - timedelta(days=30))


def tip_ids(engine: Engine, n: int) -> list[str]:
    return [t.id for t in engine.corpus.tips[:n]]


def post_days(store: Store, ids: list[str]) -> None:
    """One post a day for the days before today, the first id the oldest."""
    for back, tip_id in enumerate(reversed(ids), start=1):
        add_delivery(store, TODAY - timedelta(days=back), tip_id)


# -- history ------------------------------------------------------------------------------


async def test_history_lists_the_last_five_posts_newest_first_with_source_and_votes(
    router: Router, store: Store, engine: Engine
) -> None:
    subscribe(store)
    ids = tip_ids(engine, 7)
    post_days(store, ids)
    store.record_vote("slack", "T1", "C1", ids[-1], "U1", VoteKind.USEFUL, False, NOW)
    store.record_vote("slack", "T1", "C1", ids[-1], "U2", VoteKind.KNEW_IT, False, NOW)
    reply = await router.handle(inv("history"))
    assert reply.kind is ReplyKind.INFO
    assert reply.text == "The last 5 daily tips posted here, newest first:"
    assert len(reply.lines) == 5
    newest = engine.corpus.by_id[ids[-1]]
    first = reply.lines[0]
    assert first.startswith("2026-11-30 — ")
    assert newest.text.split()[0] in first
    assert engine.card(newest).attribution in first
    assert first.endswith("sent 09:00 · 👍 1 · 👎 0 · ✅ 1")  # 08:00 UTC, in Amsterdam
    assert [line[:10] for line in reply.lines] == [
        (TODAY - timedelta(days=d)).isoformat() for d in range(1, 6)
    ]
    [older] = reply.actions
    assert (older.label, older.command) == ("Older", "history 5 page 2")


async def test_the_older_button_pages_back_until_the_first_post(
    router: Router, store: Store, engine: Engine
) -> None:
    subscribe(store)
    post_days(store, tip_ids(engine, 7))
    page1 = await router.handle(inv("history 3"))
    assert len(page1.lines) == 3 and page1.actions[0].command == "history 3 page 2"
    page2 = await router.handle(inv(page1.actions[0].command))
    assert page2.text == "Daily tips posted here, 4 to 6 back:"
    assert [line[:10] for line in page2.lines] == ["2026-11-27", "2026-11-26", "2026-11-25"]
    assert page2.actions[0].command == "history 3 page 3"
    page3 = await router.handle(inv(page2.actions[0].command))
    assert [line[:10] for line in page3.lines] == ["2026-11-24"] and page3.actions == ()
    beyond = await router.handle(inv("history 3 page 4"))
    assert beyond.text == "No older posts here."


async def test_history_shows_only_sent_posts_of_this_channel(
    router: Router, store: Store, engine: Engine
) -> None:
    subscribe(store)
    a, b, c = tip_ids(engine, 3)
    add_delivery(store, date(2026, 11, 28), a)
    add_delivery(store, date(2026, 11, 29), b, status=FAILED)
    add_delivery(store, date(2026, 11, 30), c, channel=("slack", "T1", "C2"))
    reply = await router.handle(inv("history"))
    assert reply.text == "The last 1 daily tip posted here, newest first:"
    assert [line[:10] for line in reply.lines] == ["2026-11-28"]


async def test_a_tip_no_longer_in_the_corpus_is_shown_as_such(router: Router, store: Store) -> None:
    subscribe(store)
    add_delivery(store, date(2026, 11, 30), "removed-tip")
    reply = await router.handle(inv("history"))
    assert reply.lines[0].startswith("2026-11-30 — removed-tip (no longer in the corpus) — sent")


async def test_history_in_a_channel_without_a_subscription_says_how_to_start_one(
    router: Router, store: Store, engine: Engine
) -> None:
    empty = await router.handle(inv("history"))
    assert empty.text == NOT_SUBSCRIBED
    # Posts from before it unsubscribed are still listed, with the same advice.
    post_days(store, tip_ids(engine, 2))
    past = await router.handle(inv("history"))
    assert len(past.lines) == 3 and past.lines[-1] == NOT_SUBSCRIBED


async def test_history_before_the_first_post(router: Router, store: Store) -> None:
    subscribe(store)
    reply = await router.handle(inv("history"))
    assert reply.text == "No daily tip has been posted here yet."


@pytest.mark.parametrize(
    "args", ["0", "26", "five", "-3", "5 page", "5 page 0", "5 page 1001", "page x", "1 2", "٣"]
)
async def test_history_with_a_bad_count_or_page_says_what_it_takes(
    router: Router, args: str
) -> None:
    reply = await router.handle(inv(f"history {args}"))
    assert reply.kind is ReplyKind.ERROR
    assert reply.text == "History takes how many posts to show, 1 to 25 (default 5)."
    assert reply.lines == ("Example: /k8stip history 10",)


async def test_history_hints_in_discord_syntax(router: Router) -> None:
    reply = await router.handle(inv("history 99", platform="discord"))
    assert reply.lines == ("Example: /k8stip history count:10",)


async def test_history_and_yesterday_in_a_direct_message_say_to_ask_in_a_channel(
    router: Router,
) -> None:
    for command in ("history", "yesterday"):
        reply = await router.handle(inv(command, direct=True))
        assert reply.text.startswith("History is kept per channel"), command


# -- yesterday ----------------------------------------------------------------------------


async def test_yesterday_shows_yesterdays_post_as_a_card_to_vote_on(
    router: Router, store: Store, engine: Engine
) -> None:
    subscribe(store)
    older, yesterdays = tip_ids(engine, 2)
    add_delivery(store, date(2026, 11, 29), older)
    add_delivery(store, date(2026, 11, 30), yesterdays, at=time(7, 30))
    reply = await router.handle(inv("yesterday"))
    assert reply.kind is ReplyKind.TIP and reply.cards[0].tip_id == yesterdays
    assert reply.lines == ("Posted here yesterday (2026-11-30): sent 08:30 · 👍 0 · 👎 0 · ✅ 0",)
    assert any(a.command == f"vote useful {yesterdays}" for a in reply.actions)


async def test_yesterday_is_the_channels_local_yesterday(
    router: Router, store: Store, engine: Engine
) -> None:
    """At 10:00 UTC it is 1 December in Amsterdam, but in Pago Pago (UTC-11) it is still
    23:00 on 30 November: yesterday there is the 29th."""
    subscribe(store, "Pacific/Pago_Pago")
    a, b = tip_ids(engine, 2)
    add_delivery(store, date(2026, 11, 29), a)
    add_delivery(store, date(2026, 11, 30), b)
    reply = await router.handle(inv("yesterday"))
    assert reply.cards[0].tip_id == a


async def test_yesterday_without_a_post_points_at_history(router: Router, store: Store) -> None:
    subscribe(store)
    add_delivery(store, date(2026, 11, 28), "whatever")
    reply = await router.handle(inv("yesterday"))
    assert reply.text == "No tip was posted here yesterday (2026-11-30)."
    assert reply.lines == ("/k8stip history",)


async def test_yesterday_without_a_subscription_says_how_to_start_one(router: Router) -> None:
    reply = await router.handle(inv("yesterday"))
    assert reply.text == NOT_SUBSCRIBED


async def test_yesterdays_tip_gone_from_the_corpus_is_said_so(router: Router, store: Store) -> None:
    subscribe(store)
    add_delivery(store, date(2026, 11, 30), "removed-tip")
    reply = await router.handle(inv("yesterday"))
    assert reply.text == (
        "Yesterday's tip here (2026-11-30), removed-tip, is no longer in the corpus."
    )
