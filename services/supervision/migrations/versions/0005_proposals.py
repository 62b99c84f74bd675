"""supervision: people's congress suggestions and CPPCC proposals (A67)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:50:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposal",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("session", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("proposers", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("proposer_contacts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lead_body_code", sa.String(length=64), nullable=False),
        sa.Column("co_body_codes", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("lead_leader_user_id", sa.String(length=64), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("replies", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        sa.UniqueConstraint("kind", "session", "number", name=op.f("uq_proposal_kind_session_number")),
    )
    op.create_index(op.f("ix_proposal_year"), "proposal", ["year"], unique=False)
    op.create_index(op.f("ix_proposal_state"), "proposal", ["state"], unique=False)
    op.create_index(op.f("ix_proposal_lead_body_code"), "proposal", ["lead_body_code"], unique=False)
    op.create_index(
        op.f("ix_proposal_lead_leader_user_id"), "proposal", ["lead_leader_user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_proposal_lead_leader_user_id"), table_name="proposal")
    op.drop_index(op.f("ix_proposal_lead_body_code"), table_name="proposal")
    op.drop_index(op.f("ix_proposal_state"), table_name="proposal")
    op.drop_index(op.f("ix_proposal_year"), table_name="proposal")
    op.drop_table("proposal")
