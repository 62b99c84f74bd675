"""OpenTelemetry traces across gRPC and NATS; exported by OTLP only when an endpoint is set.

Configured by the SDK's own variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns the OTLP/gRPC export on, and the exporter reads its
other `OTEL_EXPORTER_OTLP_*` settings (headers, certificate, timeout, compression) itself;
`OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` choose the sampler; `OTEL_TRACES_EXPORTER=none`
or `OTEL_SDK_DISABLED=true` turn the export off. `ZGOV_OTLP_ENDPOINT` (settings.otlp_endpoint) is
still read as a deprecated alias of OTEL_EXPORTER_OTLP_ENDPOINT, with a warning.

A service calls `configure_telemetry(settings.service_name, settings.otlp_endpoint)` once
at start. Then:
- gRPC servers: `grpc_server_interceptors()` gives OpenTelemetry's aio server interceptor;
  shared.grpc_server puts it first in its chain (so rejected calls are traced too). Servers
  are not patched globally, which would trace every call twice.
- gRPC clients: every `grpc.aio.insecure_channel`/`secure_channel` opened after
  configure_telemetry is instrumented (GrpcAioInstrumentorClient), so the trace context
  travels in the call metadata; `grpc_client_interceptors()` is there for channels that
  were made before.
- Metrics (shared/metrics.py): with an endpoint, exported by OTLP too (every minute); with
  ZGOV_METRICS_PORT set, also served for a Prometheus scrape on that port. The RED interceptor
  (rpc.server.duration) follows OpenTelemetry's in the server chain.
- NATS: the publisher (outbox relay) puts `inject_headers()` into the message headers (the
  outbox row stores them at write time, so the trace continues from the request that made
  the change); a consumer starts its span under `extract_context(msg.headers)`.
Trace context is W3C (traceparent, tracestate) plus W3C baggage.

While nothing exports spans (no endpoint, no exporter) a trace that starts here is not
recorded: its ids are still made (logs, audit records and peers see them) but building a
span costs ~250 µs of a ~1.5 ms call (bench org) for nothing. A caller's sampled trace is
still recorded, so its other spans stay connected. With an exporter the sampler set by the
standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG decides (default: parent-based, all).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_NAMESPACE, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, _get_from_env_or_default
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = [
    "PROPAGATOR",
    "RecordWhenExported",
    "configure_telemetry",
    "current_trace_ids",
    "extract_context",
    "grpc_client_interceptors",
    "grpc_server_interceptors",
    "inject_headers",
    "shutdown_telemetry",
    "tracer",
]

NAMESPACE = "zgov"
# The SDK's variables that name where spans go (the traces-only one first, as the exporter reads them).
STANDARD_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
DEPRECATED_ENDPOINT = "ZGOV_OTLP_ENDPOINT"
log = logging.getLogger(__name__)
PROPAGATOR = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])

_provider: TracerProvider | None = None
_clients_instrumented = False


class RecordWhenExported(Sampler):
    """`configured`'s decision once something exports spans; before that only a caller's sampled
    trace is recorded (its spans elsewhere stay connected), new traces are not."""

    def __init__(self, configured: Sampler):
        self.configured = configured
        self.exporting = False

    def should_sample(
        self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if self.exporting or (parent.is_valid and parent.trace_flags.sampled):
            return self.configured.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        return SamplingResult(Decision.DROP, trace_state=parent.trace_state if parent.is_valid else None)

    def get_description(self) -> str:
        return f"RecordWhenExported{{{self.configured.get_description()}}}"


def otlp_export(
    deprecated_endpoint: str | None = None, environ: Mapping[str, str] = os.environ
) -> tuple[bool, str | None]:
    """Whether spans are exported by OTLP, and the endpoint to give the exporter: None when one of the
    SDK's variables names it (the exporter reads them, with their headers and certificates), else the
    deprecated ZGOV_OTLP_ENDPOINT's value. No export without an endpoint, with OTEL_SDK_DISABLED=true
    or with OTEL_TRACES_EXPORTER=none."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False, None
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False, None
    if any(environ.get(name, "").strip() for name in STANDARD_ENDPOINTS):
        return True, None
    if deprecated_endpoint:
        return True, deprecated_endpoint
    return False, None


