"""Durable, idempotent consumers against real PostgreSQL and NATS JetStream.

- a redelivered message (ack lost) or a re-published event has no second effect;
- a failing handler is retried, its partial writes rolled back, then dead-lettered;
- an undecodable message is dead-lettered at once and does not block the ones behind it;
- the handler runs under the trace context the message carries;
- stop finishes the message in hand and gives up a waiting fetch; a consumer started before its stream exists waits for it;
- a batch handler applies a fetch's events at once: exactly once under redelivery, a forged event refused
  alone, one by one after a failure without losing the others, stream order (so per aggregate), one span
  per call linked to every event's producer.
"""

import asyncio
import secrets
import uuid
from collections import Counter

import pytest
from google.protobuf import any_pb2, wrappers_pb2
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import insert

from shared.consumer import EventConsumer, batch_handler, consumer_config
from shared.outbox import build_envelope
from shared.streams import ensure_stream, stream_name
from shared.telemetry import configure_telemetry
from tests.fixtures.events import scalar
from tests.fixtures.polling import eventually
from tests.fixtures.sample_service import effects
from tests.fixtures.streams import consumer_acked_up_to

pytestmark = pytest.mark.integration


class Effects:
    """A handler that writes one effect row per call and counts its calls; it can be told to fail."""

    def __init__(self, fail_times: dict[str, int] | None = None, delay: float = 0.0):
        self.calls: Counter[str] = Counter()
        self.fail_times = fail_times or {}
        self.delay = delay
        self.trace_ids: list[int] = []

    async def __call__(self, session, envelope, payload):
        self.calls[payload.value] += 1
        self.trace_ids.append(trace.get_current_span().get_span_context().trace_id)
        await session.execute(insert(effects).values(message_id=envelope.event_id, note=payload.value))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.calls[payload.value] <= self.fail_times.get(payload.value, 0):
            raise RuntimeError(f"handler refused {payload.value}")


async def publish(js, service: str, note: str, *, with_msg_id: bool = True, envelope=None, headers=None):
    """Publish an event as the outbox relay does (Nats-Msg-Id = event id)."""
    envelope = envelope or build_envelope(
        f"{service}.leave.approved", wrappers_pb2.StringValue(value=note), "leave/1"
    )
    headers = dict(headers or {})
    if with_msg_id:
        headers["Nats-Msg-Id"] = envelope.event_id
    await js.publish(envelope.subject, envelope.SerializeToString(), headers=headers or None)
    return envelope


def consumer(js, sessions, service, handler, **options) -> EventConsumer:
    options.setdefault("fetch_timeout", 0.5)
    return EventConsumer(js, sessions, stream_name(service), "effects", f"{service}.>", handler, **options)


async def start(c: EventConsumer) -> None:
    await c.start()
    await asyncio.wait_for(c.ready.wait(), 10)


async def test_redelivered_message_has_no_second_effect(sessions, sample_engine, js, nc, service):
    """The effect commits but the ack is lost: JetStream redelivers, the consumer only acks."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects()
    await js.add_consumer(stream, consumer_config("effects", f"{service}.>", ack_wait=1))
    envelope = await publish(js, service, "once")

    first = consumer(js, sessions, service, handler, ack_wait=1)
    sub = await js.pull_subscribe_bind(durable="effects", stream=stream)
    [msg] = await sub.fetch(1, timeout=5)
    await sub.unsubscribe()

    async def ack_lost_on_the_way():
        pass

    msg.ack = ack_lost_on_the_way
    await first.process(msg)
    assert await scalar(sample_engine, "SELECT count(*) FROM effects") == 1

    second = consumer(js, sessions, service, handler, ack_wait=1)
    await start(second)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 1), what="the redelivery acked")
    finally:
        await second.stop()
    info = await js.consumer_info(stream, "effects")
    assert info.num_redelivered >= 1 or info.delivered.consumer_seq >= 2
    assert handler.calls == {"once": 1}
    assert (
        await scalar(
            sample_engine, "SELECT count(*) FROM effects WHERE message_id = :id", id=envelope.event_id
        )
        == 1
    )


async def test_event_published_again_beyond_the_duplicate_window_has_no_second_effect(
    sessions, sample_engine, js, service
):
    """The stream keeps both copies (no Nats-Msg-Id on the second); the processed table still sees one
    event."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects()
    envelope = await publish(js, service, "twice")
    await publish(js, service, "twice", envelope=envelope, with_msg_id=False)
    assert (await js.stream_info(stream)).state.messages == 2

    c = consumer(js, sessions, service, handler)
    await start(c)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 2), what="both copies acked")
    finally:
        await c.stop()
    assert handler.calls == {"twice": 1}
    assert await scalar(sample_engine, "SELECT count(*) FROM effects") == 1
    assert (
        await scalar(sample_engine, "SELECT count(*) FROM processed_messages WHERE consumer = 'effects'") == 1
    )


