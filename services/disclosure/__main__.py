"""`python -m services.disclosure`: migrate the database, connect to NATS, consume documents' events,
serve gRPC until SIGTERM.

One process serves both sides of open government information. Each side adds its servicer with one
line in SERVICERS (a factory given the sessions and the settings), and its consumers, if any, with
one line in CONSUMERS (a factory returning (stream, durable, subject, handler) tuples):

    SERVICERS = [
        publication_servicer,       # proactive disclosure (api_publications.py)
        application_servicer,       # applications for information (api_applications.py)
    ]
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import search
from services.disclosure.api_applications import ApplicationServicer, run_lapse_sweep
from services.disclosure.api_complaints import ComplaintServicer
from services.disclosure.api_concerns import run_concern_sweep
from services.disclosure.api_publications import PublicationServicer
from services.disclosure.config import DisclosureSettings
from services.disclosure.events import DocumentsConsumer
from services.disclosure.events_supervision import SupervisionConsumer
from shared import bus
from shared.consumer import EventConsumer
from shared.convert import today_in_china
from shared.db import create_engine, database_ping, run_migrations, session_factory
from shared.grpc_server import GrpcServer
from shared.logging import configure_logging
from shared.outbox import OutboxRelay, outbox_channel
from shared.streams import ensure_stream
from shared.telemetry import configure_telemetry, shutdown_telemetry
from shared.workdays import calendar, watch_schedules

MIGRATIONS = Path(__file__).parent / "migrations"

Sessions = async_sessionmaker[AsyncSession]


def publication_servicer(sessions: Sessions, settings: DisclosureSettings) -> object:
    return PublicationServicer(sessions, calendar(), search_candidates=settings.search_candidates)


def application_servicer(sessions: Sessions, settings: DisclosureSettings) -> object:
    return ApplicationServicer(sessions, calendar())


def complaint_servicer(sessions: Sessions, settings: DisclosureSettings) -> object:
    return ComplaintServicer(sessions, calendar())


# The gRPC servicers of the service: one line per side.
SERVICERS: list[Callable[[Sessions, DisclosureSettings], object]] = [
    publication_servicer,
    application_servicer,
    complaint_servicer,  # openness complaints, A38 (api_complaints.py)
]


def documents_consumers(settings: DisclosureSettings) -> list[tuple]:
    if not settings.consume_documents:
        return []
    return DocumentsConsumer(calendar(), today_in_china).subscriptions()


def supervision_consumers(settings: DisclosureSettings) -> list[tuple]:
    if not settings.consume_supervision:
        return []
    return SupervisionConsumer(calendar(), today_in_china).subscriptions()


# The event consumers of the service: one line per side.
CONSUMERS: list[Callable[[DisclosureSettings], list[tuple]]] = [
    documents_consumers,
    supervision_consumers,
]


def build(settings: DisclosureSettings) -> GrpcServer:
    engine = create_engine(settings.database_url, hide_parameters=True)
    sessions = session_factory(engine)
    server = GrpcServer.from_settings([make(sessions, settings) for make in SERVICERS], settings)
    server.readiness(database_ping(engine))  # NOT_SERVING while the database is down
    state: dict = {"consumers": []}

    @server.on_startup
    async def migrate_and_connect() -> None:
        await run_migrations(settings.database_url, MIGRATIONS)
        # jieba's dictionary loads in about 2 s: before the port opens, not on the first search.
        await asyncio.to_thread(search.initialize)
        # As its own NATS user (shared/bus.py); reconnects for ever: meanwhile events wait in the outbox.
        state["nats"] = await bus.connect(settings)
        js = state["nats"].jetstream()
        await ensure_stream(js, "disclosure")
        state["relay"] = OutboxRelay(engine, js, outbox_channel("disclosure"))
        for subscriptions in CONSUMERS:
            for stream, durable, subject, handler in subscriptions(settings):
                state["consumers"].append(EventConsumer(js, sessions, stream, durable, subject, handler))

    @server.background
    async def relay_outbox() -> None:
        await state["relay"].run()

    @server.background
    async def lapse_applications() -> None:
        await run_lapse_sweep(sessions, interval=settings.application_sweep_seconds)

    @server.background
    async def announce_overdue_concerns() -> None:
        # A70: responses to public concerns run on clock hours, so this sweep runs more often
        await run_concern_sweep(sessions, interval=settings.concern_sweep_seconds)

    @server.background
    async def follow_holiday_schedules() -> None:
        # an operator's new schedule is adopted in place; the sweeps then recompute provisional limits
        await watch_schedules(settings.calendar_dir)

    @server.background
    async def consume() -> None:
        # Each consumer waits for its stream (the documents service may start later).
        for consumer in state["consumers"]:
            await consumer.start()
        try:
            await asyncio.Event().wait()
        finally:
            for consumer in state["consumers"]:
                await consumer.stop()

    @server.on_shutdown
    async def disconnect() -> None:
        if "nats" in state:
            await state["nats"].drain()
        await engine.dispose()
        shutdown_telemetry()

    return server


def main() -> None:
    settings = DisclosureSettings()
    configure_logging("disclosure", settings.log_level)
    configure_telemetry("disclosure", settings.otlp_endpoint)
    asyncio.run(build(settings).serve_forever())


if __name__ == "__main__":
    main()
