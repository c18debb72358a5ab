"""Subscriptions: who gets a tip, where, when and on which topics.

Config subscriptions are synced from the file at start (config wins for those channels; removed
from the file = removed); chat subscriptions (`/k8stip subscribe`) live only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, delete, select, update

from bot.core.schedules import days_to_text, parse_timezone
from bot.runtime.store.engine import insert_ignore
from bot.runtime.store.records import Subscription, SubscriptionOrigin, SubscriptionSpec
from bot.runtime.store.schema import subscriptions
from bot.runtime.store.times import to_db


def cycle_anchor(spec: SubscriptionSpec, now: datetime) -> date | None:
    """The first local date of an `every N days` cycle set at `now`: that day, in the
    subscription's timezone. None for the other day forms."""
    if spec.every_days is None:
        return None
    return now.astimezone(parse_timezone(spec.timezone)).date()


class SubscriptionQueries:
    """The `subscriptions` table. A part of `Store`, which supplies the engine."""

    engine: Engine

    def list_subscriptions(
        self, platform: str | None = None, include_paused: bool = True
    ) -> list[Subscription]:
        q = select(subscriptions).order_by(subscriptions.c.id)
        if platform is not None:
            q = q.where(subscriptions.c.platform == platform)
        if not include_paused:
            q = q.where(subscriptions.c.paused.is_(False))
        with self.engine.connect() as conn:
            return [Subscription.from_row(r) for r in conn.execute(q)]

    def get_subscription(self, platform: str, workspace: str, channel: str) -> Subscription | None:
        q = select(subscriptions).where(
            subscriptions.c.platform == platform,
            subscriptions.c.workspace == workspace,
            subscriptions.c.channel == channel,
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return Subscription.from_row(row) if row else None

    def get_subscription_by_id(self, subscription_id: int) -> Subscription | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.id == subscription_id)
            ).first()
        return Subscription.from_row(row) if row else None

    def upsert_subscription(
        self, spec: SubscriptionSpec, origin: str, created_by: str, now: datetime
    ) -> Subscription:
        """Create the channel's subscription or change its schedule; keeps pause state."""
        with self.engine.begin() as conn:
            self._upsert(conn, spec, origin, created_by, now)
            row = conn.execute(
                select(subscriptions).where(
                    subscriptions.c.platform == spec.platform,
                    subscriptions.c.workspace == spec.workspace,
                    subscriptions.c.channel == spec.channel,
                )
            ).one()
        return Subscription.from_row(row)

    def _upsert(
        self,
        conn: Connection,
        spec: SubscriptionSpec,
        origin: str,
        created_by: str,
        now: datetime,
        active_from: datetime | None = None,
    ) -> str:
        """Insert or update; a new or changed schedule counts from `active_from` (default now)."""
        start = to_db(active_from or now)
        s = subscriptions.c
        existing = conn.execute(
            select(subscriptions).where(
                s.platform == spec.platform,
                s.workspace == spec.workspace,
                s.channel == spec.channel,
            )
        ).first()
        values = {
            "time": spec.time,
            "timezone": spec.timezone,
            "days": days_to_text(spec.days),
            "topics": ",".join(spec.topics),
            "mode": spec.mode.value,
            "every_days": spec.every_days,
            "member": spec.member,
        }
        # An `every N days` cycle starts on the local date it is set (or changed) on.
        anchor = cycle_anchor(spec, now)
        if existing is None:
            insert_ignore(
                conn,
                subscriptions,
                [
                    {
                        "platform": spec.platform,
                        "workspace": spec.workspace,
                        "channel": spec.channel,
                        **values,
                        "paused": False,
                        "paused_reason": "",
                        "origin": origin,
                        "created_by": created_by,
                        "created_at": to_db(now),
                        "updated_at": to_db(now),
                        "active_from": start,
                        "anchor_date": anchor,
                    }
                ],
            )
            return "added"
        m = existing._mapping
        if all(m[k] == v for k, v in values.items()) and m["origin"] == origin:
            return "unchanged"
        changes: dict[str, Any] = {**values, "origin": origin, "updated_at": to_db(now)}
        if (m["time"], m["timezone"], m["days"], m["every_days"]) != (
            values["time"],
            values["timezone"],
            values["days"],
            values["every_days"],
        ):
            changes["active_from"] = start  # a new schedule: no instant post for the old one
            changes["anchor_date"] = anchor
        conn.execute(update(subscriptions).where(s.id == m["id"]).values(**changes))
        return "updated"

    def sync_config_subscriptions(
        self,
        specs: Sequence[SubscriptionSpec],
        now: datetime,
        catch_up: timedelta = timedelta(0),
    ) -> dict[str, int]:
        """Make the store match `subscriptions:` in config (config wins for those channels).

        Config subscriptions no longer in the file are removed; chat subscriptions are kept.
        A new config subscription counts from `now - catch_up`, so a first start at 11:00
        still posts the 09:00 tip (as a restart would), but nothing older is reported.
        """
        counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
        keys = {spec.key for spec in specs}
        config = SubscriptionOrigin.CONFIG
        with self.engine.begin() as conn:
            for spec in specs:
                counts[self._upsert(conn, spec, config, "config", now, now - catch_up)] += 1
            for r in conn.execute(select(subscriptions).where(subscriptions.c.origin == config)):
                m = r._mapping
                if (m["platform"], m["workspace"], m["channel"]) not in keys:
                    conn.execute(delete(subscriptions).where(subscriptions.c.id == m["id"]))
                    counts["removed"] += 1
        return counts

    def delete_subscription(self, platform: str, workspace: str, channel: str) -> bool:
        s = subscriptions.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                delete(subscriptions).where(
                    s.platform == platform, s.workspace == workspace, s.channel == channel
                )
            )
            return res.rowcount > 0

    def set_paused(self, subscription_id: int, paused: bool, reason: str, now: datetime) -> bool:
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(
                    paused=paused, paused_reason=reason if paused else "", updated_at=to_db(now)
                )
            )
            return res.rowcount > 0

    def pause_workspace(self, platform: str, workspace: str, reason: str, now: datetime) -> int:
        """Pause every subscription in a workspace (app uninstalled, bot removed)."""
        s = subscriptions.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(subscriptions)
                .where(s.platform == platform, s.workspace == workspace, s.paused.is_(False))
                .values(paused=True, paused_reason=reason, updated_at=to_db(now))
            )
            return res.rowcount
