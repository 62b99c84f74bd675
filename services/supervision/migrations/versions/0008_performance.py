"""supervision: performance management (目标绩效, A64–A66)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 01:10:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_set",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("decision_reference", sa.Text(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_set")),
        sa.UniqueConstraint("year", "kind", name=op.f("uq_indicator_set_year_kind")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("set_id", sa.UUID(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("body_code", sa.String(length=64), nullable=False),
        sa.Column("targets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("progress", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["indicator_set.id"],
            name=op.f("fk_assessment_set_id_indicator_set"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("set_id", "body_code", name=op.f("uq_assessment_set_id_body_code")),
    )
    op.create_index(op.f("ix_assessment_body_code"), "assessment", ["body_code"], unique=False)
    op.create_index(op.f("ix_assessment_set_id"), "assessment", ["set_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_assessment_set_id"), table_name="assessment")
    op.drop_index(op.f("ix_assessment_body_code"), table_name="assessment")
    op.drop_table("assessment")
    op.drop_table("indicator_set")
