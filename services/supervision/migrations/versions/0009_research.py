"""supervision: research visits, topics and pace warnings (A31, A33, A34)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:20:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "research_visit",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("leader_user_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("county_codes", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("reporting_meeting", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_user_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_visit")),
    )
    op.create_index(
        "ix_research_visit_leader_year", "research_visit", ["leader_user_id", "year"], unique=False
    )
    op.create_table(
        "research_topic",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("leader_user_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("decision_reference", sa.Text(), nullable=False),
        sa.Column("policy_reference", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_topic")),
    )
    op.create_index(
        op.f("ix_research_topic_leader_user_id"), "research_topic", ["leader_user_id"], unique=False
    )
    op.create_index(op.f("ix_research_topic_year"), "research_topic", ["year"], unique=False)
    op.create_table(
        "research_warning",
        sa.Column("leader_user_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("leader_user_id", "year", "month", name=op.f("pk_research_warning")),
    )


def downgrade() -> None:
    op.drop_table("research_warning")
    op.drop_index(op.f("ix_research_topic_year"), table_name="research_topic")
    op.drop_index(op.f("ix_research_topic_leader_user_id"), table_name="research_topic")
    op.drop_table("research_topic")
    op.drop_index("ix_research_visit_leader_year", table_name="research_visit")
    op.drop_table("research_visit")
