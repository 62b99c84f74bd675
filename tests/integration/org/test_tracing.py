"""Telemetry as behaviour: one trace from a gRPC caller through org's outbox and NATS to a consumer.

The spans are read from an in-memory exporter added to the process's tracer provider
(shared.telemetry.configure_telemetry; a second call only adds the exporter). The provider is
process-wide and cannot be unset, so the exporter is shut down after the test and gRPC client
channels are not instrumented here: the caller's trace context is put in the call's metadata by
hand, as any W3C-speaking client (another service, a gateway) sends it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.consumer import EventConsumer
from shared.db import create_engine, session_factory
from shared.streams import stream_name
from shared.telemetry import configure_telemetry
from tests.fixtures.events import stream_messages
from tests.fixtures.polling import eventually
from zgov.common.v1 import common_pb2
from zgov.events.v1 import envelope_pb2
from zgov.org.v1 import org_pb2

pytestmark = pytest.mark.integration

ORG_SERVICE = org_pb2.DESCRIPTOR.services_by_name["OrgService"].full_name
FIRST_DAY = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=20)  # no acting events today


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    configure_telemetry("org", exporters=[exporter], instrument_grpc_clients=False)
    yield exporter
    exporter.shutdown()  # later spans of the session are no longer kept


@pytest.fixture
async def org_sessions(org):
    """Sessions on org's own database, which has the processed_messages table a consumer needs."""
    engine = create_engine(org.database_url)
    yield session_factory(engine)
    await engine.dispose()


def caller(trace_id: int, span_id: int) -> tuple:
    """Call metadata of a client whose span is `span_id` in trace `trace_id` (W3C traceparent, sampled)."""
    return (("traceparent", f"00-{trace_id:032x}-{span_id:016x}-01"),)


def traceparent_ids(headers: dict) -> tuple[int, int]:
    """(trace id, parent span id) of a message's traceparent header."""
    _, trace_id, span_id, _ = headers["traceparent"].split("-")
    return int(trace_id, 16), int(span_id, 16)


async def finished_span(exporter: InMemorySpanExporter, name: str, kind: trace.SpanKind):
    """The one finished span of that name and kind, or None (yet)."""
    found = [s for s in exporter.get_finished_spans() if s.name == name and s.kind == kind]
    assert len(found) <= 1, f"{len(found)} spans {name}"
    return found[0] if found else None


def descends_from(span, ancestor, exporter: InMemorySpanExporter) -> bool:
    """Whether `ancestor` is on the chain of parents of `span` (within the exported spans)."""
    by_id = {s.context.span_id: s for s in exporter.get_finished_spans()}
    parent = span.parent
    while parent is not None:
        if parent.span_id == ancestor.context.span_id:
            return True
        parent = by_id[parent.span_id].parent if parent.span_id in by_id else None
    return False


async def test_trace_of_a_call_continues_through_the_outbox_and_nats_to_the_consumer(
    spans, org, org_events, org_sessions
):
    request_trace, approve_trace = secrets.randbits(128), secrets.randbits(128)
    request_caller, approve_caller = secrets.randbits(64), secrets.randbits(64)
    handled: list[tuple[str, int]] = []

    async def on_leave_approved(session, envelope, payload):
        handled.append((envelope.aggregate_ref, trace.get_current_span().get_span_context().trace_id))

    async def were_handled():
        return handled

    consumer = EventConsumer(
        org_events,
        org_sessions,
        stream_name("org"),
        "tracing-test",
        "org.leave.approved",
        on_leave_approved,
        fetch_timeout=0.2,
    )
    await consumer.start()
    try:
        day = common_pb2.Date(year=FIRST_DAY.year, month=FIRST_DAY.month, day=FIRST_DAY.day)
        leave = await org.stub.RequestLeave(
            org_pb2.RequestLeaveRequest(
                position="vice-mayor",
                kind=org_pb2.LEAVE_KIND_LEAVE,
                first_day=day,
                last_day=day,
                reason="公务安排",
            ),
            metadata=org.as_user("vice-mayor-1") + caller(request_trace, request_caller),
        )
        await org.stub.ApproveLeave(
            org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"),
            metadata=org.as_user("mayor") + caller(approve_trace, approve_caller),
        )
        await eventually(were_handled, timeout=20, what="the consumer handled the approval")
    finally:
        await consumer.stop()

    def finished(name: str, kind: trace.SpanKind):
        return eventually(lambda: finished_span(spans, name, kind), what=f"the {kind.name} span {name}")

    server = await finished(f"/{ORG_SERVICE}/ApproveLeave", trace.SpanKind.SERVER)
    producer = await finished("org.leave.approved publish", trace.SpanKind.PRODUCER)
    processed = await finished("org.leave.approved process", trace.SpanKind.CONSUMER)
    messages = {m.subject: m for m in await stream_messages(org_events, stream_name("org"))}
    approved = messages["org.leave.approved"]
    assert envelope_pb2.EventEnvelope.FromString(approved.data).aggregate_ref == f"leave/{leave.id}"

    # caller -> (gRPC metadata) -> org's server span
    assert server.context.trace_id == approve_trace
    assert server.parent.span_id == approve_caller and server.parent.is_remote
    # server span -> (outbox row, written in the RPC's transaction) -> relay's publish span
    assert producer.context.trace_id == approve_trace
    assert descends_from(producer, server, spans)
    # publish span -> (NATS message header) -> consumer span, under which the handler ran
    assert traceparent_ids(approved.headers) == (approve_trace, producer.context.span_id)
    assert processed.context.trace_id == approve_trace
    assert processed.parent.span_id == producer.context.span_id
    assert handled == [(f"leave/{leave.id}", approve_trace)]
    # each event carries the trace of the call that made it, not of whatever the relay ran under
    assert traceparent_ids(messages["org.leave.requested"].headers)[0] == request_trace
