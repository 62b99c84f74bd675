"""documents: the day a document past its A53 handling limit was announced (documents.document.overdue)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:35:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("overdue_announced_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("document", "overdue_announced_on")
