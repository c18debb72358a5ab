"""A channel's past daily posts, read from the delivery ledger (`deliveries`) with the votes
its members gave each tip: what `/k8stip yesterday`, `/k8stip history` and
`k8stip export history` show.

A post is a delivery that was sent. Vote counts are the channel's current votes on that tip
(a tip posted twice in one channel shows the same counts on both rows). A channel's page reads
only its own votes; the export counts every channel's in one grouped join. The export can also
take the deliveries that ended otherwise (skipped, failed, paused), with no post time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, case, desc, func, select

from bot.core.learning_model import VoteKind
from bot.runtime.store.records import SENT
from bot.runtime.store.schema import deliveries, votes
from bot.runtime.store.times import from_db

EXPORT_BATCH = 2000  # rows the export fetches at a time


@dataclass(frozen=True)
class PostRow:
    """One daily delivery of a channel, with its tip's vote counts there."""

    platform: str
    workspace: str
    channel: str
    local_date: date
    posted_at: datetime | None  # UTC, aware; None for a delivery that was not posted
    tip_id: str | None
    status: str
    useful: int = 0
    not_useful: int = 0
    knew_it: int = 0


def _tallies() -> Any:
    """Votes per channel and tip, one column per kind."""
    v = votes.c

    def count(kind: VoteKind) -> Any:
        return func.sum(case((v.kind == kind.value, 1), else_=0)).label(kind.value)

    return (
        select(
            v.platform,
            v.workspace,
            v.channel,
            v.tip_id,
            count(VoteKind.USEFUL),
            count(VoteKind.NOT_USEFUL),
            count(VoteKind.KNEW_IT),
        )
        .group_by(v.platform, v.workspace, v.channel, v.tip_id)
        .subquery("tallies")
    )


def _posts_query() -> Select[Any]:
    d = deliveries.c
    tallies = _tallies()
    t = tallies.c
    return select(
        d.platform,
        d.workspace,
        d.channel,
        d.local_date,
        d.posted_at,
        d.tip_id,
        d.status,
        func.coalesce(t.useful, 0).label("useful"),
        func.coalesce(t.not_useful, 0).label("not_useful"),
        func.coalesce(t.knew_it, 0).label("knew_it"),
    ).join_from(
        deliveries,
        tallies,
        and_(
            d.platform == t.platform,
            d.workspace == t.workspace,
            d.channel == t.channel,
            d.tip_id == t.tip_id,
        ),
        isouter=True,
    )


def _row(m: Any) -> PostRow:
    return PostRow(
        platform=m["platform"],
        workspace=m["workspace"],
        channel=m["channel"],
        local_date=m["local_date"],
        posted_at=from_db(m["posted_at"]),
        tip_id=m["tip_id"],
        status=m["status"],
        useful=int(m["useful"]),
        not_useful=int(m["not_useful"]),
        knew_it=int(m["knew_it"]),
    )


class PostQueries:
    """Past daily posts from the `deliveries` ledger. A part of `Store`, which supplies the
    engine."""

    engine: Engine

    def channel_posts(
        self,
        platform: str,
        workspace: str,
        channel: str,
        limit: int,
        offset: int = 0,
        on: date | None = None,
    ) -> list[PostRow]:
        """A channel's sent daily posts, newest first: `limit` of them after skipping
        `offset` (only the one of the local date `on`, when given). Two indexed reads: the
        page of the ledger, then the channel's votes on those tips only."""
        d, v = deliveries.c, votes.c
        q = (
            select(deliveries)
            .where(
                d.platform == platform,
                d.workspace == workspace,
                d.channel == channel,
                d.status == SENT,
            )
            .order_by(desc(d.local_date), desc(d.id))
            .limit(limit)
            .offset(offset)
        )
        if on is not None:
            q = q.where(d.local_date == on)
        with self.engine.connect() as conn:
            page = [r._mapping for r in conn.execute(q)]
            tips = sorted({m["tip_id"] for m in page if m["tip_id"]})
            counts: dict[tuple[str, str], int] = {}
            if tips:
                tallied = (
                    select(v.tip_id, v.kind, func.count())
                    .where(
                        v.platform == platform,
                        v.workspace == workspace,
                        v.channel == channel,
                        v.tip_id.in_(tips),
                    )
                    .group_by(v.tip_id, v.kind)
                )
                counts = {(tip, kind): int(n) for tip, kind, n in conn.execute(tallied)}
        return [
            _row(
                {
                    **m,
                    **{k.value: counts.get((m["tip_id"], k.value), 0) for k in VoteKind},
                }
            )
            for m in page
        ]

    def export_posts(
        self,
        channel: str | None = None,
        since: date | None = None,
        statuses: Sequence[str] = (SENT,),
    ) -> Iterator[PostRow]:
        """Every channel's daily deliveries of `statuses` (or one channel's, by its id on any
        platform), on or after the local date `since`, oldest first: streamed in batches
        (a server-side cursor on PostgreSQL), so a ledger of millions of rows is never held
        whole. The connection stays open until the iteration ends."""
        d = deliveries.c
        q = _posts_query().where(d.status.in_(list(statuses)))
        if channel is not None:
            q = q.where(d.channel == channel)
        if since is not None:
            q = q.where(d.local_date >= since)
        q = q.order_by(d.platform, d.workspace, d.channel, d.local_date, d.id)
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=EXPORT_BATCH).execute(q):
                yield _row(r._mapping)
