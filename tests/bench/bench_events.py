"""Event latency from commit to the consumer's effect: docs/design.md target "p99 under 50 ms with the
stack idle".

Starts its own PostgreSQL and NATS (deploy.local.servers), migrates the tests' sample service, and
runs in one process what production runs in two: a producer committing a state change with its
outbox event, the NOTIFY-woken relay, and an idempotent durable consumer whose effect is committed
and acked. Latency is measured from the producer's commit returning to the consumer having
committed its effect and acked the message.

Issue 17's row: 1000 events committed back to back → all applied (events/s, p99 of the burst), with
the relay publishing in batches with asynchronous acknowledgements and the consumer committing a
fetched batch in one transaction. Printed beside, measured on the same machine and servers: the
limits a burst cannot pass — PostgreSQL's commit rate for the same back-to-back commits without
the event, and JetStream's raw publish rate (asynchronous acks, like `nats bench --js pub`). The pipeline's own rate: a backlog of 10,000
events waiting in the outbox (as after a NATS outage), relay started → all applied.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from google.protobuf import wrappers_pb2
from sqlalchemy import insert

from deploy.local.servers import Nats, Postgres, free_port
from shared import bus
from shared.consumer import EventConsumer, batch_handler
from shared.db import create_engine, session_factory, transaction
from shared.migrations import run_migrations
from shared.outbox import OutboxRelay, add_event, outbox_channel
from shared.streams import ensure_stream, stream_name
from tests.fixtures.events import connect_forever
from tests.fixtures.sample_service import MIGRATIONS_DIR, effects, leaves
from tests.bench.figures import ms, percentile

TITLE = "events: commit to consumer effect (shared.outbox + shared.consumer)"
SERVICE = "bench"
PACED = 300  # events, one every INTERVAL seconds: an idle stack
INTERVAL = 0.02
BURST = 1000  # events committed back to back
BURST_GOAL = 5000  # events/s (issue 17)
BACKLOG = 10_000  # events waiting in the outbox: over a second of work, so one pause does not swing the rate
BULK_TRANSACTIONS = 100  # the backlog written in 100 transactions of 100
RAW = 5000  # messages in the raw JetStream publish measure


class TimedConsumer(EventConsumer):
    """Notes when each message's effect is committed and acked."""

    def __init__(self, *args, done: dict[str, float], **kwargs):
        super().__init__(*args, **kwargs)
        self.done = done

    async def process(self, msg):
        await super().process(msg)
        self.done[msg.headers["Nats-Msg-Id"]] = time.perf_counter()

    async def process_batch(self, msgs):
        await super().process_batch(msgs)
        now = time.perf_counter()
        for msg in msgs:
            self.done.setdefault(msg.headers["Nats-Msg-Id"], now)


@batch_handler
async def apply(session, events):
    """The consumer's effect: one row per event, a fetched batch's rows in one multi-row INSERT."""
    rows = [{"message_id": e.envelope.event_id, "note": e.payload.value} for e in events]
    await session.execute(insert(effects), rows)


async def commit_one(sessions, n: int) -> tuple[str, float]:
    leave_id = uuid.uuid4()
    async with transaction(sessions) as session:
        await session.execute(insert(leaves).values(id=leave_id, state="approved"))
        envelope = await add_event(
            session, f"{SERVICE}.leave.approved", wrappers_pb2.StringValue(value=str(n)), f"leave/{leave_id}"
        )
    return envelope.event_id, time.perf_counter()


async def commit_many(sessions, first: int, count: int) -> list[tuple[str, float]]:
    """`count` state changes and their events in one transaction, as a bulk act writes them."""
    ids = []
    async with transaction(sessions) as session:
        for n in range(first, first + count):
            leave_id = uuid.uuid4()
            await session.execute(insert(leaves).values(id=leave_id, state="approved"))
            envelope = await add_event(
                session,
                f"{SERVICE}.leave.approved",
                wrappers_pb2.StringValue(value=str(n)),
                f"leave/{leave_id}",
            )
            ids.append(envelope.event_id)
    committed = time.perf_counter()
    return [(i, committed) for i in ids]


async def wait_for(done: dict, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(i in done for i in ids):
        if time.monotonic() > deadline:
            missing = sum(1 for i in ids if i not in done)
            raise RuntimeError(f"{missing} of {len(ids)} events did not reach the consumer in {timeout} s")
        await asyncio.sleep(0.01)


async def commit_rate(sessions, n: int) -> float:
    """PostgreSQL's limit: the same back-to-back commits of a state change, without the event."""
    started = time.perf_counter()
    for _ in range(n):
        async with transaction(sessions) as session:
            await session.execute(insert(leaves).values(id=uuid.uuid4(), state="approved"))
    return n / (time.perf_counter() - started)


async def raw_publish_rate(js, n: int) -> float:
    """JetStream's limit: n messages published with asynchronous acks, all acknowledged."""
    await ensure_stream(js, "raw")
    payload = b"x" * 200  # about an envelope's size
    started = time.perf_counter()
    futures = [
        await js.publish_async("raw.bench.msg", payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})
        for _ in range(n)
    ]
    await asyncio.gather(*futures)
    return n / (time.perf_counter() - started)


