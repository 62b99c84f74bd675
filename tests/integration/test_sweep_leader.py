"""Two replicas' sweeps on one database: one leads (PostgreSQL advisory lock), the other skips its
rounds, and takes over on its next tick once the leader stops (shared/sweep.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from shared.db import create_engine, session_factory
from shared.sweep import SweepLeader, run_every

pytestmark = pytest.mark.integration
TICK = 0.05


async def _rounds_by(engine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT replica, count(*) FROM ticks GROUP BY replica"))).all()
    return {replica: count for replica, count in rows}


def _replica(sessions, name: str):
    async def one_round() -> int:
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO ticks (replica) VALUES (:r)"), {"r": name})
        return 1

    return asyncio.create_task(
        run_every(TICK, one_round, name="test sweep", leader=SweepLeader.of(sessions, "test.ticks"))
    )


async def _wait_for(check, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the timeout"
        await asyncio.sleep(TICK)


async def test_two_sweepers_one_database_one_round_per_tick_and_a_takeover(database):
    engines = [create_engine(database), create_engine(database)]
    try:
        async with engines[0].begin() as connection:
            await connection.execute(text("CREATE TABLE ticks (replica text NOT NULL)"))
        first = _replica(session_factory(engines[0]), "a")
        await _wait_for(lambda: _has_rounds(engines[0], "a"))
        second = _replica(session_factory(engines[1]), "b")
        await asyncio.sleep(20 * TICK)  # twenty ticks of both
        assert set(await _rounds_by(engines[0])) == {"a"}, "only the leader ran rounds"

        first.cancel()  # the leader's pod stops: it gives the lock up
        await asyncio.gather(first, return_exceptions=True)
        await _wait_for(lambda: _has_rounds(engines[0], "b"))
        before = await _rounds_by(engines[0])
        await asyncio.sleep(10 * TICK)
        after = await _rounds_by(engines[0])
        assert after["a"] == before["a"] and after["b"] > before["b"], "b leads now, a is gone"
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_leader_whose_connection_dies_is_replaced(database, postgres):
    """pg_terminate_backend ends the leader's session (a crashed pod, a cut network): its lock
    goes with it and the other replica leads from its next tick."""
    engines = [create_engine(database), create_engine(database)]
    try:
        leaders = [SweepLeader(engine, "test.crash") for engine in engines]
        assert await leaders[0].leads() and not await leaders[1].leads()
        async with engines[1].connect() as connection:
            await connection.execute(
                text(
                    # with a timeout pg_terminate_backend returns once the backend is gone (its lock goes
                    # when it exits; without one the call returned first and the next tick raced it)
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        assert await leaders[1].leads()
        assert not await leaders[0].leads()  # its connection died: it knows it no longer leads
        for leader in leaders:
            await leader.release()
    finally:
        for engine in engines:
            await engine.dispose()


async def _has_rounds(engine, replica: str) -> bool:
    return (await _rounds_by(engine)).get(replica, 0) > 0