async def test_failing_handler_is_retried_then_dead_lettered(sessions, sample_engine, js, service):
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects(fail_times={"bad": 99})
    bad = await publish(js, service, "bad")
    await publish(js, service, "good")

    c = consumer(js, sessions, service, handler, max_deliver=3, retry_delays=(0.1, 0.2))
    await start(c)
    try:
        await eventually(
            lambda: scalar(sample_engine, "SELECT count(*) FROM dead_letters"), what="a dead letter"
        )
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 2), what="both settled")
        await asyncio.sleep(0.5)  # no further delivery of the dead-lettered message
    finally:
        await c.stop()

    assert handler.calls == {"bad": 3, "good": 1}
    # each failed attempt's writes were rolled back with its transaction
    assert await scalar(sample_engine, "SELECT string_agg(note, ',') FROM effects") == "good"
    assert (
        await scalar(
            sample_engine, "SELECT count(*) FROM processed_messages WHERE message_id = :id", id=bad.event_id
        )
        == 0
    )
    async with sample_engine.connect() as conn:
        from sqlalchemy import text

        dead = (await conn.execute(text("SELECT * FROM dead_letters"))).one()
    assert dead.consumer == "effects"
    assert dead.message_id == bad.event_id
    assert dead.deliveries == 3
    assert dead.subject == f"{service}.leave.approved"
    assert dead.stream == stream and dead.stream_seq == 1
    assert "handler refused bad" in dead.error
    assert dead.payload == bad.SerializeToString()
    assert dead.headers["Nats-Msg-Id"] == bad.event_id


async def test_handler_that_fails_then_succeeds_has_one_effect(sessions, sample_engine, js, service):
    await ensure_stream(js, service)
    handler = Effects(fail_times={"flaky": 2})
    await publish(js, service, "flaky")
    c = consumer(js, sessions, service, handler, max_deliver=5, retry_delays=(0.1,))
    await start(c)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream_name(service), "effects", 1), what="acked")
    finally:
        await c.stop()
    assert handler.calls == {"flaky": 3}
    assert await scalar(sample_engine, "SELECT count(*) FROM effects") == 1
    assert await scalar(sample_engine, "SELECT count(*) FROM dead_letters") == 0


async def test_undecodable_messages_are_dead_lettered_at_once(sessions, sample_engine, js, service):
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects()
    await js.publish(
        f"{service}.leave.approved", b"\xff not an envelope", headers={"Nats-Msg-Id": "garbage-1"}
    )
    unknown = build_envelope(f"{service}.leave.approved", wrappers_pb2.StringValue(value="x"), "leave/2")
    unknown.payload.CopyFrom(any_pb2.Any(type_url="type.googleapis.com/zgov.nowhere.v1.Unknown", value=b""))
    await publish(js, service, "", envelope=unknown)
    await publish(js, service, "fine")

    c = consumer(js, sessions, service, handler, max_deliver=5)
    await start(c)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 3), what="all three settled")
    finally:
        await c.stop()
    assert handler.calls == {"fine": 1}
    async with sample_engine.connect() as conn:
        from sqlalchemy import text

        dead = (
            await conn.execute(
                text("SELECT message_id, deliveries, error FROM dead_letters ORDER BY stream_seq")
            )
        ).all()
    assert [(d.message_id, d.deliveries) for d in dead] == [("garbage-1", 1), (unknown.event_id, 1)]
    assert "not an EventEnvelope" in dead[0].error
    assert "zgov.nowhere.v1.Unknown" in dead[1].error


