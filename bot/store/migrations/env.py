"""Alembic environment for k8stip.

`bot.store.store.Store.migrate()` runs this with an open connection in
`config.attributes["connection"]`; the `alembic` command line (developers making a new
revision) runs it with `-x database=URL` or `sqlalchemy.url` from `bot/store/alembic.ini`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from bot.store.schema import metadata

# A fixed key for PostgreSQL's advisory lock: replicas starting together migrate one at a time.
MIGRATION_LOCK_KEY = 0x6B387374  # "k8st"


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    x_args = context.get_x_argument(as_dictionary=True)
    url = x_args.get("database") or context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url or "sqlite:///data/k8stip.db")
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("k8stip migrations run online only: `k8stip migrate`")
run_migrations_online()
