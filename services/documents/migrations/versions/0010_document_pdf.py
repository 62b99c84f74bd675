"""documents: the issued document's PDF, kept so a download is a read

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:20:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_pdf",
        sa.Column("document_id", sa.UUID(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("file_name", sa.String(length=128), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_document_pdf_document_id_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_pdf")),
    )


def downgrade() -> None:
    op.drop_table("document_pdf")
