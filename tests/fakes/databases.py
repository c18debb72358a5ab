"""Fresh databases for tests: a SQLite file, or a private schema on the shared PostgreSQL.

Each PostgreSQL store lives in its own schema (`k8stip_t_<random>`, found through
`search_path`) and is dropped afterwards, so parallel test runs never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.store import Store

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
