"""Tip history: what each channel has seen, so the picker doesn't repeat itself.

A channel's history is its sent deliveries plus the tips shown there on request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, String, and_, insert, literal, select, union_all
from sqlalchemy.sql.expression import CTE

from bot.runtime.store.records import SENT, ChannelKey
from bot.runtime.store.schema import deliveries, tip_history
from bot.runtime.store.times import to_db


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
            channels = select(
                literal(platform, String).label("platform"),
                literal(workspace, String).label("workspace"),
                literal(channel, String).label("channel"),
            ).cte("k")
            return channel_histories(conn, channels, limit).get((platform, workspace, channel), [])


def channel_histories(
    conn: Connection, channels: CTE, limit: int = 5000
) -> dict[ChannelKey, list[str]]:
    """Tip history for the channels `channels` lists (platform, workspace, channel columns),
    in one query: sent daily posts and tips shown on request, oldest first, at most `limit`
    per channel (the most recent).

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
        h.platform, h.workspace, h.channel, h.tip_id, h.shown_at.label("ts"), h.id.label("o")
    ).join_from(
        tip_history,
        channels,
        and_(h.platform == k.platform, h.workspace == k.workspace, h.channel == k.channel),
    )
    both = union_all(posts, shown).subquery()
    q = select(both).order_by(both.c.ts, both.c.o)
    out: dict[tuple[str, str, str], list[str]] = {}
    for r in conn.execute(q):
        if r.tip_id is not None:
            out.setdefault((r.platform, r.workspace, r.channel), []).append(r.tip_id)
    return {k: v[-limit:] for k, v in out.items()}
