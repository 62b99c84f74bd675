"""supervision: co-bodies' opinions on a suggestion's or proposal's reply (A60, A67)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "proposal",
        sa.Column(
            "co_opinions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("proposal", "co_opinions")
