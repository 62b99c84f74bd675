"""supervision: facts other services' events report about a body, counted by computed indicators (A64)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:50:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measured_fact",
        sa.Column("measure", sa.String(32), nullable=False),
        sa.Column("source_ref", sa.String(200), nullable=False),
        sa.Column("body_code", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("good", sa.Boolean(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("measure", "source_ref", name=op.f("pk_measured_fact")),
    )
    op.create_index("ix_measured_fact_body_year", "measured_fact", ["measure", "body_code", "year"])


def downgrade() -> None:
    op.drop_index("ix_measured_fact_body_year", table_name="measured_fact")
    op.drop_table("measured_fact")
