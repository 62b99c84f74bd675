"""`python -m services.meetings`: migrate the database, connect to NATS, serve gRPC and the
calendar feeds (HTTP) until SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.meetings.api import MeetingsServicer
from services.meetings.config import MeetingsSettings
from services.meetings.feed_http import FeedServer, feed_app
from shared import bus
from shared.convert import today_in_china
from shared.db import database_ping, engine_from, run_migrations, session_factory
from shared.grpc_server import GrpcServer
from shared.logging import configure_logging
from shared.org_client import OrgClient
from shared.metrics import watch_service
from shared.outbox import OutboxRelay, outbox_channel
from shared.service_auth import ClientCredentials
from shared.streams import ensure_stream
from shared.telemetry import configure_telemetry, shutdown_telemetry
from shared.workdays import calendar, watch_schedules

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: MeetingsSettings) -> GrpcServer:
    engine = engine_from(settings)
    sessions = session_factory(engine)
    # Without a client secret the service still starts; acts that need org answer UNAVAILABLE.
    tokens = ClientCredentials.from_settings(settings) if settings.client_secret else None
    org = OrgClient(settings.org_address, tokens, ttl_seconds=settings.org_cache_seconds)
    feeds = FeedServer(feed_app(sessions, today_in_china), settings.http_host, settings.http_port)
    servicer = MeetingsServicer(
        sessions, org, calendar(), feed_base_url=settings.feed_base_url or feeds.base_url
    )
    server = GrpcServer.from_settings([servicer], settings)
    server.readiness(database_ping(engine))  # NOT_SERVING while the database is down
    server.background(feeds.run)
    # Topic cut-offs (A42) are computed on demand: the calendar only has to follow new schedules.
    server.background(lambda: watch_schedules(settings.calendar_dir))
    state: dict = {}

    @server.on_startup
    async def migrate_and_connect() -> None:
        await run_migrations(settings.database_url, MIGRATIONS)
        # As its own NATS user (shared/bus.py); reconnects for ever: meanwhile events wait in the outbox.
        state["nats"] = await bus.connect(settings)
        js = state["nats"].jetstream()
        await ensure_stream(js, "meetings", replicas=settings.stream_replicas)
        state["relay"] = OutboxRelay(engine, js, outbox_channel("meetings"))

    @server.background
    async def relay_outbox() -> None:
        await state["relay"].run()

    @server.background
    async def sample_metrics() -> None:
        # outbox backlog and age, consumer lag, pool use (shared/metrics.py)
        await watch_service("meetings", engine, state["nats"].jetstream(), state.get("consumers", []))

    @server.on_shutdown
    async def disconnect() -> None:
        feeds.close()
        await org.close()
        if "nats" in state:
            await state["nats"].drain()
        await engine.dispose()
        shutdown_telemetry()

    return server


def main() -> None:
    settings = MeetingsSettings()
    configure_logging("meetings", settings.log_level)
    configure_telemetry("meetings", settings.otlp_endpoint)
    asyncio.run(build(settings).serve_forever())


if __name__ == "__main__":
    main()
