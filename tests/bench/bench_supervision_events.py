"""Event → supervision item latency through real NATS JetStream: an overdue event of another service
(petitions.case.overdue) published to its stream until supervision's durable consumer has committed the
new item (numbered, assigned to its lead body, with its registered and assigned events in the outbox)
and acked. Target: docs/design.md "event commit → effect p99 < 50 ms" (here from the publish's ack, the
producer's outbox relay being measured by bench_events).

Starts its own PostgreSQL and NATS, migrates the supervision schema; org's answers from a fixed
directory (tests/bench/supervision_world.py says why).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from deploy.local.servers import Nats, Postgres, free_port
from services.supervision.__main__ import MIGRATIONS
from services.supervision.consumers import EventConsumers
from services.supervision.domain.items import Limits
from shared.consumer import EventConsumer
from shared.convert import today_in_china
from shared.db import create_engine, session_factory
from shared.migrations import run_migrations
from shared.outbox import build_envelope
from shared.streams import ensure_stream
from shared.workdays import calendar
from tests.bench.supervision_world import BODIES, DirectoryPeople
from tests.fixtures.events import connect_forever
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.petitions.v1 import petitions_pb2
from tests.bench.figures import ms, percentile

TITLE = "supervision: overdue event on NATS → one item committed (consumer supervision-case-overdue)"
PACED = 300
INTERVAL = 0.02
SUBJECT = "petitions.case.overdue"


class TimedConsumer(EventConsumer):
    def __init__(self, *args, done: dict[str, float], **kwargs):
        super().__init__(*args, **kwargs)
        self.done = done

    async def process(self, msg):
        await super().process(msg)
        self.done[msg.headers["Nats-Msg-Id"]] = time.perf_counter()


def overdue_event(n: int) -> bytes:
    due = today_in_china() - timedelta(days=3)
    payload = petitions_events.CaseOverdue(
        stage=petitions_pb2.STAGE_HANDLING,
        responsible_body_code=BODIES[n % len(BODIES)],
        due=common_pb2.Date(year=due.year, month=due.month, day=due.day),
    )
    payload.case.case_id = str(uuid.uuid4())
    payload.case.number = f"信访〔2026〕{n}号"
    return build_envelope(SUBJECT, payload, f"case/{payload.case.case_id}").SerializeToString()


async def publish(js, n: int) -> tuple[str, float]:
    msg_id = str(uuid.uuid4())
    await js.publish(SUBJECT, overdue_event(n), headers={"Nats-Msg-Id": msg_id})
    return msg_id, time.perf_counter()


async def wait_for(done: dict, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(i in done for i in ids):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{sum(i not in done for i in ids)} of {len(ids)} events made no item in {timeout} s"
            )
        await asyncio.sleep(0.005)


async def measure(dsn: str, nats_url: str) -> list[tuple[str, str, str]]:
    await run_migrations(dsn, MIGRATIONS)
    engine = create_engine(dsn, pool_size=10)
    sessions = session_factory(engine)
    nc = await connect_forever(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, "petitions")
    handlers = EventConsumers(calendar(), Limits(), DirectoryPeople(), today_in_china)
    ((stream, durable, subject, handler),) = [s for s in handlers.subscriptions() if s[2] == SUBJECT]
    done: dict[str, float] = {}
    consumer = TimedConsumer(js, sessions, stream, durable, subject, handler, done=done)
    await consumer.start()
    try:
        await asyncio.wait_for(consumer.ready.wait(), 10)
        warm = [await publish(js, -i) for i in range(20)]
        await wait_for(done, [i for i, _ in warm], 30)
        sent = []
        for n in range(PACED):
            sent.append(await publish(js, n))
            await asyncio.sleep(INTERVAL)
        await wait_for(done, [i for i, _ in sent], 300)
        latencies = [done[i] - t for i, t in sent]
        async with engine.connect() as conn:
            made = await conn.scalar(text("SELECT count(*) FROM supervision_item"))
    finally:
        await consumer.stop()
        await nc.close()
        await engine.dispose()
    return [
        (
            f"event → item p50 ({PACED} events, one per {INTERVAL * 1000:.0f} ms)",
            ms(percentile(latencies, 50)),
            "",
        ),
        ("event → item p99", ms(percentile(latencies, 99)), "< 50 ms"),
        ("event → item max", ms(max(latencies)), ""),
        ("event → item mean", ms(statistics.fmean(latencies)), ""),
        ("items made (one per event, warm-up included)", f"{made} of {len(sent) + len(warm)}", ""),
    ]


async def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-supervision-events-") as tmp:
        pg = Postgres(Path(tmp) / "postgres", free_port())
        nats_server = Nats(Path(tmp) / "nats", free_port())
        pg.start()
        try:
            nats_server.start()
            try:
                return await measure(pg.ensure_database("supervision"), nats_server.url)
            finally:
                nats_server.stop()
        finally:
            pg.stop()
