"""requests for correction (art. 41): the kind of request and its evidence

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:20:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "info_application",
        sa.Column("request_kind", sa.String(length=16), server_default="information", nullable=False),
    )
    op.add_column("info_application", sa.Column("evidence", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("info_application", "evidence")
    op.drop_column("info_application", "request_kind")
