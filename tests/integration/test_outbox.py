"""The transactional outbox and its relay against real PostgreSQL and NATS JetStream.

- an event is written in the same transaction as the state change: rolled back, nothing is
  published; committed, it arrives once with Nats-Msg-Id = event id and the trace context;
- the relay is woken by NOTIFY, not by its (here one-minute) safety sweep;
- NATS stopped while events are committed, then restarted: every event arrives, once in effect,
  in commit order.
"""

import asyncio
import time
import uuid

import pytest
from nats.js.errors import TooManyStalledMsgsError
from sqlalchemy.engine import make_url
from google.protobuf import wrappers_pb2
from opentelemetry import trace
from sqlalchemy import insert

from shared import bus
from shared.consumer import EventConsumer
from shared.db import transaction
from shared.outbox import OutboxRelay, add_event, outbox_channel, waves
from shared.streams import ensure_stream, stream_name
from tests.fixtures.events import connect_forever, scalar, stream_messages
from tests.fixtures.polling import eventually
from tests.fixtures.sample_service import effects, leaves
from zgov.common.v1 import common_pb2
from zgov.events.v1 import envelope_pb2

pytestmark = pytest.mark.integration


class Refused(Exception):
    """The RPC's own failure after the event was added: the whole transaction rolls back."""


async def approve_leave(
    sessions, service: str, note: str, *, fail: bool = False, leave_id: uuid.UUID | None = None
) -> envelope_pb2.EventEnvelope:
    """What an RPC handler does: change state and add the event in one transaction it owns."""
    leave_id = leave_id or uuid.uuid4()
    async with transaction(sessions) as session:
        await session.execute(insert(leaves).values(id=leave_id, state=note))
        envelope = await add_event(
            session,
            f"{service}.leave.approved",
            wrappers_pb2.StringValue(value=note),
            f"leave/{leave_id}",
            common_pb2.Actor(user_id="u-1", username="mayor"),
        )
        if fail:
            raise Refused(note)
    return envelope


