"""Schema migrations: run the bundled Alembic scripts (`migrations/`) under a lock.

Safe to run from several replicas at once: on PostgreSQL they take turns under an advisory
lock, and the later ones find the schema at head and change nothing. `migrations/env.py`
takes the same lock when developers run the `alembic` command line.

Alembic is imported only when there is something to upgrade: `is_at_head` reads the one
`alembic_version` row with a plain query and compares it with the bundled head, which
`bundled_head` finds by reading the `revision`/`down_revision` lines of the scripts with `ast`
(Alembic's script machinery costs about 0.1 s to import; every start of `run`, `deliver` and
`status` used to pay it to learn that nothing had changed).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from bot.runtime.schema_head import text_head

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps

# A fixed key for PostgreSQL's advisory lock: replicas starting together on an empty database
# migrate one at a time instead of racing to create the same tables.
MIGRATION_LOCK_KEY = 0x6B387374  # "k8st"
# Alembic keeps its running migration in module globals: one upgrade per process at a time.
_ALEMBIC_LOCK = threading.RLock()  # re-entered: upgrade() holds it around _alembic_upgrade()


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
    """Create or upgrade the schema to the newest bundled revision. Alembic is loaded only
    when the database is behind (another replica may still get there first: Alembic checks
    again under the lock and then changes nothing)."""
    # Threads of one process take turns, as they did when every start went through Alembic:
    # several connections opening a fresh SQLite file at once can meet "database is locked".
    with _ALEMBIC_LOCK:
        if is_at_head(engine):
            return
        _alembic_upgrade(engine)


def _alembic_upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _ALEMBIC_LOCK, engine.connect() as conn, migration_lock(conn), conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == bundled_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration. What Alembic's
    `MigrationContext.get_current_revision` says, read with one query (Alembic itself is
    asked only if the table holds other than one row, which a linear history never leaves)."""
    with engine.connect() as conn:
        if conn.dialect.name not in ("sqlite", "postgresql"):  # not shipped: Alembic decides
            return _alembic_current_revision(conn)
        rows = _version_rows(conn)
        if rows is None or len(rows) == 0:
            return None
        if len(rows) == 1:
            return str(rows[0])
        return _alembic_current_revision(conn)  # Alembic's error for several heads


def _version_rows(conn: Connection) -> list[Any] | None:
    """The `alembic_version` values, or None when the table does not exist."""
    if conn.dialect.name == "sqlite":
        # On the driver's connection: through SQLAlchemy a read would first BEGIN IMMEDIATE
        # (engine.py) and wait behind any writer.
        raw: Any = conn.connection.driver_connection
        found = raw.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
        ).fetchall()
        if not found:
            return None
        return [r[0] for r in raw.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
    # PostgreSQL. to_regclass follows search_path, as Alembic's unqualified table name does.
    if conn.execute(text("SELECT to_regclass(:t)"), {"t": VERSION_TABLE}).scalar() is None:
        conn.rollback()
        return None
    rows = [r[0] for r in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]
    conn.rollback()
    return rows


def _alembic_current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    rev: str | None = MigrationContext.configure(conn).get_current_revision()
    return rev


@functools.cache
def bundled_head() -> str:
    """The newest bundled revision: the one no script names as its `down_revision`. Read
    from the scripts' text (`bot/runtime/schema_head.py`), so Alembic stays unloaded;
    `alembic_head` is Alembic's answer, which a test holds this to."""
    return text_head() or alembic_head()  # None: the scripts branch, Alembic's rules


def alembic_head() -> str:
    """The newest bundled revision, as Alembic's script directory computes it."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return head or ""
