"""`python -m services.documents`: migrate the database, connect to NATS, serve gRPC until SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from services.documents.api import DocumentsServicer
from services.documents.config import DocumentsSettings
from services.documents.events import run_countersign_clock
from shared import bus
from shared.convert import today_in_china
from shared.db import database_ping, engine_from, run_migrations, session_factory
from shared.gbt9704 import typefaces
from shared.grpc_server import GrpcServer
from shared.logging import configure_logging
from shared.org_client import OrgClient
from shared.metrics import watch_service
from shared.outbox import OutboxRelay, outbox_channel
from shared.service_auth import ClientCredentials, StaticToken
from shared.streams import ensure_stream
from shared.telemetry import configure_telemetry, shutdown_telemetry
from shared.workdays import calendar, watch_schedules

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def build(settings: DocumentsSettings) -> GrpcServer:
    engine = engine_from(settings)
    sessions = session_factory(engine)
    # documents asks org (portfolios, who may act) with its own client-credentials token; without a
    # secret it still starts, and the calls that need org answer UNAVAILABLE with the reason.
    tokens = ClientCredentials.from_settings(settings) if settings.client_secret else StaticToken("")
    org = OrgClient(settings.org_address, tokens, ttl_seconds=settings.org_cache_seconds)
    server = GrpcServer.from_settings([DocumentsServicer(sessions, org, calendar())], settings)
    server.readiness(database_ping(engine))  # NOT_SERVING while the database is down
    state: dict = {}
    try:
        typefaces.find_faces()
    except typefaces.FontsMissing as missing:
        # Said at start for the operator; the rest of the service works, and RenderDocument answers
        # FAILED_PRECONDITION (GBT9704.fonts) with the same words until the fonts are installed.
        log.error("GB/T 9704 fonts missing: issued documents cannot be rendered", reason=str(missing))

    @server.on_startup
    async def migrate_and_connect() -> None:
        await run_migrations(settings.database_url, MIGRATIONS)
        # As its own NATS user (shared/bus.py); reconnects for ever: meanwhile events wait in the outbox.
        state["nats"] = await bus.connect(settings)
        js = state["nats"].jetstream()
        await ensure_stream(js, "documents", replicas=settings.stream_replicas)
        state["relay"] = OutboxRelay(engine, js, outbox_channel("documents"))

    @server.background
    async def relay_outbox() -> None:
        await state["relay"].run()

    @server.background
    async def sample_metrics() -> None:
        # outbox backlog and age, consumer lag, pool use (shared/metrics.py)
        await watch_service("documents", engine, state["nats"].jetstream(), state.get("consumers", []))

    @server.background
    async def countersign_clock() -> None:
        await run_countersign_clock(sessions, today_in_china, settings.countersign_clock_seconds, calendar())

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
    settings = DocumentsSettings()
    configure_logging("documents", settings.log_level)
    configure_telemetry("documents", settings.otlp_endpoint)
    asyncio.run(build(settings).serve_forever())


if __name__ == "__main__":
    main()