def span_with_trace_id(trace_id: int):
    """The current span as an incoming gRPC call would have it (no SDK needed to propagate it)."""
    context = trace.SpanContext(
        trace_id=trace_id,
        span_id=0x1234,
        is_remote=True,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    return trace.use_span(trace.NonRecordingSpan(context))


async def test_event_is_published_only_when_its_transaction_commits(sessions, sample_engine, js, service):
    await ensure_stream(js, service)
    async with OutboxRelay(sample_engine, js, outbox_channel(service), sweep_interval=60) as relay:
        await asyncio.wait_for(relay.ready.wait(), 10)

        with pytest.raises(Refused):
            await approve_leave(sessions, service, "rolled back", fail=True)
        trace_id = 0x0AF7651916CD43DD8448EB211C80319C
        with span_with_trace_id(trace_id):
            committed = await approve_leave(sessions, service, "committed")

        messages = await eventually(lambda: stream_messages(js, stream_name(service)), what="a message")
        # the relay has nothing else to send: a second pass publishes nothing
        assert await relay.publish_pending() == 0

    assert len(messages) == 1
    message = messages[0]
    assert message.subject == f"{service}.leave.approved"
    assert message.headers["Nats-Msg-Id"] == committed.event_id
    assert f"{trace_id:032x}" in message.headers["traceparent"]
    received = envelope_pb2.EventEnvelope.FromString(message.data)
    assert received == committed
    assert received.actor.username == "mayor"
    note = wrappers_pb2.StringValue()
    assert received.payload.Unpack(note) and note.value == "committed"
    assert await scalar(sample_engine, "SELECT count(*) FROM outbox") == 1
    assert await scalar(sample_engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await scalar(sample_engine, "SELECT string_agg(state, ',') FROM leaves") == "committed"


async def test_relay_is_woken_by_notify_not_by_its_sweep(sessions, sample_engine, js, service):
    """With a 60 s safety sweep, a committed event arrives far sooner (20 s leaves room for a loaded
    machine): NOTIFY woke the relay."""
    await ensure_stream(js, service)
    async with OutboxRelay(sample_engine, js, outbox_channel(service), sweep_interval=60) as relay:
        await asyncio.wait_for(relay.ready.wait(), 10)
        await asyncio.sleep(0.2)  # the relay is idle, waiting
        for n in range(3):
            started = time.monotonic()
            envelope = await approve_leave(sessions, service, f"leave {n}")

            async def arrived(count=n + 1):
                messages = await stream_messages(js, stream_name(service))
                return messages if len(messages) == count else None

            messages = await eventually(
                arrived, timeout=20, interval=0.01, what="the event well before the sweep"
            )
            assert messages[-1].headers["Nats-Msg-Id"] == envelope.event_id
            assert time.monotonic() - started < 2


class SlowToListen(OutboxRelay):
    """A relay whose LISTEN connection takes a moment to open, as on a busy database."""

    listening = None

    async def _ensure_listener(self) -> None:
        self.listening.set()
        await asyncio.sleep(0.3)
        await super()._ensure_listener()


async def test_relay_listens_on_its_direct_address_when_given_one(
    sessions, sample_db, sample_engine, js, service
):
    """Behind PgBouncer in transaction mode a LISTEN is not kept, so the relay listens on the service's
    direct PostgreSQL address (ZGOV_LEADER_DATABASE_URL) while its queries go through the pool's: the
    LISTEN is seen on the direct address, and a committed event still wakes the relay at once."""
    await ensure_stream(js, service)
    direct = make_url(sample_db).update_query_dict({"application_name": "zgov-relay-direct"})
    async with OutboxRelay(
        sample_engine,
        js,
        outbox_channel(service),
        sweep_interval=60,
        listen_url=direct.render_as_string(hide_password=False),
    ) as relay:
        await asyncio.wait_for(relay.ready.wait(), 10)
        listening = await scalar(
            sample_engine,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'zgov-relay-direct' "
            "AND query LIKE 'LISTEN%'",
        )
        await approve_leave(sessions, service, "woken through the direct address")
        messages = await eventually(
            lambda: stream_messages(js, stream_name(service)), what="a message", timeout=20
        )
    assert listening == 1
    assert len(messages) == 1


async def test_relay_stopped_while_it_connects_stops_at_once_not_after_its_sweep(sample_engine, js, service):
    """A stop landing while the relay opens its listener used to have its wake-up cleared by the
    next pass: the relay then slept a whole sweep (5 s by default) before stopping, on every drain
    and test teardown that came right after a start."""
    await ensure_stream(js, service)
    relay = SlowToListen(sample_engine, js, outbox_channel(service), sweep_interval=60)
    relay.listening = asyncio.Event()
    await relay.start()
    await asyncio.wait_for(relay.listening.wait(), 10)
    started = time.monotonic()
    await relay.stop(timeout=30)
    assert time.monotonic() - started < 20, "the relay waited for its 60 s sweep before stopping"


async def test_relay_publishes_what_was_committed_before_it_started(sessions, sample_engine, js, service):
    """Rows committed while no relay ran (NOTIFY lost) are published by its first pass, in order."""
    await ensure_stream(js, service)
    written = [await approve_leave(sessions, service, f"early {n}") for n in range(5)]
    relay = OutboxRelay(sample_engine, js, outbox_channel(service), sweep_interval=60, batch_size=2)
    async with relay:
        await asyncio.wait_for(relay.ready.wait(), 10)
        messages = await stream_messages(js, stream_name(service))
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [e.event_id for e in written]


async def test_events_committed_while_nats_is_down_all_arrive_once_in_effect(
    sessions, sample_engine, own_nats, service
):
    """NATS stopped while leaves are approved, then restarted with its store: every event arrives,
    in commit order, and the idempotent consumer applies each exactly once, even when the relay or
    someone else publishes an event again."""
    nc = await connect_forever(own_nats.url)
    js = bus.jetstream(nc, timeout=2)
    stream = stream_name(service)
    await ensure_stream(js, service)

    async def apply(session, envelope, payload):
        await session.execute(insert(effects).values(message_id=envelope.event_id, note=payload.value))

    relay = OutboxRelay(
        sample_engine, js, outbox_channel(service), sweep_interval=5, publish_timeout=0.5, max_backoff=1.0
    )
    consumer = EventConsumer(js, sessions, stream, "effects", f"{service}.>", apply, fetch_timeout=0.5)
    await relay.start()
    await consumer.start()
    try:
        leave_id = uuid.uuid4()
        written = [await approve_leave(sessions, service, "before 0", leave_id=leave_id)]
        written += [await approve_leave(sessions, service, f"before {n}") for n in range(1, 5)]
        await eventually(lambda: scalar(sample_engine, "SELECT count(*) = 5 FROM effects"), what="5 effects")

        own_nats.stop()
        written += [await approve_leave(sessions, service, f"during {n}") for n in range(10)]
        # the relay tries, fails and keeps the rows
        await asyncio.sleep(1.5)
        assert await scalar(sample_engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 10

        own_nats.start()
        written += [await approve_leave(sessions, service, f"after {n}") for n in range(5)]
        await eventually(
            lambda: scalar(sample_engine, "SELECT count(*) = 20 FROM effects"), timeout=30, what="20 effects"
        )

        # a re-publish of an event (relay crash between publish and commit) is dropped by the stream
        again = await js.publish(
            f"{service}.leave.approved",
            written[0].SerializeToString(),
            headers={"Nats-Msg-Id": written[0].event_id},
        )
        assert again.duplicate
        await asyncio.sleep(1)
    finally:
        await consumer.stop()
        await relay.stop()

    messages = await stream_messages(js, stream)
    await nc.close()
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [e.event_id for e in written]
    assert await scalar(sample_engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await scalar(
        sample_engine, "SELECT count(DISTINCT message_id) = count(*) AND count(*) = 20 FROM effects"
    )


def test_waves_hold_one_event_of_an_aggregate_each_in_its_order():
    """Pure: the relay's waves (each published with asynchronous acks, gathered before the next)."""
    from types import SimpleNamespace as Row

    rows = [Row(aggregate_ref=a, n=n) for n, a in enumerate("AABCAB")]
    assert [[(r.aggregate_ref, r.n) for r in wave] for wave in waves(rows)] == [
        [("A", 0), ("B", 2), ("C", 3)],
        [("A", 1), ("B", 5)],
        [("A", 4)],
    ]
    assert waves([]) == []


async def test_batched_relay_keeps_each_aggregates_order_and_loses_nothing(
    sessions, sample_engine, js, service
):
    """300 events of 7 aggregates, interleaved, published 64 at a time with asynchronous acks: each
    aggregate's events arrive in commit order, each once, none left unpublished. The relay orders by
    the database's sequence: a later row stamped earlier by a pod whose clock is behind does not
    overtake its aggregate's earlier events."""
    await ensure_stream(js, service)
    aggregates = [f"leave/{uuid.uuid4()}" for _ in range(7)]
    written: list[tuple[str, str]] = []
    for n in range(300):
        aggregate = aggregates[(n * 5 + n // 11) % 7]
        async with transaction(sessions) as session:
            envelope = await add_event(
                session, f"{service}.leave.approved", wrappers_pb2.StringValue(value=str(n)), aggregate
            )
        written.append((aggregate, envelope.event_id))
    async with sample_engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text(
                "UPDATE outbox SET created_at = created_at - interval '1 hour' "
                "WHERE seq = (SELECT max(seq) FROM outbox)"
            )
        )
    relay = OutboxRelay(sample_engine, js, outbox_channel(service), sweep_interval=60, batch_size=64)
    async with relay:
        await asyncio.wait_for(relay.ready.wait(), 20)
        messages = await stream_messages(js, stream_name(service))
    arrived = [
        (envelope_pb2.EventEnvelope.FromString(m.data).aggregate_ref, m.headers["Nats-Msg-Id"])
        for m in messages
    ]
    assert sorted(arrived) == sorted(written)
    for aggregate in aggregates:
        assert [i for a, i in arrived if a == aggregate] == [i for a, i in written if a == aggregate]
    assert await scalar(sample_engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_the_services_jetstream_context_has_the_publish_slots_the_relay_counts_on(nc, service):
    """The relay sends a wave without nats-py's stall timer while the wave fits in PUBLISH_SLOTS free
    slots (shared.outbox); a context with fewer would make it wait for a slot without bound. The
    context services make (shared.bus.jetstream) takes exactly PUBLISH_SLOTS publishes nobody
    acknowledges, and the next one waits for a slot: fails if the two numbers ever differ."""
    js = bus.jetstream(nc)
    subject = f"{service}.unanswered"
    listener = await nc.subscribe(subject)  # takes the messages and never acknowledges them
    pending = []
    try:
        for _ in range(bus.PUBLISH_SLOTS):
            pending.append(await js.publish_async(subject, b"", wait_stall=0.5))
        assert js.publish_async_pending() == bus.PUBLISH_SLOTS
        with pytest.raises(TooManyStalledMsgsError):
            await js.publish_async(subject, b"", wait_stall=0.2)
        pending.pop().cancel()  # a slot freed: the next one leaves
        pending.append(await js.publish_async(subject, b"", wait_stall=0.5))
    finally:
        for future in pending:
            future.cancel()
        await listener.unsubscribe()


async def test_ensure_stream_is_idempotent_and_applies_a_changed_declaration(js, service):
    from datetime import timedelta

    first = await ensure_stream(js, service)
    again = await ensure_stream(js, service)
    assert again.config.name == first.config.name == stream_name(service)
    assert again.config.subjects == [f"{service}.>"]
    assert again.config.duplicate_window == timedelta(hours=2).total_seconds()
    changed = await ensure_stream(js, service, max_age=timedelta(days=7))
    assert changed.config.max_age == timedelta(days=7).total_seconds()
