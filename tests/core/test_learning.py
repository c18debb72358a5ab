"""How a channel learns (bot/core/learning.py, leitner.py, progress.py): each rule and its edges."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.corpus import Corpus, Tip
from bot.core.learning import (
    DEFAULT_SETTINGS,
    Candidate,
    LearningSettings,
    channel_view,
    choose_daily,
    choose_daily_for,
    prefer_unretired,
    review_state,
    tally,
)
from bot.core.learning_model import LeitnerCard, QuizAnswer, Restoration, Shown, Vote, VoteKind
from bot.core.leitner import QuestionKey, choose_quiz, due_questions, next_card
from bot.core.picker import choose_daily_tip, pick, rotation_state
from bot.core.progress import leaderboard, member_stats, streak

DAY0 = date(2026, 1, 1)
U, N, K = VoteKind.USEFUL, VoteKind.NOT_USEFUL, VoteKind.KNEW_IT


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 1, 1, hour, tzinfo=UTC) + timedelta(days=day)


def d(day: int) -> date:
    return DAY0 + timedelta(days=day)


def vote(tip: str, member: str, kind: VoteKind, day: int = 0, admin: bool = False) -> Vote:
    return Vote(tip, member, kind, admin, at(day))


def tip(tip_id: str, *topics: str) -> Tip:
    return Tip(id=tip_id, text=f"text of {tip_id}", source="src", topics=topics)


TIPS: list[Candidate] = [tip(f"t{i:02d}", "a" if i < 5 else "b") for i in range(10)]


# --- retire ------------------------------------------------------------------------------


def test_two_not_useful_from_distinct_members_outnumbering_useful_retire() -> None:
    t = tally([vote("x", "m1", N), vote("x", "m2", N), vote("x", "m3", U)])["x"]
    assert t.retired


def test_a_tie_between_not_useful_and_useful_does_not_retire() -> None:
    votes = [vote("x", "m1", N), vote("x", "m2", N), vote("x", "m3", U), vote("x", "m4", U)]
    assert not tally(votes)["x"].retired


def test_one_member_not_useful_does_not_retire_but_one_admin_does() -> None:
    assert not tally([vote("x", "m1", N)])["x"].retired
    assert tally([vote("x", "boss", N, admin=True)])["x"].retired


def test_a_replaced_vote_counts_once_as_its_latest_kind() -> None:
    # m1 pressed Not useful twice (one vote), then m2 changed their mind to Useful.
    votes = [
        vote("x", "m1", N, 0),
        vote("x", "m1", N, 1),
        vote("x", "m2", N, 0),
        vote("x", "m2", U, 2),
    ]
    t = tally(votes)["x"]
    assert (t.useful, t.not_useful) == (1, 1)
    assert not t.retired


def test_restoration_drops_earlier_votes_and_later_votes_can_retire_again() -> None:
    votes = [vote("x", "m1", N, 0), vote("x", "m2", N, 0)]
    restored = [Restoration("x", "boss", at(1))]
    assert tally(votes)["x"].retired
    assert not tally(votes, restored)["x"].retired
    again = [*votes, vote("x", "m3", N, 2), vote("x", "m4", N, 3)]
    assert tally(again, restored)["x"].retired


def test_only_the_latest_restoration_counts() -> None:
    votes = [vote("x", "m1", N, 2), vote("x", "m2", N, 2)]
    restored = [Restoration("x", "a", at(1)), Restoration("x", "a", at(3))]
    assert not tally(votes, restored)["x"].retired
    assert tally(votes, restored[:1])["x"].retired


def test_an_admin_vote_before_a_restoration_no_longer_retires() -> None:
    votes = [vote("x", "boss", N, 0, admin=True)]
    assert not tally(votes, [Restoration("x", "boss", at(1))])["x"].retired


# --- known and useful --------------------------------------------------------------------


def test_known_needs_a_strict_majority_of_voters() -> None:
    assert tally([vote("x", "a", K), vote("x", "b", K), vote("x", "c", U)])["x"].known
    assert not tally([vote("x", "a", K), vote("x", "b", U)])["x"].known


def test_useful_needs_more_useful_than_not_and_not_known_or_retired() -> None:
    assert tally([vote("x", "a", U)])["x"].useful_to_channel
    assert not tally([vote("x", "a", U), vote("x", "b", N)])["x"].useful_to_channel
    known = [vote("x", "a", U), vote("x", "b", K), vote("x", "c", K)]
    assert not tally(known)["x"].useful_to_channel
    assert not tally([vote("x", "a", U), vote("x", "boss", N, admin=True)])["x"].useful_to_channel


def test_channel_view_dates_a_useful_tip_by_its_first_useful_vote() -> None:
    view = channel_view([vote("x", "a", U, 5), vote("x", "b", U, 2)])
    assert view.useful == {"x"}
    assert view.found == {"x": d(2)}


# --- prefer_unretired --------------------------------------------------------------------


def test_prefer_unretired_drops_retired_tips_unless_nothing_else_answers() -> None:
    assert prefer_unretired(["a", "b", "c"], {"b"}) == ["a", "c"]
    assert prefer_unretired(["b"], {"b"}) == ["b"]
    tips = [tip("a"), tip("b")]
    assert prefer_unretired(tips, {"a"}, lambda t: t.id) == [tips[1]]


# --- the daily pick ----------------------------------------------------------------------


def run_daily(
    candidates: Sequence[Candidate],
    days: int,
    votes: list[Vote],
    seed: int = 1,
    history: list[Shown] | None = None,
    start: int = 0,
    cfg: LearningSettings = DEFAULT_SETTINGS,
) -> list[tuple[int, str, str]]:
    hist = list(history or [])
    out: list[tuple[int, str, str]] = []
    for day in range(start, start + days):
        p = choose_daily(candidates, hist, votes, [], d(day), random.Random(seed * 1000 + day), cfg)
        assert p is not None
        hist.append(Shown(p.tip_id, d(day)))
        out.append((day, p.tip_id, p.reason))
    return out


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=12),
    steps=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_without_votes_the_pick_is_exactly_the_pickers(n: int, steps: int, seed: int) -> None:
    cands = TIPS[:n]
    ids = [c.id for c in cands]
    hist: list[Shown] = []
    for day in range(steps):
        mine = choose_daily(cands, hist, [], [], d(day), random.Random(seed + day))
        # Votes that neither retire, resurface nor weigh (Knew it only) draw the same too.
        known = [vote(c.id, "m1", K) for c in cands[::2]]
        slow = choose_daily(cands, hist, known, [], d(day), random.Random(seed + day))
        theirs = pick(ids, [s.tip_id for s in hist], random.Random(seed + day))
        assert mine is not None and slow is not None
        assert (mine.tip_id, mine.reason, mine.explanation) == (theirs, "new", "new tip")
        assert (slow.tip_id, slow.reason) == (theirs, "new")
        hist.append(Shown(mine.tip_id, d(day)))


def test_a_retired_tip_is_never_picked_and_all_retired_gives_none() -> None:
    votes = [vote("t03", "boss", N, admin=True)]
    picks = run_daily(TIPS, 40, votes)
    assert "t03" not in {t for _, t, _ in picks}
    everything = [vote(c.id, "boss", N, admin=True) for c in TIPS]
    assert choose_daily(TIPS, [], everything, [], d(0), random.Random(0)) is None


def test_a_restored_tip_comes_back_into_the_rotation() -> None:
    votes = [vote("t03", "boss", N, admin=True)]
    restored = [Restoration("t03", "boss", at(1))]
    hist: list[Shown] = []
    for day in range(len(TIPS)):
        p = choose_daily(TIPS, hist, votes, restored, d(day), random.Random(day))
        assert p is not None
        hist.append(Shown(p.tip_id, d(day)))
    assert sorted(s.tip_id for s in hist) == sorted(c.id for c in TIPS)


def test_a_useful_tip_comes_back_thirty_days_after_it_was_found_useful() -> None:
    many = [tip(f"n{i:03d}", "a") for i in range(200)]
    hist = [Shown("n000", d(0))]
    votes = [vote("n000", "m1", U, 0)]
    before = choose_daily(many, hist, votes, [], d(29), random.Random(0))
    due = choose_daily(many, hist, votes, [], d(30), random.Random(0))
    assert before is not None and before.reason == "new"
    assert due is not None
    assert (due.tip_id, due.reason, due.explanation) == (
        "n000",
        "review",
        "review: found useful 30 days ago",
    )


def test_review_schedule_runs_30_90_180_days_then_stops() -> None:
    days = (30, 90, 180)
    assert review_state("x", d(0), [d(0)], days).due == d(30)
    assert review_state("x", d(0), [d(0), d(31)], days).due == d(31 + 90)
    assert review_state("x", d(0), [d(0), d(31), d(121)], days).due == d(121 + 180)
    assert review_state("x", d(0), [d(0), d(31), d(121), d(301)], days).due is None
    # Found useful after it was shown: counted from the vote.
    assert review_state("x", d(4), [d(0)], days).due == d(34)


def test_at_most_one_review_a_week_earliest_due_first() -> None:
    many = [tip(f"n{i:03d}", "a") for i in range(200)]
    hist = [Shown("n001", d(0)), Shown("n000", d(0))]
    votes = [vote("n000", "m1", U, 0), vote("n001", "m1", U, 1)]
    picks = run_daily(many, 20, votes, history=hist, start=30)
    reviews = [(day, t) for day, t, reason in picks if reason == "review"]
    assert reviews == [(30, "n000"), (37, "n001")]


def test_within_the_week_only_a_tip_the_cycle_has_not_shown_yet_may_be_reviewed() -> None:
    five = TIPS[:5]
    ids = ["t00", "t01", "t02", "t03", "t04", "t04", "t01", "t04"]  # day 7 reviews t04
    hist = [Shown(t, d(day)) for day, t in enumerate(ids)]
    votes = [vote("t00", "m1", U, 0), vote("t04", "m1", U, 4)]
    cfg = LearningSettings(review_days=(8, 5))
    # Day 8: t00 is due; the last review (day 7) was a week ago or less, but the second
    # cycle has not shown t00 yet, so bringing it back takes no new tip's place.
    p = choose_daily(five, hist, votes, [], d(8), random.Random(0), cfg)
    assert p is not None and (p.tip_id, p.reason) == ("t00", "review")
    # Had the cycle shown t00 already (day 6; due again day 11), its review would wait for
    # the week after day 7 to pass.
    shown_t00 = [*hist[:6], Shown("t00", d(6)), hist[7]]
    waits = choose_daily(five, shown_t00, votes, [], d(11), random.Random(0), cfg)
    back = choose_daily(five, shown_t00, votes, [], d(14), random.Random(0), cfg)
    assert waits is not None and waits.reason == "new" and waits.tip_id != "t00"
    assert back is not None and (back.tip_id, back.reason) == ("t00", "review")


def test_a_known_tip_is_not_resurfaced() -> None:
    many = [tip(f"n{i:03d}", "a") for i in range(200)]
    hist = [Shown("n000", d(0))]
    votes = [vote("n000", "m1", U), vote("n000", "m2", K), vote("n000", "m3", K)]
    picks = run_daily(many, 60, votes, history=hist, start=1)
    assert all(reason == "new" for _, _, reason in picks)
    assert "n000" not in {t for _, t, _ in picks}


def test_interest_draws_topics_of_useful_tips_more_often_and_of_retired_tips_less() -> None:
    cands: list[Candidate] = [
        tip("liked", "rbac"),
        tip("hated", "helm"),
        *[tip(f"r{i}", "rbac") for i in range(10)],
        *[tip(f"h{i}", "helm") for i in range(10)],
        *[tip(f"o{i}", "other") for i in range(10)],
    ]
    hist = [Shown("liked", d(0)), Shown("hated", d(0))]
    votes = [vote("liked", "m1", U), vote("hated", "boss", N, admin=True)]
    first: Counter[str] = Counter()
    for seed in range(600):
        p = choose_daily(cands, hist, votes, [], d(1), random.Random(seed))
        assert p is not None and p.reason == "new"
        first[p.tip_id[0]] += 1
    assert first["r"] > first["o"] > first["h"]


def test_interest_keeps_the_rotation_every_cycle_a_permutation() -> None:
    cands: list[Candidate] = [
        tip("liked", "rbac"),
        *[tip(f"x{i}", "rbac" if i % 2 else "b") for i in range(9)],
    ]
    votes = [vote("liked", "m1", U, 0)]
    cfg = LearningSettings(review_days=())  # no reviews: only the rotation
    picks = [t for _, t, _ in run_daily(cands, 30, votes, cfg=cfg)]
    for c in range(3):
        assert sorted(picks[c * 10 : (c + 1) * 10]) == sorted(x.id for x in cands)


# --- Leitner boxes -----------------------------------------------------------------------


def answer(member: str, correct: bool, day: int = 0, q: str = "q1") -> QuizAnswer:
    return QuizAnswer(q, "x", "secret", member, "c", correct, at(day))


def test_a_new_question_missed_comes_back_in_3_days_then_7_21_60_120_as_it_is_got_right() -> None:
    card = next_card(None, [answer("a", False), answer("b", False)], d(0))
    assert (card.tip_id, card.term, card.box, card.due) == ("x", "secret", 0, d(3))
    gaps = []
    day = 3
    for _ in range(5):
        card = next_card(card, [answer("a", True)], d(day))
        gaps.append((card.due - d(day)).days)
        day = (card.due - DAY0).days
    assert gaps == [7, 21, 60, 120, 120]


def test_a_new_question_got_right_starts_at_21_days_and_a_miss_drops_it_to_3() -> None:
    card = next_card(None, [answer("a", True)], d(0))
    assert (card.box, card.due) == (2, d(21))
    card = next_card(card, [answer("a", False), answer("b", False), answer("c", True)], d(21))
    assert (card.box, card.due) == (0, d(24))


def test_a_tie_or_no_answer_counts_as_missed_and_a_member_counts_once() -> None:
    assert next_card(None, [answer("a", True), answer("b", False)], d(0)).box == 0
    assert next_card(None, [], d(0), tip_id="x", term="secret").due == d(3)
    # b answered wrong first; a later right press by b does not count.
    twice = [answer("a", True, 0), answer("b", False, 0), answer("b", True, 1)]
    assert next_card(None, twice, d(1)).box == 0
    with pytest.raises(ValueError):
        next_card(None, [], d(0))


def test_due_questions_lists_the_most_overdue_first() -> None:
    cards = [
        LeitnerCard("b", "t", 1, d(5)),
        LeitnerCard("a", "t", 1, d(3)),
        LeitnerCard("c", "t", 1, d(9)),
    ]
    assert [c.tip_id for c in due_questions(cards, d(5))] == ["a", "b"]


def test_quiz_choice_due_review_first_then_new_then_ahead() -> None:
    qs = [QuestionKey("a", "pod", ("core",)), QuestionKey("b", "rbac", ("rbac",))]
    cards = [LeitnerCard("a", "pod", 1, d(4))]
    due = choose_quiz(qs, cards, d(4), random.Random(0))
    assert due is not None and (due.question.tip_id, due.reason) == ("a", "review")
    new = choose_quiz(qs, cards, d(3), random.Random(0))
    assert new is not None and (new.question.tip_id, new.reason) == ("b", "new")
    both = [*cards, LeitnerCard("b", "rbac", 2, d(30))]
    ahead = choose_quiz(qs, both, d(3), random.Random(0))
    assert ahead is not None and (ahead.question.tip_id, ahead.reason) == ("a", "ahead")
    only_rbac = choose_quiz(qs, cards, d(4), random.Random(0), topics=["rbac"])
    assert only_rbac is not None and only_rbac.question.tip_id == "b"
    assert choose_quiz(qs, cards, d(4), random.Random(0), topics=["helm"]) is None


# --- progress ----------------------------------------------------------------------------


def test_streak_counts_days_up_to_today_or_yesterday() -> None:
    assert streak([d(1), d(2), d(3)], d(3)) == 3
    assert streak([d(1), d(2), d(3)], d(4)) == 3  # today is not over yet
    assert streak([d(1), d(3)], d(3)) == 1
    assert streak([d(1), d(2)], d(4)) == 0


def test_member_stats_count_current_votes_first_answers_and_share_right() -> None:
    votes = [vote("x", "me", U, 0), vote("x", "me", N, 1), vote("y", "me", K), vote("x", "you", U)]
    answers = [
        answer("me", True, 0, "q1"),
        answer("me", False, 1, "q2"),
        answer("me", True, 1, "q2"),  # a second press on q2: not counted
        answer("me", True, 2, "q3"),
        answer("you", True, 2, "q3"),
    ]
    s = member_stats("me", votes, answers, d(2))
    assert (s.votes, s.answered, s.right, s.streak) == (2, 3, 2, 3)
    assert s.share_right == pytest.approx(2 / 3)
    assert member_stats("nobody", votes, answers, d(2)).share_right == 0.0


def test_leaderboard_top_ten_by_right_answers_over_30_days() -> None:
    answers = [answer(f"m{i:02d}", True, 40, f"q{j}") for i in range(12) for j in range(i + 1)]
    answers += [answer("old", True, 5, f"q{j}") for j in range(50)]  # outside the window
    answers += [answer("m00", False, 40, "qx")]
    rows = leaderboard(answers, d(40))
    assert len(rows) == 10
    assert [r.member for r in rows[:2]] == ["m11", "m10"]
    assert rows[0].right == 12 and rows[0].rank == 1
    assert "old" not in {r.member for r in rows}
    tie = leaderboard([answer("a", True, 0), answer("b", True, 0, "q2")], d(0))
    assert [(r.rank, r.member) for r in tie] == [(1, "a"), (1, "b")]


@dataclass(frozen=True)
class Sub:
    platform: str = "slack"
    workspace: str = "T1"
    channel: str = "C1"
    topics: tuple[str, ...] = ("a",)


def test_choose_daily_for_posts_what_the_picker_posted_for_a_channel_without_votes() -> None:
    corpus = Corpus(tips=[tip(c.id, *c.topics) for c in TIPS])
    sub = Sub()
    hist: list[Shown] = []
    for day in range(15):
        mine = choose_daily_for(corpus, sub, d(day), hist, [])
        theirs = choose_daily_tip(corpus, sub, d(day).isoformat(), [s.tip_id for s in hist])
        assert mine is not None and mine.tip_id == theirs
        assert "a" in corpus.by_id[mine.tip_id].topics
        hist.append(Shown(mine.tip_id, d(day)))
    retired = [vote(t.id, "boss", N, admin=True) for t in TIPS if t.id != "t02"]
    only = choose_daily_for(corpus, sub, d(20), hist, retired)
    assert only is not None and only.tip_id == "t02"


VOTE_SCRIPT = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=7),  # tip
        st.sampled_from(["m1", "m2", "m3", "boss"]),
        st.sampled_from(list(VoteKind)),
        st.integers(min_value=0, max_value=60),  # day cast
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(script=VOTE_SCRIPT, seed=st.integers(min_value=0, max_value=2**32))
def test_property_any_votes_keep_retirement_rotation_and_weekly_cap(
    script: list[tuple[int, str, VoteKind, int]], seed: int
) -> None:
    """Whatever a channel votes, a retired tip is never picked, a new pick never repeats a tip
    of the current cycle, and reviews are a week apart."""
    cands = TIPS[:8]
    all_votes = [vote(f"t{i:02d}", m, kind, day, admin=m == "boss") for i, m, kind, day in script]
    cfg = LearningSettings(review_days=(3, 9, 20))  # short steps: reviews happen in 60 days
    hist: list[Shown] = []
    in_place: list[int] = []  # reviews that took a new tip's place
    for day in range(60):
        votes = [v for v in all_votes if v.at < at(day, 9)]
        retired = {t for t, x in tally(votes).items() if x.retired}
        eligible = {c.id for c in cands} - retired
        p = choose_daily(cands, hist, votes, [], d(day), random.Random(seed + day), cfg)
        if not eligible:
            assert p is None
            continue
        assert p is not None and p.tip_id not in retired
        seen, last = rotation_state(eligible, [s.tip_id for s in hist])
        complete = seen >= eligible
        if p.reason == "new":
            assert p.tip_id != last if complete and len(eligible) > 1 else p.tip_id not in seen
        else:
            assert tally(votes)[p.tip_id].useful_to_channel
            if p.tip_id in seen and not complete:
                in_place.append(day)
        hist.append(Shown(p.tip_id, d(day)))
    assert all(b - a >= 7 for a, b in itertools.pairwise(in_place))
