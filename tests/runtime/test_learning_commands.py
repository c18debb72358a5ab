"""The learning commands through the router: votes, quizzes, progress, the leaderboard,
forgetting a member, and retired tips (bot/runtime/learning_commands.py)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.learning_model import VoteKind
from bot.core.quiz import Question, QuestionBank
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.core.textnorm import MAX_QUERY_CHARS
from bot.runtime.router import Router
from bot.runtime.store import ShownKind, Store
from tests.fakes.clock import FakeClock
from tests.fakes.replicas import two_replicas

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Amsterdam
CONFIG = config_from_mapping(
    {"timezone": "Europe/Amsterdam", "rate_limit": {"commands_per_minute": 10_000}}
)
CH = ("slack", "T1", "C1")


def make_router(engine: Engine, store: Store, clock: FakeClock | None = None) -> Router:
    return Router(engine, store, CONFIG, clock or FakeClock(NOW), random.Random(7))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def router(engine: Engine, store: Store, clock: FakeClock) -> Router:
    return make_router(engine, store, clock)


@pytest.fixture(scope="module")
def bank(engine: Engine) -> QuestionBank:
    return QuestionBank(engine.corpus)


def inv(
    text: str,
    admin: bool = False,
    user: str = "U1",
    name: str = "Ada",
    channel: str = "C1",
    ref: str = "",
    platform: str = "slack",
) -> Invocation:
    return Invocation(platform, "T1", channel, user, text, admin, name, ref)


def wrong_index(q: Question) -> int:
    return next(i for i in range(len(q.choices)) if i != q.answer)


async def ask(router: Router, topic: str = "") -> Reply:
    reply = await router.handle(inv(f"quiz {topic}".strip()))
    assert reply.kind is ReplyKind.QUIZ and reply.quiz is not None, reply.text
    return reply


# -- votes --------------------------------------------------------------------------------


async def test_a_vote_is_counted_privately_and_a_new_press_replaces_it(
    router: Router, store: Store, engine: Engine
) -> None:
    tip = engine.corpus.tips[0].id
    first = await router.handle(inv(f"vote useful {tip}"))
    assert first.visibility is Visibility.EPHEMERAL and first.kind is ReplyKind.INFO
    assert first.text == "Counted: 👍 Useful"
    changed = await router.handle(inv(f"vote not_useful {tip}"))
    assert changed.text == "Changed your vote from 👍 Useful to 👎 Not useful"
    [vote] = store.channel_votes(*CH)
    assert (vote.tip_id, vote.member, vote.kind) == (tip, "U1", VoteKind.NOT_USEFUL)


async def test_pressing_the_same_vote_again_keeps_its_time(
    router: Router, store: Store, engine: Engine, clock: FakeClock
) -> None:
    tip = engine.corpus.tips[0].id
    await router.handle(inv(f"vote useful {tip}"))
    clock.advance(timedelta(days=3).total_seconds())
    again = await router.handle(inv(f"vote useful {tip}"))
    assert "already" in again.text
    [vote] = store.channel_votes(*CH)
    assert vote.at == NOW  # the review schedule counts from the first press
    clock.advance(timedelta(days=1).total_seconds())
    await router.handle(inv(f"vote knew_it {tip}"))
    [vote] = store.channel_votes(*CH)
    assert vote.at == NOW + timedelta(days=4) and vote.kind is VoteKind.KNEW_IT


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("vote useful no-such-tip", "isn't in the corpus"),
        ("vote loved {tip}", "not a vote"),
        ("vote", "one tip"),
        ("vote useful", "one tip"),
        ("vote @everyone {tip}", "not a vote"),
    ],
)
async def test_a_vote_on_an_unknown_tip_or_kind_is_refused_clearly(
    router: Router, store: Store, engine: Engine, text: str, says: str
) -> None:
    reply = await router.handle(inv(text.format(tip=engine.corpus.tips[0].id)))
    assert reply.kind is ReplyKind.ERROR and says in reply.text
    assert "@everyone" not in reply.text
    assert store.channel_votes(*CH) == []


async def test_every_tip_card_carries_the_three_feedback_buttons(
    router: Router, engine: Engine
) -> None:
    tip = engine.corpus.tips[3].id
    for text in ("", "secrets", "another", "more rbac", f"share {tip}", "how do I rotate secrets"):
        reply = await router.handle(inv(text))
        assert reply.kind is ReplyKind.TIP, text
        card = reply.cards[0]
        votes = [a for a in reply.actions if a.kind == "vote"]
        assert [(a.label, a.command) for a in votes] == [
            ("👍 Useful", f"vote useful {card.tip_id}"),
            ("👎 Not useful", f"vote not_useful {card.tip_id}"),
            ("✅ Knew it", f"vote knew_it {card.tip_id}"),
        ], text


# -- retire, list, restore ----------------------------------------------------------------


async def test_retired_tips_are_listed_for_admins_and_can_be_restored(
    router: Router, store: Store, engine: Engine, clock: FakeClock
) -> None:
    tip = engine.corpus.tips[0]
    assert (await router.handle(inv("retired", admin=True))).text == (
        "No tip is retired in this channel."
    )
    await router.handle(inv(f"vote not_useful {tip.id}", user="U1"))
    await router.handle(inv(f"vote not_useful {tip.id}", user="U2"))
    listed = await router.handle(inv("retired", admin=True))
    assert listed.text.startswith("1 tip retired here")
    assert listed.lines[0].startswith(f"{tip.id} — {tip.text[:20]}")
    assert listed.lines[-1] == f"Restore one: /k8stip restore {tip.id}"
    clock.advance(timedelta(minutes=1).total_seconds())
    restored = await router.handle(inv(f"restore {tip.id}", admin=True))
    assert restored.text.startswith("Restored:")
    assert (await router.handle(inv("retired", admin=True))).text.startswith("No tip")
    [r] = store.channel_restorations(*CH)
    assert (r.tip_id, r.by) == (tip.id, "U1")
    again = await router.handle(inv(f"restore {tip.id}", admin=True))
    assert again.text == "That tip isn't retired in this channel."


async def test_an_admins_not_useful_retires_a_tip_at_once(router: Router, engine: Engine) -> None:
    tip = engine.corpus.tips[1].id
    await router.handle(inv(f"vote not_useful {tip}", admin=True, user="A1"))
    listed = await router.handle(inv("retired", admin=True))
    assert listed.lines[0].startswith(tip)


@pytest.mark.parametrize("text", ["retired", "restore x", "leaderboard on", "leaderboard off"])
async def test_members_are_refused_the_admin_commands_with_the_reason(
    router: Router, store: Store, text: str
) -> None:
    reply = await router.handle(inv(text, admin=False))
    assert reply.kind is ReplyKind.ERROR
    assert reply.text.startswith("Only workspace admins can ")
    assert not store.leaderboard_enabled(*CH)


async def test_discord_members_are_told_who_may_run_them(router: Router) -> None:
    reply = await router.handle(inv("retired", platform="discord"))
    assert reply.text.startswith("Only members with Manage Server can ")


async def test_restore_of_an_unknown_tip_says_how_to_find_one(router: Router) -> None:
    reply = await router.handle(inv("restore nope", admin=True))
    assert reply.kind is ReplyKind.ERROR and "/k8stip retired" in reply.text


async def test_a_topic_request_skips_tips_the_channel_retired_while_others_answer(
    router: Router, engine: Engine
) -> None:
    pool = [h.tip.id for h in engine.best("secrets")[0]]
    assert len(pool) >= 2
    retired = pool[0]
    await router.handle(inv(f"vote not_useful {retired}", admin=True))
    shown = {(await router.handle(inv("secrets"))).cards[0].tip_id for _ in range(len(pool) * 2)}
    assert retired not in shown and len(shown) == len(pool) - 1
    other = await router.handle(inv("secrets", channel="C2"))  # another channel: not retired
    assert other.kind is ReplyKind.TIP


async def test_a_topic_whose_every_tip_is_retired_still_answers(
    router: Router, engine: Engine
) -> None:
    pool = [h.tip.id for h in engine.best("secrets")[0]]
    for tip in pool:
        await router.handle(inv(f"vote not_useful {tip}", admin=True))
    reply = await router.handle(inv("secrets"))
    assert reply.kind is ReplyKind.TIP and reply.cards[0].tip_id in pool


# -- quiz ---------------------------------------------------------------------------------


async def test_quiz_posts_a_question_to_the_channel_and_records_it(
    router: Router, store: Store
) -> None:
    reply = await ask(router, "rbac")
    card = reply.quiz
    assert card is not None and reply.visibility is Visibility.CHANNEL
    assert "______" in card.prompt and 3 <= len(card.choices) <= 4
    assert all(a.command.startswith(f"quiz-answer {card.question_id} ") for a in card.choices)
    posting = store.find_quiz_posting(*CH, card.question_id)
    assert posting is not None and posting.kind is ShownKind.REQUEST
    assert posting.local_date == date(2026, 3, 27)


async def test_quiz_on_an_unknown_topic_suggests_close_ones(router: Router) -> None:
    reply = await router.handle(inv("quiz secertz"))
    assert reply.kind is ReplyKind.ERROR
    assert reply.text.startswith("No topic “secertz”. Did you mean: ") and "secrets" in reply.text


async def test_quiz_on_a_topic_without_questions_says_so(
    router: Router, engine: Engine, bank: QuestionBank
) -> None:
    asked = {q.term_topic for q in bank.questions} | {t for q in bank.questions for t in q.topics}
    bare = [t for t in engine.corpus.topics if t not in asked]
    assert bare, "every topic yields a question; pick a corpus with a bare topic"
    reply = await router.handle(inv(f"quiz {bare[0]}"))
    assert reply.kind is ReplyKind.INFO
    assert reply.text.startswith("No tip on ") and "unambiguous quiz question" in reply.text


async def test_a_right_answer_is_told_privately_with_the_tip_and_the_tally_updates(
    router: Router, bank: QuestionBank, engine: Engine
) -> None:
    card = (await ask(router)).quiz
    assert card is not None
    q = bank.get(card.question_id)
    assert q is not None
    right = await router.handle(inv(f"quiz-answer {q.id} {q.answer}", ref="m1"))
    assert right.visibility is Visibility.EPHEMERAL and right.kind is ReplyKind.TIP
    assert right.text == f"Right: {q.right_choice}."
    assert right.cards[0].tip_id == q.tip_id
    assert right.cards[0].text == engine.corpus.by_id[q.tip_id].text  # the whole tip
    assert [a.kind for a in right.actions] == ["vote", "vote", "vote"]
    assert right.source_update is not None and right.source_update.quiz is not None
    assert right.source_update.quiz.tally == "1 answered · 1 right"
    assert right.source_update.visibility is Visibility.CHANNEL
    wrong = await router.handle(inv(f"quiz-answer {q.id} {wrong_index(q)}", user="U2"))
    assert wrong.text.startswith(f"Not quite: the answer is {q.right_choice}")
    assert wrong.source_update is not None and wrong.source_update.quiz is not None
    assert wrong.source_update.quiz.tally == "2 answered · 1 right"


async def test_a_second_answer_by_the_same_member_is_not_counted(
    router: Router, store: Store, bank: QuestionBank
) -> None:
    card = (await ask(router)).quiz
    assert card is not None
    q = bank.get(card.question_id)
    assert q is not None
    await router.handle(inv(f"quiz-answer {q.id} {wrong_index(q)}"))
    again = await router.handle(inv(f"quiz-answer {q.id} {q.answer}"))
    assert again.text.startswith("You already answered this question")
    assert again.source_update is None
    posting = store.find_quiz_posting(*CH, q.id)
    assert posting is not None and store.quiz_tally(posting.id) == (1, 0)


async def test_an_answer_goes_to_the_posting_of_the_pressed_message(
    router: Router, store: Store, bank: QuestionBank
) -> None:
    q = bank.questions[0]
    old = store.record_quiz_posting(*CH, q.id, q.tip_id, q.term_key, date(2026, 3, 1), NOW)
    store.set_quiz_message_ref(old, "m-old")
    new = store.record_quiz_posting(*CH, q.id, q.tip_id, q.term_key, date(2026, 3, 27), NOW)
    await router.handle(inv(f"quiz-answer {q.id} {q.answer}", ref="m-old"))
    assert store.quiz_tally(old) == (1, 1) and store.quiz_tally(new) == (0, 0)
    await router.handle(inv(f"quiz-answer {q.id} {q.answer}", user="U2"))  # typed: latest
    assert store.quiz_tally(new) == (1, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("quiz-answer", "answer buttons"),
        ("quiz-answer {qid}", "answer buttons"),
        ("quiz-answer {qid} x", "answer buttons"),
        ("quiz-answer {qid} 9", "isn't one of"),
        ("quiz-answer {qid} 123456789", "answer buttons"),
        ("quiz-answer nope~x 0", "isn't asked any more"),
    ],
)
async def test_a_malformed_answer_is_refused_clearly(
    router: Router, store: Store, bank: QuestionBank, text: str, says: str
) -> None:
    reply = await router.handle(inv(text.format(qid=bank.questions[0].id)))
    assert reply.kind is ReplyKind.ERROR and says in reply.text


async def test_an_answer_to_a_question_never_asked_here_is_refused(
    router: Router, bank: QuestionBank
) -> None:
    q = bank.questions[0]
    reply = await router.handle(inv(f"quiz-answer {q.id} {q.answer}"))
    assert reply.kind is ReplyKind.ERROR and "wasn't asked in this channel" in reply.text


@pytest.fixture
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with two_replicas(request.param, tmp_path) as stores:
        yield stores


@pytest.mark.parametrize(
    "replicas", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_one_member_answering_on_two_replicas_at_once_counts_once(
    replicas: tuple[Store, Store], engine: Engine, bank: QuestionBank
) -> None:
    """Two routers on two stores of one database take the same member's two presses at once:
    one is counted, the other is told the member had already answered."""
    a, b = (make_router(engine, s) for s in replicas)
    for i in range(8):
        q = bank.questions[i]
        pid = replicas[0].record_quiz_posting(*CH, q.id, q.tip_id, q.term_key, NOW.date(), NOW)
        got = await asyncio.gather(
            a.handle(inv(f"quiz-answer {q.id} {q.answer}")),
            b.handle(inv(f"quiz-answer {q.id} {wrong_index(q)}")),
        )
        already = [r for r in got if r.text.startswith("You already answered")]
        counted = [r for r in got if r.source_update is not None]
        assert len(already) == 1 and len(counted) == 1
        assert replicas[1].quiz_tally(pid)[0] == 1


# -- progress, leaderboard, forgetting ----------------------------------------------------


async def answer_some(router: Router, bank: QuestionBank, user: str, name: str, right: int) -> None:
    """`user` answers three questions, `right` of them rightly."""
    for n in range(3):
        card = (await ask(router)).quiz
        assert card is not None
        q = bank.get(card.question_id)
        assert q is not None
        choice = q.answer if n < right else wrong_index(q)
        reply = await router.handle(inv(f"quiz-answer {q.id} {choice}", user=user, name=name))
        assert reply.source_update is not None, reply.text


async def test_stats_shows_a_member_their_votes_answers_and_streak(
    router: Router, bank: QuestionBank, engine: Engine, clock: FakeClock
) -> None:
    empty = await router.handle(inv("stats"))
    assert empty.visibility is Visibility.EPHEMERAL
    assert empty.lines == (
        "Votes: 0",
        "Quizzes answered: 0",
        "Streak: 0 days in a row with a quiz answered",
    )
    await router.handle(inv(f"vote useful {engine.corpus.tips[0].id}"))
    await answer_some(router, bank, "U1", "Ada", right=2)
    clock.advance(timedelta(days=1).total_seconds())
    await answer_some(router, bank, "U1", "Ada", right=1)
    stats = await router.handle(inv("stats"))
    assert stats.lines == (
        "Votes: 1",
        "Quizzes answered: 6 (3 right, 50%)",
        "Streak: 2 days in a row with a quiz answered",
    )


async def test_the_leaderboard_is_off_until_an_admin_turns_it_on(
    router: Router, bank: QuestionBank
) -> None:
    await answer_some(router, bank, "U1", "Ada", right=1)
    await answer_some(router, bank, "U2", "<@U1> @everyone", right=3)
    await answer_some(router, bank, "U3", "Cy", right=0)
    off = await router.handle(inv("leaderboard"))
    assert off.text.startswith("The leaderboard is off in this channel.")
    assert not off.lines
    on = await router.handle(inv("leaderboard on", admin=True))
    assert on.text.startswith("Leaderboard on")
    board = await router.handle(inv("leaderboard"))
    assert board.lines == ("1. <@U1> @everyone — 3 right of 3", "2. Ada — 1 right of 3")
    assert all("U2" not in line for line in board.lines)  # names, never member ids
    await router.handle(inv("leaderboard off", admin=True))
    assert (await router.handle(inv("leaderboard"))).text.startswith("The leaderboard is off")


async def test_the_leaderboard_counts_the_last_30_days_only(
    router: Router, bank: QuestionBank, clock: FakeClock
) -> None:
    await router.handle(inv("leaderboard on", admin=True))
    await answer_some(router, bank, "U1", "Ada", right=2)
    clock.advance(timedelta(days=31).total_seconds())
    await answer_some(router, bank, "U2", "Bo", right=1)
    board = await router.handle(inv("leaderboard"))
    assert board.lines == ("1. Bo — 1 right of 3",)


async def test_forget_me_deletes_votes_and_answers_and_the_tallies_drop_them(
    router: Router, store: Store, bank: QuestionBank, engine: Engine
) -> None:
    await router.handle(inv("leaderboard on", admin=True))
    tip = engine.corpus.tips[0].id
    await router.handle(inv(f"vote not_useful {tip}", user="U1"))
    await router.handle(inv(f"vote not_useful {tip}", user="U2"))
    assert (await router.handle(inv("retired", admin=True))).lines[0].startswith(tip)
    await answer_some(router, bank, "U1", "Ada", right=3)
    await answer_some(router, bank, "U2", "Bo", right=0)
    assert store.quiz_answer_counts() == (3, 3)
    refused = await router.handle(inv("forget"))
    assert refused.kind is ReplyKind.ERROR and refused.lines == ("Example: /k8stip forget me",)
    done = await router.handle(inv("forget me"))
    assert done.visibility is Visibility.EPHEMERAL
    assert done.text.startswith("Done: deleted 1 vote and 3 quiz answers of yours")
    assert (await router.handle(inv("retired", admin=True))).text.startswith("No tip")
    assert (await router.handle(inv("leaderboard"))).text.startswith("No right answers")
    assert store.quiz_answer_counts() == (0, 3)  # every posting's tally drops U1's answers
    assert (await router.handle(inv("stats"))).lines[0] == "Votes: 0"
    assert [v.member for v in store.channel_votes(*CH)] == ["U2"]


# -- hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [
        "x" * 10_000,
        " ".join(["@everyone"] * 2_000),
        "🎉🔥💥",
        "@everyone",
        "<!channel>",
    ],
)
@pytest.mark.parametrize(
    "command", ["quiz", "vote", "quiz-answer", "stats", "leaderboard", "forget", "restore"]
)
async def test_hostile_arguments_get_a_clear_message(
    router: Router, store: Store, command: str, words: str
) -> None:
    reply = await router.handle(inv(f"{command} {words}", admin=True))
    # One 10,000-character word is past the Invocation's limit whole, so `quiz` alone remains.
    clipped_whole = len(words) > MAX_QUERY_CHARS and " " not in words
    allowed = (ReplyKind.ERROR, ReplyKind.INFO) + ((ReplyKind.QUIZ,) if clipped_whole else ())
    assert reply.kind in allowed, (command, reply.text[:80])
    assert reply.text and (reply.kind is ReplyKind.QUIZ or len(reply.text) < 400)
    assert "@everyone" not in reply.text and "<!channel>" not in reply.text
    assert store.channel_votes(*CH) == [] and not store.leaderboard_enabled(*CH)


async def test_an_admins_quiz_in_a_paused_channel_keeps_its_card_and_tells_nobody(
    router: Router, store: Store, engine: Engine
) -> None:
    """The paused notice is an admin's private note: it never rides on a quiz posted to the
    channel or on a press, and an admin's reply with the notice keeps all its parts."""
    await router.handle(inv("subscribe", admin=True))
    sub = store.get_subscription(*CH)
    assert sub is not None
    store.set_paused(sub.id, True, "channel_not_found", NOW)
    quiz = await router.handle(inv("quiz", admin=True))
    assert quiz.quiz is not None and not quiz.lines
    tip = engine.corpus.tips[0].id
    voted = await router.handle(inv(f"vote useful {tip}", admin=True))
    assert not any("paused" in line for line in voted.lines)
    card = await router.handle(inv("more secrets", admin=True))
    assert card.lines[-1].startswith("Daily tips here are paused")
    assert [a.kind for a in card.actions].count("vote") == 3
