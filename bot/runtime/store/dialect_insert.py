"""The dialect's own INSERT, whose `ON CONFLICT` clauses the votes and quiz queries need.

SQLite (3.24+) and PostgreSQL both have `INSERT … ON CONFLICT (…) DO UPDATE | DO NOTHING` and
`RETURNING` (SQLite 3.35+), with the same meaning; SQLAlchemy spells them per dialect.
`engine.insert_ignore` is the bulk form of `DO NOTHING`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def dialect_insert(conn: Connection, table: Any, row: dict[str, Any]) -> Any:
    """`INSERT INTO table VALUES (row)` as the connection's dialect builds it, ready for
    `.on_conflict_do_update(…)` / `.on_conflict_do_nothing(…)` and `.returning(…)`."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**row)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).values(**row)
