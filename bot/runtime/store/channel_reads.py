"""What the web console's Channel page reads about one channel: its ledger page (the sent
posts, and the recent deliveries that ended otherwise, with why), its votes per day and in
total, and the tips its votes retired. Each read is one or two indexed queries whatever the
channel's age: a page of the ledger is LIMITed, and votes are counted by GROUP BY in the
database, never row by row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, and_, case, desc, func, or_, select

from bot.core.learning import TipTally, retired_tips
from bot.core.learning_model import VoteKind
from bot.runtime.store.records import FAILED, PAUSED, SENT, SKIPPED
from bot.runtime.store.schema import deliveries, restorations, votes
from bot.runtime.store.times import aware, from_db, to_db

__all__ = ["ChannelPageQueries", "LedgerRow"]

# The endings a Channel page lists besides `sent` (only recent ones: they carry a reason).
NOT_SENT = (SKIPPED, FAILED, PAUSED)


@dataclass(frozen=True)
class LedgerRow:
    """One daily delivery of a channel, with its tip's vote counts there."""

    local_date: date
    due_at: datetime  # UTC, aware
    posted_at: datetime | None  # UTC, aware; None when it was not posted
    tip_id: str | None
    status: str
    reason: str  # why it was not sent ("" for a sent one)
    useful: int = 0
    not_useful: int = 0
    knew_it: int = 0


def _day(value: object) -> date:
    """`date(at)` as each database returns it: a date (PostgreSQL) or 'YYYY-MM-DD' (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class ChannelPageQueries:
    """Reads of the Channel page. A part of `Store`, which supplies the engine."""

    engine: Engine

    def channel_ledger_page(
        self,
        where: tuple[str, str, str],
        not_sent_since: date,
        limit: int,
        offset: int = 0,
    ) -> list[LedgerRow]:
        """A channel's deliveries newest first: every sent one, and the skipped, failed and
        paused ones of local dates from `not_sent_since` on (a skip written ahead included);
        `limit` of them after `offset`. Two indexed reads: the page, then the channel's votes
        on the page's tips only."""
        platform, workspace, channel = where
        d, v = deliveries.c, votes.c
        q = (
            select(d.local_date, d.due_at, d.posted_at, d.tip_id, d.status, d.last_error)
            .where(
                d.platform == platform,
                d.workspace == workspace,
                d.channel == channel,
                or_(
                    d.status == SENT,
                    and_(d.status.in_(NOT_SENT), d.local_date >= not_sent_since),
                ),
            )
            .order_by(desc(d.local_date), desc(d.id))
            .limit(limit)
            .offset(offset)
        )
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
            LedgerRow(
                local_date=m["local_date"],
                due_at=aware(m["due_at"]),
                posted_at=from_db(m["posted_at"]),
                tip_id=m["tip_id"],
                status=m["status"],
                reason="" if m["status"] == SENT else (m["last_error"] or ""),
                useful=counts.get((m["tip_id"], VoteKind.USEFUL.value), 0),
                not_useful=counts.get((m["tip_id"], VoteKind.NOT_USEFUL.value), 0),
                knew_it=counts.get((m["tip_id"], VoteKind.KNEW_IT.value), 0),
            )
            for m in page
        ]

    def channel_votes_by_day(
        self, where: tuple[str, str, str], since: datetime
    ) -> dict[tuple[date, VoteKind], int]:
        """A channel's current votes cast at or after `since`, counted per UTC day and kind:
        one GROUP BY (a vote changed later counts on the day of its latest press)."""
        platform, workspace, channel = where
        v = votes.c
        day = func.date(v.at)
        q = (
            select(day, v.kind, func.count())
            .where(
                v.platform == platform,
                v.workspace == workspace,
                v.channel == channel,
                v.at >= to_db(since),
            )
            .group_by(day, v.kind)
        )
        kinds = {k.value: k for k in VoteKind}
        with self.engine.connect() as conn:
            return {
                (_day(d), kinds[kind]): int(n) for d, kind, n in conn.execute(q) if kind in kinds
            }

    def channel_vote_totals(self, where: tuple[str, str, str]) -> dict[VoteKind, int]:
        """A channel's current votes of each kind, every kind present (0 when none)."""
        platform, workspace, channel = where
        v = votes.c
        q = (
            select(v.kind, func.count())
            .where(v.platform == platform, v.workspace == workspace, v.channel == channel)
            .group_by(v.kind)
        )
        with self.engine.connect() as conn:
            found = {kind: int(n) for kind, n in conn.execute(q)}
        return {k: found.get(k.value, 0) for k in VoteKind}

    def channel_retired_tips(self, where: tuple[str, str, str]) -> list[str]:
        """The ids of the tips a channel's votes retire now, sorted: what
        `learning_commands.channel_retired` finds, but counted by one GROUP BY instead of
        reading every vote of the channel (a channel with 50,000 votes reads a few rows).

        The database counts, per tip, the votes the retire rule sees (cast after the tip's
        latest restoration); the rule itself stays `TipTally.retired` (bot/core/learning.py).
        Only tips with a counted "not useful" come back: no other tip can be retired."""
        platform, workspace, channel = where
        v, r = votes.c, restorations.c
        counted = or_(r.at.is_(None), v.at > r.at)
        not_useful = and_(counted, v.kind == VoteKind.NOT_USEFUL.value)

        def count(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        retire_not_useful = count(not_useful)
        q = (
            select(
                v.tip_id,
                count(and_(counted, v.kind == VoteKind.USEFUL.value)),
                retire_not_useful,
                count(and_(not_useful, v.admin)),
            )
            .join_from(
                votes,
                restorations,
                and_(
                    r.platform == v.platform,
                    r.workspace == v.workspace,
                    r.channel == v.channel,
                    r.tip_id == v.tip_id,
                ),
                isouter=True,
            )
            .where(v.platform == platform, v.workspace == workspace, v.channel == channel)
            .group_by(v.tip_id)
            .having(retire_not_useful > 0)
        )
        with self.engine.connect() as conn:
            tallies = {
                tip: TipTally(
                    retire_useful=int(useful),
                    retire_not_useful=int(bad),
                    admin_not_useful=int(admin),
                )
                for tip, useful, bad, admin in conn.execute(q)
            }
        return sorted(retired_tips(tallies))