async def test_handler_runs_under_the_trace_context_of_the_message(sessions, js, service):
    await ensure_stream(js, service)
    handler = Effects()
    trace_id = 0x4BF92F3577B34DA6A3CE929D0E0E4736
    await publish(js, service, "traced", headers={"traceparent": f"00-{trace_id:032x}-00f067aa0ba902b7-01"})
    c = consumer(js, sessions, service, handler)
    await start(c)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream_name(service), "effects", 1), what="acked")
    finally:
        await c.stop()
    assert handler.trace_ids == [trace_id]


async def test_stop_finishes_the_message_in_hand(sessions, sample_engine, js, nc, service):
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects(delay=0.5)
    await publish(js, service, "slow")
    c = consumer(js, sessions, service, handler)
    await start(c)
    await eventually(lambda: _called(handler), what="the handler started")
    await c.stop()
    await nc.flush()
    assert await scalar(sample_engine, "SELECT count(*) FROM effects") == 1
    await eventually(
        lambda: consumer_acked_up_to(js, stream, "effects", 1), timeout=2, what="acked before stopping"
    )

    again = consumer(js, sessions, service, handler)
    await start(again)
    await asyncio.sleep(1)
    await again.stop()
    assert handler.calls == {"slow": 1}


async def test_stop_gives_up_a_waiting_fetch_and_loses_nothing(sessions, sample_engine, js, service, caplog):
    """A consumer waiting on a long fetch stops at once (a server's shutdown does not wait out each
    consumer's fetch timeout); an event published afterwards is handled by the next consumer."""
    await ensure_stream(js, service)
    handler = Effects()
    c = consumer(js, sessions, service, handler, fetch_timeout=60)
    await start(c)
    await c.stop(timeout=5)
    assert "did not stop" not in caplog.text
    await publish(js, service, "after the stop")

    again = consumer(js, sessions, service, handler)
    await start(again)
    try:
        await eventually(lambda: _called(handler), what="the event handled by the next consumer")
    finally:
        await again.stop()
    assert handler.calls == {"after the stop": 1}
    assert await scalar(sample_engine, "SELECT count(*) FROM effects") == 1


async def _called(handler: Effects) -> bool:
    return bool(handler.calls)


async def test_consumer_started_before_its_stream_exists_waits_for_it(sessions, sample_engine, js, service):
    """Start order between services does not matter: streams and consumers are declared by code."""
    handler = Effects()
    c = consumer(js, sessions, service, handler)
    await c.start()
    try:
        await asyncio.sleep(0.7)
        assert not c.ready.is_set()
        await ensure_stream(js, service)
        await asyncio.wait_for(c.ready.wait(), 10)
        await publish(js, service, "late")
        await eventually(lambda: scalar(sample_engine, "SELECT count(*) FROM effects"), what="the effect")
    finally:
        await c.stop()
    assert handler.calls == {"late": 1}
    assert uuid.UUID(await scalar(sample_engine, "SELECT message_id FROM effects"))


