"""receptions (A56) and trips abroad (A57, A58)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 01:30:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reception_standard",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("standards", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("set_by", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_standard")),
    )
    op.create_index("ix_reception_standard_set_at", "reception_standard", ["set_at"])
    op.create_table(
        "reception",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("host_organisation_code", sa.String(length=64), nullable=False),
        sa.Column("requested_by_user_id", sa.String(length=64), nullable=False),
        sa.Column("guest_unit", sa.Text(), nullable=False),
        sa.Column("guest_kind", sa.String(length=64), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("accompanying", sa.Integer(), nullable=False),
        sa.Column("meals", sa.Integer(), nullable=False),
        sa.Column("planned_cost_fen", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("letter_ref", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("standards", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("approved_by_user_id", sa.String(length=64), nullable=False),
        sa.Column("attendees", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actual_cost_fen", sa.BigInteger(), nullable=False),
        sa.Column("flags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception")),
    )
    op.create_index("ix_reception_day_id", "reception", ["day", "id"])
    op.create_index("ix_reception_host_organisation_code", "reception", ["host_organisation_code"])
    op.create_table(
        "trip",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organisation_code", sa.String(length=64), nullable=False),
        sa.Column("requested_by_user_id", sa.String(length=64), nullable=False),
        sa.Column("task_kind", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("invitation_ref", sa.Text(), nullable=False),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("far_region", sa.Boolean(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("members", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("payer", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("authority", sa.String(length=16), nullable=False),
        sa.Column("authority_reference", sa.Text(), nullable=False),
        sa.Column("approved_by_user_id", sa.String(length=64), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column("leave_ids", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("gifts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("report_due", sa.Date(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trip")),
    )
    op.create_index("ix_trip_organisation_code", "trip", ["organisation_code"])


def downgrade() -> None:
    op.drop_table("trip")
    op.drop_table("reception")
    op.drop_table("reception_standard")
