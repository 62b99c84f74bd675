"""supervision: a research visit fed by org's event (an agreed inspection, 调研) keeps its source, once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 05:10:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("research_visit", sa.Column("source_ref", sa.String(200), nullable=True))
    # NULL for visits entered by hand; one visit per source (a redelivered or replayed event adds nothing).
    op.create_unique_constraint("uq_research_visit_source_ref", "research_visit", ["source_ref"])


def downgrade() -> None:
    op.drop_constraint("uq_research_visit_source_ref", "research_visit", type_="unique")
    op.drop_column("research_visit", "source_ref")
