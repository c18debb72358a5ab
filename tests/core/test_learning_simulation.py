"""A simulated 400 days of one channel that votes, and of one quiz-mode channel: the learning
rules hold over a long run (injected dates, seeded random source, everything in memory)."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.core.corpus import Tip
from bot.core.learning import DEFAULT_SETTINGS, choose_daily, retired_tips, tally
from bot.core.learning_model import LeitnerCard, QuizAnswer, Restoration, Shown, Vote, VoteKind
from bot.core.leitner import LEITNER_DAYS, NEW_EVERY, QuestionKey, choose_quiz, next_card
from bot.core.picker import rotation_state, seeded_rng

DAYS = 400
DAY0 = date(2026, 1, 1)
U, N, K = VoteKind.USEFUL, VoteKind.NOT_USEFUL, VoteKind.KNEW_IT
TOPICS = ("rbac", "secrets", "helm", "network")
CORPUS = [
    Tip(id=f"t{i:02d}", text=f"tip {i}", source="s", topics=(TOPICS[i % 4],)) for i in range(150)
]

# What members press when a tip is first shown: (member, kind, admin, days after the post).
REACTIONS: dict[str, list[tuple[str, VoteKind, bool, int]]] = {
    "t03": [("m1", N, False, 0), ("m2", N, False, 0)],  # retired: two members
    "t07": [("boss", N, True, 0)],  # retired: an admin
    "t11": [("m1", N, False, 0), ("m2", N, False, 1), ("m3", U, False, 0)],  # retired, 2 > 1
    "t13": [("m1", N, False, 0), ("m2", N, False, 0), ("m3", U, False, 0), ("m4", U, False, 0)],
    "t15": [("boss", N, True, 0)],  # retired, restored after 20 days, retired again later
    "t05": [("m1", U, False, 0)],
    "t09": [("m1", U, False, 0), ("m2", U, False, 0), ("m3", N, False, 0)],
    "t21": [("m2", U, False, 2)],  # found useful two days after the post
    "t30": [("m4", U, False, 0), ("m5", K, False, 0)],
    "t17": [("m1", U, False, 0), ("m2", K, False, 0), ("m3", K, False, 0)],  # known
    "t25": [("m1", N, False, 0), ("m1", U, False, 1)],  # a replaced vote: useful
    "t33": [("m1", N, False, 0), ("m2", N, False, 3)],  # retired three days later
}
# Votes on t15 once it was restored and shown again.
AFTER_RESTORE = [("m5", N, False, 0), ("m6", N, False, 0)]
RESTORE_AFTER_DAYS = 20
# On this day a member goes through the channel's first posts and marks three useful at once:
# their reviews fall due together, and the weekly cap spreads them out.
RETRO_DAY, RETRO_POSTS = 60, 3


def day_of(d: date) -> int:
    return (d - DAY0).days


def at(d: date, hour: int) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


@dataclass
class Channel:
    history: list[Shown] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    restorations: list[Restoration] = field(default_factory=list)
    retired_on: list[set[str]] = field(default_factory=list)  # retired set each day, before posting
    # The rotation before each day's post, replayed by picker.rotation_state over the tips
    # then eligible: (shown in the current cycle, last shown, cycle complete).
    rotation: list[tuple[set[str], str | None, bool]] = field(default_factory=list)

    def known_votes(self, d: date) -> list[Vote]:
        """What the channel had said before that day's 09:00 post."""
        return [v for v in self.votes if v.at < at(d, 9)]

    def known_restorations(self, d: date) -> list[Restoration]:
        return [r for r in self.restorations if r.at < at(d, 9)]

    def react(self, tip_id: str, d: date) -> None:
        first = sum(1 for s in self.history if s.tip_id == tip_id) == 1
        script = REACTIONS.get(tip_id, []) if first else []
        if tip_id == "t15" and not first and self.restorations:
            script = AFTER_RESTORE
            if any(v.member == "m5" and v.tip_id == "t15" for v in self.votes):
                script = []
        for member, kind, admin, delay in script:
            self.votes.append(Vote(tip_id, member, kind, admin, at(d + timedelta(delay), 12)))
        if tip_id == "t15" and first:
            when = d + timedelta(RESTORE_AFTER_DAYS)
            self.restorations.append(Restoration("t15", "boss", at(when, 8)))


