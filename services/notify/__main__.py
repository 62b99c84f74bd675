"""`python -m services.notify`: migrate the database, connect to NATS, consume the other services'
events into deliveries, dispatch them through the configured channels, serve gRPC until SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.notify.acts.dispatch import Dispatcher
from services.notify.acts.people import People
from services.notify.api import NotifyServicer
from services.notify.channels import Sender
from services.notify.channels.dingtalk import DingtalkRobotSender
from services.notify.channels.email import EmailSender
from services.notify.channels.sms import SmsSender
from services.notify.channels.wecom import WecomAppSender, WecomRobotSender
from services.notify.config import NotifySettings
from services.notify.consumers import EventConsumers
from services.notify.contacts import KeycloakContacts
from services.notify.domain.notices import Channel
from services.notify.sweep import Wake, run_dispatcher
from shared import bus
from shared.consumer import EventConsumer
from shared.db import database_ping, engine_from, run_migrations, session_factory
from shared.grpc_server import GrpcServer
from shared.logging import configure_logging
from shared.org_client import OrgClient
from shared.service_auth import ClientCredentials
from shared.telemetry import configure_telemetry, shutdown_telemetry

MIGRATIONS = Path(__file__).parent / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


def senders(settings: NotifySettings, client: httpx.AsyncClient) -> dict[Channel, Sender]:
    """The channels the operator configured (NotifySettings.channels)."""
    made: dict[Channel, Sender] = {
        Channel.EMAIL: EmailSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            settings.smtp_username,
            settings.secret("smtp_password"),
            settings.smtp_starttls,
            settings.smtp_tls,
        ),
        Channel.SMS: SmsSender(client, settings.sms_url, settings.sms_template, settings.secret("sms_token")),
        Channel.WECOM_ROBOT: WecomRobotSender(client, settings.wecom_robot_url),
        Channel.WECOM_APP: WecomAppSender(
            client,
            settings.wecom_api_base.rstrip("/"),
            settings.wecom_corp_id,
            settings.secret("wecom_secret"),
            settings.wecom_agent_id,
        ),
        Channel.DINGTALK_ROBOT: DingtalkRobotSender(
            client, settings.dingtalk_robot_url, settings.secret("dingtalk_secret")
        ),
    }
    return {channel: sender for channel, sender in made.items() if channel in settings.channels()}


def build(settings: NotifySettings, now: Callable[[], datetime] = utc_now) -> GrpcServer:
    engine = engine_from(settings)  # pool sizes are settings (charts/zgov/README.md)
    sessions = session_factory(engine)
    secret = settings.secret("client_secret")
    tokens = ClientCredentials.from_settings(settings) if secret else None
    org = OrgClient(settings.org_address, tokens, ttl_seconds=settings.org_cache_seconds)
    contacts = KeycloakContacts(
        settings.keycloak_url,
        settings.keycloak_realm,
        settings.client_id,
        secret,
        ttl_seconds=settings.contacts_cache_seconds,
    )
    people = People(org, contacts)
    client = httpx.AsyncClient(timeout=15.0)
    wake = Wake()
    dispatcher = Dispatcher(
        sessions,
        senders(settings, client),
        settings.retry_policy(),
        now,
        batch=settings.dispatch_batch,
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
        concurrency=settings.send_concurrency,
    )
    server = GrpcServer.from_settings([NotifyServicer(sessions, now)], settings)
    server.readiness(database_ping(engine))  # NOT_SERVING while the database is down
    state: dict = {"consumers": [], "dispatcher": dispatcher, "wake": wake}
    server.notify_state = state  # tests reach the dispatcher and the consumers through it

    @server.on_startup
    async def migrate_and_connect() -> None:
        await run_migrations(settings.database_url, MIGRATIONS)
        # As its own NATS user (shared/bus.py): it publishes nothing, it only consumes.
        state["nats"] = await bus.connect(settings)
        js = state["nats"].jetstream()
        if settings.consume_events:
            handlers = EventConsumers(
                people, settings.channels(), settings.link_base, now, wake, settings.portal_link_base
            )
            for stream, durable, subject, handler in handlers.subscriptions():
                state["consumers"].append(EventConsumer(js, sessions, stream, durable, subject, handler))

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
    async def dispatch() -> None:
        await run_dispatcher(dispatcher, wake, settings.dispatch_seconds)

    @server.on_shutdown
    async def disconnect() -> None:
        if "nats" in state:
            await state["nats"].drain()
        await client.aclose()
        await org.close()
        await engine.dispose()
        shutdown_telemetry()

    return server


def main() -> None:
    settings = NotifySettings()
    configure_logging("notify", settings.log_level)
    configure_telemetry("notify", settings.otlp_endpoint)
    asyncio.run(build(settings).serve_forever())


if __name__ == "__main__":
    main()
