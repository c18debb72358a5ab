"""Daily delivery that learns (issue 12): votes steer the pick, quiz-mode channels get a quiz.

Runs on SQLite and the real PostgreSQL; votes are scripted into the store between passes and
the clock is injected.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import DeliveryConfig
from bot.core.engine import Engine
from bot.core.learning import LearningSettings
from bot.core.learning_model import SubscriptionMode, VoteKind
from bot.core.leitner import NEW_EVERY
from bot.core.quiz import ANSWER_COMMAND, QuestionBank
from bot.core.replies import ReplyKind
from bot.ports import TransientError
from bot.runtime.delivery import Deliverer
from bot.runtime.store import SENT, ShownKind, Store, SubscriptionSpec
from bot.runtime.store.schema import quiz_postings
from tests.fakes.clock import FakeClock
from tests.fakes.recording import RecordingAdapter
from tests.fakes.tips import FakeTips

pytestmark = pytest.mark.both_databases

AMS = "Europe/Amsterdam"
DAILY = (1, 2, 3, 4, 5, 6, 7)
DUE = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # Friday 09:00 in Amsterdam (CET)
DAY1 = date(2026, 3, 27)
CHANNEL = ("slack", "T1", "C1")


def subscribe(
    store: Store, mode: SubscriptionMode = SubscriptionMode.TIP, topics: tuple[str, ...] = ()
) -> None:
    store.upsert_subscription(
        SubscriptionSpec("slack", "T1", "C1", "09:00", AMS, DAILY, topics, mode),
        "chat",
        "U1",
        DUE - timedelta(hours=2),
    )


def make(
    store: Store,
    clock: FakeClock,
    tips: Any = None,
    worker: str = "w1",
    adapter: RecordingAdapter | None = None,
    **settings: Any,
) -> tuple[Deliverer, RecordingAdapter]:
    adapter = adapter or RecordingAdapter(platform="slack")
    d = Deliverer(
        store,
        tips or FakeTips(),
        {"slack": adapter},
        DeliveryConfig(**settings),
        clock,
        random.Random(1),
        worker,
        learning=LearningSettings(review_days=(10, 20)),
    )
    return d, adapter


def vote(store: Store, tip: str, member: str, kind: VoteKind, at: datetime) -> None:
    store.record_vote(*CHANNEL, tip, member, kind, False, at)


async def days(d: Deliverer, clock: FakeClock, n: int) -> None:
    for _ in range(n):
        await d.run_pass()
        clock.advance(24 * 3600)


async def test_a_retired_tip_never_comes_back_and_the_rest_rotate(store: Store) -> None:
    """Two members find the first tip not useful: the twelve-tip rotation goes on without it,
    and its next rounds never post it."""
    subscribe(store)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock)
    await days(d, clock, 1)
    first = adapter.posts[0].reply.cards[0].tip_id
    vote(store, first, "U1", VoteKind.NOT_USEFUL, clock.now())
    vote(store, first, "U2", VoteKind.NOT_USEFUL, clock.now())
    await days(d, clock, 33)
    shown = [p.reply.cards[0].tip_id for p in adapter.posts]
    assert first not in shown[1:]
    assert sorted(set(shown[1:12])) == sorted(t.id for t in FakeTips().corpus.tips if t.id != first)


async def test_a_useful_tip_resurfaces_on_its_review_day(store: Store) -> None:
    """A tip found useful on day 1 comes back on day 11 (review_days 10, 20) although the
    rotation has unseen tips left, and `deliver` reports it like any post."""
    subscribe(store)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock)
    await days(d, clock, 1)
    first = adapter.posts[0].reply.cards[0].tip_id
    vote(store, first, "U1", VoteKind.USEFUL, DUE + timedelta(hours=1))  # day 1
    await days(d, clock, 10)
    shown = [p.reply.cards[0].tip_id for p in adapter.posts]
    assert shown[10] == first  # day 11: 10 days after the vote
    assert first not in shown[1:10]
    assert len(set(shown[:10])) == 10


async def test_a_channel_without_votes_posts_what_the_rotation_always_posted(store: Store) -> None:
    """No votes: the picks are `picker.choose_daily_tip`'s, day after day."""
    from bot.core.picker import choose_daily_tip

    subscribe(store)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock)
    await days(d, clock, 14)
    shown = [p.reply.cards[0].tip_id for p in adapter.posts]
    sub = store.list_subscriptions()[0]
    expected: list[str] = []
    for i in range(14):
        tip = choose_daily_tip(
            FakeTips().corpus, sub, (DAY1 + timedelta(days=i)).isoformat(), expected
        )
        assert tip is not None
        expected.append(tip)
    assert shown == expected


# -- quiz mode ----------------------------------------------------------------------------


async def test_a_quiz_channel_gets_a_quiz_card_with_answer_buttons_and_a_recorded_posting(
    store: Store, engine: Engine
) -> None:
    subscribe(store, SubscriptionMode.QUIZ)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock, engine)
    [result] = await d.run_pass()
    assert result.status == SENT
    [post] = adapter.posts
    reply = post.reply
    assert reply.kind is ReplyKind.QUIZ and reply.quiz is not None
    question = QuestionBank(engine.corpus).get(reply.quiz.question_id)
    assert question is not None
    assert [a.command for a in reply.quiz.choices] == [
        f"{ANSWER_COMMAND} {question.id} {i}" for i in range(len(question.choices))
    ]
    posting = store.last_quiz_posting(*CHANNEL, DAY1 + timedelta(days=1))
    assert posting is not None
    assert (posting.qid, posting.local_date, posting.kind) == (question.id, DAY1, ShownKind.DAILY)
    assert posting.message_ref == post.message_id
    assert result.tip_id == question.tip_id
    assert "answer" not in reply.text.lower().split("\n")[0]  # nothing revealed on day one


