"""supervision: deadline feeds (iCalendar subscriptions)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:40:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline_feed",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("calendar_name", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_deadline_feed")),
        sa.UniqueConstraint("user_id", "scope", name=op.f("uq_deadline_feed_user_id_scope")),
    )


def downgrade() -> None:
    op.drop_table("deadline_feed")
