"""How a channel learns: what its votes do to the daily pick. Pure: no clock, store or config.

Everything here is a function of what the channel said (its `Vote`s and `Restoration`s), what
it was shown (`Shown`, oldest first), the channel's local date and a random source, so a
preview (`/k8stip next`) and the daily post agree, and a simulated year runs in milliseconds.

- Retire: two or more `not_useful` votes from distinct members and more of those than
  `useful` votes, or one `not_useful` from an admin. Only votes cast after the tip's latest
  restoration count. A retired tip leaves the channel's rotation; a topic request draws it
  only when nothing else answers (`prefer_unretired`).
- Known: most of the tip's voters pressed `knew_it`. A known tip is not resurfaced.
- Useful: more `useful` than `not_useful` votes, and neither retired nor known. It resurfaces
  `review_days` (30, 90, 180) after it was found useful or last shown, the most overdue first.
  At most one review every `review_gap_days` (7) takes a new tip's place (repeats a tip the
  current rotation cycle already showed), so new tips stay the main diet; a due tip the cycle
  has not shown yet may come back any day, since the cycle must show it anyway. The history
  (`Shown`) carries no reason, so reviews are recognised in it as such repeats of a tip
  someone voted on.
- Interest: when the next new tip is drawn, each topic of a useful tip adds weight to the
  unseen candidates carrying it, each topic of a retired tip takes weight away. The rotation
  still holds: no tip repeats before every eligible tip was shown once. With no votes the draw
  is exactly `picker.pick`'s, so a channel that never votes sees what it saw before.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar, overload

from bot.core.corpus import Corpus
from bot.core.learning_model import Restoration, Shown, Vote, VoteKind
from bot.core.picker import Channel, pick, seeded_rng

T = TypeVar("T")

ToLocalDate = Callable[[datetime], date]
"""The channel's local date of a UTC instant (the runtime passes one bound to its timezone)."""


def utc_date(at: datetime) -> date:
    """The default `ToLocalDate`: the UTC date (for callers that have no timezone at hand)."""
    return at.date()


@dataclass(frozen=True)
class LearningSettings:
    """The knobs of the rules (`learning.*` in the config; the runtime passes them in)."""

    review_days: tuple[int, ...] = (30, 90, 180)
    review_gap_days: int = 7  # at most one review in this many days
    interest_step: float = 0.5  # weight a useful (retired) tip's topic adds to (takes from) a draw
    min_weight: float = 0.25
    max_weight: float = 4.0


DEFAULT_SETTINGS = LearningSettings()


class Candidate(Protocol):
    """Protocol: a tip the channel's topic filter lets through (`corpus.Tip` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def topics(self) -> tuple[str, ...]: ...


# ---------------------------------------------------------------------------------------------
# Tallies


@dataclass(frozen=True)
class TipTally:
    """One tip's votes in one channel: every current vote, and those the retire rule counts
    (cast after the latest restoration)."""

    useful: int = 0
    not_useful: int = 0
    knew_it: int = 0
    retire_useful: int = 0  # after the latest restoration
    retire_not_useful: int = 0
    admin_not_useful: int = 0  # after the latest restoration
    first_useful_at: datetime | None = None  # the earliest current useful vote

    @property
    def voters(self) -> int:
        return self.useful + self.not_useful + self.knew_it

    @property
    def retired(self) -> bool:
        if self.admin_not_useful >= 1:
            return True
        return self.retire_not_useful >= 2 and self.retire_not_useful > self.retire_useful

    @property
    def known(self) -> bool:
        """Most of the tip's voters marked it `knew_it` (a strict majority)."""
        return self.knew_it * 2 > self.voters

    @property
    def useful_to_channel(self) -> bool:
        """Found useful, so resurfaced: more useful than not useful, not retired, not known."""
        return self.useful > self.not_useful and not self.retired and not self.known


