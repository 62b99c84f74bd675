"""documents: the other service's record a document was drafted from (a supervision circular, A61)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:40:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("source_ref", sa.String(200), nullable=True))
    # one document per source, whatever replays of the event arrive
    op.create_index("ux_document_source_ref", "document", ["source_ref"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_document_source_ref", table_name="document")
    op.drop_column("document", "source_ref")
