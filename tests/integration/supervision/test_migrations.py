"""The supervision service's recorded acts cannot be rewritten (that its migrations build exactly its models is
tests/integration/test_service_migrations.py)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from services.supervision.__main__ import MIGRATIONS
from services.supervision.models import metadata
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
                    "VALUES (gen_random_uuid(), 'item/1', 'item.registered', '{}', '')"
                )
            )
        for statement in ("UPDATE audit_record SET reason = 'rewritten'", "DELETE FROM audit_record"):
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                async with engine.begin() as conn:
                    await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()
