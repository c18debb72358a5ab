"""Schema migrations: run the bundled Alembic scripts (`migrations/`) under a lock.

Safe to run from several replicas at once: on PostgreSQL they take turns under an advisory
lock, and the later ones find the schema at head and change nothing. `migrations/env.py`
takes the same lock when developers run the `alembic` command line.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# A fixed key for PostgreSQL's advisory lock: replicas starting together on an empty database
# migrate one at a time instead of racing to create the same tables.
MIGRATION_LOCK_KEY = 0x6B387374  # "k8st"
# Alembic keeps its running migration in module globals: one upgrade per process at a time.
_ALEMBIC_LOCK = threading.Lock()


@contextmanager
def migration_lock(conn: Connection) -> Iterator[None]:
    """Hold PostgreSQL's session advisory lock `MIGRATION_LOCK_KEY` on `conn` (waiting for
    another process's migration to finish); nothing on SQLite, whose writers are serialised
    by the file lock. The connection has no transaction open on entry or exit."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    conn.commit()  # a session-level lock outlives the transaction that took it
    try:
        yield
    finally:
        try:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
        except Exception:
            # Never return a connection that may still hold the lock to the pool: closing
            # its session releases the lock.
            conn.invalidate()
            raise


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest bundled revision."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _ALEMBIC_LOCK, engine.connect() as conn, migration_lock(conn), conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev


def bundled_head() -> str:
    """The newest bundled revision."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return head or ""
