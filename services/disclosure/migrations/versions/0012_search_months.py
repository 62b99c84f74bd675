"""search reads the newest matches month by month: each published row's search vector gains the lexemes
of the month and the year it was published in (services/disclosure/search.month_lexeme, 'zzp' and
YYYYMM; year_lexeme, 'zzq' and YYYY)

No schema change: the lexeme is added in SQL to the vectors of the published rows (search.NewestFirst
reads windows of months, whole years as their year, through the GIN index). Downgrading removes them
again (ts_delete).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 08:00:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PUBLISHED = "ARRAY['zzp' || to_char(published_on, 'YYYYMM'), 'zzq' || to_char(published_on, 'YYYY')]"


def upgrade() -> None:
    op.execute(
        f"UPDATE publication SET search = search || array_to_tsvector({PUBLISHED}) "
        "WHERE state = 'published' AND search IS NOT NULL AND published_on IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(
        f"UPDATE publication SET search = ts_delete(search, {PUBLISHED}) "
        "WHERE state = 'published' AND search IS NOT NULL AND published_on IS NOT NULL"
    )