async def test_slow_handler_is_not_redelivered_while_it_works(sessions, sample_engine, js, service):
    """A handler taking longer than ack_wait reports progress, so JetStream does not redeliver meanwhile."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects(delay=2.5)
    await publish(js, service, "slow")
    c = consumer(js, sessions, service, handler, ack_wait=1)
    await start(c)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 1), what="acked")
    finally:
        await c.stop()
    info = await js.consumer_info(stream, "effects")
    assert info.num_redelivered == 0
    assert info.delivered.consumer_seq == 1
    assert handler.calls == {"slow": 1}


# ---- batches (batch_commit=True): one transaction per fetch, one by one when a message fails ------


async def test_batch_applies_every_message_once_in_stream_order(sessions, sample_engine, js, service):
    """Fetched 50 at a time and committed together: no message lost, none applied twice, the effects
    written in stream order (so an aggregate's events in its order)."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects()
    notes = [f"n{n:03d}" for n in range(120)]
    for note in notes:
        await publish(js, service, note)
    c = consumer(js, sessions, service, handler, batch=50, batch_commit=True)
    await start(c)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", len(notes)), what="all acked")
    finally:
        await c.stop()
    assert handler.calls == Counter(notes)
    assert await scalar(sample_engine, "SELECT string_agg(note, ',' ORDER BY id) FROM effects") == ",".join(
        notes
    )
    info = await js.consumer_info(stream, "effects")
    assert info.num_redelivered == 0


async def test_batch_redelivered_after_a_lost_ack_has_no_second_effect(sessions, sample_engine, js, service):
    """A batch commits but its acks are lost: JetStream redelivers all of it, the consumer only acks."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects()
    await js.add_consumer(stream, consumer_config("effects", f"{service}.>", ack_wait=1))
    for n in range(5):
        await publish(js, service, f"b{n}")
    first = consumer(js, sessions, service, handler, ack_wait=1, batch_commit=True)
    sub = await js.pull_subscribe_bind(durable="effects", stream=stream)
    msgs = await sub.fetch(5, timeout=5)
    await sub.unsubscribe()

    async def ack_lost_on_the_way():
        pass

    for msg in msgs:
        msg.ack = ack_lost_on_the_way
    await first.process_batch(msgs)
    assert await scalar(sample_engine, "SELECT count(*) FROM effects") == 5

    second = consumer(js, sessions, service, handler, ack_wait=1, batch=10, batch_commit=True)
    await start(second)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 5), what="the redelivery acked")
    finally:
        await second.stop()
    assert handler.calls == Counter(f"b{n}" for n in range(5))
    assert await scalar(sample_engine, "SELECT count(DISTINCT message_id) = 5 AND count(*) = 5 FROM effects")


async def test_batch_with_a_bad_message_falls_back_and_dead_letters_it_alone(
    sessions, sample_engine, js, service
):
    """One handler failure rolls the batch back; handled one by one, the others take effect once and
    the bad one is retried, then dead-lettered alone; an undecodable one is dead-lettered at once."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = Effects(fail_times={"bad": 99})
    await publish(js, service, "a")
    bad = await publish(js, service, "bad")
    await js.publish(
        f"{service}.leave.approved", b"\xff not an envelope", headers={"Nats-Msg-Id": "garbage-b"}
    )
    await publish(js, service, "c")
    c = consumer(
        js, sessions, service, handler, batch=10, batch_commit=True, max_deliver=3, retry_delays=(0.1, 0.2)
    )
    await start(c)
    try:
        await eventually(
            lambda: scalar(sample_engine, "SELECT count(*) = 2 FROM dead_letters"), what="two dead letters"
        )
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 4), what="all settled")
    finally:
        await c.stop()
    assert await scalar(sample_engine, "SELECT string_agg(note, ',' ORDER BY id) FROM effects") == "a,c"
    # once in the batch rolled back, then once a delivery, one by one, until dead-lettered; "a" ran in
    # the rolled-back batch too, yet took effect once (the effects above)
    assert handler.calls["bad"] == 1 + 3 and handler.calls["a"] == 2 and handler.calls["c"] == 1
    assert (
        await scalar(
            sample_engine, "SELECT string_agg(message_id, ',' ORDER BY stream_seq) FROM dead_letters"
        )
        == f"{bad.event_id},garbage-b"
    )


# ---- batch handlers (batch_handler): a fetch's events applied at once, one by one on a failure ------


class BatchEffects:
    """A batch handler writing the effect rows of its events with one multi-row INSERT; it records each
    call's (subject, notes) and fails any call holding a note it is told to fail on."""

    def __init__(self, fail_on: set[str] | None = None):
        self.calls: list[tuple[str, list[str]]] = []
        self.fail_on = fail_on or set()
        self.handler = batch_handler(self.apply)

    async def apply(self, session, events):
        notes = [e.payload.value for e in events]
        self.calls.append((events[0].envelope.subject, notes))
        rows = [{"message_id": e.envelope.event_id, "note": e.payload.value} for e in events]
        await session.execute(insert(effects), rows)
        if self.fail_on.intersection(notes):
            raise RuntimeError(f"handler refused {sorted(self.fail_on.intersection(notes))}")

    def applied(self) -> Counter[str]:
        return Counter(note for _, notes in self.calls for note in notes)


