"""topic proposals: a leader's written proposal of a department's topic (A42)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 22:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_proposal",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("organisation_code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("route", sa.String(length=32), nullable=False),
        sa.Column("proposed_by_user_id", sa.String(length=64), nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_topic_proposal_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_proposal")),
    )
    op.create_index(op.f("ix_topic_proposal_meeting_id"), "topic_proposal", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_topic_proposal_meeting_id"), table_name="topic_proposal")
    op.drop_table("topic_proposal")
