"""trips abroad: when the report's overdue was announced (A57)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 04:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A gift's announcement is kept in the gift itself (trip.gifts, key overdue_announced_on).
    op.add_column("trip", sa.Column("report_overdue_announced_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("trip", "report_overdue_announced_on")