def current_votes(votes: Iterable[Vote]) -> list[Vote]:
    """One vote per member per tip: the latest press replaces earlier ones (the store keeps
    one already; this makes the rules safe against a list that still holds both)."""
    latest: dict[tuple[str, str], Vote] = {}
    for v in votes:
        key = (v.tip_id, v.member)
        old = latest.get(key)
        if old is None or v.at >= old.at:
            latest[key] = v
    return list(latest.values())


def latest_restorations(restorations: Iterable[Restoration]) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for r in restorations:
        if r.tip_id not in out or r.at > out[r.tip_id]:
            out[r.tip_id] = r.at
    return out


def tally(votes: Iterable[Vote], restorations: Iterable[Restoration] = ()) -> dict[str, TipTally]:
    """Per tip: the counts of each kind, and what the retire rule sees."""
    restored = latest_restorations(restorations)
    # Per tip: useful, not useful, knew it; then useful, not useful, admin not useful after
    # the latest restoration (plain lists: a channel may hold thousands of votes).
    counts: dict[str, list[int]] = {}
    first_useful: dict[str, datetime] = {}
    for v in current_votes(votes):
        c = counts.get(v.tip_id)
        if c is None:
            c = counts[v.tip_id] = [0, 0, 0, 0, 0, 0]
        kind = v.kind
        if kind is VoteKind.KNEW_IT:
            c[2] += 1
            continue
        useful = kind is VoteKind.USEFUL
        c[0 if useful else 1] += 1
        if useful and (v.tip_id not in first_useful or v.at < first_useful[v.tip_id]):
            first_useful[v.tip_id] = v.at
        cut = restored.get(v.tip_id)
        if cut is not None and v.at <= cut:
            continue
        c[3 if useful else 4] += 1
        if not useful and v.admin:
            c[5] += 1
    return {
        tip: TipTally(c[0], c[1], c[2], c[3], c[4], c[5], first_useful.get(tip))
        for tip, c in counts.items()
    }


def retired_tips(tallies: Mapping[str, TipTally]) -> set[str]:
    return {tip for tip, t in tallies.items() if t.retired}


def known_tips(tallies: Mapping[str, TipTally]) -> set[str]:
    return {tip for tip, t in tallies.items() if t.known}


def useful_tips(tallies: Mapping[str, TipTally]) -> set[str]:
    return {tip for tip, t in tallies.items() if t.useful_to_channel}


@overload
def prefer_unretired(pool: Sequence[str], retired: Collection[str]) -> list[str]: ...
@overload
def prefer_unretired(
    pool: Sequence[T], retired: Collection[str], tip_id: Callable[[T], str]
) -> list[T]: ...
def prefer_unretired(
    pool: Sequence[Any],
    retired: Collection[str],
    tip_id: Callable[[Any], str] | None = None,
) -> list[Any]:
    """A topic request's draw pool in a channel: its unretired tips, or the whole pool when
    every tip in it is retired (a request is still answered when nothing else answers)."""
    key = tip_id if tip_id is not None else str
    kept = [t for t in pool if key(t) not in retired]
    return kept if kept else list(pool)


# ---------------------------------------------------------------------------------------------
# Resurfacing


@dataclass(frozen=True)
class ReviewState:
    """Where a useful tip stands on its review schedule on some day."""

    tip_id: str
    found: date  # the channel's date of the tip's earliest current useful vote
    reviews_done: int  # times shown after `found`
    due: date | None  # None: the schedule is done


def review_state(
    tip_id: str, found: date, shown_dates: Sequence[date], review_days: Sequence[int]
) -> ReviewState:
    """The tip's next review: `review_days[k]` days after it was found useful or last shown
    (whichever is later), k being how often it was shown since it was found useful."""
    after = [d for d in shown_dates if d > found]
    done = len(after)
    if done >= len(review_days):
        return ReviewState(tip_id, found, done, None)
    anchor = max([found, *shown_dates])
    return ReviewState(tip_id, found, done, anchor + timedelta(days=review_days[done]))


