"""Each service's Alembic migrations: applied on start, by the chart's Job, and checked by tests.

Rules this module encodes:
- Each service owns its database and its Alembic migrations (services/<name>/migrations),
  applied on start with `run_migrations`. A service's migrations/env.py is three lines:

      from services.org.models import metadata
      from shared.migrations import alembic_env
      alembic_env(metadata)

- Test databases are never built with `create_all`: a service's test runs every migration on an
  empty database and asserts `await pending_autogenerate_changes(...) == []`.
- Expand, then contract (docs/design.md "Migrations"): a contract migration records the oldest code
  revision that may still run on the schema (`require_code_at_least`); older code refuses to start
  on it (SchemaNewerThanCode), code that the schema's floor allows starts without migrating.

`python -m shared.migrations migrate <service>` is the chart's migration Job; `upgrade` and
`revision` are for developers (see `main`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

log = logging.getLogger(__name__)


# Two replicas starting together must not both run the same migration.
_MIGRATION_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtext('zgov.alembic'))")
# The oldest revision of code that may still run against this schema (expand/contract, below).
SCHEMA_FLOOR_TABLE = "zgov_schema_floor"


class SchemaNewerThanCode(RuntimeError):
    """The database was migrated by a newer release whose schema this code cannot use."""


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
    """`python -m shared.migrations upgrade|revision <migrations_dir> [-m message] [--dsn DSN]` for developers;
    `python -m shared.migrations migrate <service>`: the chart's migration Job (services/<service>/migrations).

    The DSN defaults to ZGOV_DATABASE_URL; `make up` writes one per service to .run/endpoints.json.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m shared.migrations")
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
