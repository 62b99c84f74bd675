"""Database access for every service: SQLAlchemy 2 (async, asyncpg); migrations are shared.migrations.

Rules this module encodes:
- The caller owns the transaction (事务归调用方): an RPC handler or an event consumer opens
  `transaction(sessions)`; service and store functions only add, query and flush, never commit.
  So a state change and the outbox event announcing it commit together or not at all.
- A read that changes nothing needs no transaction: `await read(engine, store.fn, ...)` runs
  Core selects on an AUTOCOMMIT connection (no BEGIN/COMMIT round trips), and runs once more on
  a fresh connection when the pooled one turned out to be dead. The hottest reads compile their
  Core select once (`DriverQuery`) and `fetch` it on the asyncpg connection itself.
- A pooled connection is not pinged before each use (a round trip per checkout). The pool drops
  connections whose socket the server has closed (a restart, pg_terminate_backend) when they are
  checked out, recycles connections after an hour, and a disconnect met during a statement
  invalidates the whole pool (SQLAlchemy's error-driven invalidation).
- Constraint and index names come from one naming convention, so autogenerate compares stable
  names and migrations can drop what they created.
"""

from __future__ import annotations

import asyncio
import logging
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import MetaData, event, exc, text
from sqlalchemy.dialects.postgresql import asyncpg as _asyncpg_dialect_module
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.util import greenlet_spawn

log = logging.getLogger(__name__)
T = TypeVar("T")
_ASYNCPG_DIALECT = _asyncpg_dialect_module.dialect()

# Stable names for every constraint and index (see module docstring).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """A fresh MetaData with the platform's naming convention, one per service."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def declarative_base(metadata: MetaData | None = None) -> type[DeclarativeBase]:
    """A declarative Base class for one service's models, bound to its own MetaData.

    Base = declarative_base()
    class Leave(Base): __tablename__ = "leave"; ...
    """
    md = metadata if metadata is not None else make_metadata()
    return type("Base", (DeclarativeBase,), {"metadata": md})


# Pooled connections older than this are replaced at checkout (idle timeouts of servers and firewalls).
POOL_RECYCLE_SECONDS = 3600
# Connections kept open between bursts. SQLAlchemy closes an overflow connection (one beyond
# pool_size) as soon as it is returned, so a service whose concurrent statements often exceed
# pool_size opens and authenticates a new backend (SCRAM, a forked server process: milliseconds
# of CPU on both sides) for every call of a burst — measured at 500 reads/s as 46 new sessions in
# 5 s with the default of 5, and the latency spikes that come with them. Ten kept, and a few more
# only for rare peaks; beyond that a call waits for a free connection, which is cheaper than
# opening one. Six services × 15 stay well under PostgreSQL's max_connections (300 locally).
# These are the defaults of ZGOV_DB_POOL_SIZE and ZGOV_DB_POOL_OVERFLOW (`engine_from`): with
# several replicas the budget is replicas × (size + overflow + 1 for the sweep leader) per
# service; charts/zgov/README.md has the table and the PgBouncer option.
POOL_SIZE = 10
POOL_MAX_OVERFLOW = 5


def create_engine(dsn: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for a `postgresql+asyncpg://` DSN that survives a restarted database server.

    Not with pool_pre_ping: that costs three round trips (BEGIN, a ping, ROLLBACK) per checkout,
    more than a small read itself. Instead a checked-out connection whose socket the server has
    closed is replaced without a round trip (see `_drop_closed_connections`), connections are
    recycled hourly, and a disconnect met mid-statement invalidates the pool; `read` retries once.
    """
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_MAX_OVERFLOW)
    engine = create_async_engine(dsn, **kwargs)
    event.listen(engine.sync_engine, "checkout", _drop_closed_connections)
    return engine


def engine_from(settings: Any, **kwargs: Any) -> AsyncEngine:
    """The service's engine sized by its settings (ZGOV_DB_POOL_SIZE, ZGOV_DB_POOL_OVERFLOW), with
    asyncpg's prepared statements off when ZGOV_DB_STATEMENT_CACHE=false (behind PgBouncer in
    transaction mode, where consecutive transactions may run on different server connections)."""
    kwargs.setdefault("pool_size", settings.db_pool_size)
    kwargs.setdefault("max_overflow", settings.db_pool_overflow)
    if not settings.db_statement_cache:
        kwargs.setdefault("connect_args", {"statement_cache_size": 0, "prepared_statement_cache_size": 0})
    return create_engine(settings.database_url, **kwargs)


def _drop_closed_connections(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """Pool checkout hook: refuse a connection the server has closed, so the pool opens a new one.

    A restart or pg_terminate_backend ends the backend, which closes the socket; asyncpg sees the end
    of the stream on the event loop while the connection sits in the pool, and marks it closed.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the database server closed this pooled connection")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (the RPC maps them to a reply then)."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The one place a transaction is opened and committed: by the RPC handler or the consumer.

    async with transaction(sessions) as session:
        leave = await store.approve_leave(session, ...)
        await add_event(session, "org.leave.approved", event, f"leave/{leave.id}", actor)
    # committed here; rolled back if the block raised
    """
    async with sessions() as session:
        async with session.begin():
            yield session


async def fill_pool(engine: AsyncEngine, connections: int | None = None) -> None:
    """Open `connections` pooled connections now (at start), not during the first burst of calls.

    A new connection is a new PostgreSQL session (TCP, authentication, a forked backend): opened
    under load, the calls that wait for it wait milliseconds each. Measured on org at 500 reads/s:
    the first read measured opened 13 connections in its 5 s and had a p99 of 150 ms, the same read
    measured second (pool grown) 30 ms.
    """
    count = connections if connections is not None else engine.pool.size()  # the configured size
    opened = await asyncio.gather(*(engine.connect() for _ in range(count)))
    for connection in opened:
        await connection.close()  # back to the pool, which keeps up to its size


def database_ping(engine: AsyncEngine) -> Callable[[], Awaitable[None]]:
    """A readiness probe for GrpcServer.readiness: raises while the database cannot be reached."""

    async def database_reachable() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return database_reachable


# What a store's Core selects run on: a write transaction's session, or a `read_only` connection.
Db = AsyncSession | AsyncConnection


@asynccontextmanager
async def read_only(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection in AUTOCOMMIT for Core selects: no BEGIN and COMMIT round trips.

    Each statement sees the data committed when it starts, as in a READ COMMITTED transaction.
    Only for reads: nothing written here would be undone if a later step failed.
    """
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


