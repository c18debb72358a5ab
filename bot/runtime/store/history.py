"""Tip history: what each channel has seen, so the picker doesn't repeat itself.

A channel's history is its sent deliveries plus the tips shown there on request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    String,
    and_,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.sql.expression import CTE

from bot.runtime.store.records import SENT, ChannelKey, ShownRow
from bot.runtime.store.schema import deliveries, tip_history
from bot.runtime.store.times import aware, to_db


class HistoryQueries:
    """The `tip_history` table, and channel histories. A part of `Store`, which supplies
    the engine."""

    engine: Engine

    def record_shown(
        self, platform: str, workspace: str, channel: str, tip_id: str, kind: str, now: datetime
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(tip_history).values(
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    tip_id=tip_id,
                    kind=kind,
                    shown_at=to_db(now),
                )
            )

    def channel_history(
        self, platform: str, workspace: str, channel: str, limit: int = 5000
    ) -> list[str]:
        """Tip ids shown in a channel (daily posts and requests), oldest first."""
        with self.engine.connect() as conn:
            channels = _one_channel(platform, workspace, channel)
            return channel_histories(conn, channels, limit).get((platform, workspace, channel), [])

    def channel_shown(
        self, platform: str, workspace: str, channel: str, limit: int = 5000
    ) -> list[ShownRow]:
        """`channel_history` with each showing's local date (daily posts) and instant."""
        with self.engine.connect() as conn:
            return channel_shown_rows(conn, _one_channel(platform, workspace, channel), limit).get(
                (platform, workspace, channel), []
            )


def channel_histories(
    conn: Connection, channels: CTE, limit: int = 5000
) -> dict[ChannelKey, list[str]]:
    """Tip history for the channels `channels` lists (platform, workspace, channel columns),
    in one query: sent daily posts and tips shown on request, oldest first, at most `limit`
    per channel (the most recent)."""
    return {
        k: [s.tip_id for s in rows] for k, rows in channel_shown_rows(conn, channels, limit).items()
    }


def channel_shown_rows(
    conn: Connection, channels: CTE, limit: int = 5000
) -> dict[ChannelKey, list[ShownRow]]:
    """`channel_histories` with each showing's local date (daily posts) and instant, for
    the learning rules, which count days.

    The channels come as a table joined on equality, so both databases look each one up by
    index. `(platform, workspace, channel) IN (<list>)` made them read every sent row instead
    (SQLite: a membership test per row; PostgreSQL: an OR of hundreds of terms per row), a
    cost that grew with the whole ledger on every claim.
    """
    d, h, k = deliveries.c, tip_history.c, channels.c
    posts = (
        select(
            d.platform,
            d.workspace,
            d.channel,
            d.tip_id,
            d.local_date.label("day"),
            d.posted_at.label("ts"),
            literal(0).label("o"),
        )
        .join_from(
            deliveries,
            channels,
            and_(d.platform == k.platform, d.workspace == k.workspace, d.channel == k.channel),
        )
        .where(d.status == SENT)
    )
    shown = select(
        h.platform,
        h.workspace,
        h.channel,
        h.tip_id,
        null().cast(Date).label("day"),
        h.shown_at.label("ts"),
        h.id.label("o"),
    ).join_from(
        tip_history,
        channels,
        and_(h.platform == k.platform, h.workspace == k.workspace, h.channel == k.channel),
    )
    both = union_all(posts, shown).subquery()
    q = select(both).order_by(both.c.ts, both.c.o)
    out: dict[tuple[str, str, str], list[ShownRow]] = {}
    for r in conn.execute(q):
        if r.tip_id is not None:
            out.setdefault((r.platform, r.workspace, r.channel), []).append(
                ShownRow(r.tip_id, r.day, aware(r.ts) if r.ts is not None else None)
            )
    return {k: v[-limit:] for k, v in out.items()}


def _one_channel(platform: str, workspace: str, channel: str) -> CTE:
    return select(
        literal(platform, String).label("platform"),
        literal(workspace, String).label("workspace"),
        literal(channel, String).label("channel"),
    ).cte("k")
