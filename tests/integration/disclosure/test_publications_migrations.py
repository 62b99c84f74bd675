"""The disclosure service's recorded acts cannot be rewritten (that its migrations build exactly its models is
tests/integration/test_service_migrations.py)."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from services.disclosure.__main__ import MIGRATIONS
from services.disclosure.models import metadata
from shared.db import create_engine
from shared.migrations import pending_autogenerate_changes

pytestmark = pytest.mark.integration


async def test_A20_A26_recorded_acts_cannot_be_rewritten(database):
    await pending_autogenerate_changes(database, MIGRATIONS, metadata)
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_record (id, subject_ref, act, actor, reason) "
                    "VALUES (gen_random_uuid(), 'publication/1', 'publication.published', '{}', '')"
                )
            )
        for statement in ("UPDATE audit_record SET reason = 'rewritten'", "DELETE FROM audit_record"):
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                async with engine.begin() as conn:
                    await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def test_search_months_migration_adds_the_month_published_to_published_rows_and_removes_it(database):
    """Migration 0012: each published row's search vector gains its month and year published
    (search.month_lexeme, year_lexeme), a queued one is left alone; downgrading takes them out again."""
    from alembic import command

    from shared.migrations import alembic_config, run_migrations

    await run_migrations(database, MIGRATIONS, "0011")
    engine = create_engine(database)
    insert = sa.text(
        "INSERT INTO publication (id, kind, category, title, body, issuer_code, issuer_name, document_number,"
        " made_on, year, published_on, validity, state, normative, requires_interpretation, publish_due,"
        " publish_due_provisional, comment_count, decline_reason, search)"
        " VALUES (gen_random_uuid(), 'policy', 'other', :title, '', 'x', 'x', '', '2025-01-02', 2025,"
        " :published_on, 'in_force', :state, false, false, '2025-02-01', false, 0, '',"
        " array_to_tsvector(ARRAY['供水']))"
    )
    vectors = sa.text("SELECT title, search::text AS search FROM publication ORDER BY title")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert, {"title": "a", "published_on": date(2025, 1, 20), "state": "published"}
            )
            await conn.execute(insert, {"title": "b", "published_on": None, "state": "queued"})
        await run_migrations(database, MIGRATIONS, "0012")
        async with engine.connect() as conn:
            assert [tuple(r) for r in await conn.execute(vectors)] == [
                ("a", "'zzp202501' 'zzq2025' '供水'"),
                ("b", "'供水'"),
            ]

        def downgrade(connection) -> None:
            cfg = alembic_config(database, MIGRATIONS)
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0011")

        async with engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with engine.connect() as conn:
            assert [r.search for r in await conn.execute(vectors)] == ["'供水'", "'供水'"]
    finally:
        await engine.dispose()


async def test_search_characters_migration_adds_every_character_of_the_stored_bigrams(database):
    """Migration 0013: a vector stored when a run gave only its last character gains every character of
    its bigrams (shared.words.characters_sql), the title's marked as the title's, and is then what
    shared.words.lexemes stores today; jieba's words and the filter lexemes are left as they are."""
    from shared import words
    from shared.migrations import run_migrations

    await run_migrations(database, MIGRATIONS, "0012")
    engine = create_engine(database)
    current = set(words.lexemes(title="供水办法", body="依法，案"))
    # before: every bigram, each run's last character only (the title's as the title's), the words
    before = {x for x in current if len(x.lstrip(words.TITLE)) == 2 or x.startswith(words.WORD)} | {
        "法",
        "案",
        "^法",
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO publication (id, kind, category, title, body, issuer_code, issuer_name,"
                    " document_number, made_on, year, published_on, validity, state, normative,"
                    " requires_interpretation, publish_due, publish_due_provisional, comment_count,"
                    " decline_reason, search) VALUES (gen_random_uuid(), 'policy', 'other', '供水办法', '',"
                    " 'x', 'x', '', '2025-01-02', 2025, '2025-01-20', 'in_force', 'published', false, false,"
                    " '2025-02-01', false, 0, '', array_to_tsvector(CAST(:lexemes AS text[])))"
                ),
                {"lexemes": sorted(before | {"zzp202501"})},
            )
        assert "供" not in before and "^供" not in before
        await run_migrations(database, MIGRATIONS, "0013")
        async with engine.connect() as conn:
            stored = (
                await conn.execute(sa.text("SELECT tsvector_to_array(search) FROM publication"))
            ).scalar()
        assert set(stored) == current | {"zzp202501"}
    finally:
        await engine.dispose()
