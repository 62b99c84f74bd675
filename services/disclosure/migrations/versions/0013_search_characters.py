"""search looks up a one-character run as a lexeme of its own: every character of every run is added to
the published rows' search vectors (shared/words.py grams, characters_sql)

No schema change: the characters are read off the bigrams already stored (the title's as the title's),
in SQL. A one-character query was a prefix ('x':*), which the GIN index answers by reading in full
every lexeme starting with the character, at every window of months (hundreds of milliseconds for a
common character over a million rows); now it is one entry. Downgrading keeps them: the earlier code's
prefix finds the same rows with them. Every row is rewritten: on the bench's million publications it
took 17 minutes on two busy cores with the GIN index dropped and rebuilt after (3 minutes more); in
place, the index is updated row by row, longer.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:30:00
"""

from alembic import op

from shared.words import characters_sql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        f"UPDATE publication SET search = search || {characters_sql('search')} WHERE search IS NOT NULL"
    )


def downgrade() -> None:
    pass
