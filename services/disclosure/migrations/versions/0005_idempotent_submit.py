"""idempotent online submit: the submitter's key, unique per account (and among anonymous ones)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("info_application", sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.add_column(
        "info_application", sa.Column("idempotency_fingerprint", sa.String(length=64), nullable=True)
    )
    op.create_index(
        "uq_info_application_idempotency",
        "info_application",
        ["submitted_by_user_id", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_info_application_idempotency",
        table_name="info_application",
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.drop_column("info_application", "idempotency_fingerprint")
    op.drop_column("info_application", "idempotency_key")