@dataclass(frozen=True)
class Replay:
    """The channel's history read back: the rotation and the reviews it holds."""

    seen: set[str]  # eligible tips shown in the current rotation cycle
    last: str | None  # the eligible tip shown last
    shown: dict[str, list[date]]  # every tip's showing dates, oldest first
    review_dates: list[date]  # the showings that were reviews


def replay(
    history: Sequence[Shown],
    eligible: Collection[str],
    voted: Collection[str],
    track: Collection[str] | None = None,
) -> Replay:
    """Read the history back. A showing is a review, one the weekly cap counts, when it repeats
    a tip someone voted on (`voted`) that the current rotation cycle already showed: it took a
    new tip's place. That needs only the history and who voted on what, not when, so a vote
    replaced later cannot hide a past review from the cap. `track`: the tips whose showing
    dates are wanted (None: all)."""
    shown: dict[str, list[date]] = {}
    reviews: list[date] = []
    seen: set[str] = set()
    last: str | None = None
    elig = set(eligible)
    for s in history:
        if track is None or s.tip_id in track:
            shown.setdefault(s.tip_id, []).append(s.local_date)
        if s.tip_id not in elig:
            continue
        if seen >= elig:  # the rotation, as picker.rotation_state replays it
            seen = set()
        elif s.tip_id in seen and s.tip_id in voted:
            reviews.append(s.local_date)
        seen.add(s.tip_id)
        last = s.tip_id
    return Replay(seen, last, shown, reviews)


# ---------------------------------------------------------------------------------------------
# The daily pick

PickReason = Literal["new", "review"]


@dataclass(frozen=True)
class DailyPick:
    """The channel's tip for a day, and why (what `/k8stip next` says)."""

    tip_id: str
    reason: PickReason
    explanation: str  # "new tip", "review: found useful 30 days ago"
    due: date | None = None  # a review: the day it fell due


@dataclass(frozen=True)
class ChannelView:
    """What the rules make of a channel's votes, once per choice (also handy for `next`)."""

    tallies: dict[str, TipTally]
    retired: set[str]
    known: set[str]
    useful: set[str]
    found: dict[str, date] = field(default_factory=dict)  # useful tips: first useful vote


def channel_view(
    votes: Sequence[Vote],
    restorations: Sequence[Restoration] = (),
    to_local: ToLocalDate = utc_date,
) -> ChannelView:
    tallies = tally(votes, restorations)
    useful = useful_tips(tallies)
    found = {
        tip: to_local(at) for tip in useful if (at := tallies[tip].first_useful_at) is not None
    }
    return ChannelView(tallies, retired_tips(tallies), known_tips(tallies), useful, found)


def topic_weights(
    candidates: Sequence[Candidate], view: ChannelView, step: float
) -> dict[str, float]:
    """Per topic: + step for each useful tip carrying it, - step for each retired one."""
    weights: dict[str, float] = {}
    for c in candidates:
        delta = step if c.id in view.useful else -step if c.id in view.retired else 0.0
        if delta:
            for topic in c.topics:
                weights[topic] = weights.get(topic, 0.0) + delta
    return weights


def draw_new(
    remaining: Sequence[Candidate],
    weights: Mapping[str, float],
    rng: random.Random,
    settings: LearningSettings,
) -> str:
    """A weighted draw among unseen candidates (sorted by id). Equal weights draw exactly as
    `picker.pick` does, so channels without votes keep their sequence."""
    ordered = sorted(remaining, key=lambda c: c.id)
    ws = [
        min(
            settings.max_weight,
            max(settings.min_weight, 1.0 + sum(weights.get(t, 0.0) for t in c.topics)),
        )
        for c in ordered
    ]
    if len(set(ws)) <= 1:
        return rng.choice([c.id for c in ordered])
    return rng.choices([c.id for c in ordered], weights=ws, k=1)[0]


