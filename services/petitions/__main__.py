"""`python -m services.petitions`: migrate the database, connect to NATS, serve gRPC until SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path


from services.petitions import domain
from services.petitions.acts.reconsiderations import Context as ReconsiderationContext
from services.petitions.api import PetitionsServicer
from services.petitions.api_reconsiderations import ReconsiderationServicer
from services.petitions.config import PetitionsSettings
from services.petitions.domain_reconsiderations import ReconsiderationLimits
from services.petitions.events import run_overdue_sweep
from services.petitions.sweep_reconsiderations import run_sweep as run_reconsideration_sweep
from shared import bus, words
from shared.convert import today_in_china
from shared.db import create_engine, database_ping, run_migrations, session_factory
from shared.grpc_server import GrpcServer
from shared.logging import configure_logging
from shared.org_client import OrgClient
from shared.outbox import OutboxRelay, outbox_channel
from shared.service_auth import ClientCredentials
from shared.streams import ensure_stream
from shared.telemetry import configure_telemetry, shutdown_telemetry
from shared.workdays import calendar, watch_schedules

MIGRATIONS = Path(__file__).parent / "migrations"
# An intake carries its files (at most 20 MiB in all) with up to 20 000 characters of text and the
# petitioners; GetAttachment answers with one file (at most 10 MiB). gRPC's default is 4 MiB.
MAX_RECEIVE_BYTES = domain.MAX_ATTACHMENTS_TOTAL_BYTES + 4 * domain.MIB
MAX_SEND_BYTES = domain.MAX_ATTACHMENT_BYTES + 4 * domain.MIB
GRPC_OPTIONS = (("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
                ("grpc.max_send_message_length", MAX_SEND_BYTES))


def build(settings: PetitionsSettings) -> GrpcServer:
    # A71, A80: a failing statement must not put a petitioner's data into the logs.
    engine = create_engine(settings.database_url, hide_parameters=True)
    sessions = session_factory(engine)
    tokens = ClientCredentials.from_settings(settings) if settings.client_secret else None
    org = OrgClient(settings.org_address, tokens, ttl_seconds=settings.org_cache_seconds)
    servicer = PetitionsServicer(
        sessions, calendar(), bureau_organisation_code=settings.bureau_organisation_code,
        person_key_secret=settings.person_key(), org=org, routes_above=settings.routes_above,
    )
    limits = (ReconsiderationLimits.from_file(settings.reconsideration_limits_file)
              if settings.reconsideration_limits_file else ReconsiderationLimits())
    reconsiderations = ReconsiderationServicer(sessions, calendar(), limits, org,
                                               settings.reconsideration_office_code)
    server = GrpcServer.from_settings([servicer, reconsiderations], settings, options=GRPC_OPTIONS)
    server.readiness(database_ping(engine))  # NOT_SERVING while the database is down
    words.initialize()  # jieba's dictionary, loaded before the first intake or search
    state: dict = {}

    @server.on_startup
    async def migrate_and_connect() -> None:
        await run_migrations(settings.database_url, MIGRATIONS)
        # As its own NATS user (shared/bus.py); reconnects for ever: meanwhile events wait in the outbox.
        state["nats"] = await bus.connect(settings)
        js = state["nats"].jetstream()
        await ensure_stream(js, "petitions")
        state["relay"] = OutboxRelay(engine, js, outbox_channel("petitions"))

    @server.background
    async def relay_outbox() -> None:
        await state["relay"].run()

    @server.background
    async def overdue_sweep() -> None:
        await run_overdue_sweep(sessions, today_in_china, settings.bureau_organisation_code,
                                settings.overdue_sweep_seconds, settings.overdue_sweep_batch, calendar())

    @server.background
    async def reconsideration_sweep() -> None:
        def context() -> ReconsiderationContext:
            return ReconsiderationContext(calendar(), limits, today_in_china(), settings.reconsideration_office_code)

        await run_reconsideration_sweep(sessions, context, settings.reconsideration_sweep_seconds,
                                        settings.overdue_sweep_batch)

    @server.background
    async def follow_holiday_schedules() -> None:
        await watch_schedules(settings.calendar_dir)

    @server.on_shutdown
    async def disconnect() -> None:
        if "nats" in state:
            await state["nats"].drain()
        await org.close()
        await engine.dispose()
        shutdown_telemetry()

    return server


def main() -> None:
    settings = PetitionsSettings()
    configure_logging("petitions", settings.log_level)
    configure_telemetry("petitions", settings.otlp_endpoint)
    asyncio.run(build(settings).serve_forever())


if __name__ == "__main__":
    main()
