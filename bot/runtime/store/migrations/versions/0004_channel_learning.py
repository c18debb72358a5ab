"""The channel learns: votes, restorations, quiz postings and answers, Leitner cards, channel
settings, and a `mode` (tip | quiz) on subscriptions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
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
    # Existing subscriptions keep posting tips.
    op.add_column(
        "subscriptions",
        sa.Column("mode", sa.String(8), nullable=False, server_default="tip"),
    )
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_channel_columns(),
        sa.Column("tip_id", sa.String(128), nullable=False),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("previous_kind", sa.String(16), nullable=True),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_votes"),
        sa.UniqueConstraint(
            *_CHANNEL, "tip_id", "member", name="uq_votes_platform_workspace_channel_tip_id_member"
        ),
    )
    op.create_index("ix_votes_platform_member", "votes", ["platform", "member"])
    op.create_index("ix_votes_tip_id", "votes", ["tip_id"])
    op.create_table(
        "restorations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_channel_columns(),
        sa.Column("tip_id", sa.String(128), nullable=False),
        sa.Column("restored_by", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_restorations"),
        sa.UniqueConstraint(
            *_CHANNEL, "tip_id", name="uq_restorations_platform_workspace_channel_tip_id"
        ),
    )
    op.create_table(
        "quiz_postings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_channel_columns(),
        sa.Column("qid", sa.String(60), nullable=False),
        sa.Column("tip_id", sa.String(128), nullable=False),
        sa.Column("term", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message_ref", sa.Text, nullable=True),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("posted_at", sa.DateTime, nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quiz_postings"),
    )
    op.create_index(
        "ix_quiz_postings_platform_workspace_channel_local_date",
        "quiz_postings",
        [*_CHANNEL, "local_date"],
    )
    op.create_index(
        "ix_quiz_postings_platform_workspace_channel_qid", "quiz_postings", [*_CHANNEL, "qid"]
    )
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("posting_id", sa.Integer, nullable=False),
        *_channel_columns(),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=True),
        sa.Column("choice", sa.String(128), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quiz_answers"),
        sa.UniqueConstraint("posting_id", "member", name="uq_quiz_answers_posting_id_member"),
    )
    op.create_index(
        "ix_quiz_answers_platform_workspace_channel_at", "quiz_answers", [*_CHANNEL, "at"]
    )
    op.create_index("ix_quiz_answers_platform_member", "quiz_answers", ["platform", "member"])
    op.create_table(
        "leitner_cards",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_channel_columns(),
        sa.Column("tip_id", sa.String(128), nullable=False),
        sa.Column("term", sa.String(128), nullable=False),
        sa.Column("box", sa.Integer, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_leitner_cards"),
        sa.UniqueConstraint(
            *_CHANNEL,
            "tip_id",
            "term",
            name="uq_leitner_cards_platform_workspace_channel_tip_id_term",
        ),
    )
    op.create_table(
        "channel_settings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_channel_columns(),
        sa.Column("leaderboard", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_channel_settings"),
        sa.UniqueConstraint(*_CHANNEL, name="uq_channel_settings_platform_workspace_channel"),
    )


def downgrade() -> None:
    for table in (
        "channel_settings",
        "leitner_cards",
        "quiz_answers",
        "quiz_postings",
        "restorations",
        "votes",
    ):
        op.drop_table(table)
    # SQLite drops a column only by rebuilding the table: batch mode does that.
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("mode")
