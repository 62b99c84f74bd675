"""search finds every run of characters: the published rows' tsvectors as bigrams (shared/words.py)

No schema change: each published row's search vector is rebuilt from its title, number, body and facts
as services/disclosure/search.publication_lexemes gives them (bigrams for recall, jieba's words and the
title's bigrams for ranking, the filter lexemes), in batches by id. Downgrading keeps the new vectors
(the old search would find less in them, never wrong rows).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:00:00
"""

from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = "id, kind, category, title, body, issuer_code, issuer_name, document_number, year, normative"


def upgrade() -> None:
    from services.disclosure import search

    bind = op.get_bind()
    last = None
    while True:
        rows = bind.execute(
            sa.text(
                f"SELECT {COLUMNS} FROM publication WHERE state = 'published' "
                "AND (CAST(:last AS uuid) IS NULL OR id > CAST(:last AS uuid)) ORDER BY id LIMIT 500"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        for row in rows:
            bind.execute(
                sa.text(
                    "UPDATE publication SET search = array_to_tsvector(CAST(:lexemes AS text[])) "
                    "WHERE id = :id"
                ),
                {"lexemes": search.publication_lexemes(SimpleNamespace(**row._mapping)), "id": row.id},
            )
        last = str(rows[-1].id)


def downgrade() -> None:
    pass