def configure_telemetry(
    service_name: str,
    otlp_endpoint: str | None = None,
    *,
    exporters: Iterable[SpanExporter] = (),
    instrument_grpc_clients: bool = True,
) -> TracerProvider:
    """Install the process's tracer provider (once) and return it.

    Spans are batch-exported by OTLP/gRPC when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set, or
    `otlp_endpoint` (the deprecated ZGOV_OTLP_ENDPOINT, e.g. http://127.0.0.1:4317); otherwise trace
    and span ids are made (for logs, audit records and peers), new traces are not recorded (see
    RecordWhenExported).
    `exporters`: more exporters, exported synchronously (tests use an InMemorySpanExporter).
    A second call adds its exporters to the first provider; the service name stays.
    """
    global _provider, _clients_instrumented
    if _provider is None:
        resource = Resource.create({SERVICE_NAME: service_name, SERVICE_NAMESPACE: NAMESPACE})
        _provider = TracerProvider(resource=resource, sampler=RecordWhenExported(_get_from_env_or_default()))
        export, endpoint = otlp_export(otlp_endpoint)
        if export:
            if endpoint:
                log.warning("%s is deprecated: set OTEL_EXPORTER_OTLP_ENDPOINT instead", DEPRECATED_ENDPOINT)
            # Imported only when needed: the exporter pulls in its own gRPC channel machinery.
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            _export_through(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        prometheus_port = int(os.environ.get("ZGOV_METRICS_PORT", "") or 0)
        if export or prometheus_port:
            from shared.metrics import configure_metrics

            configure_metrics(
                service_name, otlp=export, otlp_endpoint=endpoint, prometheus_port=prometheus_port
            )
        trace.set_tracer_provider(_provider)
        propagate.set_global_textmap(PROPAGATOR)
    for exporter in exporters:
        _export_through(SimpleSpanProcessor(exporter))
    if instrument_grpc_clients and not _clients_instrumented:
        from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient

        GrpcAioInstrumentorClient().instrument(tracer_provider=_provider)
        _clients_instrumented = True
    return _provider


def _export_through(processor: SpanProcessor) -> None:
    _provider.add_span_processor(processor)
    _provider.sampler.exporting = True  # from now on the configured sampler decides


def shutdown_telemetry() -> None:
    """Flush pending spans (call on shutdown, after the server drained)."""
    if _provider is not None:
        _provider.force_flush()
        _provider.shutdown()
    from opentelemetry import metrics

    meter_provider = metrics.get_meter_provider()
    if hasattr(meter_provider, "shutdown"):  # the SDK's, when metrics are exported
        meter_provider.shutdown()


def tracer(name: str) -> trace.Tracer:
    """A tracer of the process's provider (a no-op one until configure_telemetry ran)."""
    return trace.get_tracer(name)


def grpc_server_interceptors() -> list:
    """OpenTelemetry's grpc.aio server interceptor: one server span per call, parent from metadata;
    then the RED metrics of each call (shared/metrics.py)."""
    from opentelemetry.instrumentation.grpc import aio_server_interceptor

    from shared.metrics import RpcMetricsInterceptor

    return [aio_server_interceptor(), RpcMetricsInterceptor()]


def grpc_client_interceptors() -> list:
    """OpenTelemetry's grpc.aio client interceptors, for channels made before configure_telemetry."""
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    return list(aio_client_interceptors())


def inject_headers(
    headers: Mapping[str, str] | None = None, context: Context | None = None
) -> dict[str, str]:
    """A copy of `headers` with the current (or given) trace context added, for a NATS message."""
    carrier = dict(headers or {})
    PROPAGATOR.inject(carrier, context=context)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> Context:
    """The trace context carried by a NATS message's headers (an empty context when none)."""
    # From an empty context, not the current one: a message's trace is its own, whatever the
    # consumer loop happens to be running under.
    empty = otel_context.Context()
    if not headers:
        return empty
    return PROPAGATOR.extract(dict(headers), context=empty)


def current_trace_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span as hex, as logs and audit records show them."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
