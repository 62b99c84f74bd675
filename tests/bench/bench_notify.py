"""The notify service's pipeline: events on JetStream → deliveries → messages taken by an SMTP server.

Starts its own PostgreSQL, NATS and an aiosmtpd SMTP server, migrates the notify database and runs the
service's own consumer (its batch handler, a fetch of `consume_batch` events planned at once, as
services/notify/__main__.py runs it), acts and dispatcher in this process. Keycloak and org are left out: recipients come from a fixed directory (one body contact
per event), so the figures are notify's own (consumer transaction, delivery rows, claiming, SMTP).
BURST events are published back to back; each message is timed from its event's publication to the
SMTP server accepting it. The publisher and the SMTP server run in processes of their own
(tests/bench/notify_far_ends.py), as the producing service and the mail server do in production: in
this process they took the interpreter from notify.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import nats
from sqlalchemy import select

from deploy.local.servers import Nats, Postgres, free_port
from services.notify.__main__ import MIGRATIONS
from services.notify.acts.dispatch import Dispatcher
from services.notify.channels.email import EmailSender
from services.notify.config import NotifySettings
from services.notify.consumers import EventConsumers
from services.notify.domain.notices import Channel, Recipient, Target
from services.notify.domain.retries import RetryPolicy
from services.notify.models import Delivery
from services.notify.sweep import Wake, run_dispatcher
from shared.consumer import EventConsumer
from shared.db import create_engine, session_factory
from shared.migrations import run_migrations
from shared.streams import ensure_stream
from tests.bench.figures import percentile

TITLE = "notify: events to delivered e-mails (consumer, deliveries, dispatcher, SMTP)"
BURST = int(os.environ.get("ZGOV_BENCH_NOTIFY_BURST", "500"))
TARGET_RATE = 100  # messages per second, at least
TARGET_P99 = 2.0  # seconds from the event's publication to the SMTP server taking the message
FAR_ENDS = [sys.executable, "-m", "tests.bench.notify_far_ends"]
# Events per fetch, as the service's consumers take them (ZGOV_CONSUME_BATCH); the bench may try others.
FETCH = int(os.environ.get("ZGOV_BENCH_NOTIFY_FETCH", NotifySettings.model_fields["consume_batch"].default))
REPO = Path(__file__).resolve().parents[2]


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


class SmtpServer:
    """The SMTP server's process; `received` maps each message's key to when it was taken."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: dict[str, float] = {}
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *FAR_ENDS, "smtp", str(self.port), cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        ready = await asyncio.wait_for(self.process.stdout.readline(), 30)
        if ready.strip() != b"ready":
            raise RuntimeError(f"the SMTP server did not start: {ready!r}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for line in self.process.stdout:
            key, at = line.decode().split()
            self.received[key] = float(at)

    async def stop(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            await asyncio.wait_for(self.process.wait(), 30)
        if self._reader is not None:
            await self._reader


async def publish_burst(nats_url: str) -> dict[str, float]:
    """BURST events published back to back by another process: {key: time published}."""
    publisher = await asyncio.create_subprocess_exec(
        *FAR_ENDS, "publish", nats_url, str(BURST), cwd=REPO, stdout=subprocess.PIPE
    )
    out, _ = await publisher.communicate()
    if publisher.returncode != 0:
        raise RuntimeError(f"the publisher failed ({publisher.returncode})")
    return json.loads(out)


async def planned_at(sessions) -> dict[str, float]:
    """When each event's delivery row was written (its consumer transaction's start), by key."""
    async with sessions() as session:
        rows = await session.execute(select(Delivery.title, Delivery.created_at))
        return {title.rsplit(" ", 1)[-1]: created.timestamp() for title, created in rows}


async def measure(dsn: str, nats_url: str, smtp: SmtpServer) -> list[tuple[str, str, str]]:
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
        handlers.handler("meetings.topic.refused"),
        batch=FETCH,
        batch_commit=True,
    )
    sender = EmailSender("127.0.0.1", smtp.port, "notify@ziyang.example")
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
    try:
        published = await publish_burst(nats_url)
        deadline = time.monotonic() + 120
        while len(smtp.received) < BURST and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        planned = await planned_at(sessions)
    finally:
        await consumer.stop()
        loop.cancel()
        await client.close()
        await engine.dispose()
    received = smtp.received
    if len(received) < BURST:
        raise RuntimeError(f"only {len(received)} of {BURST} messages arrived in 120 s")
    lags = [received[k] - published[k] for k in published]
    to_rows = [planned[k] - published[k] for k in published]
    # the rest: the row waiting for a dispatcher's round (woken after each consumer commit) and sent in it
    after_rows = [received[k] - planned[k] for k in published]
    first = min(published.values())
    rate = BURST / (max(received.values()) - first)
    return [
        (
            f"{BURST} events back to back → e-mails (fetches of {FETCH})",
            f"{rate:.0f} messages/s",
            f"≥ {TARGET_RATE}/s",
        ),
        ("lag p50 (publication → SMTP accepted)", f"{percentile(lags, 50) * 1000:.0f} ms", ""),
        ("lag p99", f"{percentile(lags, 99) * 1000:.0f} ms", f"< {TARGET_P99 * 1000:.0f} ms"),
        (
            "of which to the delivery row (its consumer transaction's start) p50 / p99",
            f"{percentile(to_rows, 50) * 1000:.0f} / {percentile(to_rows, 99) * 1000:.0f} ms",
            "",
        ),
        (
            "and from the delivery row to SMTP accepted (dispatcher rounds, sending) p50 / p99",
            f"{percentile(after_rows, 50) * 1000:.0f} / {percentile(after_rows, 99) * 1000:.0f} ms",
            "",
        ),
        (
            "the burst published in (another process)",
            f"{(max(published.values()) - first) * 1000:.0f} ms",
            "",
        ),
    ]


async def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        pg = Postgres(Path(tmp) / "postgres", free_port())
        nats_server = Nats(Path(tmp) / "nats", free_port())
        smtp = SmtpServer()
        pg.start()
        try:
            nats_server.start()
            await smtp.start()
            try:
                return await measure(pg.ensure_database("bench"), nats_server.url, smtp)
            finally:
                await smtp.stop()
                nats_server.stop()
        finally:
            pg.stop()