async def measure(pg_dsn: str, nats_url: str) -> list[tuple[str, str, str]]:
    await run_migrations(pg_dsn, MIGRATIONS_DIR)
    engine = create_engine(pg_dsn, pool_size=10)
    sessions = session_factory(engine)
    nc = await connect_forever(nats_url)
    js = bus.jetstream(nc)
    await ensure_stream(js, SERVICE)
    done: dict[str, float] = {}
    relay = OutboxRelay(engine, js, outbox_channel(SERVICE))
    consumer = TimedConsumer(
        js,
        sessions,
        stream_name(SERVICE),
        "bench-effects",
        f"{SERVICE}.>",
        apply,
        done=done,
        batch=256,
    )
    await relay.start()
    await consumer.start()
    try:
        await asyncio.wait_for(relay.ready.wait(), 10)
        await asyncio.wait_for(consumer.ready.wait(), 10)
        # warm up connections and code paths
        warm = [await commit_one(sessions, -i) for i in range(20)]
        await wait_for(done, [i for i, _ in warm], 10)

        committed: list[tuple[str, float]] = []
        for n in range(PACED):
            committed.append(await commit_one(sessions, n))
            await asyncio.sleep(INTERVAL)
        await wait_for(done, [i for i, _ in committed], 30)
        latencies = [done[i] - t for i, t in committed]

        started = time.perf_counter()
        burst = [await commit_one(sessions, n) for n in range(BURST)]
        await wait_for(done, [i for i, _ in burst], 60)
        burst_seconds = time.perf_counter() - started
        burst_latencies = [done[i] - t for i, t in burst]

        # The burst above cannot pass PostgreSQL's commit rate: each event is its own commit, and the
        # pipeline keeps up with it (the p99 above). The pipeline's own rate shows on a backlog: the
        # same number of events written while the relay was stopped (as during a NATS outage), then
        # the relay started: time from its start to the last event applied.
        await relay.stop()
        per = BACKLOG // BULK_TRANSACTIONS
        backlog = [
            c for k in range(BULK_TRANSACTIONS) for c in await commit_many(sessions, BURST + k * per, per)
        ]
        relay = OutboxRelay(engine, js, outbox_channel(SERVICE))
        started = time.perf_counter()
        await relay.start()
        await wait_for(done, [i for i, _ in backlog], 120)
        backlog_seconds = time.perf_counter() - started

        commits = await commit_rate(sessions, BURST)
        raw = await raw_publish_rate(js, RAW)
    finally:
        await consumer.stop()
        await relay.stop()
        await nc.close()
        await engine.dispose()

    return [
        (
            f"latency p50 ({PACED} events, one per {INTERVAL * 1000:.0f} ms)",
            ms(percentile(latencies, 50)),
            "",
        ),
        ("latency p99", ms(percentile(latencies, 99)), "< 50 ms"),
        ("latency max", ms(max(latencies)), ""),
        ("latency mean", ms(statistics.fmean(latencies)), ""),
        (
            f"burst: {BURST} events committed back to back, all applied",
            f"{BURST / burst_seconds:,.0f} events/s ({burst_seconds:.2f} s)",
            f"≥ {BURST_GOAL:,} events/s",
            f"PostgreSQL {commits:,.0f} commits/s ({BURST / burst_seconds / commits:.2f}); "
            f"JetStream {raw:,.0f} msgs/s ({BURST / burst_seconds / raw:.2f})",
        ),
        ("burst: p99 commit → applied", ms(percentile(burst_latencies, 99)), "< 1 s"),
        (
            f"backlog: {BACKLOG:,} events waiting in the outbox → all applied (relay and consumer batches)",
            f"{BACKLOG / backlog_seconds:,.0f} events/s ({backlog_seconds:.2f} s)",
            f"≥ {BURST_GOAL:,} events/s",
            f"JetStream {raw:,.0f} msgs/s ({BACKLOG / backlog_seconds / raw:.2f})",
        ),
    ]


async def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        pg = Postgres(Path(tmp) / "postgres", free_port())
        nats_server = Nats(Path(tmp) / "nats", free_port())
        pg.start()
        try:
            nats_server.start()
            try:
                return await measure(pg.ensure_database("bench"), nats_server.url)
            finally:
                nats_server.stop()
        finally:
            pg.stop()
