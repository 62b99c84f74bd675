"""Traces continue across NATS headers and gRPC calls; logs carry the trace.

Covers shared.telemetry and shared.logging.

The process-wide set-up (global tracer provider, instrumented gRPC channels) runs in a child
process, so it cannot leak into the other tests of the session.
"""

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.logging import configure_logging, get_logger
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, DEFAULT_ON

from shared.telemetry import RecordWhenExported, current_trace_ids, extract_context, inject_headers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test"), exporter
    provider.shutdown()


def test_span_under_extracted_context_continues_the_trace(spans):
    tracer, exporter = spans
    with tracer.start_as_current_span("outbox.publish") as publisher:
        headers = inject_headers({"Nats-Msg-Id": "outbox-42"})
    assert headers["Nats-Msg-Id"] == "outbox-42"
    assert headers["traceparent"].split("-")[1] == format(publisher.get_span_context().trace_id, "032x")

    # the consumer, later, with nothing current
    with tracer.start_as_current_span("consume", context=extract_context(headers)) as consumer:
        pass
    assert consumer.get_span_context().trace_id == publisher.get_span_context().trace_id
    assert consumer.parent.span_id == publisher.get_span_context().span_id
    assert len(exporter.get_finished_spans()) == 2


def test_message_without_headers_starts_a_new_trace(spans):
    tracer, _ = spans
    with tracer.start_as_current_span("consumer loop") as loop:
        # even with a span current, a message without context does not join the loop's trace
        with tracer.start_as_current_span("consume", context=extract_context(None)) as consumer:
            pass
        with tracer.start_as_current_span("consume", context=extract_context({"x": "1"})) as other:
            pass
    assert consumer.parent is None and other.parent is None
    assert consumer.get_span_context().trace_id != loop.get_span_context().trace_id


def test_inject_does_not_change_the_given_headers(spans):
    tracer, _ = spans
    given = {"a": "1"}
    with tracer.start_as_current_span("x"):
        assert "traceparent" in inject_headers(given)
    assert given == {"a": "1"}
    assert "traceparent" not in inject_headers()  # no span current: nothing to carry


CALLER_SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_new_traces_are_not_recorded_while_nothing_exports_but_keep_their_ids():
    tracer = TracerProvider(sampler=RecordWhenExported(DEFAULT_ON)).get_tracer("test")
    with tracer.start_as_current_span("ListLeaves") as span:
        assert not span.is_recording()
        assert current_trace_ids() is not None  # logs and audit records still name the trace
        headers = inject_headers()
    assert headers["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")
    assert int(headers["traceparent"].rsplit("-", 1)[1], 16) & 1 == 0  # peers are told: not sampled


def test_a_callers_sampled_trace_is_recorded_even_when_nothing_exports_here():
    tracer = TracerProvider(sampler=RecordWhenExported(DEFAULT_ON)).get_tracer("test")
    with tracer.start_as_current_span(
        "ListLeaves", context=extract_context({"traceparent": CALLER_SAMPLED})
    ) as span:
        assert span.is_recording()
    assert format(span.get_span_context().trace_id, "032x") == CALLER_SAMPLED.split("-")[1]
    assert span.get_span_context().trace_flags.sampled


def test_once_something_exports_the_configured_sampler_decides():
    exporter = InMemorySpanExporter()
    recorded, sampler = TracerProvider(sampler=RecordWhenExported(DEFAULT_ON)), RecordWhenExported(ALWAYS_OFF)
    recorded.sampler.exporting = sampler.exporting = True
    recorded.add_span_processor(SimpleSpanProcessor(exporter))
    with recorded.get_tracer("test").start_as_current_span("ListLeaves") as span:
        assert span.is_recording()
    assert [s.name for s in exporter.get_finished_spans()] == ["ListLeaves"]
    with TracerProvider(sampler=sampler).get_tracer("test").start_as_current_span("ListLeaves") as span:
        assert not span.is_recording()  # e.g. OTEL_TRACES_SAMPLER=always_off


