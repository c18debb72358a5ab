"""Fresh databases for tests: a SQLite file, or a private schema on the shared PostgreSQL.

Each PostgreSQL store lives in its own schema (`k8stip_t_<random>`, found through
`search_path`) and is dropped afterwards, so parallel test runs never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bot.runtime.store import Store
from bot.runtime.store.schema import subscriptions

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def pg_schema_url() -> Iterator[str]:
    schema = f"k8stip_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "postgres":
        with pg_schema_url() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path}/data/k8stip.db"


@contextmanager
def fresh_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store of `kind` ("sqlite" or "postgres")."""
    with database_url(kind, tmp_path) as url:
        store = Store.open(url)
        store.migrate()
        try:
            yield store
        finally:
            store.close()


def add_sink_subscriptions(
    store: Store, n: int, workspaces: int, created: datetime, created_by: str
) -> None:
    """`n` daily 09:00 Europe/Amsterdam subscriptions on the fake `sink` platform, written in
    bulk (thousands of `upsert_subscription` calls would dominate a fan-out's set-up).
    Workspaces interleave by id, as they do when teams sign up over time."""
    naive = created.replace(tzinfo=None)
    rows = [
        {
            "platform": "sink",
            "workspace": f"W{i % workspaces:03d}",
            "channel": f"C{i:05d}",
            "time": "09:00",
            "timezone": "Europe/Amsterdam",
            "days": "1,2,3,4,5,6,7",
            "topics": "",
            "paused": False,
            "paused_reason": "",
            "origin": "chat",
            "created_by": created_by,
            "created_at": naive,
            "updated_at": naive,
            "active_from": naive,
        }
        for i in range(n)
    ]
    with store.engine.begin() as conn:
        for start in range(0, n, 1000):
            conn.execute(insert(subscriptions), rows[start : start + 1000])
