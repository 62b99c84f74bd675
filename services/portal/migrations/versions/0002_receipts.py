"""portal: receipts of filings (Post/Redirect/Get), shared by the replicas

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 04:20:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "portal_receipts",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_portal_receipts")),
    )
    op.create_index(op.f("ix_portal_receipts_created"), "portal_receipts", ["created"], unique=False)


def downgrade() -> None:
    op.drop_table("portal_receipts")
