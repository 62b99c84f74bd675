"""A recorded act is never rewritten (A20, A26): every service's audit_record refuses UPDATE, DELETE and
TRUNCATE in the database itself, whatever code (or person with a SQL prompt) tries."""

from __future__ import annotations


import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from shared.db import create_engine
from shared.migrations import run_migrations
from tests.fixtures.servers import migrations_of

pytestmark = pytest.mark.integration

SERVICES = ["org", "petitions", "documents", "disclosure", "meetings", "supervision", "notify"]


@pytest.mark.parametrize("service", SERVICES)
async def test_A20_A26_audit_records_cannot_be_updated_deleted_or_truncated(database, service):
    """Closes: TRUNCATE audit_record emptied the record (row triggers do not fire on it); documents had
    no test that its trigger refuses UPDATE and DELETE; notify's refused UPDATE and DELETE but not TRUNCATE."""
    await run_migrations(database, migrations_of(service))
    engine = create_engine(database)
    statements = [
        "UPDATE audit_record SET reason = 'rewritten'",
        "DELETE FROM audit_record",
        "TRUNCATE audit_record",
    ]
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_record (id, subject_ref, act, actor, reason) "
                    "VALUES (gen_random_uuid(), 'x/1', 'x.recorded', '{}', 'kept')"
                )
            )
        for statement in statements:
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                async with engine.begin() as conn:
                    await conn.execute(sa.text(statement))
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT reason FROM audit_record"))).scalar_one() == "kept"
    finally:
        await engine.dispose()
