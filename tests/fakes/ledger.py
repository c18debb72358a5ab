"""Past daily deliveries written straight into the ledger (`deliveries`), as the delivery pass
leaves them, for tests of what reads them back (history, yesterday, the export)."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, time

from sqlalchemy import insert

from bot.runtime.store import SENT, DeliveryStatus, Store
from bot.runtime.store.schema import deliveries


def add_delivery(
    store: Store,
    day: date,
    tip_id: str | None,
    channel: tuple[str, str, str] = ("slack", "T1", "C1"),
    status: DeliveryStatus = SENT,
    at: time = time(8, 0),
    subscription_id: int | None = None,
) -> None:
    """A finished delivery of `day` in `channel`: posted at `at` UTC when sent, else never.
    Its subscription id is one per channel unless given."""
    platform, workspace, ch = channel
    if subscription_id is None:
        subscription_id = zlib.crc32("/".join(channel).encode()) & 0x7FFFFFFF
    due = datetime.combine(day, at)  # naive UTC, as the store keeps it
    posted = due if status == SENT else None
    stamp = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    with store.engine.begin() as conn:
        conn.execute(
            insert(deliveries).values(
                subscription_id=subscription_id,
                platform=platform,
                workspace=workspace,
                channel=ch,
                local_date=day,
                due_at=due,
                status=status,
                tip_id=tip_id,
                attempts=1,
                claims=1,
                posted_at=posted,
                created_at=stamp,
                updated_at=stamp,
            )
        )
