"""Database access for every service: SQLAlchemy 2 (async, asyncpg) and Alembic migrations.

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
- Each service owns its database and its Alembic migrations (services/<name>/migrations),
  applied on start with `run_migrations`. A service's migrations/env.py is three lines:

      from services.org.models import metadata
      from shared.db import alembic_env
      alembic_env(metadata)

- Test databases are never built with `create_all`: a service's test runs every migration on an
  empty database and asserts `await pending_autogenerate_changes(...) == []`.
- Constraint and index names come from one naming convention, so autogenerate compares stable
  names and migrations can drop what they created.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, event, exc, pool, text
from sqlalchemy.dialects.postgresql import asyncpg as _asyncpg_dialect_module
from sqlalchemy.engine import Connection
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

# Two replicas starting together must not both run the same migration.
_MIGRATION_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtext('zgov.alembic'))")
# The oldest revision of code that may still run against this schema (expand/contract, below).
SCHEMA_FLOOR_TABLE = "zgov_schema_floor"


class SchemaNewerThanCode(RuntimeError):
    """The database was migrated by a newer release whose schema this code cannot use."""


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


# ---- Alembic -----------------------------------------------------------------------------------


def alembic_config(dsn: str, migrations_dir: str | os.PathLike[str]) -> Config:
    """A programmatic Alembic Config: no alembic.ini, script_location = the service's migrations folder.

    The DSN travels in `attributes` (not the ini option) so a '%' in a password needs no escaping.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations_dir).resolve()))
    cfg.attributes["dsn"] = dsn
    return cfg


async def run_migrations(dsn: str, migrations_dir: str | os.PathLike[str], revision: str = "head") -> None:
    """Upgrade the service's database to `revision` (head on start). Safe with concurrent starters.

    A database already migrated by a newer release (a rollback of the code, docs/design.md
    "Migrations: expand, then contract") is left as it is when its schema floor allows this code,
    and refused with SchemaNewerThanCode otherwise.
    """
    cfg = alembic_config(dsn, migrations_dir)
    engine = create_async_engine(dsn, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(_MIGRATION_LOCK_SQL)
            await conn.run_sync(_upgrade_on, cfg, revision)
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, cfg: Config, revision: str) -> None:
    cfg.attributes["connection"] = connection
    script = ScriptDirectory.from_config(cfg)
    current = MigrationContext.configure(connection).get_current_heads()
    unknown = [r for r in current if not _knows(script, r)]
    if unknown:
        _check_newer_schema(connection, script, unknown)
        return
    command.upgrade(cfg, revision)


def _knows(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # noqa: BLE001 — alembic raises several kinds for an unknown id
        return False


def _check_newer_schema(connection: Connection, script: ScriptDirectory, unknown: list[str]) -> None:
    """Start on a newer schema when its floor (the oldest code it still serves) is one we know."""
    floor = schema_floor(connection)
    if floor is not None and not _knows(script, floor):
        raise SchemaNewerThanCode(
            f"the database is at revision {', '.join(unknown)}, which needs code at revision {floor} or "
            f"newer; this code's head is {script.get_current_head()}: deploy a newer release"
        )
    log.warning(
        "database at revision %s, newer than this code (head %s); compatible (schema floor %s): "
        "starting without migrating",
        ", ".join(unknown),
        script.get_current_head(),
        floor or "none",
    )


def schema_floor(connection: Connection) -> str | None:
    exists = connection.execute(text("SELECT to_regclass(:t)"), {"t": SCHEMA_FLOOR_TABLE}).scalar()
    if exists is None:
        return None
    return connection.execute(text(f"SELECT revision FROM {SCHEMA_FLOOR_TABLE}")).scalar()


def require_code_at_least(op: Any, revision: str) -> None:
    """In a contract migration's upgrade(): code older than `revision` can no longer run on this
    schema (it reads what this migration drops or renames). Such code then refuses to start with
    a clear message instead of failing on its first query. An expand migration never calls this.

        def upgrade() -> None:
            op.drop_column("leaves", "old_state")
            require_code_at_least(op, "0007")   # 0007 stopped reading old_state
    """
    op.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_FLOOR_TABLE} (revision text NOT NULL)")
    op.execute(f"DELETE FROM {SCHEMA_FLOOR_TABLE}")
    op.execute(text(f"INSERT INTO {SCHEMA_FLOOR_TABLE} (revision) VALUES (:r)").bindparams(r=revision))


