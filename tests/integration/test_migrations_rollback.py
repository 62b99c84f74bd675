"""Rollback-safe migrations (docs/design.md, "Migrations: expand, then contract"): the code of the
release before starts against a database a newer release migrated, as long as the newer
migrations only expanded the schema; after a contract migration it refuses to start, with a
message that names the revision it needs, instead of crash-looping on Alembic's
"Can't locate revision".

The newer release is made here: the sample service's migrations plus a 0003 that adds a
nullable column (expand) and a 0004 that drops it and raises the schema floor (contract).
"""

from __future__ import annotations

import shutil
import uuid

import pytest
from sqlalchemy import text

from shared.db import create_engine
from shared.migrations import SchemaNewerThanCode, run_migrations
from tests.fixtures import sample_service

pytestmark = pytest.mark.integration

EXPAND = '''"""expand: leaves get an optional note (old code never names it)"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leaves", sa.Column("note", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("leaves", "note")
'''

CONTRACT = '''"""contract: the note goes; code older than 0004 can no longer run on this schema"""
from alembic import op

from shared.migrations import require_code_at_least

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("leaves", "note")
    require_code_at_least(op, "0004")


def downgrade() -> None:
    raise NotImplementedError
'''


def release(tmp_path, name: str, *migrations: tuple[str, str]):
    folder = tmp_path / name
    shutil.copytree(sample_service.MIGRATIONS_DIR, folder)
    for file_name, body in migrations:
        (folder / "versions" / file_name).write_text(body)
    return folder


async def version_of(dsn: str) -> str:
    engine = create_engine(dsn)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()


async def old_code_writes_a_leave(dsn: str) -> None:
    """What the older release's code does: insert with only the columns it knows."""
    engine = create_engine(dsn)
    try:
        async with engine.begin() as connection:
            await connection.execute(sample_service.leaves.insert().values(id=uuid.uuid4(), state="asked"))
    finally:
        await engine.dispose()


async def test_older_code_starts_on_an_expanded_schema_and_still_works(database, tmp_path):
    newer = release(tmp_path, "newer", ("0003_expand.py", EXPAND))
    await run_migrations(database, newer)
    assert await version_of(database) == "0003"

    await run_migrations(database, sample_service.MIGRATIONS_DIR)  # the rolled-back code starts

    assert await version_of(database) == "0003", "the older code leaves the newer schema alone"
    await old_code_writes_a_leave(database)


async def test_older_code_refuses_a_contracted_schema_with_a_clear_message(database, tmp_path):
    newest = release(tmp_path, "newest", ("0003_expand.py", EXPAND), ("0004_contract.py", CONTRACT))
    await run_migrations(database, newest)

    with pytest.raises(SchemaNewerThanCode, match="needs code at revision 0004"):
        await run_migrations(database, sample_service.MIGRATIONS_DIR)
    await run_migrations(database, newest)  # the release itself (and any newer) starts
    assert await version_of(database) == "0004"
