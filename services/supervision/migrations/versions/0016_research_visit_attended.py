"""supervision: whether a leader attended an inspection org fed as a research visit (A31)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # org.attendance.outcome_recorded: true attended, false not attended (no research day); NULL nothing
    # reported (the agreed day counts once it has come) or entered by hand.
    op.add_column("research_visit", sa.Column("attended", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("research_visit", "attended")
