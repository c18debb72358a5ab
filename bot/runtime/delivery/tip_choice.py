"""Which tip each freshly claimed row posts, chosen inside the claim transaction.

The pick is `core.learning.choose_daily` over the channel's past as the claim read it: its
showings with their local dates, its votes and restorations. It is seeded by channel and local
date and stored on the row in the same transaction, so a retry, a reconciling claimer or
another replica posts that same tip; `/k8stip next` previews it with the same function.
Quiz-mode rows get no tip here: `quiz_delivery` prepares their question when they post.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.config import LearningConfig
from bot.core.corpus import Corpus, Tip
from bot.core.learning import DailyPick, LearningSettings, ToLocalDate, choose_daily
from bot.core.learning_model import Shown, SubscriptionMode
from bot.core.picker import seeded_rng
from bot.core.schedules import parse_timezone
from bot.runtime.store import (
    ChannelKey,
    ChannelPast,
    ChooseTips,
    Delivery,
    ShownRow,
    Store,
    Subscription,
)


def learning_settings(cfg: LearningConfig) -> LearningSettings:
    """The core's knobs from the validated `learning:` config."""
    return LearningSettings(review_days=tuple(cfg.review_days))


def local_dates(tz: str) -> ToLocalDate:
    """The channel's local date of a UTC instant."""
    zone = parse_timezone(tz)

    def to_local(at: datetime) -> date:
        return at.astimezone(zone).date()

    return to_local


def shown_history(rows: Sequence[ShownRow], to_local: ToLocalDate) -> list[Shown]:
    """The store's showings as the learning rules read them: each on the channel's local
    date (a daily post's own date; a request's instant in the channel's timezone)."""
    out: list[Shown] = []
    for r in rows:
        day = r.local_date
        if day is None:
            if r.at is None:
                continue
            day = to_local(r.at)
        out.append(Shown(r.tip_id, day))
    return out


def pick_daily(
    corpus: Corpus,
    sub: Subscription,
    local_date: date,
    past: ChannelPast,
    settings: LearningSettings,
    candidates: Sequence[Tip] | None = None,
) -> DailyPick | None:
    """The channel's tip for `local_date` and why (`core.learning.choose_daily_for`, with the
    candidates passed in when the caller already has them for this topic filter)."""
    if candidates is None:
        candidates = corpus.tips_for_topics(list(sub.topics))
    to_local = local_dates(sub.timezone)
    return choose_daily(
        candidates,
        shown_history(past.shown, to_local),
        past.votes,
        past.restorations,
        local_date,
        seeded_rng(sub.platform, sub.workspace, sub.channel, local_date.isoformat()),
        settings,
        to_local,
    )


def channel_past(store: Store, platform: str, workspace: str, channel: str) -> ChannelPast:
    """One channel's showings, votes and restorations (blocking: run it off the loop)."""
    return ChannelPast(
        store.channel_shown(platform, workspace, channel),
        store.channel_votes(platform, workspace, channel),
        store.channel_restorations(platform, workspace, channel),
    )


def tips_for_claim(
    corpus: Corpus, subs_by_id: dict[int, Subscription], settings: LearningSettings
) -> ChooseTips:
    """Tips for a freshly claimed batch, chosen inside the claim transaction."""

    def choose(rows: list[Delivery], pasts: dict[ChannelKey, ChannelPast]) -> dict[int, str | None]:
        picks: dict[int, str | None] = {}
        by_topics: dict[tuple[str, ...], list[Tip]] = {}  # candidates, once per filter
        for row in rows:  # oldest first: a channel's second row sees the first's pick
            sub = subs_by_id.get(row.subscription_id)
            if sub is None or sub.paused or sub.mode is SubscriptionMode.QUIZ:
                continue
            past = pasts.setdefault((row.platform, row.workspace, row.channel), ChannelPast())
            candidates = by_topics.get(sub.topics)
            if candidates is None:
                candidates = by_topics[sub.topics] = corpus.tips_for_topics(list(sub.topics))
            pick = pick_daily(corpus, sub, row.local_date, past, settings, candidates)
            picks[row.id] = pick.tip_id if pick is not None else None
            if pick is not None:
                past.shown.append(ShownRow(pick.tip_id, row.local_date, None))
        return picks

    return choose
