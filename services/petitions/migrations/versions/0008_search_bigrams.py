"""case search finds every run of characters: the cases' two tsvectors as bigrams (shared/words.py)

No schema change: search_full and search_redacted of every case rebuilt from shared.words.lexemes
(bigrams for recall, jieba's words), what a redacted reader is shown still without names or a
complaint's text (A71), in batches by id. Downgrading keeps the new vectors.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from services.petitions import domain
    from shared import words

    bind = op.get_bind()
    last = None
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, category, title, content, petitioners, person_complained_about FROM petition_case "
                "WHERE (CAST(:last AS uuid) IS NULL OR id > CAST(:last AS uuid)) ORDER BY id LIMIT 500"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        for row in rows:
            redacted = domain.redacted_searchable_text(
                domain.Category(row.category),
                row.title,
                row.content,
                row.petitioners,
                row.person_complained_about,
            )
            bind.execute(
                sa.text(
                    "UPDATE petition_case SET search_full = array_to_tsvector(CAST(:full AS text[])), "
                    "search_redacted = array_to_tsvector(CAST(:redacted AS text[])) WHERE id = :id"
                ),
                {
                    "full": words.lexemes(title=row.title, body=row.content),
                    "redacted": words.lexemes(body=redacted) if redacted else [],
                    "id": row.id,
                },
            )
        last = str(rows[-1].id)


def downgrade() -> None:
    pass
