"""Background sweeps (定时巡检): do a round of work every so often for as long as the service runs.

The acting clock, the countersign clock, the petitions' overdue sweep and disclosure's lapse and
concern sweeps all have the same shape; each keeps its own round (transactions and log lines) and
leaves the repeating to `run_every`:

    async def one_round() -> int:
        async with transaction(sessions) as session:
            written = await emit_overdue_events(session, today(), bureau_code, batch)
        if written:
            log.info("overdue events written", count=written)
        return written

    await run_every(interval, one_round, name="overdue sweep", batch=batch,
                    leader=SweepLeader.of(sessions, "petitions.overdue"))

With several replicas (副本) every pod runs the same loop. The rounds stay correct without help
(they lock the rows they change), but N replicas would poll the database and Keycloak N times per
tick. A `SweepLeader` makes one replica the leader (领头副本) of a sweep by a PostgreSQL
session advisory lock held on one connection: the others skip their rounds and try to take the
lock on every tick, so when the leader's pod stops (its connection closes, the lock with it) the
next tick of another replica takes over. Advisory locks belong to one database, so each service's
sweeps elect their leaders among that service's replicas only.

A session lock needs a session: behind PgBouncer in transaction mode set ZGOV_LEADER_DATABASE_URL
to a direct address of PostgreSQL (charts/zgov/README.md); the leader then holds one connection
there per sweep.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy import exc, pool, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared import metrics

__all__ = ["SweepLeader", "run_every"]

log = structlog.get_logger(__name__)
_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtext(:key))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtext(:key))")

# How long giving the lock up at shutdown may take before the connection is dropped instead. Not a
# guess at what the statement needs: pg_advisory_unlock waits on no other lock, so a live connection
# answers within one round trip (milliseconds; tens on a loaded CI host), and one that has not answered
# within a second will not (a statement the cancelled round left in flight, a dead network). Dropping
# it frees the lock as surely (PostgreSQL ends the session, and its locks, with the socket), so waiting
# longer buys nothing. What the bound guards is the drain. It runs after the server's own drain
# (GrpcServer: drain_delay + stop_grace, 1 + 10 s; the portal: uvicorn's GRACEFUL_SHUTDOWN_SECONDS,
# 20 s) within the pod's terminationGracePeriodSeconds less its preStop pause (30 - 5 s by default,
# charts/zgov/values.yaml): 14 s left for a gRPC service's releases (concurrent, one per sweep) and
# shutdown hooks, 5 s for the portal's; the former 5 s bound alone could spend all of the portal's.
# tests/deploy/test_chart.py checks that what is left stays at least twice this bound.
RELEASE_SECONDS = 1.0


class SweepLeader:
    """Whether this replica leads the sweep `name`: it holds the advisory lock 'zgov.sweep.<name>'
    on a connection of its own for as long as it leads."""

    def __init__(self, engine: AsyncEngine, name: str):
        self.engine = engine
        self.name = name
        self.key = f"zgov.sweep.{name}"
        self._held: AsyncConnection | None = None

    @classmethod
    def of(cls, sessions: async_sessionmaker[AsyncSession], name: str) -> SweepLeader:
        """The leader election of a service's sweep, on the database its sessions use (or on
        ZGOV_LEADER_DATABASE_URL, a direct address when the service goes through PgBouncer)."""
        direct = os.environ.get("ZGOV_LEADER_DATABASE_URL", "")
        engine = create_async_engine(direct, poolclass=pool.NullPool) if direct else sessions.kw["bind"]
        return cls(engine, name)

    async def leads(self) -> bool:
        """True when this replica holds the lock, taking it when it is free."""
        if self._held is not None:
            try:
                await self._held.execute(text("SELECT 1"))  # the session, and so the lock, lives
                return True
            except exc.DBAPIError:
                log.warning("sweep leader lost its connection", sweep=self.name)
                await self._forget()
        connection = await self.engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            taken = (await connection.execute(_TRY_LOCK, {"key": self.key})).scalar()
        except BaseException:
            await connection.invalidate()
            raise
        if not taken:
            await connection.close()  # held nothing: back to the pool
            return False
        log.info("this replica leads the sweep", sweep=self.name)
        self._held = connection
        return True

    async def release(self) -> None:
        """Give the lock up (at shutdown), so another replica leads from its next tick."""
        if self._held is None:
            return
        try:
            # Bounded: a drain must not wait on a connection the cancelled round left mid-statement
            # (seen as servers that did not stop within 30 s in the tests); closing it drops the lock too.
            async with asyncio.timeout(RELEASE_SECONDS):
                await self._held.execute(_UNLOCK, {"key": self.key})
                await self._held.close()
        except (exc.DBAPIError, exc.InterfaceError, TimeoutError):
            await self._forget()
        self._held = None

    async def _forget(self) -> None:
        # Closed, not returned: a pooled connection would carry the session lock to its next user.
        try:
            await self._held.invalidate()
        except Exception:  # noqa: BLE001 — the connection is gone either way
            pass
        self._held = None


async def run_every(
    interval: float,
    round: Callable[[], Awaitable[int]],
    *,
    name: str,
    batch: int | None = None,
    leader: SweepLeader | None = None,
) -> None:
    """Run `round` again and again, `interval` seconds apart, until the task is cancelled.

    `round` does one round's work and returns how many items it handled. With `batch`, a round
    that handled at least `batch` items is followed at once by the next one, so a backlog drains
    without waiting `interval` between full batches.

    A round that raises is logged as "<name> round failed; retrying next round" and the next round
    runs after `interval`: a sweep keeps going through a database or Keycloak outage instead of
    dying silently in the background. Cancelling the task (the server's drain at shutdown) ends the
    loop: asyncio.CancelledError is not an Exception and propagates.

    With `leader`, a round runs only in the replica that leads (see the module docstring); the
    lock is given up when the loop ends.
    """
    try:
        while True:
            handled = await _one_round(round, name, leader)
            if batch is None or handled < batch:
                await asyncio.sleep(interval)
    finally:
        if leader is not None:
            await leader.release()


async def _one_round(round: Callable[[], Awaitable[int]], name: str, leader: SweepLeader | None) -> int:
    try:
        if leader is not None and not await leader.leads():
            return 0
        started = time.perf_counter()
        handled = await round()
        metrics.sweep_round(name, time.perf_counter() - started, handled)
        return handled
    except Exception:  # keep the sweep alive; the next round may find the database back
        log.exception(f"{name} round failed; retrying next round")
        return 0
