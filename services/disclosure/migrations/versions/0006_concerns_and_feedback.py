"""A70 public concerns (回应关切) and the A22 account of comments (意见采纳情况) on publications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:46:07.756217
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
        "public_concern",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("source_detail", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("department_name", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("response_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("press_conference_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("press_conference_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_name", sa.Text(), nullable=False),
        sa.Column("response_publication_id", sa.UUID(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_notified", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_publication_id"],
            ["publication.id"],
            name=op.f("fk_public_concern_response_publication_id_publication"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_concern")),
    )
    op.create_index(
        op.f("ix_public_concern_department_code"), "public_concern", ["department_code"], unique=False
    )
    op.create_index(
        "ix_public_concern_open",
        "public_concern",
        ["response_due", "id"],
        unique=False,
        postgresql_where=sa.text("state <> 'responded'"),
    )
    op.create_index("ix_public_concern_registered", "public_concern", ["registered_at", "id"], unique=False)
    op.create_index(
        "uq_public_concern_response",
        "public_concern",
        ["response_publication_id"],
        unique=True,
        postgresql_where=sa.text("response_publication_id IS NOT NULL"),
    )
    op.add_column(
        "publication", sa.Column("comment_feedback", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("publication", "comment_feedback")
    op.drop_index(
        "uq_public_concern_response",
        table_name="public_concern",
        postgresql_where=sa.text("response_publication_id IS NOT NULL"),
    )
    op.drop_index("ix_public_concern_registered", table_name="public_concern")
    op.drop_index(
        "ix_public_concern_open",
        table_name="public_concern",
        postgresql_where=sa.text("state <> 'responded'"),
    )
    op.drop_index(op.f("ix_public_concern_department_code"), table_name="public_concern")
    op.drop_table("public_concern")
