"""The tables, as SQLAlchemy Core objects: the shape the store's queries use.

Migrations in `migrations/versions/` create and change these tables; a test checks that the
migrated database and this metadata agree. Times are stored as naive UTC (`TIMESTAMP WITHOUT
TIME ZONE` on PostgreSQL, text on SQLite) so both databases behave the same; `times.py`
converts at the boundary.
"""

from __future__ import annotations

from typing import Any

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
    false,
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
    # SubscriptionMode: what it posts each day, "tip" | "quiz". Migration 0004.
    Column("mode", String(8), nullable=False, default="tip", server_default="tip"),
    # Migration 0005. "every N days" schedules: N, counted from `anchor_date` (a local date
    # the cycle posts on); None: the `days` weekday set alone decides.
    Column("every_days", Integer, nullable=True),
    Column("anchor_date", Date, nullable=True),
    # A snoozed (personal) subscription posts nothing before this instant.
    Column("snoozed_until", DateTime, nullable=True),
    # The one role or user group a daily post may ping ("" none): "role:<id>" (Discord),
    # "group:<id>" (Slack user group) or "user:<id>".
    Column("mention", String(160), nullable=False, default="", server_default=""),
    # A personal subscription's member (its channel is "dm:<member>"); "" for a channel's.
    Column("member", String(128), nullable=False, default="", server_default=""),
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
    # The Tips page counts a tip's posts (migration 0007).
    Index(None, "tip_id", "status"),
    # The Overview's chart counts 30 days of deliveries by day and status (migration 0007).
    Index(None, "local_date", "status"),
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

# -- what a channel tells k8stip (migration 0004); queried by votes.py and quizzes.py -------

# One row per member per tip per channel: a new press replaces the vote (ON CONFLICT DO UPDATE).
votes = Table(
    "votes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("tip_id", String(128), nullable=False),
    Column("member", String(128), nullable=False),  # platform user id
    Column("kind", String(16), nullable=False),  # VoteKind
    # The kind this press replaced (None: the first press), set by the same statement that
    # writes `kind`, so a replica racing another still learns what it replaced.
    Column("previous_kind", String(16), nullable=True),
    Column("admin", Boolean, nullable=False),
    Column("at", DateTime, nullable=False),
    UniqueConstraint("platform", "workspace", "channel", "tip_id", "member"),
    Index(None, "platform", "member"),
    # By tip and kind (migration 0007, was by tip): the Tips page counts a tip's votes of
    # each kind from the index alone; a read by tip uses it as before.
    Index(None, "tip_id", "kind"),
)

# An admin undid a tip's retirement in a channel: the latest restore only.
restorations = Table(
    "restorations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("tip_id", String(128), nullable=False),
    Column("restored_by", String(128), nullable=False),
    Column("at", DateTime, nullable=False),
    UniqueConstraint("platform", "workspace", "channel", "tip_id"),
)

# A quiz question posted in a channel (daily, or on request); answers point at its id.
quiz_postings = Table(
    "quiz_postings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("qid", String(60), nullable=False),  # core.quiz question id
    Column("tip_id", String(128), nullable=False),
    Column("term", String(128), nullable=False),  # the hidden term's key
    Column("kind", String(16), nullable=False),  # ShownKind: "daily" | "request"
    Column("message_ref", Text, nullable=True),  # the platform's message id, once posted
    Column("local_date", Date, nullable=False),  # the channel's local date when posted
    Column("posted_at", DateTime, nullable=False),
    Column("revealed", Boolean, nullable=False),  # its answer was shown in a later post
    Index(None, "platform", "workspace", "channel", "local_date"),
    Index(None, "platform", "workspace", "channel", "qid"),  # an answer button names its qid
    Index(None, "tip_id"),  # the Tips page counts a tip's questions (migration 0007)
)