def choose_daily(
    candidates: Sequence[Candidate],
    history: Sequence[Shown],
    votes: Sequence[Vote],
    restorations: Sequence[Restoration],
    local_date: date,
    rng: random.Random,
    settings: LearningSettings = DEFAULT_SETTINGS,
    to_local: ToLocalDate = utc_date,
) -> DailyPick | None:
    """The channel's tip for `local_date`: a due review (at most one every review_gap_days,
    earliest due first), else a new tip drawn by interest from the rotation's unseen eligible
    candidates. `candidates` are the tips the channel's topic filter lets through; `history`
    everything the channel was shown before that day, oldest first. None: nothing to post
    (no candidates, or every one retired)."""
    if not votes:  # nothing learnt yet: the rotation as it always was (and as fast)
        ids = [c.id for c in candidates]
        tip_id = pick(ids, [s.tip_id for s in history if s.local_date <= local_date], rng)
        return None if tip_id is None else DailyPick(tip_id, "new", "new tip")
    view = channel_view(votes, restorations, to_local)
    by_id = {c.id: c for c in candidates}
    eligible = [c for c in candidates if c.id not in view.retired]
    if not eligible:
        return None
    eligible_ids = {c.id for c in eligible}
    found = {t: d for t, d in view.found.items() if t in eligible_ids}
    past = list(history)
    while past and past[-1].local_date > local_date:  # oldest first: only the tail can be later
        past.pop()
    rp = replay(past, eligible_ids, view.tallies.keys(), found.keys())

    review = _due_review(rp, found, eligible_ids, local_date, settings)
    if review is not None:
        days = (local_date - review.found).days
        return DailyPick(
            review.tip_id,
            "review",
            f"review: found useful {days} day{'s' if days != 1 else ''} ago",
            review.due,
        )

    remaining_ids = eligible_ids - rp.seen
    if not remaining_ids:  # cycle complete: a new one never starts with the tip that ended it
        remaining_ids = (
            eligible_ids - {rp.last} if len(eligible_ids) > 1 and rp.last else eligible_ids
        )
    remaining = [by_id[t] for t in remaining_ids]
    weights = topic_weights(candidates, view, settings.interest_step)
    return DailyPick(draw_new(remaining, weights, rng, settings), "new", "new tip")


def _due_review(
    rp: Replay,
    found: Mapping[str, date],
    eligible: Collection[str],
    local_date: date,
    settings: LearningSettings,
) -> ReviewState | None:
    """The most overdue review. Within `review_gap_days` of the last review only a tip the
    current cycle has not shown yet may come back: the cycle must show it anyway, so it takes
    no new tip's place."""
    last_review = max(rp.review_dates, default=None)
    capped = last_review is not None and (
        (local_date - last_review).days < settings.review_gap_days
    )
    cycle_done = rp.seen >= set(eligible)
    due: list[ReviewState] = []
    for tip, f in found.items():
        if f > local_date or (capped and tip in rp.seen and not cycle_done):
            continue
        st = review_state(tip, f, rp.shown.get(tip, []), settings.review_days)
        if st.due is not None and st.due <= local_date:
            due.append(st)
    if not due:
        return None
    return min(due, key=lambda st: (st.due or local_date, st.tip_id))


def choose_daily_for(
    corpus: Corpus,
    sub: Channel,
    local_date: date,
    history: Sequence[Shown],
    votes: Sequence[Vote],
    restorations: Sequence[Restoration] = (),
    settings: LearningSettings = DEFAULT_SETTINGS,
    to_local: ToLocalDate = utc_date,
) -> DailyPick | None:
    """`choose_daily` for a subscription, as delivery and `/k8stip next` call it: the tips its
    topic filter lets through, and the random source `picker.choose_for` seeds from the
    channel and date, so a channel without votes posts exactly what it posted before."""
    rng = seeded_rng(sub.platform, sub.workspace, sub.channel, local_date.isoformat())
    candidates = corpus.tips_for_topics(list(sub.topics))
    return choose_daily(
        candidates, history, votes, restorations, local_date, rng, settings, to_local
    )
