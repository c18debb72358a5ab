"""The web console's Tips page: indexes to count a tip's daily posts and its quiz questions
by tip id (without them each count reads the whole ledger or every posted question).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_tip_id_status", "deliveries", ["tip_id", "status"])
    op.create_index("ix_quiz_postings_tip_id", "quiz_postings", ["tip_id"])


def downgrade() -> None:
    op.drop_index("ix_quiz_postings_tip_id", table_name="quiz_postings")
    op.drop_index("ix_deliveries_tip_id_status", table_name="deliveries")
