"""shared.db's read path against a real PostgreSQL: AUTOCOMMIT reads without a transaction, reads
compiled once and run on the driver (fetch), and recovery without pool pre-ping when the server
ends the pool's connections (pg_terminate_backend, a restart)."""

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, literal_column, select, text

from shared.db import (
    DriverQuery,
    create_engine,
    fetch,
    fill_pool,
    read,
    read_only,
    session_factory,
    transaction,
)
from tests.fixtures.servers import stop_fast

pytestmark = pytest.mark.integration


async def backend_pid(connection) -> int:
    return await connection.scalar(text("SELECT pg_backend_pid()"))


async def terminate_all_but_me(engine) -> int:
    """pg_terminate_backend of every other session of this database; how many were ended."""
    async with engine.connect() as admin:
        await admin.execution_options(isolation_level="AUTOCOMMIT")
        ended = await admin.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await asyncio.sleep(0.2)  # the backends exit and close their sockets
    return ended


async def test_read_only_runs_outside_any_transaction(database):
    engine = create_engine(database)
    try:
        async with read_only(engine) as connection:
            # now() is the start of the transaction: inside BEGIN ... COMMIT both statements would
            # see the same; in AUTOCOMMIT each statement is a transaction of its own.
            first = await connection.scalar(text("SELECT now()"))
            await asyncio.sleep(0.01)
            second = await connection.scalar(text("SELECT now()"))
        assert second > first
    finally:
        await engine.dispose()


async def test_reads_and_writes_recover_after_pg_terminate_backend_of_the_pooled_connections(database):
    engine, admin = create_engine(database, pool_size=3), create_engine(database)
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as session:
            await session.execute(text("CREATE TABLE note (id int PRIMARY KEY, body text)"))
            await session.execute(text("INSERT INTO note VALUES (1, 'before')"))

        async def body(connection, note_id: int) -> str:
            return await connection.scalar(text("SELECT body FROM note WHERE id = :id"), {"id": note_id})

        # Three connections into the pool, all then ended by the server.
        held = await asyncio.gather(*(read(engine, backend_pid) for _ in range(3)))
        assert await read(engine, body, 1) == "before"
        assert await terminate_all_but_me(admin) >= 1

        # A write first: a transaction is not repeated, so it must get a live connection at checkout.
        async with transaction(sessions) as session:
            await session.execute(text("INSERT INTO note VALUES (2, 'after')"))
        assert await read(engine, body, 2) == "after"
        assert await read(engine, backend_pid) not in held
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_read_runs_again_on_a_new_connection_when_its_connection_dies_mid_read(database):
    """The pooled connection passed the checkout check but the server ended it before the statement:
    forced here by the read ending its own backend the first time."""
    engine = create_engine(database)
    attempts: list[int] = []

    async def answer(connection) -> int:
        attempts.append(await backend_pid(connection))
        if len(attempts) == 1:
            await connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return 42

    try:
        assert await read(engine, answer) == 42
        assert len(attempts) == 2 and attempts[0] != attempts[1]
    finally:
        await engine.dispose()


async def test_a_read_that_fails_for_another_reason_is_not_repeated(database):
    engine = create_engine(database)
    attempts = []

    async def bad(connection):
        attempts.append(1)
        await connection.execute(text("SELECT * FROM no_such_table"))

    try:
        with pytest.raises(Exception, match="no_such_table"):
            await read(engine, bad)
        assert attempts == [1]
    finally:
        await engine.dispose()


async def test_reads_recover_after_the_database_server_restarts(own_postgres):
    engine = create_engine(own_postgres.ensure_database("restarted"), pool_size=2)
    try:
        before = await read(engine, backend_pid)
        await asyncio.to_thread(stop_fast, own_postgres)
        await asyncio.to_thread(own_postgres.start)
        await asyncio.sleep(0.2)
        after = await read(engine, backend_pid)
        assert after != before
    finally:
        await engine.dispose()


# ---- fetch: a Core select compiled once and run on the driver ------------------------------------------

NOTE = Table(
    "note", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text), Column("kind", Text)
)
NOTES_OF_KIND = DriverQuery(
    select(NOTE.c.id, NOTE.c.body)
    .where(NOTE.c.kind == "plain", NOTE.c.id >= bindparam("from_id"))
    .order_by(NOTE.c.id)
)


async def make_notes(engine) -> None:
    async with transaction(session_factory(engine)) as session:
        await session.execute(text("CREATE TABLE note (id int PRIMARY KEY, body text, kind text)"))
        await session.execute(
            text("INSERT INTO note VALUES (1, 'a', 'plain'), (2, 'b', 'plain'), (3, 'c', 'secret')")
        )


async def test_fetch_binds_the_values_and_the_statements_own_literals_and_names_the_columns(database):
    engine = create_engine(database)
    try:
        await make_notes(engine)
        rows = await fetch(engine, NOTES_OF_KIND, from_id=2)
        assert [(r.id, r.body) for r in rows] == [(2, "b")]
        assert await fetch(engine, NOTES_OF_KIND, from_id=1) == await fetch(engine, NOTES_OF_KIND, from_id=1)
    finally:
        await engine.dispose()


async def test_fetch_recovers_after_pg_terminate_backend_and_after_its_connection_dies_mid_statement(
    database,
):
    engine, admin = create_engine(database, pool_size=2), create_engine(database)
    try:
        await make_notes(engine)
        assert len(await fetch(engine, NOTES_OF_KIND, from_id=1)) == 2
        assert await terminate_all_but_me(admin) >= 1
        assert len(await fetch(engine, NOTES_OF_KIND, from_id=1)) == 2

        # The first run ends its own backend (a sequence says which run it is): the read runs again.
        async with engine.begin() as connection:
            await connection.execute(text("CREATE SEQUENCE run"))
        dies_once = DriverQuery(
            select(
                literal_column(
                    "CASE WHEN nextval('run') = 1 THEN pg_terminate_backend(pg_backend_pid()) END"
                ).label("ended")
            )
        )
        assert [r.ended for r in await fetch(engine, dies_once)] == [None]
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_fetch_of_a_bad_statement_is_not_repeated_and_leaves_the_pool_usable(database):
    engine = create_engine(database, pool_size=1, max_overflow=0)
    try:
        await make_notes(engine)
        with pytest.raises(Exception, match="no_such_table"):
            await fetch(engine, DriverQuery(select(text("x FROM no_such_table"))))
        assert len(await fetch(engine, NOTES_OF_KIND, from_id=1)) == 2  # the one connection is back
    finally:
        await engine.dispose()


async def sessions_of_database(admin) -> set[int]:
    async with read_only(admin) as connection:
        rows = await connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return {row.pid for row in rows}


async def test_fill_pool_opens_the_connections_at_start_so_a_burst_opens_none(database):
    engine, admin = create_engine(database), create_engine(database, pool_size=1)
    try:
        await fill_pool(engine, 6)
        assert engine.pool.checkedin() == 6
        open_before = await sessions_of_database(admin)

        async def pid_after_a_moment(connection) -> int:
            await connection.execute(text("SELECT pg_sleep(0.1)"))  # six at once: six connections
            return await backend_pid(connection)

        used = await asyncio.gather(*(read(engine, pid_after_a_moment) for _ in range(6)))
        assert len(set(used)) == 6
        assert set(used) <= open_before  # every one of them opened by fill_pool, none during the burst
    finally:
        await engine.dispose()
        await admin.dispose()
