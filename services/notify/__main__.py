"""`python -m services.notify`: migrate the database, connect to NATS, consume the other services'
events into deliveries, dispatch them through the configured channels, serve gRPC until SIGTERM."""

from __future__ import annotations

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
from shared.grpc_server import GrpcServer
from shared.service_runtime import ServiceRuntime, run_service
from shared.https import trust

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
            connections=settings.smtp_connections,
            idle_seconds=settings.smtp_idle_seconds,
            messages_per_connection=settings.smtp_messages_per_connection,
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
    # notify publishes nothing (no outbox, no stream of its own): it only consumes the others' events.
    runtime = ServiceRuntime("notify", settings, MIGRATIONS, publishes=False)
    org = runtime.org_client()
    contacts = KeycloakContacts(
        settings.keycloak_url,
        settings.keycloak_realm,
        settings.client_id,
        settings.secret("client_secret"),
        ttl_seconds=settings.contacts_cache_seconds,
    )
    people = People(org, contacts)
    client = httpx.AsyncClient(timeout=15.0, verify=trust())
    runtime.on_shutdown(client.aclose)
    wake = Wake()
    channels = senders(settings, client)
    for sender in channels.values():
        if hasattr(sender, "aclose"):  # kept connections (e-mail) closed before the loop ends
            runtime.on_shutdown(sender.aclose)
    dispatcher = Dispatcher(
        runtime.sessions,
        channels,
        settings.retry_policy(),
        now,
        batch=settings.dispatch_batch,
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
        concurrency=settings.send_concurrency,
    )
    handlers = EventConsumers(
        people,
        settings.channels(),
        settings.link_base,
        now,
        wake,
        settings.portal_link_base,
        office_code=settings.office_code,
    )
    if settings.consume_events:
        # A sweep elsewhere (supervision's escalations, petitions' overdue cases) publishes bursts of
        # small events; a fetch of an officers' event is planned at once (batch handlers), the
        # citizens' are handled per event in one transaction. Safe: a handler's only effect is its
        # deliveries' rows (the dispatcher sends after the commit; org and Keycloak are read).
        runtime.consumers(handlers.subscriptions, batch_commit=True, batch=settings.consume_batch)
    runtime.sweep(lambda: run_dispatcher(dispatcher, wake, settings.dispatch_seconds))
    server = runtime.server([NotifyServicer(runtime.sessions, now)])
    # tests reach the dispatcher and the handlers through it
    server.notify_state = {"dispatcher": dispatcher, "wake": wake, "handlers": handlers}
    return server


def main() -> None:
    run_service("notify", NotifySettings, build)


if __name__ == "__main__":
    main()
