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
from services.org.domain.trips import TripLimits
from services.org.events import run_acting_clock, run_trip_clock
from services.org.keycloak_events import AdminEventRecorder, keycloak_admin
from shared.db import fill_pool
from shared.grpc_server import GrpcServer
from shared.service_runtime import ServiceRuntime, run_service
from shared.workdays import calendar

MIGRATIONS = Path(__file__).parent / "migrations"
DIRECTORY_WARM_UP_SECONDS = 60.0

log = structlog.get_logger(__name__)


def build(settings: OrgSettings, directory: KeycloakDirectory | None = None) -> GrpcServer:
    """The org server. `directory`: one already read, shared by several servers in one process
    (the tests start an org per test and read Keycloak's positions and holders once per run)."""
    runtime = ServiceRuntime("org", settings, MIGRATIONS)
    if directory is None:
        secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
        directory = KeycloakDirectory(
            settings.keycloak_url,
            settings.keycloak_realm,
            settings.client_id,
            secret,
            ttl_seconds=settings.directory_ttl_seconds,
        )
    trip_limits = (
        TripLimits.from_file(settings.trip_limits_file) if settings.trip_limits_file else TripLimits()
    )

    @runtime.after_migrations
    async def fill_connections() -> None:
        await fill_pool(runtime.engine)  # "who may act" is asked on every act of the other services

    @runtime.after_migrations
    async def read_positions_and_holders() -> None:
        # Before reporting SERVING: the first read asks Keycloak some forty questions, which on a
        # busy machine outlasts a caller's deadline (other services call org with 10 s). Best
        # effort: with Keycloak away org still starts, and the first call that needs it waits.
        try:
            await asyncio.wait_for(directory.snapshot(), DIRECTORY_WARM_UP_SECONDS)
        except Exception as exc:  # noqa: BLE001 — any failure only delays the first read
            log.warning(
                "positions and holders not read from Keycloak at start; read on first use", error=repr(exc)
            )

    runtime.sweep(
        lambda: run_acting_clock(runtime.sessions, directory, today_in_china, settings.acting_clock_seconds)
    )
    # A57, A58: a trip's report or gift hand-over past its limit, announced once (supervision follows)
    runtime.sweep(lambda: run_trip_clock(runtime.sessions, today_in_china, settings.trip_clock_seconds))
    if settings.admin_events_seconds > 0:
        # Keycloak's admin events (roles granted, users changed, also in its own console) as org's acts.
        recorder = AdminEventRecorder(keycloak_admin(settings), runtime.sessions)
        runtime.sweep(lambda: recorder.run(settings.admin_events_seconds))
    return runtime.server(
        [
            OrgServicer(runtime.engine, directory, calendar()),
            ReceptionServicer(runtime.sessions),
            TripServicer(runtime.sessions, directory, trip_limits),
        ]
    )


def main() -> None:
    run_service("org", OrgSettings, build)


if __name__ == "__main__":
    main()
