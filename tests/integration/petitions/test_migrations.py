"""The petitions service's recorded acts cannot be rewritten (that its migrations build exactly its models is
tests/integration/test_service_migrations.py)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from services.petitions.__main__ import MIGRATIONS
from services.petitions.models import metadata
from shared.db import create_engine, pending_autogenerate_changes

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
