"""applications withdrawn by the applicant

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:50:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("info_application", sa.Column("withdrawn_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("info_application", "withdrawn_on")
