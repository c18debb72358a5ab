"""Personal subscriptions: a member's own daily tip by direct message (`subscribe me`).

One per member per platform: the row's channel is `dm:<member>` and its workspace the one the
member's id belongs to (a Slack workspace; "" on Discord, whose user ids are global), so the
table's unique (platform, workspace, channel) key holds the rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Engine, select, update

from bot.runtime.store.records import Subscription
from bot.runtime.store.schema import subscriptions
from bot.runtime.store.times import to_db


class PersonalQueries:
    """Personal subscriptions' own queries. A part of `Store`."""

    engine: Engine

    def get_personal_subscription(
        self, platform: str, workspace: str, member: str
    ) -> Subscription | None:
        s = subscriptions.c
        q = select(subscriptions).where(
            s.platform == platform, s.workspace == workspace, s.member == member, s.member != ""
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return Subscription.from_row(row) if row else None

    def set_snooze(self, subscription_id: int, until: datetime | None, now: datetime) -> bool:
        """Snooze until `until` (None: wake now). False when there is no such subscription."""
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(
                    snoozed_until=to_db(until) if until is not None else None,
                    updated_at=to_db(now),
                )
            )
            return res.rowcount > 0