SAMPLER_FROM_ENVIRONMENT = textwrap.dedent(
    """
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from shared.telemetry import configure_telemetry, tracer

    exporter = InMemorySpanExporter()
    configure_telemetry("org", None, exporters=[exporter], instrument_grpc_clients=False)
    for _ in range(200):
        with tracer("test").start_as_current_span("call"):
            pass
    print(len(exporter.get_finished_spans()))
    """
)


@pytest.mark.parametrize(
    ("sampler", "ratio", "low", "high"),
    [
        ("always_off", "", 0, 0),
        ("parentbased_traceidratio", "0.25", 20, 90),
        ("", "", 200, 200),
    ],
)
def test_the_operators_sampler_decides_what_is_exported(sampler, ratio, low, high):
    environment = {**os.environ, "OTEL_TRACES_SAMPLER": sampler, "OTEL_TRACES_SAMPLER_ARG": ratio}
    if not sampler:
        del environment["OTEL_TRACES_SAMPLER"], environment["OTEL_TRACES_SAMPLER_ARG"]
    result = subprocess.run(
        [sys.executable, "-c", SAMPLER_FROM_ENVIRONMENT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    assert low <= int(result.stdout.split()[-1]) <= high


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    handler = configure_logging("org", "DEBUG", json=True, stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_log_lines_are_json_with_service_and_trace(spans, log_stream):
    tracer, _ = spans
    log = get_logger("services.org.api")
    with tracer.start_as_current_span("ApproveLeave") as span:
        log.info("leave approved", leave_id="L-1", holder="张三")
        logging.getLogger("sqlalchemy.engine").warning("slow query")
        trace_id, span_id = current_trace_ids()
    log.info("outside any span")
    inside, foreign, outside = lines(log_stream)
    assert inside["event"] == "leave approved" and inside["leave_id"] == "L-1"
    assert inside["service"] == "org" and inside["level"] == "info" and inside["logger"] == "services.org.api"
    assert inside["trace_id"] == trace_id == format(span.get_span_context().trace_id, "032x")
    assert inside["span_id"] == span_id
    assert "张三" in log_stream.getvalue()  # not escaped
    assert foreign["event"] == "slow query" and foreign["service"] == "org"
    assert foreign["trace_id"] == trace_id
    assert "trace_id" not in outside
    assert current_trace_ids() is None


def test_log_level_filters(log_stream):
    configure_logging("org", "WARNING", json=True, stream=log_stream)
    get_logger("x").info("hidden")
    get_logger("x").warning("shown")
    assert [line["event"] for line in lines(log_stream)] == ["shown"]


def test_exceptions_are_logged_as_structured_tracebacks(log_stream):
    try:
        raise ValueError("boom")
    except ValueError:
        get_logger("x").exception("failed")
    [line] = lines(log_stream)
    assert line["exception"][0]["exc_type"] == "ValueError"


GRPC_ROUND_TRIP = textwrap.dedent(
    """
    import asyncio, json
    import grpc
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from shared.telemetry import configure_telemetry, grpc_server_interceptors, tracer

    exporter = InMemorySpanExporter()
    provider = configure_telemetry("org", None, exporters=[exporter])
    assert configure_telemetry("org", exporters=[]) is provider  # a second call keeps the provider

    async def echo(request, context):
        with tracer("test").start_as_current_span("domain work"):
            return request

    async def main():
        server = grpc.aio.server(interceptors=grpc_server_interceptors())
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
            "zgov.test.v1.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)})])
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        with tracer("test").start_as_current_span("caller"):
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                await channel.unary_unary("/zgov.test.v1.Echo/Echo")(b"x")
        await server.stop(None)

    asyncio.run(main())
    print(json.dumps([
        {"name": s.name, "kind": s.kind.name, "trace": s.context.trace_id, "id": s.context.span_id,
         "parent": s.parent.span_id if s.parent else None, "service": s.resource.attributes["service.name"]}
        for s in exporter.get_finished_spans()
    ]))
    """
)


def test_grpc_call_continues_the_callers_trace_on_the_server():
    result = subprocess.run(
        [sys.executable, "-c", GRPC_ROUND_TRIP], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    spans = json.loads(result.stdout.splitlines()[-1])
    [caller] = [s for s in spans if s["name"] == "caller"]
    [work] = [s for s in spans if s["name"] == "domain work"]
    [client] = [s for s in spans if s["kind"] == "CLIENT"]
    [server] = [s for s in spans if s["kind"] == "SERVER"]
    assert client["name"] == server["name"] == "/zgov.test.v1.Echo/Echo"
    # caller -> client span -> (metadata) -> server span -> domain work: one trace
    assert {s["trace"] for s in (caller, client, server, work)} == {caller["trace"]}
    assert client["parent"] == caller["id"]
    assert server["parent"] == client["id"]
    assert work["parent"] == server["id"]
    assert server["service"] == "org"


def test_with_an_endpoint_counters_are_exported_by_otlp_too():
    """In a process of its own: the meter provider is set once per process."""
    import subprocess
    import sys

    code = (
        "from opentelemetry import metrics\n"
        "from opentelemetry.sdk.metrics import MeterProvider\n"
        "from shared.telemetry import configure_telemetry, shutdown_telemetry\n"
        "configure_telemetry('org', 'http://127.0.0.1:9', instrument_grpc_clients=False)\n"
        "assert isinstance(metrics.get_meter_provider(), MeterProvider)\n"
        "metrics.get_meter('t').create_counter('zgov.events.dead_lettered').add(1)\n"
        "print('exporting')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "exporting" in done.stdout, done.stderr


# ---- the SDK's own variables; the refusing rule on the span -------------------------------------


def test_otlp_export_follows_the_sdks_variables_and_reads_the_old_name_as_an_alias():
    from shared.telemetry import otlp_export

    standard = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}
    # The exporter reads the standard variables itself (headers, certificates …): no endpoint passed.
    assert otlp_export(None, standard) == (True, None)
    assert otlp_export("http://old:4317", standard) == (True, None)
    assert otlp_export(None, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}) == (True, None)
    assert otlp_export("http://old:4317", {}) == (True, "http://old:4317")  # ZGOV_OTLP_ENDPOINT, deprecated
    assert otlp_export(None, {}) == (False, None)
    assert otlp_export(None, {**standard, "OTEL_TRACES_EXPORTER": "none"}) == (False, None)
    assert otlp_export("http://old:4317", {**standard, "OTEL_SDK_DISABLED": "true"}) == (False, None)


REFUSED_CALL = textwrap.dedent(
    """
    import asyncio, json
    import grpc
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from shared.errors import RuleViolation
    from shared.rpc_auth import _abort
    from shared.telemetry import configure_telemetry, grpc_server_interceptors

    exporter = InMemorySpanExporter()
    configure_telemetry("meetings", None, exporters=[exporter], instrument_grpc_clients=False)

    async def refuse(request, context):
        await _abort(context, RuleViolation("A42.route", "the leader did not propose it"))

    async def main():
        server = grpc.aio.server(interceptors=grpc_server_interceptors())
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
            "zgov.test.v1.Refuse", {"Refuse": grpc.unary_unary_rpc_method_handler(refuse)})])
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            try:
                await channel.unary_unary("/zgov.test.v1.Refuse/Refuse")(b"x")
            except grpc.aio.AioRpcError as refused:
                assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        await server.stop(None)

    asyncio.run(main())
    print(json.dumps([{"kind": s.kind.name, "attributes": dict(s.attributes)} for s in exporter.get_finished_spans()]))
    """
)


def test_a_refused_calls_span_names_the_rule():
    result = subprocess.run(
        [sys.executable, "-c", REFUSED_CALL], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    [server] = [s for s in json.loads(result.stdout.splitlines()[-1]) if s["kind"] == "SERVER"]
    assert server["attributes"]["zgov.rule_id"] == "A42.route"
