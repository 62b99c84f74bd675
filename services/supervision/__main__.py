"""`python -m services.supervision`: migrate the database, connect to NATS, consume the other services'
events, sweep for escalations, serve gRPC until SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.supervision.acts.people import People
from services.supervision.api import SupervisionServicer
from services.supervision.api_circulars import CircularServicer
from services.supervision.api_feeds import DeadlineFeedServicer
from services.supervision.api_performance import PerformanceServicer
from services.supervision.api_plans import InspectionPlanServicer
from services.supervision.api_proposals import ProposalServicer
from services.supervision.api_research import ResearchServicer
from services.supervision.config import SupervisionSettings
from services.supervision.consumers import EventConsumers
from services.supervision.feed_http import feed_app
from services.supervision.sweep import run_sweep
from shared import bus
from shared.consumer import EventConsumer
from shared.convert import today_in_china
from shared.feed_http import FeedServer
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


def build(settings: SupervisionSettings, today=today_in_china) -> GrpcServer:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    tokens = ClientCredentials.from_settings(settings) if settings.client_secret else None
    org = OrgClient(settings.org_address, tokens, ttl_seconds=settings.org_cache_seconds)
    people = People(org)
    limits = settings.limits()
    servicer = SupervisionServicer(sessions, calendar(), limits, people,
                                   office_organisation_code=settings.office_organisation_code, today=today)
    offices = (settings.performance_office_code, settings.office_organisation_code)
    plans = InspectionPlanServicer(sessions, settings.plan_limits(), people, offices, today)
    proposals = ProposalServicer(sessions, settings.proposal_limits(), people,
                                 office_organisation_code=settings.office_organisation_code, today=today)
    performance = PerformanceServicer(sessions, people, settings.grade_limits(), today)
    research = ResearchServicer(sessions, people, settings.research_days_per_year, today)
    circulars = CircularServicer(sessions, settings.office_organisation_code, today)
    feeds = FeedServer(feed_app(sessions), settings.http_host, settings.http_port)
    deadline_feeds = DeadlineFeedServicer(sessions, people, lambda: settings.feed_base_url or feeds.base_url)
    server = GrpcServer.from_settings(
        [servicer, plans, proposals, performance, research, circulars, deadline_feeds], settings)
    server.background(feeds.run)
    server.readiness(database_ping(engine))  # NOT_SERVING while the database is down
    state: dict = {"consumers": []}

    @server.on_startup
    async def migrate_and_connect() -> None:
        await run_migrations(settings.database_url, MIGRATIONS)
        # As its own NATS user (shared/bus.py); reconnects for ever: meanwhile events wait in the outbox.
        state["nats"] = await bus.connect(settings)
        js = state["nats"].jetstream()
        await ensure_stream(js, "supervision")
        state["relay"] = OutboxRelay(engine, js, outbox_channel("supervision"))
        if settings.consume_events:
            handlers = EventConsumers(calendar(), limits, people, today)
            for stream, durable, subject, handler in handlers.subscriptions():
                state["consumers"].append(EventConsumer(js, sessions, stream, durable, subject, handler))

    @server.background
    async def relay_outbox() -> None:
        await state["relay"].run()

    @server.background
    async def consume_events() -> None:
        for consumer in state["consumers"]:
            await consumer.start()
        try:
            await asyncio.Event().wait()
        finally:
            for consumer in state["consumers"]:
                await consumer.stop()

    @server.background
    async def escalation_sweep() -> None:
        await run_sweep(sessions, calendar(), limits, people, today, settings.sweep_seconds,
                        settings.sweep_batch, settings.research_days_per_year, settings.proposal_limits())

    @server.background
    async def follow_holiday_schedules() -> None:
        await watch_schedules(settings.calendar_dir)

    @server.on_shutdown
    async def disconnect() -> None:
        if "nats" in state:
            await state["nats"].drain()
        feeds.close()
        await org.close()
        await engine.dispose()
        shutdown_telemetry()

    return server


def main() -> None:
    settings = SupervisionSettings()
    configure_logging("supervision", settings.log_level)
    configure_telemetry("supervision", settings.otlp_endpoint)
    asyncio.run(build(settings).serve_forever())


if __name__ == "__main__":
    main()
