"""one petition per submit: the online submitter's idempotency key and the intake's fingerprint

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 01:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("petition_case", sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.add_column("petition_case", sa.Column("idempotency_fingerprint", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_petition_case_idempotency",
        "petition_case",
        ["submitted_by_user_id", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_petition_case_idempotency",
        table_name="petition_case",
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.drop_column("petition_case", "idempotency_fingerprint")
    op.drop_column("petition_case", "idempotency_key")
