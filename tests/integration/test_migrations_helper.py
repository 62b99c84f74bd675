"""shared.migrations' helpers against a real PostgreSQL: migrations applied on start, and the
check every service's test uses (all migrations on an empty database, then autogenerate finds
nothing)."""

import pytest
from sqlalchemy import Column, Integer, Table, text

from shared.db import create_engine, make_metadata
from shared.migrations import pending_autogenerate_changes, run_migrations
from shared.outbox import event_tables
from tests.fixtures import sample_service

pytestmark = pytest.mark.integration


async def test_migrations_match_the_models_so_autogenerate_finds_nothing(database):
    assert (
        await pending_autogenerate_changes(database, sample_service.MIGRATIONS_DIR, sample_service.metadata)
        == []
    )


async def test_a_model_change_without_migration_is_reported(database):
    drifted = make_metadata()
    event_tables(drifted)
    for table in (sample_service.leaves, sample_service.effects):
        table.to_metadata(drifted)
    Table("unmigrated", drifted, Column("id", Integer, primary_key=True))

    changes = await pending_autogenerate_changes(database, sample_service.MIGRATIONS_DIR, drifted)

    assert [(c[0], c[1].name) for c in changes] == [("add_table", "unmigrated")]


async def test_run_migrations_twice_is_harmless_and_reaches_head(database):
    await run_migrations(database, sample_service.MIGRATIONS_DIR)
    await run_migrations(database, sample_service.MIGRATIONS_DIR)
    engine = create_engine(database)
    try:
        async with engine.connect() as conn:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            names = await conn.scalar(
                text(
                    "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint "
                    "WHERE conrelid = 'processed_messages'::regclass AND contype = 'p'"
                )
            )
    finally:
        await engine.dispose()
    assert version == "0002"  # the sample service's head (0002_outbox_sequence)
    # the naming convention gives constraints stable names autogenerate can compare
    assert names == "pk_processed_messages"
