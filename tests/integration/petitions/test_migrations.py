"""The petitions service's recorded acts cannot be rewritten, and its search migration (0010) rewrites the
vectors as intake stores them (that its migrations build exactly its models is
tests/integration/test_service_migrations.py)."""

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from services.petitions.__main__ import MIGRATIONS
from services.petitions.models import metadata
from shared.db import create_engine
from shared.migrations import pending_autogenerate_changes

pytestmark = pytest.mark.integration


async def test_A80_recorded_reads_cannot_be_rewritten(database):
    await pending_autogenerate_changes(database, MIGRATIONS, metadata)
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_record (id, subject_ref, act, actor, reason) "
                    "VALUES (gen_random_uuid(), 'case/1', 'case.read', '{}', 'full')"
                )
            )
        for statement in ("UPDATE audit_record SET reason = 'rewritten'", "DELETE FROM audit_record"):
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                async with engine.begin() as conn:
                    await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _as_stored_before_0010(lexemes: list[str]) -> set[str]:
    """What shared.words.lexemes stored before every character was a lexeme: the bigrams, the title's,
    jieba's words, and only each run's last character (given here by `lexemes` of the same text)."""
    from shared import words

    kept = {x for x in lexemes if len(x.lstrip(words.TITLE)) == 2 or x.startswith(words.WORD)}
    return kept | {x for x in lexemes if len(x.lstrip(words.TITLE)) == 1 and _ends_a_run(x, lexemes)}


def _ends_a_run(char: str, lexemes: list[str]) -> bool:
    """No bigram of the same part starts with the character: it ended its run (test texts where each
    character occurs once)."""
    marker, c = char[:-1], char[-1]
    return not any(x.startswith(marker + c) and len(x) == len(marker) + 2 for x in lexemes)


async def test_A71_search_characters_migration_adds_the_characters_of_both_vectors_and_no_name(database):
    """Migration 0010: both search vectors of a case stored with each run's last character only gain
    every character of their bigrams (shared.words.characters_sql): they are then what intake stores
    today, and what a redacted reader is shown still holds no character of the petitioner's name."""
    from services.petitions import domain
    from services.petitions.acts.intake import search_words
    from shared.migrations import run_migrations

    await run_migrations(database, MIGRATIONS, "0009")
    intake = domain.Intake(
        channel=domain.Channel.LETTER,
        received_on=date(2025, 9, 16),
        category=domain.Category.SUGGESTION,
        title="增设公交线路",
        content="赵六建议在岳阳镇设站，电话13600000003。",
        petitioners=[domain.Petitioner("赵六", phone="13600000003")],
    )
    full, redacted = search_words(intake)
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            required = (
                await conn.execute(
                    sa.text(
                        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name ="
                        " 'petition_case' AND is_nullable = 'NO' AND column_default IS NULL"
                    )
                )
            ).all()
            values = {name: _any_value(kind) for name, kind in required}
            values.update(search_full=sorted(_as_stored_before_0010(full)))
            values.update(search_redacted=sorted(_as_stored_before_0010(redacted)))
            columns = ", ".join(values)
            placeholders = ", ".join(
                f"array_to_tsvector(CAST(:{n} AS text[]))" if n.startswith("search_") else f":{n}"
                for n in values
            )
            await conn.execute(
                sa.text(f"INSERT INTO petition_case ({columns}) VALUES ({placeholders})"), values
            )
        assert "赵" in full and "赵" not in _as_stored_before_0010(full) | set(redacted)
        await run_migrations(database, MIGRATIONS, "0010")
        async with engine.connect() as conn:
            stored = (
                await conn.execute(
                    sa.text(
                        "SELECT tsvector_to_array(search_full), tsvector_to_array(search_redacted) FROM petition_case"
                    )
                )
            ).one()
        assert set(stored[0]) == set(full) and set(stored[1]) == set(redacted)
        assert not {"赵", "六"} & set(stored[1])
    finally:
        await engine.dispose()


def _any_value(data_type: str):
    """A value of a required column's type, for a row the test does not read back."""
    import uuid

    return {
        "uuid": uuid.uuid4(),
        "integer": 0,
        "bigint": 0,
        "boolean": False,
        "date": date(2025, 9, 16),
        "jsonb": "[]",
        "ARRAY": [],
        "timestamp with time zone": datetime(2025, 9, 16, tzinfo=timezone.utc),
    }.get(data_type, "x")