async def test_the_next_quiz_reveals_yesterdays_answer_and_moves_its_leitner_card(
    store: Store, engine: Engine
) -> None:
    """Day 2's post says yesterday's right answer; two members got day 1 right, so its card
    goes to box 2 (21 days) and the posting is marked revealed."""
    subscribe(store, SubscriptionMode.QUIZ)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock, engine)
    await d.run_pass()
    posting = store.last_quiz_posting(*CHANNEL, DAY1 + timedelta(days=1))
    assert posting is not None
    question = QuestionBank(engine.corpus).get(posting.qid)
    assert question is not None
    for member in ("U1", "U2"):
        store.record_quiz_answer(
            posting.id, member, question.right_choice, True, clock.now() + timedelta(hours=1)
        )
    clock.advance(24 * 3600)
    await d.run_pass()
    today = adapter.posts[1].reply
    assert today.kind is ReplyKind.QUIZ
    line = f"Yesterday's answer: {question.right_choice}"
    assert line in today.lines and line in today.text
    [card] = [
        c
        for c in store.channel_leitner(*CHANNEL)
        if (c.tip_id, c.term) == (question.tip_id, question.term_key)
    ]
    assert (card.box, card.due) == (2, DAY1 + timedelta(days=1 + 21))
    revealed = store.quiz_posting(posting.id)
    assert revealed is not None and revealed.revealed
    assert today.quiz is not None and today.quiz.question_id != question.id


async def test_a_missed_question_comes_back_after_three_days(store: Store, engine: Engine) -> None:
    """Day 1's question, missed, is closed on day 2 into box 0: due on day 5, asked then (or
    the day after, when day 5 is one of the days a new question goes first)."""
    subscribe(store, SubscriptionMode.QUIZ)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock, engine)
    await d.run_pass()
    posting = store.last_quiz_posting(*CHANNEL, DAY1 + timedelta(days=1))
    assert posting is not None
    store.record_quiz_answer(posting.id, "U1", "wrong", False, clock.now() + timedelta(hours=1))
    await days(d, clock, 6)  # day 1 again (nothing to post), then days 2-6
    asked = [p.reply.quiz.question_id for p in adapter.posts if p.reply.quiz is not None]
    assert len(asked) == 6
    day5 = DAY1 + timedelta(days=4)
    back = 4 if day5.toordinal() % NEW_EVERY else 5
    assert asked[back] == posting.qid
    assert posting.qid not in asked[1:back]


async def test_a_quiz_filter_that_yields_no_question_posts_a_tip(store: Store) -> None:
    """FakeTips' tips hide no taxonomy term: the channel gets a tip instead, every day."""
    subscribe(store, SubscriptionMode.QUIZ)
    clock = FakeClock(DUE)
    d, adapter = make(store, clock)
    await days(d, clock, 2)
    assert [p.reply.kind for p in adapter.posts] == [ReplyKind.TIP, ReplyKind.TIP]
    assert store.last_quiz_posting(*CHANNEL, DAY1 + timedelta(days=9)) is None


async def test_a_failed_quiz_post_is_retried_with_the_same_question_and_one_posting(
    store: Store, engine: Engine
) -> None:
    """The first pass fails (5xx), a later pass posts: the same question, recorded once."""
    subscribe(store, SubscriptionMode.QUIZ)
    clock = FakeClock(DUE)
    adapter = RecordingAdapter(platform="slack")
    adapter.script["C1"] = [TransientError("503")]
    d, _ = make(store, clock, engine, adapter=adapter, max_attempts=1)
    [failed] = await d.run_pass()
    assert failed.status != SENT and failed.retry_at is not None
    chosen = store.last_quiz_posting(*CHANNEL, DAY1 + timedelta(days=1))
    assert chosen is not None
    clock.advance(16 * 60)
    [sent] = await d.run_pass(clock.now())
    assert sent.status == SENT
    [post] = adapter.posts
    assert post.reply.quiz is not None and post.reply.quiz.question_id == chosen.qid
    again = store.last_quiz_posting(*CHANNEL, DAY1 + timedelta(days=1))
    assert again is not None and again.id == chosen.id


async def test_two_replicas_post_one_quiz_a_day(store: Store, engine: Engine) -> None:
    """Two deliverers on one database, passes at the same instant, three days: one quiz
    card and one recorded posting per day."""
    subscribe(store, SubscriptionMode.QUIZ)
    clock = FakeClock(DUE)
    adapter = RecordingAdapter(platform="slack")
    a, _ = make(store, clock, engine, "replica-a", adapter)
    b, _ = make(store, clock, engine, "replica-b", adapter)
    for _ in range(3):
        await asyncio.gather(a.run_pass(), b.run_pass())
        await asyncio.gather(a.run_pass(), b.run_pass())
        clock.advance(24 * 3600)
    assert [p.reply.kind for p in adapter.posts] == [ReplyKind.QUIZ] * 3
    assert len({p.delivery_id for p in adapter.posts}) == 3
    with store.engine.connect() as conn:
        recorded = sorted(conn.execute(select(quiz_postings.c.local_date)).scalars())
    assert recorded == [DAY1 + timedelta(days=i) for i in range(3)]
