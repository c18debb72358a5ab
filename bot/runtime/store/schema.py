"""The tables, as SQLAlchemy Core objects: the shape the store's queries use.

Migrations in `migrations/versions/` create and change these tables; a test checks that the
migrated database and this metadata agree. Times are stored as naive UTC (`TIMESTAMP WITHOUT
TIME ZONE` on PostgreSQL, text on SQLite) so both databases behave the same; `times.py`
converts at the boundary.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False, default=""),
    Column("channel", String(128), nullable=False),
    Column("time", String(5), nullable=False),  # "09:00", local to `timezone`
    Column("timezone", String(64), nullable=False),  # IANA name
    Column("days", String(32), nullable=False),  # ISO weekdays, "1,2,3,4,5"
    Column("topics", Text, nullable=False, default=""),  # topic ids, "secrets,rbac"
    Column("paused", Boolean, nullable=False, default=False),
    Column("paused_reason", Text, nullable=False, default=""),
    Column("origin", String(16), nullable=False),  # SubscriptionOrigin: "config" | "chat"
    Column("created_by", String(128), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # Chat subscriptions post from this instant on (no instant "catch-up" post on the day
    # someone subscribes after the hour); None for config subscriptions.
    Column("active_from", DateTime, nullable=True),
    UniqueConstraint("platform", "workspace", "channel"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("due_at", DateTime, nullable=False),
    # DeliveryStatus: planned -> claimed -> sent | failed | paused; planned -> skipped
    Column("status", String(16), nullable=False),
    Column("tip_id", String(128), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claims", Integer, nullable=False, default=0),
    Column("claimed_by", String(128), nullable=True),
    Column("lease_until", DateTime, nullable=True),
    Column("message_id", String(128), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("posted_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # A planned row that failed on transient errors is not claimed again before this instant
    # (backoff between passes); None: claimable as soon as it is due. Migration 0003.
    Column("retry_at", DateTime, nullable=True),
    # Once per subscription per local day, and once per channel per local day even when a
    # channel unsubscribes and subscribes again the same day.
    UniqueConstraint("subscription_id", "local_date"),
    UniqueConstraint("platform", "workspace", "channel", "local_date"),
    Index(None, "status", "due_at"),
)

tip_history = Table(
    "tip_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("tip_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # ShownKind: "daily" | "request"
    Column("shown_at", DateTime, nullable=False),
    Index(None, "platform", "workspace", "channel", "id"),
)

# Signed Slack HTTP requests already processed, so a replay within Slack's five-minute window
# (or Slack retrying an event) has no effect, whichever replica it reaches. Queried by
# bot/adapters/slack/replays.py; declared here so the migration check sees every table.
slack_seen_requests = Table(
    "slack_seen_requests",
    metadata,
    Column("key", String(80), primary_key=True),  # "sig:<sha256>" or "event:<event_id>"
    Column("expires_at", BigInteger, nullable=False),  # Unix seconds; purged after this
    Index(None, "expires_at"),
)
