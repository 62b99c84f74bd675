"""administrative reconsideration (A69)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconsideration",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("applicant_name", sa.Text(), nullable=False),
        sa.Column("applicant_user_id", sa.String(length=64), nullable=False),
        sa.Column("contested_act", sa.Text(), nullable=False),
        sa.Column("respondent_body_code", sa.String(length=64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("query_code_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("acceptance_due", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("deemed_accepted", sa.Boolean(), nullable=False),
        sa.Column("simplified_ground", sa.String(length=32), nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("decision_due_moved", sa.Boolean(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("decision_reasons", sa.Text(), nullable=False),
        sa.Column("remedy", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=False),
        sa.Column("overdue_notified", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconsideration")),
        sa.UniqueConstraint("query_code_hash", name=op.f("uq_reconsideration_query_code_hash")),
    )
    op.create_index("ix_reconsideration_applicant_user_id", "reconsideration", ["applicant_user_id"])
    op.create_index("ix_reconsideration_respondent_body_code", "reconsideration", ["respondent_body_code"])
    op.create_index(
        "ix_reconsideration_open_state",
        "reconsideration",
        ["state"],
        postgresql_where=sa.text("state in ('applied', 'accepted')"),
    )


def downgrade() -> None:
    op.drop_table("reconsideration")
