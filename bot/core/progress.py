"""A member's progress and the channel's leaderboard, from votes and quiz answers. Pure.

Dates are the channel's local dates of UTC instants: the runtime passes a `ToLocalDate` bound
to the channel's timezone, so this module needs no timezone database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.learning import ToLocalDate, current_votes, utc_date
from bot.core.learning_model import QuizAnswer, Vote

LEADERBOARD_DAYS = 30
LEADERBOARD_SIZE = 10


@dataclass(frozen=True)
class MemberStats:
    """What `/k8stip stats` shows a member."""

    member: str
    votes: int
    answered: int
    right: int
    streak: int  # consecutive days with a quiz answered, up to today (or yesterday)

    @property
    def share_right(self) -> float:
        return self.right / self.answered if self.answered else 0.0


def first_answers(answers: Iterable[QuizAnswer]) -> list[QuizAnswer]:
    """One answer per member per question: the first (a second press is not a second try)."""
    first: dict[tuple[str, str], QuizAnswer] = {}
    for a in sorted(answers, key=lambda a: (a.at, a.question_id, a.member)):
        first.setdefault((a.question_id, a.member), a)
    return list(first.values())


def streak(days: Iterable[date], today: date) -> int:
    """Consecutive days ending today, or yesterday when today has no answer yet (the day is
    not over), on which the member answered a quiz."""
    have = set(days)
    day = today if today in have else today - timedelta(days=1)
    n = 0
    while day in have:
        n += 1
        day -= timedelta(days=1)
    return n


def member_stats(
    member: str,
    votes: Iterable[Vote],
    answers: Iterable[QuizAnswer],
    today: date,
    to_local: ToLocalDate = utc_date,
) -> MemberStats:
    """The member's current votes, answers, right answers and streak (lists may hold other
    members' records too; they are ignored)."""
    mine_votes = [v for v in current_votes(votes) if v.member == member]
    mine = [a for a in first_answers(answers) if a.member == member]
    return MemberStats(
        member=member,
        votes=len(mine_votes),
        answered=len(mine),
        right=sum(1 for a in mine if a.correct),
        streak=streak((to_local(a.at) for a in mine), today),
    )


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    member: str
    right: int
    answered: int


def leaderboard(
    answers: Iterable[QuizAnswer],
    today: date,
    to_local: ToLocalDate = utc_date,
    days: int = LEADERBOARD_DAYS,
    size: int = LEADERBOARD_SIZE,
) -> list[LeaderboardRow]:
    """The channel's top members by right answers over the last `days` local days (today
    included); ties share a rank and are listed by fewer answers, then member id."""
    start = today - timedelta(days=days - 1)
    right: dict[str, int] = {}
    answered: dict[str, int] = {}
    for a in first_answers(answers):
        if not start <= to_local(a.at) <= today:
            continue
        answered[a.member] = answered.get(a.member, 0) + 1
        right[a.member] = right.get(a.member, 0) + (1 if a.correct else 0)
    ordered = sorted(
        (m for m in answered if right[m] > 0), key=lambda m: (-right[m], answered[m], m)
    )[:size]
    rows: list[LeaderboardRow] = []
    for i, m in enumerate(ordered):
        tied = rows and rows[-1].right == right[m]
        rank = rows[-1].rank if tied else i + 1
        rows.append(LeaderboardRow(rank, m, right[m], answered[m]))
    return rows