async def read(engine: AsyncEngine, query: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """`await query(connection, *args, **kwargs)` on a `read_only` connection; once more on a fresh
    connection when the first died under it (the server restarted between checkout and statement).

        absences = await read(engine, store.approved_absences_on, day)

    `query` must only read: it may run twice.
    """
    try:
        async with read_only(engine) as connection:
            return await query(connection, *args, **kwargs)
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("database connection lost during a read; reading again on a new connection")
    async with read_only(engine) as connection:
        return await query(connection, *args, **kwargs)


class DriverQuery:
    """A Core select compiled once for asyncpg, run by `fetch` on the driver itself.

    For the hottest reads: SQLAlchemy's per-statement work (connection object, result processing,
    greenlet hops) costs several times the query on a small read (~1 ms against ~0.3 ms of CPU
    on this machine under load). Values go to asyncpg as they are (str, int, date, datetime,
    UUID); rows come back as named tuples with the selected columns' names as attributes, like
    SQLAlchemy's rows, so the same mapping code reads both.

        ABSENT_ON = DriverQuery(select(LEAVE).where(LEAVE.c.first_day <= bindparam("day"), ...))
        rows = await fetch(engine, ABSENT_ON, day=day)
    """

    def __init__(self, statement: Any):
        compiled = statement.compile(dialect=_ASYNCPG_DIALECT)
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._literals: dict[str, Any] = dict(compiled.params)  # values fixed in the statement
        self.row = namedtuple("Row", [c.key for c in statement.selected_columns], rename=True)

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        merged = {**self._literals, **values}
        return [merged[name] for name in self._names]


async def fetch(engine: AsyncEngine, query: DriverQuery, **values: Any) -> list:
    """The rows of `query` on a pooled connection, outside any transaction (asyncpg autocommits a
    lone statement); once more on a new connection when the first died under it."""
    try:
        return await _fetch_once(engine, query, values)
    except _ConnectionDied:
        log.warning("database connection lost during a read; reading again on a new connection")
    return await _fetch_once(engine, query, values)


class _ConnectionDied(Exception):
    pass


async def _fetch_once(engine: AsyncEngine, query: DriverQuery, values: dict[str, Any]) -> list:
    # Checkout and checkin run in SQLAlchemy's greenlet, as its own async API does (a checkin may
    # close a connection the pool has no room for); the statement runs on asyncpg directly.
    pooled = await engine.raw_connection()  # through the checkout hook (_drop_closed_connections)
    driver = pooled.driver_connection
    try:
        records = await driver.fetch(query.sql, *query.arguments(values))
    except Exception as error:
        if not driver.is_closed():  # e.g. a bad statement: the connection itself is fine
            await greenlet_spawn(pooled.close)
            raise
        pooled.invalidate(error)  # dropped, not back into the pool (no IO: it is closed already)
        raise _ConnectionDied() from error
    except BaseException:  # cancelled mid-statement: the connection's state is unknown, drop it
        pooled.invalidate()
        raise
    await greenlet_spawn(pooled.close)  # back to the pool; nothing to roll back, no transaction began
    return [query.row(*record) for record in records]