# One answer per member per posted question (ON CONFLICT DO NOTHING). The posting's channel
# is copied here so channel, member and forget queries read one table by index.
quiz_answers = Table(
    "quiz_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("posting_id", Integer, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("member", String(128), nullable=False),
    Column("display_name", String(128), nullable=True),  # shown on the leaderboard, never pinged
    Column("choice", String(128), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("at", DateTime, nullable=False),
    UniqueConstraint("posting_id", "member"),
    Index(None, "platform", "workspace", "channel", "at"),
    Index(None, "platform", "member"),
)

# Spaced practice per channel: one Leitner card per question (tip + hidden term).
leitner_cards = Table(
    "leitner_cards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("tip_id", String(128), nullable=False),
    Column("term", String(128), nullable=False),
    Column("box", Integer, nullable=False),
    Column("due", Date, nullable=False),  # the channel's local date
    UniqueConstraint("platform", "workspace", "channel", "tip_id", "term"),
)

# What an admin switched on or off for a channel.
channel_settings = Table(
    "channel_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("leaderboard", Boolean, nullable=False),
    # Answers to buttons on a daily post go into that post's thread. Migration 0005.
    Column("threads", Boolean, nullable=False, default=False, server_default=false()),
    Column("updated_by", String(128), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("platform", "workspace", "channel"),
)

# -- what members tell k8stip (migration 0005) ---------------------------------------------

# A member's suggested tip: pending until an admin approves (it becomes a community tip) or
# rejects it. Approval is `UPDATE … WHERE status = 'pending'`: of two replicas approving at
# once, exactly one changes the row.
suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),  # where it was suggested
    Column("member", String(128), nullable=False),  # platform user id
    Column("member_name", String(128), nullable=False),  # display name, never pinged
    Column("text", Text, nullable=False),
    Column("topics", Text, nullable=False),  # topic ids, "secrets,rbac"
    Column("status", String(16), nullable=False),  # "pending" | "approved" | "rejected"
    Column("created_at", DateTime, nullable=False),
    Column("decided_by", String(128), nullable=True),
    Column("decided_by_name", String(128), nullable=True),
    Column("decided_at", DateTime, nullable=True),
    Column("reason", Text, nullable=True),  # a rejection's reason, shown to the author
    Column("tip_id", String(128), nullable=True),  # the community tip it became
    Index(None, "status", "created_at"),
    Index(None, "platform", "member", "status"),
)

# The "Community" source: approved suggestions, searchable and in rotation on every replica.
community_tips = Table(
    "community_tips",
    metadata,
    Column("tip_id", String(128), primary_key=True),
    Column("suggestion_id", Integer, nullable=True),
    Column("text", Text, nullable=False),
    Column("topics", Text, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("author", String(128), nullable=False),
    Column("author_name", String(128), nullable=False),
    Column("approved_by_name", String(128), nullable=False),
    Column("approved_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# What members asked for: `/k8stip request …` ("request") and searches that found nothing
# ("unanswered"). Counted once per member per `key` (the normalised query) when listed.
tip_requests = Table(
    "tip_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("member", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("query", Text, nullable=False),
    Column("key", String(200), nullable=False),
    Column("at", DateTime, nullable=False),
    Index(None, "kind", "at"),
    # `/k8stip requests` reads one workspace's recent rows of a kind; `forget me` a member's.
    Index(None, "platform", "workspace", "kind", "at"),
    Index(None, "platform", "member"),
)


# -- the admin web console (migration 0006) ------------------------------------------------

# A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a
# copy of the database signs nobody in. Every replica reads the same rows: a Service may send
# each request of one browser to another replica.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("actor", String(64), nullable=False),  # the name typed at sign-in
    Column("address", String(64), nullable=False),  # the browser's address at sign-in
    Column("csrf", String(64), nullable=False),  # the token every form of this session posts
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index(None, "expires_at"),
)

# Every change made on a page of the console: who, from where, what, to what, when.
web_audit = Table(
    "web_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("action", String(32), nullable=False),  # "pause", "approve", "sign-in", …
    Column("target", String(300), nullable=False),  # "slack/T1/C1", "suggestion 12", …
    Column("detail", Text, nullable=False),
    Index(None, "at"),
)


def check_fits(column: Column[Any], value: str) -> None:
    """Refuse a value longer than its column holds, alike on both databases (PostgreSQL would
    refuse the row, SQLite would keep it): a ValueError naming the column."""
    length = getattr(column.type, "length", None)
    if length is not None and len(value) > length:
        raise ValueError(
            f"{column.table.name}.{column.name} is {len(value)} characters; "
            f"at most {length} are stored"
        )