async def fetch_all(js, stream: str, n: int) -> list:
    """n messages of the durable "effects", fetched by hand (so a test can lose their acks)."""
    sub = await js.pull_subscribe_bind(durable="effects", stream=stream)
    msgs = await sub.fetch(n, timeout=5)
    await sub.unsubscribe()
    assert len(msgs) == n
    return msgs


async def test_batch_handler_applies_a_fetch_at_once_and_a_redelivery_has_no_second_effect(
    sessions, sample_engine, js, service
):
    """Five events in one call and one transaction; their acks lost, JetStream redelivers all five and
    the handler is not called again (their processed ids were committed with the effects). The same
    event twice in one fetch (published again past the duplicate window) takes effect once."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = BatchEffects()
    await js.add_consumer(stream, consumer_config("effects", f"{service}.>", ack_wait=1))
    sent = [await publish(js, service, f"b{n}") for n in range(5)]
    await publish(js, service, "b4-again", envelope=sent[4], with_msg_id=False)  # the same event id
    first = consumer(js, sessions, service, handler.handler, ack_wait=1)
    msgs = await fetch_all(js, stream, 6)

    async def ack_lost_on_the_way():
        pass

    for msg in msgs:
        msg.ack = ack_lost_on_the_way
    await first.process_batch(msgs)
    assert handler.calls == [(f"{service}.leave.approved", [f"b{n}" for n in range(5)])]

    second = consumer(js, sessions, service, handler.handler, ack_wait=1, batch=10)
    await start(second)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 6), what="the redelivery acked")
    finally:
        await second.stop()
    info = await js.consumer_info(stream, "effects")
    assert info.delivered.consumer_seq >= 12  # all six delivered twice
    assert len(handler.calls) == 1
    assert await scalar(sample_engine, "SELECT count(DISTINCT message_id) = 5 AND count(*) = 5 FROM effects")
    assert await scalar(sample_engine, "SELECT count(*) FROM processed_messages") == 5


async def test_forged_event_in_a_batch_is_refused_alone(sessions, sample_engine, js, service, caplog):
    """An envelope naming another producer than its subject's, amid a fetch: dead-lettered alone as
    foreign-producer, never handed to the handler; its neighbours are applied together, in one call."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = BatchEffects()
    await js.add_consumer(stream, consumer_config("effects", f"{service}.>"))
    await publish(js, service, "a")
    forged = build_envelope(f"{service}.leave.approved", wrappers_pb2.StringValue(value="forged"), "leave/1")
    forged.producer = "documents"
    await publish(js, service, "forged", envelope=forged)
    await publish(js, service, "c")
    c = consumer(js, sessions, service, handler.handler, batch=10)
    msgs = await fetch_all(js, stream, 3)
    await c.process_batch(msgs)
    assert handler.calls == [(f"{service}.leave.approved", ["a", "c"])]
    assert await scalar(sample_engine, "SELECT string_agg(note, ',' ORDER BY id) FROM effects") == "a,c"
    assert await scalar(sample_engine, "SELECT message_id FROM dead_letters") == forged.event_id
    assert "names producer 'documents'" in await scalar(sample_engine, "SELECT error FROM dead_letters")
    await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 3), what="all three settled")


