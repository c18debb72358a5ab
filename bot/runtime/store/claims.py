"""Claims: a due ledger row's life from claim to a final mark.

Claiming is the heart of "exactly once per channel per day": a claim selects due rows with
`FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite ignores the clause and serialises writers with
`BEGIN IMMEDIATE` instead) and then flips them with a conditional UPDATE, so two processes can
never both hold a row. A claim carries a lease; a process that dies mid-run leaves its rows
claimable again once the lease runs out, and the next claimer reconciles before re-posting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, and_, bindparam, or_, select, update
from sqlalchemy.engine import Row

from bot.runtime.store.history import channel_shown_rows
from bot.runtime.store.records import (
    CLAIMED,
    FAILED,
    PAUSED,
    PLANNED,
    SENT,
    SKIPPED,
    ChannelPast,
    ChooseTips,
    Delivery,
    DeliveryStatus,
    SentMark,
)
from bot.runtime.store.schema import deliveries
from bot.runtime.store.times import to_db
from bot.runtime.store.votes import channels_restorations, channels_votes


class ClaimQueries:
    """Claim, lease, mark and release `deliveries` rows. A part of `Store`, which supplies
    the engine."""

    engine: Engine

    def claim_deliveries(
        self,
        at: datetime,
        now: datetime,
        worker: str,
        lease_seconds: float,
        limit: int,
        platforms: Sequence[str],
        choose: ChooseTips | None = None,
    ) -> list[Delivery]:
        """Claim up to `limit` rows due by `at`: planned ones (once their `retry_at`, if any,
        has come by `now`), and claimed ones whose lease ran out before `now` (their claimer
        died). Committed before anything is posted.

        `choose(rows, pasts)` picks tips for the claimed rows that have none yet, in the same
        transaction, from each channel's history, votes and restorations (one query each for
        the whole batch).
        """
        d = deliveries.c
        claimable = or_(
            and_(d.status == PLANNED, or_(d.retry_at.is_(None), d.retry_at <= to_db(now))),
            and_(d.status == CLAIMED, d.lease_until < to_db(now)),
        )
        with self.engine.begin() as conn:
            ids = (
                conn.execute(
                    select(d.id)
                    .where(claimable, d.due_at <= to_db(at), d.platform.in_(list(platforms)))
                    .order_by(d.due_at, d.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if not ids:
                return []
            rows = conn.execute(
                update(deliveries)
                .where(d.id.in_(ids), claimable)
                .values(
                    status=CLAIMED,
                    claimed_by=worker,
                    lease_until=to_db(now + timedelta(seconds=lease_seconds)),
                    claims=d.claims + 1,
                    retry_at=None,
                    updated_at=to_db(now),
                )
                .returning(*deliveries.c)
            ).all()
            claimed = sorted(map(_claimed_delivery, rows), key=lambda x: (x.due_at, x.id))
            need = [x for x in claimed if x.tip_id is None]
            if choose is None or not need:
                return claimed
            c = deliveries.alias("c")
            channels = (
                select(c.c.platform, c.c.workspace, c.c.channel)
                .where(c.c.id.in_([x.id for x in need]))
                .distinct()
                .cte("k")
            )
            shown = channel_shown_rows(conn, channels)
            votes = channels_votes(conn, channels)
            restored = channels_restorations(conn, channels)
            pasts = {
                key: ChannelPast(shown.get(key, []), votes.get(key, []), restored.get(key, []))
                for key in {*shown, *votes, *restored}
            }
            picks = {k: v for k, v in choose(need, pasts).items() if v}
            if picks:
                conn.execute(
                    update(deliveries)
                    .where(d.id == bindparam("b_id"))
                    .values(tip_id=bindparam("b_tip")),
                    [{"b_id": k, "b_tip": v} for k, v in picks.items()],
                )
        for x in claimed:
            if x.id in picks:
                object.__setattr__(x, "tip_id", picks[x.id])  # our own fresh, unshared objects
        return claimed

    def set_delivery_tip(
        self, delivery_id: int, tip_id: str, worker: str, lease_until: datetime, now: datetime
    ) -> bool:
        """Record the chosen tip before posting (so a reconciling claimer knows what went out)
        and renew the lease. False if the claim is no longer ours: then don't post."""
        return self.extend_lease(
            delivery_id, worker, lease_until, {"tip_id": tip_id, "updated_at": to_db(now)}
        )

    def extend_lease(
        self,
        delivery_id: int,
        worker: str,
        until: datetime,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """Renew our claim's lease; False if another process has taken the row over."""
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery_id, d.status == CLAIMED, d.claimed_by == worker)
                .values(lease_until=to_db(until), **(values or {}))
            )
            return res.rowcount > 0

    def mark_sent(
        self,
        delivery: Delivery,
        tip_id: str,
        message_id: str,
        attempts: int,
        now: datetime,
        last_error: str | None = None,
    ) -> bool:
        """Final: posted (the tip is now in the channel's history). False if the row was no
        longer claimed (someone else finished it)."""
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery.id, d.status == CLAIMED)
                .values(
                    status=SENT,
                    tip_id=tip_id,
                    message_id=message_id,
                    attempts=d.attempts + attempts,
                    posted_at=to_db(now),
                    lease_until=None,
                    last_error=last_error,
                    updated_at=to_db(now),
                )
            )
            return res.rowcount > 0

    def mark_sent_many(self, marks: Sequence[SentMark]) -> None:
        """Mark many posts sent in one transaction (group commit for large fan-outs)."""
        if not marks:
            return
        d = deliveries.c
        stmt = (
            update(deliveries)
            .where(d.id == bindparam("b_id"), d.status == CLAIMED)
            .values(
                status=SENT,
                tip_id=bindparam("b_tip"),
                message_id=bindparam("b_msg"),
                attempts=d.attempts + bindparam("b_attempts"),
                posted_at=bindparam("b_at"),
                lease_until=None,
                last_error=bindparam("b_err"),
                updated_at=bindparam("b_at"),
            )
        )
        rows = [
            {
                "b_id": m.delivery_id,
                "b_tip": m.tip_id,
                "b_msg": m.message_id,
                "b_attempts": m.attempts,
                "b_at": to_db(m.posted_at),
                "b_err": m.last_error,
            }
            for m in marks
        ]
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def mark_final(
        self, delivery_id: int, status: DeliveryStatus, error: str, attempts: int, now: datetime
    ) -> bool:
        """Final without a post: failed, paused (subscription paused) or skipped."""
        if status not in (SKIPPED, FAILED, PAUSED):
            raise ValueError(f"not a final status without a post: {status}")
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery_id, d.status == CLAIMED)
                .values(
                    status=status,
                    last_error=error,
                    attempts=d.attempts + attempts,
                    lease_until=None,
                    updated_at=to_db(now),
                )
            )
            return res.rowcount > 0

    def release(
        self,
        delivery_id: int,
        worker: str,
        attempts: int,
        error: str,
        now: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        """Give a claimed row back: shutting down (claimable at once), or retries exhausted
        for now (`retry_at`: not claimed again before then). The chosen tip stays, so the
        next claimer looks for an earlier post before posting."""
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery_id, d.status == CLAIMED, d.claimed_by == worker)
                .values(
                    status=PLANNED,
                    claimed_by=None,
                    lease_until=None,
                    attempts=d.attempts + attempts,
                    last_error=error or None,
                    retry_at=to_db(retry_at) if retry_at is not None else None,
                    updated_at=to_db(now),
                )
            )
            return res.rowcount > 0


def _claimed_delivery(r: Row[Any]) -> Delivery:
    d = Delivery.from_row(r)
    if d.tip_id is not None:
        object.__setattr__(d, "prior_tip", True)  # frozen dataclass, built just now
    return d
