"""supervision: warnings of suggestions and proposals near or past their limit (A67)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 01:50:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposal_warning",
        sa.Column("proposal_id", sa.UUID(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("against_due", sa.Date(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_warning_proposal_id_proposal"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "step", "against_due", name=op.f("pk_proposal_warning")),
    )


def downgrade() -> None:
    op.drop_table("proposal_warning")
