"""`python -m services.org`: migrate the database, connect to NATS, serve gRPC until SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from services.org.api import OrgServicer, today_in_china
from services.org.api_receptions import ReceptionServicer
from services.org.api_trips import TripServicer
from services.org.config import OrgSettings
from services.org.directory import KeycloakDirectory
from services.org.domain_trips import TripLimits
from services.org.events import run_acting_clock
from shared import bus
from shared.db import create_engine, database_ping, fill_pool, run_migrations, session_factory
from shared.grpc_server import GrpcServer
from shared.logging import configure_logging
from shared.outbox import OutboxRelay, outbox_channel
from shared.streams import ensure_stream
from shared.telemetry import configure_telemetry, shutdown_telemetry
from shared.workdays import calendar, watch_schedules

MIGRATIONS = Path(__file__).parent / "migrations"
DIRECTORY_WARM_UP_SECONDS = 60.0

log = structlog.get_logger(__name__)


def build(settings: OrgSettings, directory: KeycloakDirectory | None = None) -> GrpcServer:
    """The org server. `directory`: one already read, shared by several servers in one process
    (the tests start an org per test and read Keycloak's positions and holders once per run)."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    if directory is None:
        secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
        directory = KeycloakDirectory(settings.keycloak_url, settings.keycloak_realm, settings.client_id, secret,
                                      ttl_seconds=settings.directory_ttl_seconds)
    trip_limits = TripLimits.from_file(settings.trip_limits_file) if settings.trip_limits_file else TripLimits()
    servicers = [OrgServicer(engine, directory, calendar()), ReceptionServicer(sessions),
                 TripServicer(sessions, directory, trip_limits)]
    server = GrpcServer.from_settings(servicers, settings)
    server.readiness(database_ping(engine))  # NOT_SERVING while the database is down
    state: dict = {}

    @server.on_startup
    async def migrate_and_connect() -> None:
        await run_migrations(settings.database_url, MIGRATIONS)
        await fill_pool(engine)  # "who may act" is asked on every act of the other services
        # As its own NATS user (shared/bus.py); reconnects for ever: meanwhile events wait in the outbox.
        state["nats"] = await bus.connect(settings)
        js = state["nats"].jetstream()
        await ensure_stream(js, "org")
        state["relay"] = OutboxRelay(engine, js, outbox_channel("org"))

    @server.on_startup
    async def read_positions_and_holders() -> None:
        # Before reporting SERVING: the first read asks Keycloak some forty questions, which on a
        # busy machine outlasts a caller's deadline (other services call org with 10 s). Best
        # effort: with Keycloak away org still starts, and the first call that needs it waits.
        try:
            await asyncio.wait_for(directory.snapshot(), DIRECTORY_WARM_UP_SECONDS)
        except Exception as exc:  # noqa: BLE001 — any failure only delays the first read
            log.warning("positions and holders not read from Keycloak at start; read on first use", error=repr(exc))

    @server.background
    async def relay_outbox() -> None:
        await state["relay"].run()

    @server.background
    async def acting_clock() -> None:
        await run_acting_clock(sessions, directory, today_in_china, settings.acting_clock_seconds)

    @server.background
    async def follow_holiday_schedules() -> None:
        # Leave and duty-roster checks count working days on demand: the calendar only has to
        # adopt an operator's new schedule.
        await watch_schedules(settings.calendar_dir)

    @server.on_shutdown
    async def disconnect() -> None:
        if "nats" in state:
            await state["nats"].drain()
        await engine.dispose()
        shutdown_telemetry()

    return server


def main() -> None:
    settings = OrgSettings()
    configure_logging("org", settings.log_level)
    configure_telemetry("org", settings.otlp_endpoint)
    asyncio.run(build(settings).serve_forever())


if __name__ == "__main__":
    main()