def simulate() -> Channel:
    ch = Channel()
    for n in range(DAYS):
        d = DAY0 + timedelta(n)
        if n == RETRO_DAY:
            for shown in ch.history[:RETRO_POSTS]:
                ch.votes.append(Vote(shown.tip_id, "m7", U, False, at(d, 8)))
        votes, restored = ch.known_votes(d), ch.known_restorations(d)
        ch.retired_on.append(retired_tips(tally(votes, restored)))
        eligible = {t.id for t in CORPUS} - ch.retired_on[-1]
        seen, last = rotation_state(eligible, [s.tip_id for s in ch.history])
        ch.rotation.append((seen, last, seen >= eligible))
        rng = seeded_rng("slack", "T1", "C1", d.isoformat())
        p = choose_daily(CORPUS, ch.history, votes, restored, d, rng)
        assert p is not None
        ch.history.append(Shown(p.tip_id, d))
        ch.reasons.append(p.reason)
        ch.react(p.tip_id, d)
    return ch


SIM = simulate()
RETRO = {s.tip_id for s in SIM.history[:RETRO_POSTS]}
USEFUL = {"t05", "t09", "t21", "t30", "t25"} | RETRO


def test_the_script_retires_restores_and_marks_useful_as_planned() -> None:
    t = tally(SIM.votes, SIM.restorations)
    assert retired_tips(t) == {"t03", "t07", "t11", "t15", "t33"}
    assert not RETRO & set(REACTIONS)  # the first posts carry no scripted votes
    assert {tip for tip, x in t.items() if x.useful_to_channel} == USEFUL
    assert t["t17"].known and not t["t13"].retired
    assert sum(1 for s in SIM.history if s.tip_id == "t15") >= 2  # it came back once restored


def test_no_retired_tip_is_posted_again() -> None:
    for n, shown in enumerate(SIM.history):
        assert shown.tip_id not in SIM.retired_on[n], (n, shown)
    last_vote = {v.tip_id: v.at.date() for v in SIM.votes}
    for tip_id in ("t03", "t07", "t11", "t33"):
        assert not [
            s for s in SIM.history if s.tip_id == tip_id and s.local_date > last_vote[tip_id]
        ]


def test_every_useful_tip_resurfaces_within_its_interval_plus_the_weekly_cap() -> None:
    useful = sorted(USEFUL)
    slack = DEFAULT_SETTINGS.review_gap_days * len(useful)
    checked = 0
    for tip_id in useful:
        found = min(v.at.date() for v in SIM.votes if v.tip_id == tip_id and v.kind is U)
        shows = [s.local_date for s in SIM.history if s.tip_id == tip_id]
        start = found  # then each review counts from the previous showing
        for interval in DEFAULT_SETTINGS.review_days:
            limit = start + timedelta(interval + slack)
            if day_of(limit) >= DAYS:
                break
            nxt = [d for d in shows if d > start]
            assert nxt, (tip_id, start, interval)
            assert nxt[0] <= limit, (tip_id, start, interval, nxt[0])
            start = nxt[0]
            checked += 1
    assert checked >= 10


