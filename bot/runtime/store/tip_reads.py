"""What the web console's Tips page reads about tips: for the tips shown on a page, how often
each was posted, its votes across every channel and its quiz answers; for one tip, which
channels got it and when last.

Counts come from the database by GROUP BY over the page's tips (one query per table, never one
per tip), each read through an index on `tip_id` (migration 0007).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, tuple_

from bot.core.learning_model import VoteKind
from bot.runtime.store.records import SENT
from bot.runtime.store.schema import deliveries, quiz_answers, quiz_postings, subscriptions, votes
from bot.runtime.store.times import from_db

__all__ = ["TipChannelLine", "TipCounts", "TipPageQueries"]

Where = tuple[str, str, str]


@dataclass(frozen=True)
class TipCounts:
    """One tip across every channel: daily posts sent, current votes, quiz questions and
    their answers."""

    posted: int = 0
    useful: int = 0
    not_useful: int = 0
    knew_it: int = 0
    quizzed: int = 0  # quiz questions posted about it
    right: int = 0  # quiz answers
    wrong: int = 0


@dataclass(frozen=True)
class TipChannelLine:
    """One channel that got a tip (or voted on it): its subscription id when it still has
    one, how often the tip was posted there and when last, and the channel's votes on it."""

    platform: str
    workspace: str
    channel: str
    subscription_id: int | None
    posted: int
    last_posted: datetime | None  # UTC, aware
    useful: int = 0
    not_useful: int = 0
    knew_it: int = 0


class TipPageQueries:
    """Reads of the Tips page. A part of `Store`, which supplies the engine."""

    engine: Engine

    def tip_page_counts(self, tip_ids: Sequence[str]) -> dict[str, TipCounts]:
        """Counts for each of `tip_ids` (every id present, zeros when none): four GROUP BY
        queries whatever the number of tips or channels."""
        ids = sorted(set(tip_ids))
        if not ids:
            return {}
        d, v, p, a = deliveries.c, votes.c, quiz_postings.c, quiz_answers.c
        posted_q = (
            select(d.tip_id, func.count())
            .where(d.tip_id.in_(ids), d.status == SENT)
            .group_by(d.tip_id)
        )
        votes_q = select(v.tip_id, v.kind, func.count()).where(v.tip_id.in_(ids))
        votes_q = votes_q.group_by(v.tip_id, v.kind)
        quizzed_q = select(p.tip_id, func.count()).where(p.tip_id.in_(ids)).group_by(p.tip_id)
        answers_q = (
            select(p.tip_id, a.correct, func.count())
            .join_from(quiz_answers, quiz_postings, a.posting_id == p.id)
            .where(p.tip_id.in_(ids))
            .group_by(p.tip_id, a.correct)
        )
        with self.engine.connect() as conn:
            posted = {tip: int(n) for tip, n in conn.execute(posted_q)}
            voted = {(tip, kind): int(n) for tip, kind, n in conn.execute(votes_q)}
            quizzed = {tip: int(n) for tip, n in conn.execute(quizzed_q)}
            answered = {(tip, bool(ok)): int(n) for tip, ok, n in conn.execute(answers_q)}
        return {
            tip: TipCounts(
                posted=posted.get(tip, 0),
                useful=voted.get((tip, VoteKind.USEFUL.value), 0),
                not_useful=voted.get((tip, VoteKind.NOT_USEFUL.value), 0),
                knew_it=voted.get((tip, VoteKind.KNEW_IT.value), 0),
                quizzed=quizzed.get(tip, 0),
                right=answered.get((tip, True), 0),
                wrong=answered.get((tip, False), 0),
            )
            for tip in ids
        }

    def tip_channels(self, tip_id: str, limit: int) -> list[TipChannelLine]:
        """The channels that got `tip_id` as a daily post or voted on it, the latest post
        first (channels that only voted last), at most `limit`: three GROUP BY reads."""
        d, v, s = deliveries.c, votes.c, subscriptions.c
        posted_q = (
            select(d.platform, d.workspace, d.channel, func.count(), func.max(d.posted_at))
            .where(d.tip_id == tip_id, d.status == SENT)
            .group_by(d.platform, d.workspace, d.channel)
        )
        votes_q = (
            select(v.platform, v.workspace, v.channel, v.kind, func.count())
            .where(v.tip_id == tip_id)
            .group_by(v.platform, v.workspace, v.channel, v.kind)
        )
        with self.engine.connect() as conn:
            posted: dict[Where, tuple[int, datetime | None]] = {
                (pl, ws, ch): (int(n), from_db(last))
                for pl, ws, ch, n, last in conn.execute(posted_q)
            }
            voted: dict[tuple[Where, str], int] = {
                ((pl, ws, ch), kind): int(n) for pl, ws, ch, kind, n in conn.execute(votes_q)
            }
            wheres = set(posted) | {where for where, _ in voted}
            oldest = datetime.min.replace(tzinfo=None)
            shown = sorted(
                wheres,
                key=lambda w: (
                    (posted.get(w, (0, None))[1] or oldest).replace(tzinfo=None),
                    w,
                ),
                reverse=True,
            )[:limit]
            ids: dict[Where, int] = {}
            if shown:
                subs_q = select(s.platform, s.workspace, s.channel, s.id).where(
                    tuple_(s.platform, s.workspace, s.channel).in_(shown)
                )
                ids = {(pl, ws, ch): int(i) for pl, ws, ch, i in conn.execute(subs_q)}
        return [
            TipChannelLine(
                platform=w[0],
                workspace=w[1],
                channel=w[2],
                subscription_id=ids.get(w),
                posted=posted.get(w, (0, None))[0],
                last_posted=posted.get(w, (0, None))[1],
                useful=voted.get((w, VoteKind.USEFUL.value), 0),
                not_useful=voted.get((w, VoteKind.NOT_USEFUL.value), 0),
                knew_it=voted.get((w, VoteKind.KNEW_IT.value), 0),
            )
            for w in shown
        ]
