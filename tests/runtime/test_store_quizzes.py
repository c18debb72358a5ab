"""The store's quizzes (bot/runtime/store/quizzes.py): postings, answers, tallies, the
leaderboard, Leitner cards and channel settings; and a subscription's mode.

Every `store` test runs on SQLite and on the real PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.core.learning_model import LeaderboardEntry, LeitnerCard, QuizAnswer, SubscriptionMode
from bot.runtime.store import QuizPostingNotFound, ShownKind, Store, SubscriptionSpec
from tests.fakes.replicas import at_once, two_replicas

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
CH = ("slack", "T1", "C1")


def post(
    store: Store,
    day: date = TODAY,
    qid: str = "q-tip-1-secret",
    tip: str = "tip-1",
    term: str = "secret",
    kind: ShownKind = ShownKind.DAILY,
    channel: tuple[str, str, str] = CH,
) -> int:
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    return store.record_quiz_posting(*channel, qid, tip, term, day, at, kind=kind)


def test_a_posting_round_trips_and_learns_its_message_and_reveal(store: Store) -> None:
    pid = post(store)
    p = store.quiz_posting(pid)
    assert p is not None
    assert (p.id, p.key, p.qid, p.tip_id, p.term) == (pid, CH, "q-tip-1-secret", "tip-1", "secret")
    assert (p.kind, p.local_date, p.posted_at) == (ShownKind.DAILY, TODAY, NOW)
    assert p.message_ref is None and not p.revealed
    assert store.set_quiz_message_ref(pid, "1764579600.000100")
    assert store.mark_revealed(pid)
    p = store.quiz_posting(pid)
    assert p is not None and p.message_ref == "1764579600.000100" and p.revealed
    assert store.quiz_posting(pid + 1000) is None
    assert not store.mark_revealed(pid + 1000)
    assert not store.set_quiz_message_ref(pid + 1000, "x")


def test_a_question_id_longer_than_sixty_characters_is_refused_on_both_databases(
    store: Store,
) -> None:
    with pytest.raises(ValueError, match="61 characters; at most 60"):
        post(store, qid="q" * 61)
    post(store, qid="q" * 60)


def test_the_last_posting_before_a_day_is_the_one_today_reveals(store: Store) -> None:
    assert store.last_quiz_posting(*CH, before=TODAY) is None
    two_days_ago = post(store, TODAY - timedelta(days=2))
    yesterday = post(store, TODAY - timedelta(days=1))
    post(store, TODAY - timedelta(days=1), kind=ShownKind.REQUEST)  # `/k8stip quiz` later on
    post(store, TODAY)  # today's own
    post(store, TODAY - timedelta(days=1), channel=("slack", "T1", "C2"))
    found = store.last_quiz_posting(*CH, before=TODAY)
    assert found is not None and found.id == yesterday
    earlier = store.last_quiz_posting(*CH, before=TODAY - timedelta(days=1))
    assert earlier is not None and earlier.id == two_days_ago
    anything = store.last_quiz_posting(*CH, before=TODAY, kind=None)
    assert anything is not None and anything.kind is ShownKind.REQUEST


def test_a_pressed_button_finds_its_posting_by_message_else_the_latest_of_its_question(
    store: Store,
) -> None:
    first = post(store, TODAY - timedelta(days=3))
    again = post(store, TODAY)  # the same question, back on its spaced schedule
    post(store, TODAY, qid="other")
    post(store, TODAY, channel=("slack", "T1", "C2"))
    store.set_quiz_message_ref(first, "m-first")
    store.set_quiz_message_ref(again, "m-again")

    def found(qid: str = "q-tip-1-secret", ref: str | None = None) -> int | None:
        p = store.find_quiz_posting(*CH, qid, ref)
        return p.id if p else None

    assert found() == again
    assert found(ref="m-first") == first
    assert found(ref="m-again") == again
    assert found(ref="m-unknown") == again
    assert found("q-none") is None
    assert store.find_quiz_posting("slack", "T1", "C3", "q-tip-1-secret") is None


def test_one_answer_per_member_per_question_and_the_first_stands(store: Store) -> None:
    pid = post(store)
    assert store.record_quiz_answer(pid, "U1", "secret", True, NOW, "Ana")
    assert not store.record_quiz_answer(pid, "U1", "configmap", False, NOW + timedelta(seconds=1))
    assert store.record_quiz_answer(pid, "U2", "configmap", False, NOW + timedelta(seconds=2))
    assert store.quiz_tally(pid) == (2, 1)
    assert store.channel_quiz_answers(*CH, since=NOW) == [
        QuizAnswer(str(pid), "tip-1", "secret", "U1", "secret", True, NOW),
        QuizAnswer(
            str(pid), "tip-1", "secret", "U2", "configmap", False, NOW + timedelta(seconds=2)
        ),
    ]


def test_an_answer_to_a_posting_the_store_does_not_have_is_refused(store: Store) -> None:
    with pytest.raises(QuizPostingNotFound) as e:
        store.record_quiz_answer(404, "U1", "secret", True, NOW)
    assert e.value.posting_id == 404


def test_a_question_nobody_answered_tallies_zero(store: Store) -> None:
    assert store.quiz_tally(post(store)) == (0, 0)


def test_channel_answers_start_at_since_and_member_answers_span_channels(store: Store) -> None:
    old = post(store, TODAY - timedelta(days=40))
    new = post(store, TODAY, qid="q2", tip="tip-2", term="rbac")
    there = post(store, TODAY, channel=("slack", "T2", "C7"))
    store.record_quiz_answer(old, "U1", "secret", True, NOW - timedelta(days=40))
    store.record_quiz_answer(new, "U1", "pod", False, NOW)
    store.record_quiz_answer(there, "U1", "secret", True, NOW + timedelta(minutes=5))
    store.record_quiz_answer(new, "U2", "rbac", True, NOW + timedelta(minutes=1))
    recent = store.channel_quiz_answers(*CH, since=NOW - timedelta(days=30))
    assert [(a.question_id, a.member, a.term, a.correct) for a in recent] == [
        (str(new), "U1", "rbac", False),
        (str(new), "U2", "rbac", True),
    ]
    mine = store.member_quiz_answers("slack", "U1")
    assert [a.question_id for a in mine] == [str(old), str(new), str(there)]
    assert store.member_quiz_answers("discord", "U1") == []
    assert store.quiz_answer_counts() == (3, 1)


def test_the_leaderboard_ranks_right_answers_in_the_period_with_the_latest_name(
    store: Store,
) -> None:
    since = NOW - timedelta(days=30)
    pids = [post(store, TODAY - timedelta(days=d), qid=f"q{d}") for d in range(5)]
    old = post(store, TODAY - timedelta(days=60), qid="old")
    store.record_quiz_answer(old, "U9", "secret", True, NOW - timedelta(days=60), "Old")
    for i, pid in enumerate(pids):
        at = NOW - timedelta(days=i)
        store.record_quiz_answer(pid, "U1", "secret", True, at, f"Ana v{i}")  # 5 right
        store.record_quiz_answer(pid, "U2", "secret", i < 3, at, None)  # 3 right of 5
        if i < 3:
            store.record_quiz_answer(pid, "U3", "secret", True, at, "@everyone")  # 3 right of 3
    store.record_quiz_answer(pids[0], "U4", "pod", False, NOW, "Wrong")  # none right
    assert store.quiz_leaderboard(*CH, since=since) == [
        LeaderboardEntry("U1", "Ana v0", 5, 5),  # the name of the latest answer (i = 0)
        LeaderboardEntry("U3", "@everyone", 3, 3),  # stored as given; shown as text
        LeaderboardEntry("U2", None, 3, 5),
    ]
    assert [e.member for e in store.quiz_leaderboard(*CH, since=since, limit=1)] == ["U1"]
    assert store.quiz_leaderboard("slack", "T1", "C2", since=since) == []


def test_a_long_display_name_is_cut_not_refused(store: Store) -> None:
    pid = post(store)
    assert store.record_quiz_answer(pid, "U1", "secret", True, NOW, "é" * 500)
    [entry] = store.quiz_leaderboard(*CH, since=NOW)
    assert entry.name == "é" * 128


def test_leitner_cards_are_saved_moved_and_listed_soonest_first(store: Store) -> None:
    assert store.channel_leitner(*CH) == []
    a = LeitnerCard("tip-1", "secret", 0, TODAY + timedelta(days=3))
    b = LeitnerCard("tip-2", "rbac", 1, TODAY + timedelta(days=1))
    store.save_leitner(*CH, [a, b])
    assert store.channel_leitner(*CH) == [b, a]
    moved = LeitnerCard("tip-1", "secret", 2, TODAY)
    store.save_leitner(*CH, [moved])
    assert store.channel_leitner(*CH) == [moved, b]
    assert store.channel_leitner("slack", "T1", "C2") == []


def test_the_leaderboard_is_off_until_an_admin_turns_it_on_per_channel(store: Store) -> None:
    assert not store.leaderboard_enabled(*CH)
    store.set_leaderboard(*CH, True, "A1", NOW)
    assert store.leaderboard_enabled(*CH)
    assert not store.leaderboard_enabled("slack", "T1", "C2")
    store.set_leaderboard(*CH, False, "A2", NOW)
    assert not store.leaderboard_enabled(*CH)


def test_a_subscriptions_mode_defaults_to_tip_and_round_trips(store: Store) -> None:
    days = (1, 2, 3, 4, 5)
    tip = store.upsert_subscription(
        SubscriptionSpec("slack", "T1", "C1", "09:00", "Europe/Amsterdam", days), "chat", "U1", NOW
    )
    assert tip.mode is SubscriptionMode.TIP
    quiz_spec = SubscriptionSpec(
        "slack", "T1", "C1", "09:00", "Europe/Amsterdam", days, mode=SubscriptionMode.QUIZ
    )
    quiz = store.upsert_subscription(quiz_spec, "chat", "U1", NOW + timedelta(hours=1))
    assert quiz.mode is SubscriptionMode.QUIZ
    assert quiz.active_from == NOW  # same schedule: a mode change is no new start
    [listed] = store.list_subscriptions()
    assert listed.mode is SubscriptionMode.QUIZ
    counts = store.sync_config_subscriptions([quiz_spec], NOW)  # chat -> config
    assert counts["updated"] == 1
    assert store.sync_config_subscriptions([quiz_spec], NOW)["unchanged"] == 1
    back = store.sync_config_subscriptions(
        [SubscriptionSpec("slack", "T1", "C1", "09:00", "Europe/Amsterdam", days)], NOW
    )
    assert back["updated"] == 1
    sub = store.get_subscription(*CH)
    assert sub is not None and sub.mode is SubscriptionMode.TIP


# -- two replicas at once -------------------------------------------------------------------


@pytest.fixture
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with two_replicas(request.param, tmp_path) as stores:
        yield stores


@pytest.mark.parametrize(
    "replicas", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_one_member_answering_on_two_replicas_at_once_is_stored_once(
    replicas: tuple[Store, Store],
) -> None:
    """Each round, the member's two presses race on two replicas: exactly one is stored, and
    the other is told the member had already answered."""
    a, b = replicas
    for i in range(20):
        pid = a.record_quiz_posting(*CH, f"q{i}", "tip-1", "secret", TODAY, NOW)
        got = at_once(
            [
                partial(a.record_quiz_answer, pid, "U1", "secret", True, NOW),
                partial(b.record_quiz_answer, pid, "U1", "pod", False, NOW),
            ]
        )
        assert sorted(got) == [False, True]
        [stored] = [x for x in b.channel_quiz_answers(*CH, since=NOW) if x.question_id == str(pid)]
        winner = "secret" if got[0] else "pod"
        assert stored.choice == winner
        assert b.quiz_tally(pid) == (1, 1 if winner == "secret" else 0)
