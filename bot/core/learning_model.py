"""What a channel tells k8stip about its tips: the records feedback and quizzes are made of.

Pure data, shared by the learning rules (`core.learning`), the quiz (`core.quiz`), the store
(`runtime.store`, which reads and writes these) and the adapters (which turn button presses
into them). Members are identified per platform by their platform user id; display names are
only stored where a page must show them (the leaderboard), never to ping anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class VoteKind(StrEnum):
    """The three feedback buttons on every tip card."""

    USEFUL = "useful"  # 👍 Useful
    NOT_USEFUL = "not_useful"  # 👎 Not useful
    KNEW_IT = "knew_it"  # ✅ Knew it


VOTE_LABELS: dict[VoteKind, str] = {
    VoteKind.USEFUL: "👍 Useful",
    VoteKind.NOT_USEFUL: "👎 Not useful",
    VoteKind.KNEW_IT: "✅ Knew it",
}


class SubscriptionMode(StrEnum):
    """What a subscription posts each day."""

    TIP = "tip"
    QUIZ = "quiz"


@dataclass(frozen=True)
class Vote:
    """One member's current vote on one tip in one channel (a new press replaces it)."""

    tip_id: str
    member: str  # platform user id
    kind: VoteKind
    admin: bool  # the member was a channel/workspace admin when they voted
    at: datetime  # UTC, aware


@dataclass(frozen=True)
class Restoration:
    """An admin undid a tip's retirement in a channel: votes cast before `at` no longer
    retire it (later votes can retire it again)."""

    tip_id: str
    by: str
    at: datetime  # UTC, aware


@dataclass(frozen=True)
class Shown:
    """A tip the channel's schedule posted, on that channel's local date."""

    tip_id: str
    local_date: date


@dataclass(frozen=True)
class QuizAnswer:
    """One member's answer to one posted quiz question (one per member per question)."""

    question_id: str  # the posted question (store id, as text)
    tip_id: str
    term: str  # the hidden term (normalised key, see core.quiz)
    member: str
    choice: str
    correct: bool
    at: datetime  # UTC, aware


@dataclass(frozen=True)
class LeitnerCard:
    """Spaced practice of one question (tip + hidden term) in one channel."""

    tip_id: str
    term: str
    box: int  # 0 = new/missed; higher = longer interval
    due: date  # the channel's local date from which it may be asked again


@dataclass(frozen=True)
class LeaderboardEntry:
    """One row of a channel's quiz leaderboard: right answers over a period. `name` is the
    display name stored with the member's latest answer, shown as text (never a mention)."""

    member: str
    name: str | None
    right: int
    answered: int
