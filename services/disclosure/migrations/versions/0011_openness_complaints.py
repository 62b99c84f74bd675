"""openness complaints (政府信息公开投诉举报, A38, OGI art. 47, 51)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 02:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "openness_complaint",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("serial", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("matter", sa.String(length=32), nullable=False),
        sa.Column("office_name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("complainant", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=False),
        sa.Column("answer_due_provisional", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("finding", sa.String(length=24), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("query_code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openness_complaint")),
        sa.UniqueConstraint("number", name=op.f("uq_openness_complaint_number")),
        sa.UniqueConstraint("query_code_hash", name=op.f("uq_openness_complaint_query_code_hash")),
        sa.UniqueConstraint("serial", name=op.f("uq_openness_complaint_serial")),
    )
    op.create_index("ix_openness_complaint_filed", "openness_complaint", ["filed_on"], unique=False)
    op.create_index(
        "ix_openness_complaint_open",
        "openness_complaint",
        ["answer_due", "id"],
        unique=False,
        postgresql_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_openness_complaint_open",
        table_name="openness_complaint",
        postgresql_where=sa.text("state = 'open'"),
    )
    op.drop_index("ix_openness_complaint_filed", table_name="openness_complaint")
    op.drop_table("openness_complaint")
