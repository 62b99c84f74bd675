"""The notify service's pipeline: events on JetStream → deliveries → messages taken by an SMTP server.

Starts its own PostgreSQL, NATS and an aiosmtpd SMTP server, migrates the notify database and runs the
service's own consumer, acts and dispatcher in one process. Keycloak and org are left out: recipients
come from a fixed directory (one body contact per event), so the figures are notify's own (consumer
transaction, delivery rows, claiming, SMTP). BURST events are published back to back; each message is
timed from its event's publication to the SMTP server accepting it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import nats
from aiosmtpd.controller import Controller

from deploy.local.servers import Nats, Postgres, free_port
from services.notify.__main__ import MIGRATIONS
from services.notify.acts.dispatch import Dispatcher
from services.notify.channels.email import EmailSender
from services.notify.consumers import EventConsumers
from services.notify.domain.notices import Channel, Recipient, Target
from services.notify.domain.retries import RetryPolicy
from services.notify.sweep import Wake, run_dispatcher
from shared.consumer import EventConsumer
from shared.db import create_engine, run_migrations, session_factory
from shared.outbox import MSG_ID_HEADER, build_envelope
from shared.streams import ensure_stream
from zgov.meetings.v1 import events_pb2, meetings_pb2

TITLE = "notify: events to delivered e-mails (consumer, deliveries, dispatcher, SMTP)"
BURST = 500
TARGET_RATE = 100  # messages per second, at least
TARGET_P99 = 2.0  # seconds from the event's publication to the SMTP server taking the message


class FixedPeople:
    """A directory without Keycloak and org: every body's contact is one person with an e-mail address."""

    async def recipients(self, target: Target, day: date) -> list[Recipient]:
        return [
            Recipient(
                f"contact-{target.body_code}",
                "联络人",
                body_code=target.body_code,
                addresses={Channel.EMAIL: f"{target.body_code}@ziyang.example"},
            )
        ]


class Inbox:
    def __init__(self) -> None:
        self.received: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope):
        subject = str(message_from_bytes(envelope.content, policy=policy.default)["Subject"])
        self.received[subject.rsplit(" ", 1)[-1]] = time.perf_counter()
        return "250 OK"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(dsn: str, nats_url: str, smtp_port: int, inbox: Inbox) -> list[tuple[str, str, str]]:
    await run_migrations(dsn, MIGRATIONS)
    engine = create_engine(dsn)
    sessions = session_factory(engine)
    client = await nats.connect(nats_url)
    js = client.jetstream(timeout=10)
    await ensure_stream(js, "meetings")
    wake = Wake()
    now = lambda: datetime.now(UTC)  # noqa: E731
    handlers = EventConsumers(
        FixedPeople(), frozenset({Channel.EMAIL}), "https://oa.ziyang.example", now, wake
    )
    consumer = EventConsumer(
        js,
        sessions,
        "MEETINGS",
        "notify-topic-refused",
        "meetings.topic.refused",
        handlers.on_topic_refused,
        batch=100,
    )
    sender = EmailSender("127.0.0.1", smtp_port, "notify@ziyang.example")
    dispatcher = Dispatcher(
        sessions,
        {Channel.EMAIL: sender},
        RetryPolicy(1, 10, 5),
        now,
        batch=200,
        lease=timedelta(seconds=60),
        concurrency=16,
    )
    loop = asyncio.create_task(run_dispatcher(dispatcher, wake, 0.5))
    await consumer.start()
    published: dict[str, float] = {}
    try:
        for n in range(BURST):
            key = f"t{n}"
            topic = meetings_pb2.Topic(
                id=str(uuid.uuid4()), title=f"议题 {key}", owning_organisation_code="bureau"
            )
            envelope = build_envelope(
                "meetings.topic.refused", events_pb2.TopicRefused(topic=topic), "topic/1"
            )
            published[key] = time.perf_counter()
            await js.publish(
                "meetings.topic.refused",
                envelope.SerializeToString(),
                headers={MSG_ID_HEADER: envelope.event_id},
            )
        deadline = time.monotonic() + 120
        while len(inbox.received) < BURST and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await consumer.stop()
        loop.cancel()
        await client.close()
        await engine.dispose()
    if len(inbox.received) < BURST:
        raise RuntimeError(f"only {len(inbox.received)} of {BURST} messages arrived in 120 s")
    lags = [inbox.received[k] - published[k] for k in published]
    rate = BURST / (max(inbox.received.values()) - min(published.values()))
    return [
        (f"{BURST} events back to back → e-mails", f"{rate:.0f} messages/s", f"≥ {TARGET_RATE}/s"),
        ("lag p50 (publication → SMTP accepted)", f"{percentile(lags, 50) * 1000:.0f} ms", ""),
        ("lag p99", f"{percentile(lags, 99) * 1000:.0f} ms", f"< {TARGET_P99 * 1000:.0f} ms"),
    ]


async def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        pg = Postgres(Path(tmp) / "postgres", free_port())
        nats_server = Nats(Path(tmp) / "nats", free_port())
        inbox = Inbox()
        smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
        pg.start()
        try:
            nats_server.start()
            smtp.start()
            try:
                return await measure(pg.ensure_database("bench"), nats_server.url, smtp.port, inbox)
            finally:
                smtp.stop()
                nats_server.stop()
        finally:
            pg.stop()
