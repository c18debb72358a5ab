"""Opening the database, and the one statement that differs between SQLite and PostgreSQL.

Start-up failures become one line each: a URL that cannot be used raises `DatabaseURLError`
(the caller names the config key), a database that cannot be reached raises `StoreError`
(`reaching`), naming the host and port or the file and never the password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.sqlite_files import prepare_sqlite_file
from bot.startup import StoreError

# libpq waits as long as TCP does for a host that drops packets; a start-up or a readiness
# probe should say "cannot connect" well before that. A `connect_timeout` in the URL wins.
PG_CONNECT_TIMEOUT_SECONDS = 10
# How long a SQLite writer waits for another's lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseURLError(ValueError):
    """The database URL cannot be used; `problem` says why without quoting the URL (it may
    carry a password)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseURLError("not a database URL") from None


def _prepare_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so writers queue instead of failing."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str) -> Engine:
    """An Engine for `url`; creates the directory of a SQLite file on first run. Connects to
    nothing yet. Raises `DatabaseURLError`, or `StoreError` when the folder cannot be made."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            db = parsed.database
            if db and db != ":memory:" and not db.startswith("file:"):
                path = Path(db).expanduser()
                try:
                    prepare_sqlite_file(path)  # data/ 0700, the file 0600
                except OSError as e:
                    raise StoreError(
                        f"cannot create the SQLite database {path} or its folder "
                        f"({e.strerror}); choose a writable path in the database URL"
                    ) from None
            engine = create_engine(url, connect_args={"timeout": 30})
            _prepare_sqlite(engine)
            return engine
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_SECONDS
        return create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args
        )
    except NoSuchModuleError:
        raise DatabaseURLError(
            f"unknown database kind `{parsed.drivername}`; k8stip runs on `sqlite` and "
            "`postgresql+psycopg`"
        ) from None
    except ImportError as e:
        raise DatabaseURLError(
            f"the driver for `{parsed.drivername}` is not installed ({e.name}); "
            "k8stip ships with `sqlite` and `postgresql+psycopg`"
        ) from None


def where(url: str) -> str:
    """Where the URL points, for messages: the SQLite file, or host:port; never the password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database or ':memory:'}"
    host = parsed.host or "localhost (Unix socket)"
    port = parsed.port or (5432 if parsed.get_backend_name() == "postgresql" else None)
    return f"the database at {host}:{port}" if port else f"the database at {host}"


def _reason(e: BaseException, password: str | None) -> str:
    """The driver's first line, shortened to its cause: psycopg's 'connection to server at
    "db", port 5432 failed: Connection refused' becomes 'Connection refused'."""
    orig = getattr(e, "orig", None) or e
    lines = str(orig).strip().splitlines()
    line = lines[0] if lines else type(orig).__name__
    if "failed: " in line:
        line = line.rsplit("failed: ", 1)[1]
    line = line.removeprefix("FATAL:").strip()
    if password:  # no driver puts it there that we know of; never let one
        line = line.replace(password, "***")
    return line[:200]


@contextmanager
def reaching(url: str, key: str) -> Iterator[None]:
    """Turn a database that cannot be reached or used, inside the block, into one `StoreError`
    line: where it looked, why, and what to check. `key` names where the URL was set."""
    try:
        yield
    except DBAPIError as e:
        parsed = make_url(url)
        why = _reason(e, parsed.password)
        if parsed.get_backend_name() == "sqlite":
            raise StoreError(
                f"cannot use {where(url)} ({why}); check the path in {key} and that this "
                "user can write the file and its folder"
            ) from None
        raise StoreError(
            f"cannot use {where(url)} ({why}); check that PostgreSQL is running there and "
            f"accepts connections, the URL in {key} (host, port, database, user, password), "
            "and the network between this machine and that host"
        ) from None


def insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, per dialect (the only dialect-specific statement)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
