"""Store times: timezone-aware UTC in Python, naive UTC in the database.

Both databases store naive UTC (`TIMESTAMP WITHOUT TIME ZONE` on PostgreSQL, text on SQLite),
so they behave the same; these convert at the boundary, and nothing else in the store deals
in time zones.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(dt: datetime) -> datetime:
    """Aware datetime -> naive UTC, the form both databases store."""
    if dt.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return dt.astimezone(UTC).replace(tzinfo=None)


def from_db(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None else None


def aware(dt: datetime) -> datetime:
    """A stored (naive UTC) time from a NOT NULL column, as an aware datetime."""
    return dt.replace(tzinfo=UTC)
