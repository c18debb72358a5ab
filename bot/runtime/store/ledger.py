"""The delivery ledger: one row per subscription per local day, planned ahead, then read back.

Claiming, posting and marking the rows is in `claims.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Engine, and_, case, func, select

from bot.runtime.store.engine import insert_ignore
from bot.runtime.store.records import CLAIMED, PLANNED, Delivery, PlannedDelivery
from bot.runtime.store.schema import deliveries
from bot.runtime.store.times import to_db


class LedgerQueries:
    """Planning and reading `deliveries`. A part of `Store`, which supplies the engine."""

    engine: Engine

    def existing_delivery_dates(
        self, since: datetime, subscription_ids: Iterable[int] | None = None
    ) -> set[tuple[int, date]]:
        """(subscription id, local date) of every delivery row due after `since`."""
        q = select(deliveries.c.subscription_id, deliveries.c.local_date).where(
            deliveries.c.due_at > to_db(since)
        )
        if subscription_ids is not None:
            q = q.where(deliveries.c.subscription_id.in_(list(subscription_ids)))
        with self.engine.connect() as conn:
            return {(r[0], r[1]) for r in conn.execute(q)}

    def plan_deliveries(self, planned: Sequence[PlannedDelivery], now: datetime) -> None:
        """Insert the ledger rows that don't exist yet; existing rows are never touched, so
        replicas planning the same day at once are harmless."""
        stamp = to_db(now)
        rows = [
            {
                "subscription_id": p.subscription.id,
                "platform": p.subscription.platform,
                "workspace": p.subscription.workspace,
                "channel": p.subscription.channel,
                "local_date": p.local_date,
                "due_at": to_db(p.due_at),
                "status": p.status,
                "tip_id": None,
                "attempts": 0,
                "claims": 0,
                "last_error": p.note or None,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for p in planned
        ]
        with self.engine.begin() as conn:
            insert_ignore(conn, deliveries, rows)

    def get_delivery(self, delivery_id: int) -> Delivery | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
        return Delivery.from_row(row) if row else None

    def list_deliveries(
        self,
        subscription_id: int | None = None,
        status: str | None = None,
        local_date: date | None = None,
    ) -> list[Delivery]:
        q = select(deliveries).order_by(deliveries.c.due_at, deliveries.c.id)
        if subscription_id is not None:
            q = q.where(deliveries.c.subscription_id == subscription_id)
        if status is not None:
            q = q.where(deliveries.c.status == status)
        if local_date is not None:
            q = q.where(deliveries.c.local_date == local_date)
        with self.engine.connect() as conn:
            return [Delivery.from_row(r) for r in conn.execute(q)]

    def last_delivery(self, subscription_id: int) -> Delivery | None:
        q = (
            select(deliveries)
            .where(deliveries.c.subscription_id == subscription_id)
            .order_by(deliveries.c.local_date.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return Delivery.from_row(row) if row else None

    def open_deliveries(self, at: datetime, platforms: Sequence[str] | None = None) -> int:
        """How many rows due by `at` are planned or claimed (not final yet)."""
        d = deliveries.c
        q = (
            select(func.count())
            .select_from(deliveries)
            .where(d.status.in_([PLANNED, CLAIMED]), d.due_at <= to_db(at))
        )
        if platforms is not None:
            q = q.where(d.platform.in_(list(platforms)))
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def open_deliveries_by_platform(
        self, at: datetime, now: datetime
    ) -> dict[str, tuple[int, int]]:
        """Rows due by `at` that are planned or claimed, per platform: (open, held), where
        held are claimed with a lease still running at `now` (a live process is posting them).
        One query, so the counts agree with each other while other processes work."""
        d = deliveries.c
        live = and_(d.status == CLAIMED, d.lease_until >= to_db(now))
        q = (
            select(d.platform, func.count(), func.sum(case((live, 1), else_=0)))
            .where(d.status.in_([PLANNED, CLAIMED]), d.due_at <= to_db(at))
            .group_by(d.platform)
        )
        with self.engine.connect() as conn:
            return {r[0]: (int(r[1]), int(r[2] or 0)) for r in conn.execute(q)}

    def status_counts(self) -> dict[str, int]:
        q = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(q)}
