"""Members shape the feed: suggestions and the community tips approved from them, tip
requests and unanswered searches, and on subscriptions more schedules (every N days),
personal (direct-message) subscriptions, snoozes and one allowed mention; a `threads`
switch in channel settings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHANNEL = ("platform", "workspace", "channel")


def _channel_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
    ]


def upgrade() -> None:
    # Existing subscriptions keep their schedules: no cycle, no snooze, no mention, and
    # they are channel subscriptions (member "").
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("every_days", sa.Integer, nullable=True))
        batch.add_column(sa.Column("anchor_date", sa.Date, nullable=True))
        batch.add_column(sa.Column("snoozed_until", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("mention", sa.String(160), nullable=False, server_default=""))
        batch.add_column(sa.Column("member", sa.String(128), nullable=False, server_default=""))
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(
            sa.Column("threads", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_channel_columns(),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("member_name", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_by_name", sa.String(128), nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("tip_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_suggestions"),
    )
    op.create_index("ix_suggestions_status_created_at", "suggestions", ["status", "created_at"])
    op.create_index(
        "ix_suggestions_platform_member_status", "suggestions", ["platform", "member", "status"]
    )
    op.create_table(
        "community_tips",
        sa.Column("tip_id", sa.String(128), nullable=False),
        sa.Column("suggestion_id", sa.Integer, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("author_name", sa.String(128), nullable=False),
        sa.Column("approved_by_name", sa.String(128), nullable=False),
        sa.Column("approved_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("tip_id", name="pk_community_tips"),
    )
    op.create_table(
        "tip_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_channel_columns(),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tip_requests"),
    )
    op.create_index("ix_tip_requests_kind_at", "tip_requests", ["kind", "at"])
    op.create_index(
        "ix_tip_requests_platform_workspace_kind_at",
        "tip_requests",
        ["platform", "workspace", "kind", "at"],
    )
    op.create_index("ix_tip_requests_platform_member", "tip_requests", ["platform", "member"])


def downgrade() -> None:
    op.drop_index("ix_tip_requests_platform_member", table_name="tip_requests")
    op.drop_index("ix_tip_requests_platform_workspace_kind_at", table_name="tip_requests")
    op.drop_index("ix_tip_requests_kind_at", table_name="tip_requests")
    op.drop_table("tip_requests")
    op.drop_table("community_tips")
    op.drop_index("ix_suggestions_platform_member_status", table_name="suggestions")
    op.drop_index("ix_suggestions_status_created_at", table_name="suggestions")
    op.drop_table("suggestions")
    # SQLite drops a column only by rebuilding the table: batch mode does that.
    with op.batch_alter_table("channel_settings") as batch:
        batch.drop_column("threads")
    with op.batch_alter_table("subscriptions") as batch:
        for column in ("member", "mention", "snoozed_until", "anchor_date", "every_days"):
            batch.drop_column(column)
