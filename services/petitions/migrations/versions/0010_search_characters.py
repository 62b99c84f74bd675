"""case search looks up a one-character run as a lexeme of its own: every character of every run is
added to the cases' two search vectors (shared/words.py grams, characters_sql)

No schema change: the characters are read off the bigrams already stored, in SQL; what a redacted
reader is shown still holds no name nor a complaint's text (A71), its characters coming from its own
bigrams. Downgrading keeps them: the earlier code's prefix query ('x':*) finds the same cases with them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:30:00
"""

from alembic import op

from shared.words import characters_sql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        f"UPDATE petition_case SET search_full = search_full || {characters_sql('search_full')}, "
        f"search_redacted = search_redacted || {characters_sql('search_redacted')}"
    )


def downgrade() -> None:
    pass
