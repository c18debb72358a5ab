"""Subscription commands of issue 12: `subscribe … quiz`, the mode in `status`, and `next`
saying why it picked its tip."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.learning_model import SubscriptionMode, VoteKind
from bot.core.replies import ReplyKind
from bot.runtime.router import Router
from bot.runtime.store import Store
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Amsterdam


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def router(engine: Engine, store: Store, clock: FakeClock) -> Router:
    config = config_from_mapping(
        {
            "timezone": "Europe/Amsterdam",
            "rate_limit": {"commands_per_minute": 1000},
            "learning": {"review_days": [30, 90, 180]},
        }
    )
    return Router(engine, store, config, clock, random.Random(7))


def inv(text: str, admin: bool = True) -> Invocation:
    return Invocation("slack", "T1", "C1", "U1", text, admin, "Ada")


async def test_subscribe_with_a_trailing_quiz_makes_a_quiz_channel(
    router: Router, store: Store
) -> None:
    reply = await router.handle(inv("subscribe 09:00 Europe/Amsterdam weekdays quiz"))
    assert reply.kind is ReplyKind.INFO
    assert "a quiz question every weekday at 09:00 Europe/Amsterdam" in reply.text
    [sub] = store.list_subscriptions()
    assert sub.mode is SubscriptionMode.QUIZ
    assert (sub.time, sub.timezone, sub.days) == ("09:00", "Europe/Amsterdam", (1, 2, 3, 4, 5))


async def test_a_later_subscribe_keeps_the_mode_unless_it_names_one(
    router: Router, store: Store
) -> None:
    await router.handle(inv("subscribe 09:00 quiz"))
    await router.handle(inv("subscribe 10:30"))
    [sub] = store.list_subscriptions()
    assert (sub.time, sub.mode) == ("10:30", SubscriptionMode.QUIZ)
    await router.handle(inv("subscribe rbac tip"))
    [sub] = store.list_subscriptions()
    assert (sub.topics, sub.mode) == (("rbac",), SubscriptionMode.TIP)


async def test_a_mistyped_mode_is_refused_with_a_suggestion(router: Router, store: Store) -> None:
    reply = await router.handle(inv("subscribe 09:00 quzi"))
    assert reply.kind is ReplyKind.ERROR
    assert "'quzi'" in reply.text and "Did you mean `quiz`?" in reply.text
    assert store.list_subscriptions() == []


async def test_status_shows_the_mode(router: Router) -> None:
    await router.handle(inv("subscribe 09:00 daily quiz"))
    reply = await router.handle(inv("status"))
    assert "Mode: quiz (a quiz question each time)" in reply.lines
    await router.handle(inv("subscribe tip"))
    reply = await router.handle(inv("status"))
    assert "Mode: tip (a tip each time)" in reply.lines


async def test_next_says_new_tip_then_review_once_a_useful_tip_is_due(
    router: Router, store: Store, clock: FakeClock
) -> None:
    """`next` explains its pick: a new tip at first; 30 days after a tip was found useful,
    that tip, as a review."""
    await router.handle(inv("subscribe 09:00 Europe/Amsterdam daily"))
    first = await router.handle(inv("next"))
    assert first.kind is ReplyKind.TIP
    assert "Why: new tip." in first.lines
    useful = first.cards[0].tip_id
    store.record_vote("slack", "T1", "C1", useful, "U2", VoteKind.USEFUL, False, NOW)
    clock.advance(28 * 24 * 3600)  # next post: 29 days after the vote
    early = await router.handle(inv("next"))
    assert "Why: new tip." in early.lines
    clock.advance(24 * 3600)  # next post: 30 days after
    later = await router.handle(inv("next"))
    assert later.cards[0].tip_id == useful
    assert "Why: review: found useful 30 days ago." in later.lines


async def test_next_in_a_quiz_channel_does_not_give_the_question_away(router: Router) -> None:
    await router.handle(inv("subscribe 09:00 daily quiz"))
    reply = await router.handle(inv("next"))
    assert reply.kind is ReplyKind.INFO
    assert "a quiz question" in reply.text
    assert reply.cards == () and reply.quiz is None