def test_reviews_take_a_new_tips_place_at_most_once_a_week_and_only_for_useful_tips() -> None:
    reviews = [n for n, r in enumerate(SIM.reasons) if r == "review"]
    assert len(reviews) >= 8
    # A review of a tip the current cycle already showed takes a new tip's place: those are
    # a week apart. One the cycle has not shown yet only moves it forward in the rotation.
    in_place = [n for n in reviews if SIM.history[n].tip_id in SIM.rotation[n][0]]
    assert len(in_place) >= 5
    gaps = [b - a for a, b in itertools.pairwise(in_place)]
    assert min(gaps) >= DEFAULT_SETTINGS.review_gap_days
    reviewed = {SIM.history[n].tip_id for n in reviews}
    assert reviewed <= USEFUL
    assert reviewed >= RETRO
    assert "t17" not in reviewed  # known


def test_no_tip_repeats_before_every_eligible_tip_was_posted_once() -> None:
    cycles = 0
    for n, shown in enumerate(SIM.history):
        seen, last, complete = SIM.rotation[n]
        cycles += complete
        if SIM.reasons[n] == "new":
            if complete:
                assert shown.tip_id != last
            else:
                assert shown.tip_id not in seen, (n, shown)
    assert cycles >= 2


def test_the_run_is_deterministic() -> None:
    again = simulate()
    assert again.history == SIM.history and again.reasons == SIM.reasons


# --- a quiz-mode channel -----------------------------------------------------------------

QUESTIONS = [
    QuestionKey(f"t{i:02d}", term, (TOPICS[i % 4],)) for i in range(12) for term in ("a", "b")
]
HARD = {q.key for q in QUESTIONS[::3]}  # most of the channel misses these


def test_a_quiz_channel_gets_exactly_one_question_a_day_on_its_leitner_schedule() -> None:
    cards: dict[tuple[str, str], LeitnerCard] = {}
    asked: list[tuple[date, QuestionKey, str]] = []
    for n in range(DAYS):
        d = DAY0 + timedelta(n)
        p = choose_quiz(QUESTIONS, cards.values(), d, seeded_rng("discord", "G", "quiz", d))
        assert p is not None  # one question every day
        q = p.question
        old = cards.get(q.key)
        if p.reason == "review":
            assert old is not None and old.due <= d
        elif p.reason == "new":
            assert old is None
            assert old_due_ok(cards, d) or d.toordinal() % NEW_EVERY == 0
        else:  # ahead: only when nothing is due and nothing is new
            assert len(cards) == len(QUESTIONS)
            assert all(c.due > d for c in cards.values())
        asked.append((d, q, p.reason))
        rng = random.Random(f"{q.key}{n}")
        answers = [
            QuizAnswer(
                f"q{n}",
                q.tip_id,
                q.term,
                f"m{m}",
                "x",
                rng.random() > (0.8 if q.key in HARD else 0.2),
                at(d, 10),
            )
            for m in range(5)
        ]
        cards[q.key] = next_card(old, answers, d, q.tip_id, q.term)
    assert len(asked) == DAYS and len({d for d, _, _ in asked}) == DAYS
    assert {q.key for _, q, _ in asked} == {q.key for q in QUESTIONS}
    # A hard question keeps coming back soon; an easy one climbs to long intervals.
    hard_gaps = gaps_of(asked, HARD)
    easy_gaps = gaps_of(asked, {q.key for q in QUESTIONS} - HARD)
    assert min(hard_gaps) >= LEITNER_DAYS[0]
    assert sum(hard_gaps) / len(hard_gaps) < sum(easy_gaps) / len(easy_gaps)
    assert max(easy_gaps) >= LEITNER_DAYS[3]


def old_due_ok(cards: dict[tuple[str, str], LeitnerCard], d: date) -> bool:
    """Nothing was due: a new question may come first on any day."""
    return all(c.due > d for c in cards.values())


def gaps_of(asked: list[tuple[date, QuestionKey, str]], keys: set[tuple[str, str]]) -> list[int]:
    last: dict[tuple[str, str], date] = {}
    gaps: list[int] = []
    for d, q, _ in asked:
        if q.key in keys:
            if q.key in last:
                gaps.append((d - last[q.key]).days)
            last[q.key] = d
    return gaps
