"""The dialect's own INSERT, whose `ON CONFLICT` clauses the votes and quiz queries need, and
an orderly queue for SQLite writers in bursts (button presses).

SQLite (3.24+) and PostgreSQL both have `INSERT … ON CONFLICT (…) DO UPDATE | DO NOTHING` and
`RETURNING` (SQLite 3.35+), with the same meaning; SQLAlchemy spells them per dialect.
`engine.insert_ignore` is the bulk form of `DO NOTHING`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine


def dialect_insert(conn: Connection, table: Any, row: dict[str, Any]) -> Any:
    """`INSERT INTO table VALUES (row)` as the connection's dialect builds it, ready for
    `.on_conflict_do_update(…)` / `.on_conflict_do_nothing(…)` and `.returning(…)`."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**row)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).values(**row)


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


@contextmanager
def one_writer(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()`, but on SQLite the threads of this process queue for it on a lock.

    SQLite lets one writer in at a time (`BEGIN IMMEDIATE`, engine.py) and makes the others
    poll with sleeps of up to 100 ms: under a burst of button presses on a thread pool, some
    presses lose that lottery again and again and wait seconds. A lock hands the write lock on
    in order instead. Another process (a second replica on one SQLite file) still polls, as
    before. PostgreSQL queues writers itself: nothing is added there."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
    with lock, engine.begin() as conn:
        yield conn
