"""Alembic environment for k8stip.

`bot.runtime.store.migrate.upgrade()` (`Store.migrate()`, `k8stip migrate`) runs this with an
open connection in `config.attributes["connection"]`, holding the migration lock; the
`alembic` command line (developers making a new revision) runs it with `-x database=URL` or
`sqlalchemy.url` from `bot/runtime/store/alembic.ini`, and takes the same lock.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from bot.runtime.store.migrate import migration_lock
from bot.runtime.store.schema import metadata


def _run(connection: Connection) -> None:
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
    with engine.connect() as conn, migration_lock(conn), conn.begin():
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("k8stip migrations run online only: `k8stip migrate`")
run_migrations_online()
