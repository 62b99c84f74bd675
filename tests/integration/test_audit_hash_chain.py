"""The hash chain of recorded acts (A20, A26): concurrent acts never fork it, and an act altered,
deleted or slipped in by someone who switched the append-only trigger off is named by the verify
command (`python -m shared.audit verify`)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command

from shared import audit_chain
from shared.audit import AUDIT, actor_record, record_act
from shared.db import create_engine, session_factory
from shared.migrations import alembic_config, run_migrations
from shared.identity import Actor
from tests.fixtures.servers import migrations_of

pytestmark = pytest.mark.integration

SERVICES = ["org", "petitions", "documents", "disclosure", "meetings", "supervision", "notify"]
CLERK = Actor(
    user_id="u-1", username="office-staff", display_name="黄小梅", positions=frozenset({"office-staff"})
)


async def record_concurrently(dsn: str, count: int) -> None:
    """`count` acts, each in its own transaction, all started together."""
    engine = create_engine(dsn)
    sessions = session_factory(engine)

    async def one(n: int) -> None:
        async with sessions() as session, session.begin():
            await record_act(session, f"leave/{n}", "leave.requested", CLERK, f"第{n}次")

    try:
        await asyncio.gather(*(one(n) for n in range(count)))
    finally:
        await engine.dispose()


async def as_superuser(dsn: str, *statements: str) -> None:
    """What an operator with a SQL prompt could do: switch the trigger off, change rows, switch it on."""
    engine = create_engine(dsn)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only"))
            for statement in statements:
                await conn.execute(sa.text(statement))
            await conn.execute(sa.text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_append_only"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_A20_concurrent_acts_form_one_chain_that_verifies(database, service):
    await run_migrations(database, migrations_of(service))
    await record_concurrently(database, 12)
    count, broken = await audit_chain.verify_database(database)
    assert (count, broken) == (12, None)


# Each service's migration that creates audit_chain_end(), record_act's one way to the chain's end.
CHAIN_END_FUNCTION_MIGRATION = {
    "org": "0008",
    "petitions": "0011",
    "documents": "0012",
    "disclosure": "0014",
    "meetings": "0010",
    "supervision": "0017",
    "notify": "0006",
}


async def link_as_before_the_function(dsn: str, count: int) -> None:
    """Acts linked as record_act linked them before audit_chain_end(): the lock, then the chain's end
    read in a statement of its own, then the row (shared.audit_chain.link)."""
    engine = create_engine(dsn)
    try:
        for n in range(count):
            async with engine.begin() as conn:
                await conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtext('zgov.audit_record.chain'))")
                )
                end = (
                    await conn.execute(
                        sa.text(
                            "SELECT now() AS now, chain_seq AS seq, chain_hash AS hash FROM audit_record"
                            " WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1"
                        )
                    )
                ).one_or_none()
                row = audit_chain.link(
                    {
                        "id": uuid.uuid4(),
                        "subject_ref": f"before/{n}",
                        "act": "leave.requested",
                        "actor": actor_record(CLERK),
                        "at": datetime.now(timezone.utc),
                        "reason": f"第{n}次",
                    },
                    seq=end.seq + 1 if end else 1,
                    prev_hash=end.hash if end else audit_chain.GENESIS,
                    algorithm=audit_chain.configured_algorithm(),
                )
                await conn.execute(sa.insert(AUDIT), row)
    finally:
        await engine.dispose()


async def chain_end_function_exists(dsn: str) -> bool:
    engine = create_engine(dsn)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text("SELECT to_regprocedure('audit_chain_end()') IS NOT NULL"))
    finally:
        await engine.dispose()


async def downgrade(dsn: str, service: str, revision: str) -> None:
    engine = create_engine(dsn)

    def run(connection) -> None:
        cfg = alembic_config(dsn, migrations_of(service))
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", sorted(CHAIN_END_FUNCTION_MIGRATION))
async def test_A20_the_chain_end_function_migration_continues_the_chain_of_an_existing_database(
    database, service
):
    """On a database of the release before (acts linked with the lock and a read of their own), the
    migration creates audit_chain_end(); the acts record_act links through it continue the same chain,
    and the whole chain verifies. Its downgrade drops the function."""
    revision = CHAIN_END_FUNCTION_MIGRATION[service]
    before = f"{int(revision) - 1:04d}"
    await run_migrations(database, migrations_of(service), before)
    assert not await chain_end_function_exists(database)
    await link_as_before_the_function(database, 3)
    await run_migrations(database, migrations_of(service))
    assert await chain_end_function_exists(database)
    await record_concurrently(database, 6)
    assert (await audit_chain.verify_database(database)) == (9, None)
    await downgrade(database, service, before)
    assert not await chain_end_function_exists(database)


async def test_A20_a_row_altered_by_a_superuser_is_named_by_verify(database):
    await run_migrations(database, migrations_of("org"))
    await record_concurrently(database, 5)
    await as_superuser(database, "UPDATE audit_record SET reason = '改过了' WHERE chain_seq = 3")
    count, broken = await audit_chain.verify_database(database)
    assert count == 5 and broken.seq == 3 and "altered" in broken.problem
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.audit",
        "verify",
        "--service",
        "org",
        "--database-url",
        database,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await command.communicate()
    assert command.returncode == 1 and "org: broken chain at act #3" in err.decode()


async def test_A20_a_deleted_act_and_a_slipped_in_act_break_the_chain(database):
    await run_migrations(database, migrations_of("org"))
    await record_concurrently(database, 4)
    await as_superuser(database, "DELETE FROM audit_record WHERE chain_seq = 2")
    assert (await audit_chain.verify_database(database))[1].seq == 3  # act #2 missing before #3
    await as_superuser(database, "DELETE FROM audit_record")
    await record_concurrently(database, 2)
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_record (id, subject_ref, act, actor, reason) "
                    "VALUES (gen_random_uuid(), 'leave/x', 'leave.approved', '{}', '')"
                )
            )
    finally:
        await engine.dispose()
    broken = (await audit_chain.verify_database(database))[1]
    assert broken.seq is None and "outside record_act" in broken.problem


async def test_A20_sm3_when_the_operator_chooses_it_and_the_chain_survives_the_switch(database, monkeypatch):
    await run_migrations(database, migrations_of("org"))
    await record_concurrently(database, 2)
    monkeypatch.setenv(audit_chain.ALGORITHM_ENV, "sm3")
    await record_concurrently(database, 2)
    engine = create_engine(database)
    try:
        async with engine.connect() as conn:
            used = (
                (await conn.execute(sa.text("SELECT chain_algorithm FROM audit_record ORDER BY chain_seq")))
                .scalars()
                .all()
            )
    finally:
        await engine.dispose()
    assert used == ["sha256", "sha256", "sm3", "sm3"]
    assert (await audit_chain.verify_database(database)) == (4, None)


async def test_A20_the_migration_links_acts_recorded_before_it(database):
    await run_migrations(database, migrations_of("org"), "0003")
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            for n in range(3):
                await conn.execute(
                    sa.text(
                        "INSERT INTO audit_record (id, subject_ref, act, actor, reason) "
                        f"VALUES (gen_random_uuid(), 'leave/{n}', 'leave.requested', '{{\"username\": \"u\"}}', '')"
                    )
                )
    finally:
        await engine.dispose()
    await run_migrations(database, migrations_of("org"))
    await record_concurrently(database, 2)
    assert (await audit_chain.verify_database(database)) == (5, None)
