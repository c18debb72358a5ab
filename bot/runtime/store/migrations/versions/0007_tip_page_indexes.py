"""The web console's Tips page: indexes to count a tip's daily posts and its quiz questions
by tip id (without them each count reads the whole ledger or every posted question), and the
votes' index by tip widened to (tip, kind) so a tip's votes of each kind are counted from the
index alone. The Overview's chart of 30 days of deliveries by day and status reads an index
of (local_date, status) instead of the whole ledger.

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
    op.create_index("ix_deliveries_local_date_status", "deliveries", ["local_date", "status"])
    op.create_index("ix_quiz_postings_tip_id", "quiz_postings", ["tip_id"])
    op.create_index("ix_votes_tip_id_kind", "votes", ["tip_id", "kind"])
    op.drop_index("ix_votes_tip_id", table_name="votes")


def downgrade() -> None:
    op.create_index("ix_votes_tip_id", "votes", ["tip_id"])
    op.drop_index("ix_votes_tip_id_kind", table_name="votes")
    op.drop_index("ix_quiz_postings_tip_id", table_name="quiz_postings")
    op.drop_index("ix_deliveries_local_date_status", table_name="deliveries")
    op.drop_index("ix_deliveries_tip_id_status", table_name="deliveries")