async def pending_autogenerate_changes(
    dsn: str, migrations_dir: str | os.PathLike[str], metadata: MetaData
) -> list:
    """Apply every migration to the (empty) database at `dsn`, then return what autogenerate would
    still add: an empty list means the migrations and the models agree."""
    await run_migrations(dsn, migrations_dir)
    engine = create_async_engine(dsn, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff, metadata)
    finally:
        await engine.dispose()


def _diff(connection: Connection, metadata: MetaData) -> list:
    context = MigrationContext.configure(connection, opts=_compare_options())
    return compare_metadata(context, metadata)


def _compare_options() -> dict[str, Any]:
    # server defaults too: a default added in a model but missing in a migration is drift
    return {"compare_type": True, "compare_server_default": True}


def alembic_env(target_metadata: MetaData, *, include_object: Callable[..., bool] | None = None) -> None:
    """The body of every service's migrations/env.py.

    Uses the connection `run_migrations` hands over; from the `alembic` command line it connects to
    `-x dsn=...`, the ini's sqlalchemy.url, or ZGOV_DATABASE_URL, in that order.
    """
    from alembic import context

    config = context.config
    options: dict[str, Any] = {"target_metadata": target_metadata, **_compare_options()}
    if include_object is not None:
        options["include_object"] = include_object

    if context.is_offline_mode():
        context.configure(
            url=_cli_dsn(config), literal_binds=True, dialect_opts={"paramstyle": "named"}, **options
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate_on(context, connection, options)
        return

    async def _online() -> None:
        engine = create_async_engine(_cli_dsn(config), poolclass=pool.NullPool)
        try:
            async with engine.begin() as conn:
                await conn.execute(_MIGRATION_LOCK_SQL)
                await conn.run_sync(lambda c: _migrate_on(context, c, options))
        finally:
            await engine.dispose()

    asyncio.run(_online())


def _migrate_on(context: Any, connection: Connection, options: dict[str, Any]) -> None:
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()


def _cli_dsn(config: Config) -> str:
    dsn = (
        config.attributes.get("dsn")
        or context_x_arg("dsn")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("ZGOV_DATABASE_URL")
    )
    if not dsn:
        raise RuntimeError(
            "No database to migrate: pass -x dsn=postgresql+asyncpg://... or set ZGOV_DATABASE_URL."
        )
    return dsn


def context_x_arg(name: str) -> str | None:
    from alembic import context

    return context.get_x_argument(as_dictionary=True).get(name)


def new_revision(dsn: str, migrations_dir: str | os.PathLike[str], message: str) -> None:
    """Autogenerate the next migration of a service against a database at head (developer helper).

    The migrations folder needs a script.py.mako (copy one from another service).
    """
    cfg = alembic_config(dsn, migrations_dir)

    async def _run() -> None:
        await run_migrations(dsn, migrations_dir)
        engine = create_async_engine(dsn, poolclass=pool.NullPool)
        try:
            async with engine.begin() as conn:

                def _revise(connection: Connection) -> None:
                    cfg.attributes["connection"] = connection
                    command.revision(cfg, message=message, autogenerate=True)

                await conn.run_sync(_revise)
        finally:
            await engine.dispose()

    asyncio.run(_run())


def main(argv: list[str] | None = None) -> None:
    """`python -m shared.db upgrade|revision <migrations_dir> [-m message] [--dsn DSN]` for developers;
    `python -m shared.db migrate <service>`: the chart's migration Job (services/<service>/migrations).

    The DSN defaults to ZGOV_DATABASE_URL; `make up` writes one per service to .run/endpoints.json.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m shared.db")
    parser.add_argument("action", choices=["upgrade", "revision", "migrate"])
    parser.add_argument("migrations_dir", help="a migrations folder; for migrate, the service's name")
    parser.add_argument("-m", "--message", default="change")
    parser.add_argument("--dsn", default=os.environ.get("ZGOV_DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.dsn:
        parser.error("give --dsn postgresql+asyncpg://... or set ZGOV_DATABASE_URL")
    if args.action == "migrate":
        logging.basicConfig(level=logging.INFO)
        service_migrations = (
            Path(__file__).resolve().parents[1] / "services" / args.migrations_dir / "migrations"
        )
        if not service_migrations.is_dir():
            parser.error(f"no migrations folder {service_migrations}")
        asyncio.run(run_migrations(args.dsn, service_migrations))
    elif args.action == "upgrade":
        asyncio.run(run_migrations(args.dsn, args.migrations_dir))
    else:
        new_revision(args.dsn, args.migrations_dir, args.message)


if __name__ == "__main__":
    main()
