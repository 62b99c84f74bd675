"""portal: sessions, logins in progress and rate limits shared by the replicas

Revision ID: 0001
Revises:
Create Date: 2026-12-07 01:05:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_portal_sessions")),
    )
    op.create_index(op.f("ix_portal_sessions_last_seen"), "portal_sessions", ["last_seen"], unique=False)
    op.create_table(
        "portal_pending_logins",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_portal_pending_logins")),
    )
    op.create_index(
        op.f("ix_portal_pending_logins_started"), "portal_pending_logins", ["started"], unique=False
    )
    op.create_table(
        "portal_rate_buckets",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", "kind", name=op.f("pk_portal_rate_buckets")),
    )
    op.create_index(op.f("ix_portal_rate_buckets_updated"), "portal_rate_buckets", ["updated"], unique=False)


def downgrade() -> None:
    op.drop_table("portal_rate_buckets")
    op.drop_table("portal_pending_logins")
    op.drop_table("portal_sessions")
