"""Each signed Slack request is processed once, across every replica sharing the database.

A signature proves who sent a request, not that it is the first time it arrives: anybody who
saw one (a proxy log, a browser extension) could send it again within Slack's five-minute
window. The first replica to see a request's (timestamp, signature) writes it to
`slack_seen_requests` under a unique key; every later copy finds the key and is dropped.
Events also get a key of their own `event_id`, because Slack's retries of an event
(`X-Slack-Retry-Num`) come with a fresh timestamp and signature.

Rows expire after `KEEP_SECONDS` (longer than the timestamp window, so a key can't expire
while its request would still be accepted) and are purged at most once a minute as requests
arrive. The table is created by migration 0002 (`k8stip migrate`, or `k8stip run`).
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa

__all__ = ["KEEP_SECONDS", "SeenRequests", "request_keys"]

KEEP_SECONDS = 10 * 60
PURGE_EVERY_SECONDS = 60.0

# Only the columns the queries below use; the full shape is in bot/runtime/store/schema.py.
_seen = sa.table("slack_seen_requests", sa.column("key"), sa.column("expires_at"))


def request_keys(timestamp: str, signature: str, event_id: str | None) -> list[str]:
    digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
    keys = [f"sig:{digest}"]
    if event_id:
        keys.append(f"event:{event_id[:64]}")
    return keys


def _engine(database_url: str) -> sa.Engine:
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database not in (None, "", ":memory:"):
            Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            # As the store does: WAL, and no fsync per commit (one insert per request).
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class SeenRequests:
    """`first_time(keys, now)`: record the keys; False when any was already there."""

    def __init__(self, database_url: str) -> None:
        self._engine = _engine(database_url)
        self._next_purge = 0.0

    def close(self) -> None:
        self._engine.dispose()

    async def first_time(self, keys: list[str], now: float) -> bool:
        return await asyncio.to_thread(self._record, keys, int(now))

    def _record(self, keys: list[str], now: int) -> bool:
        rows = [{"key": k, "expires_at": now + KEEP_SECONDS} for k in keys]
        with self._engine.begin() as conn:
            if now >= self._next_purge:
                self._next_purge = now + PURGE_EVERY_SECONDS
                conn.execute(sa.delete(_seen).where(_seen.c.expires_at < now))
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
            inserted = 0
            for row in rows:
                # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT.
                stmt = insert(_seen).values(row).on_conflict_do_nothing().returning(_seen.c.key)
                inserted += conn.execute(stmt).first() is not None
            return inserted == len(rows)
