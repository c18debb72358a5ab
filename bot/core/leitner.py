"""Spaced practice of quiz questions in a channel: Leitner boxes, and the day's question.

A question is a tip with one hidden term, keyed `(tip_id, term)`; `core.quiz` makes the
questions, this module decides when each comes back. Pure: dates and the random source are
passed in.

The boxes form one ladder of intervals, `LEITNER_DAYS` = 3, 7, 21, 60, 120 days. When most of
the channel missed a question (or nobody answered it, or right and wrong tied) it drops to
box 0 and comes back after 3 days; each time most of the channel gets it right it climbs one
box: 7, then 21, then 60, then 120 days, where it stays. A question the channel gets right the
first time it is asked starts in box 2 (21 days): it was not hard for this channel.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.core.learning_model import LeitnerCard, QuizAnswer

LEITNER_DAYS: tuple[int, ...] = (3, 7, 21, 60, 120)
"""Days until a question comes back, by box."""

NEW_EVERY = 3  # every third day a new question goes before due reviews

FIRST_RIGHT_BOX = 2  # a new question the channel got right goes straight to 21 days


@dataclass(frozen=True)
class QuestionKey:
    """A question the corpus yields: a tip, the term hidden in it, and the tip's topics. From
    a `core.quiz.Question` q: `QuestionKey(q.tip_id, q.term_key, q.topics)` (the key that
    `QuizAnswer.term` and `LeitnerCard.term` store)."""

    tip_id: str
    term: str
    topics: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.tip_id, self.term)


def channel_got_it_right(answers: Iterable[QuizAnswer]) -> bool:
    """Most of the channel got the posting right: more right answers than wrong, counting a
    member once (their first answer)."""
    by_member: dict[str, QuizAnswer] = {}
    for a in sorted(answers, key=lambda a: a.at):
        by_member.setdefault(a.member, a)
    right = sum(1 for a in by_member.values() if a.correct)
    return right > len(by_member) - right


def next_card(
    card: LeitnerCard | None,
    answers: Sequence[QuizAnswer],
    local_date: date,
    tip_id: str | None = None,
    term: str | None = None,
) -> LeitnerCard:
    """The card after a posting of the question closed on `local_date` with `answers`.
    `card` None: the question's first posting in the channel (then give `tip_id` and `term`,
    or at least one answer to read them from)."""
    if card is not None:
        tip, key_term = card.tip_id, card.term
    elif tip_id is not None and term is not None:
        tip, key_term = tip_id, term
    elif answers:
        tip, key_term = answers[0].tip_id, answers[0].term
    else:
        raise ValueError("next_card needs a card, a tip_id and term, or an answer")
    if channel_got_it_right(answers):
        box = FIRST_RIGHT_BOX if card is None else min(card.box + 1, len(LEITNER_DAYS) - 1)
    else:
        box = 0
    return LeitnerCard(tip, key_term, box, local_date + timedelta(days=LEITNER_DAYS[box]))


def due_questions(cards: Iterable[LeitnerCard], local_date: date) -> list[LeitnerCard]:
    """Cards due on `local_date`, most overdue first (then by tip and term)."""
    return sorted(
        (c for c in cards if c.due <= local_date), key=lambda c: (c.due, c.tip_id, c.term)
    )


QuizReason = Literal["review", "new", "ahead"]


@dataclass(frozen=True)
class QuizPick:
    """The channel's quiz question for a day, and why."""

    question: QuestionKey
    reason: QuizReason  # review: due in its box; new: never asked; ahead: asked before its due
    explanation: str


def choose_quiz(
    available: Sequence[QuestionKey],
    cards: Iterable[LeitnerCard],
    local_date: date,
    rng: random.Random,
    topics: Sequence[str] = (),
    new_every: int = NEW_EVERY,
) -> QuizPick | None:
    """The day's question: a due review first (most overdue), else a question the channel was
    never asked (drawn with `rng`, one tip's questions no likelier than another's), else the
    one due soonest, so a quiz channel gets a question every day while the corpus yields one.
    Every `new_every`-th day (by date) a new question goes before the reviews, so a channel
    that keeps missing a few questions still meets new ones. `topics` filters the available
    questions (empty: all). None: no question available."""
    wanted = set(topics)
    pool = [q for q in available if not wanted or wanted.intersection(q.topics)]
    if not pool:
        return None
    by_key = {q.key: q for q in pool}
    card_by_key: Mapping[tuple[str, str], LeitnerCard] = {
        (c.tip_id, c.term): c for c in cards if (c.tip_id, c.term) in by_key
    }
    fresh = [q for q in pool if q.key not in card_by_key]
    due = due_questions(card_by_key.values(), local_date)
    new_day = new_every > 0 and local_date.toordinal() % new_every == 0
    if due and not (new_day and fresh):
        c = due[0]
        return QuizPick(by_key[(c.tip_id, c.term)], "review", f"review: box {c.box}, due {c.due}")
    if fresh:
        tips = sorted({q.tip_id for q in fresh})
        tip = rng.choice(tips)
        terms = sorted(q.term for q in fresh if q.tip_id == tip)
        return QuizPick(by_key[(tip, rng.choice(terms))], "new", "new question")
    soonest = min(card_by_key.values(), key=lambda c: (c.due, c.tip_id, c.term))
    return QuizPick(
        by_key[(soonest.tip_id, soonest.term)], "ahead", f"practice ahead: due {soonest.due}"
    )