async def test_failing_batch_falls_back_to_one_by_one_without_losing_the_others(
    sessions, sample_engine, js, service
):
    """A call that raises rolls the whole fetch back; the handler is then called with one event at a
    time: the others take effect once, the bad one is retried and dead-lettered alone."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = BatchEffects(fail_on={"bad"})
    await publish(js, service, "a")
    bad = await publish(js, service, "bad")
    await publish(js, service, "c")
    c = consumer(js, sessions, service, handler.handler, batch=10, max_deliver=3, retry_delays=(0.1, 0.2))
    await start(c)
    try:
        await eventually(
            lambda: scalar(sample_engine, "SELECT count(*) = 1 FROM dead_letters"), what="one dead letter"
        )
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 3), what="all settled")
    finally:
        await c.stop()
    subject = f"{service}.leave.approved"
    assert handler.calls[:4] == [
        (subject, ["a", "bad", "c"]),  # rolled back
        (subject, ["a"]),
        (subject, ["bad"]),  # nak'd, redelivered later
        (subject, ["c"]),
    ]
    assert handler.applied()["bad"] == 1 + 3  # the batch, then each of its three deliveries
    assert await scalar(sample_engine, "SELECT string_agg(note, ',' ORDER BY id) FROM effects") == "a,c"
    assert await scalar(sample_engine, "SELECT message_id FROM dead_letters") == bad.event_id
    assert "handler refused ['bad']" in await scalar(sample_engine, "SELECT error FROM dead_letters")


async def test_batch_handler_gets_events_in_stream_order_one_subject_per_call(
    sessions, sample_engine, js, service
):
    """Events of three aggregates, two kinds, interleaved and fetched 7 at a time: each call holds one
    subject, the calls follow the stream, so every aggregate's events are applied in their order."""
    await ensure_stream(js, service)
    stream = stream_name(service)
    handler = BatchEffects()
    sent: list[tuple[str, str]] = []  # (aggregate, note) in publishing order
    for n in range(30):
        aggregate, kind = f"leave/{n % 3}", "approved" if n % 5 else "revoked"
        note = f"{aggregate}#{n}"
        envelope = build_envelope(f"{service}.leave.{kind}", wrappers_pb2.StringValue(value=note), aggregate)
        await publish(js, service, note, envelope=envelope)
        sent.append((aggregate, note))
    c = consumer(js, sessions, service, handler.handler, batch=7)
    await start(c)
    try:
        await eventually(lambda: consumer_acked_up_to(js, stream, "effects", 30), what="all acked")
    finally:
        await c.stop()
    assert [note for _, notes in handler.calls for note in notes] == [note for _, note in sent]
    assert any(subject.endswith(".revoked") for subject, _ in handler.calls)
    for subject, notes in handler.calls:
        kinds = {"revoked" if int(note.split("#")[1]) % 5 == 0 else "approved" for note in notes}
        assert kinds == {subject.rsplit(".", 1)[1]}
    applied = await scalar(sample_engine, "SELECT string_agg(note, ',' ORDER BY id) FROM effects")
    for aggregate in ("leave/0", "leave/1", "leave/2"):
        mine = [note for note in applied.split(",") if note.startswith(f"{aggregate}#")]
        assert mine == [note for agg, note in sent if agg == aggregate]


async def test_batch_span_links_each_events_producer(sessions, js, service):
    """One CONSUMER span per call of the batch handler, linked to the span context each message carries."""
    exporter = InMemorySpanExporter()
    configure_telemetry("sample", exporters=[exporter], instrument_grpc_clients=False)
    try:
        await ensure_stream(js, service)
        await js.add_consumer(stream_name(service), consumer_config("effects", f"{service}.>"))
        handler = BatchEffects()
        parents = [(secrets.randbits(128), secrets.randbits(64)) for _ in range(3)]
        for n, (trace_id, span_id) in enumerate(parents):
            await publish(
                js, service, f"t{n}", headers={"traceparent": f"00-{trace_id:032x}-{span_id:016x}-01"}
            )
        c = consumer(js, sessions, service, handler.handler, batch=10)
        await c.process_batch(await fetch_all(js, stream_name(service), 3))
        [span] = [s for s in exporter.get_finished_spans() if s.name == f"{service}.leave.approved process"]
    finally:
        exporter.shutdown()
    assert span.kind == trace.SpanKind.CONSUMER
    assert span.attributes["messaging.batch.message_count"] == 3
    assert [(link.context.trace_id, link.context.span_id) for link in span.links] == parents
