"""Metrics (指标) an operator runs on, as OpenTelemetry instruments of the meter "zgov".

| instrument                    | kind      | attributes                                    | meaning                              |
| ----------------------------- | --------- | --------------------------------------------- | ------------------------------------ |
| rpc.server.duration           | histogram | rpc.service, rpc.method, rpc.grpc.status_code | RED per RPC: rate, errors, duration  |
| zgov.sweep.duration           | histogram | sweep                                         | one round of a background sweep      |
| zgov.sweep.items              | counter   | sweep                                         | items a sweep's rounds handled       |
| zgov.outbox.backlog           | gauge     | service                                       | outbox rows not yet published        |
| zgov.outbox.oldest_age        | gauge     | service                                       | seconds the oldest of them waited    |
| zgov.consumer.pending         | gauge     | stream, consumer                              | consumer lag: messages not delivered |
| zgov.consumer.redelivered     | gauge     | stream, consumer                              | messages delivered more than once    |
| zgov.events.dead_lettered     | counter   | consumer, subject (shared/consumer.py)        | events parked as dead letters        |
| zgov.db.pool.in_use           | gauge     | service                                       | pooled connections checked out       |
| zgov.portal.stale_served      | counter   | reason (services/portal/caching.py)           | public pages served stale on errors  |

Export (`configure_metrics`): by OTLP with the traces (OTEL_EXPORTER_OTLP_ENDPOINT, shared/telemetry),
and/or a Prometheus scrape endpoint on ZGOV_METRICS_PORT (the chart's metrics.prometheus). Until a
provider is configured every instrument is a no-op, so the code records unconditionally.

The gauges that need a query (outbox, consumers) are sampled by `watch_service` in the background
every `SAMPLE_SECONDS` and read from the last sample, since an instrument's callback may not await.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Any

import grpc
import structlog
from nats.js.errors import NotFoundError
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)
SAMPLE_SECONDS = 15.0
# Bucket bounds in seconds: an RPC takes milliseconds, a sweep round up to minutes.
RPC_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300)


_provider: Any = None  # the provider configure_metrics installed (the global one otherwise)


def meter() -> metrics.Meter:
    return _provider.get_meter("zgov") if _provider is not None else metrics.get_meter("zgov")


class _Instruments:
    """Created on first use, from the provider installed by then (a proxy meter otherwise)."""

    def __init__(self) -> None:
        m = meter()
        self.rpc = m.create_histogram(
            "rpc.server.duration",
            unit="s",
            description="duration of each served RPC, by method and status",
            explicit_bucket_boundaries_advisory=RPC_BUCKETS,
        )
        self.sweep = m.create_histogram(
            "zgov.sweep.duration",
            unit="s",
            description="duration of one round of a background sweep",
            explicit_bucket_boundaries_advisory=SWEEP_BUCKETS,
        )
        self.sweep_items = m.create_counter("zgov.sweep.items", description="items handled by sweep rounds")


_instruments: _Instruments | None = None


def instruments() -> _Instruments:
    global _instruments
    if _instruments is None:
        _instruments = _Instruments()
    return _instruments


def sweep_round(name: str, seconds: float, handled: int) -> None:
    attributes = {"sweep": name}
    instruments().sweep.record(seconds, attributes)
    if handled:
        instruments().sweep_items.add(handled, attributes)


# -- RED per RPC -----------------------------------------------------------------------------


class RpcMetricsInterceptor(grpc.aio.ServerInterceptor):
    """Records rpc.server.duration for every unary call, refused ones included (first in the chain)."""

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_streaming or handler.response_streaming:
            return handler
        return _measured(handler, handler_call_details.method)


def _method_attributes(full_method: str) -> dict[str, str]:
    service, _, method = full_method.lstrip("/").rpartition("/")
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}


def _measured(handler: grpc.RpcMethodHandler, full_method: str) -> grpc.RpcMethodHandler:
    behaviour = handler.unary_unary
    attributes = _method_attributes(full_method)

    async def timed(request, context):
        started = time.perf_counter()
        status = grpc.StatusCode.OK
        try:
            return await behaviour(request, context)
        except BaseException:
            status = _status_of(context) or grpc.StatusCode.UNKNOWN
            raise
        finally:
            if status is grpc.StatusCode.OK:
                status = _status_of(context) or grpc.StatusCode.OK
            instruments().rpc.record(
                time.perf_counter() - started, {**attributes, "rpc.grpc.status_code": status.value[0]}
            )

    return grpc.unary_unary_rpc_method_handler(
        timed, handler.request_deserializer, handler.response_serializer
    )


def _status_of(context) -> grpc.StatusCode | None:
    try:
        code = context.code()
    except (AttributeError, NotImplementedError):
        return None
    return code if isinstance(code, grpc.StatusCode) else None


# -- gauges ----------------------------------------------------------------------------------


class _Samples:
    """The last sampled values of the gauges that need a query, by attribute set."""

    def __init__(self) -> None:
        self.values: dict[str, dict[tuple, float]] = {}
        self.pools: dict[str, AsyncEngine] = {}
        self._registered = False

    def reset(self) -> None:
        """Forget what was sampled: the next provider starts empty (configure_metrics runs at start)."""
        self._registered = False
        self.values.clear()
        self.pools.clear()

    def set(self, name: str, attributes: dict[str, str], value: float) -> None:
        self.values.setdefault(name, {})[tuple(sorted(attributes.items()))] = value

    def observe(self, name: str) -> Iterable[Observation]:
        return [Observation(v, dict(k)) for k, v in self.values.get(name, {}).items()]

    def register(self) -> None:
        if self._registered:
            return
        self._registered = True
        m = meter()
        for name, unit, description in GAUGES:
            m.create_observable_gauge(name, [self._callback(name)], unit=unit, description=description)
        m.create_observable_gauge(
            "zgov.db.pool.in_use",
            [self._pool_in_use],
            description="pooled PostgreSQL connections checked out",
        )

    def _callback(self, name: str):
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            return self.observe(name)

        return callback

    def _pool_in_use(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(engine.pool.checkedout(), {"service": service})
            for service, engine in self.pools.items()
            if hasattr(engine.pool, "checkedout")
        ]


GAUGES = (
    # units in braces are annotations: Prometheus names stay zgov_outbox_backlog etc.
    ("zgov.outbox.backlog", "{row}", "outbox rows not yet published"),
    ("zgov.outbox.oldest_age", "s", "seconds the oldest unpublished outbox row has waited"),
    ("zgov.consumer.pending", "{message}", "messages of the stream not yet delivered to the consumer"),
    ("zgov.consumer.redelivered", "{message}", "messages delivered to the consumer more than once"),
)
samples = _Samples()

_OUTBOX = text(
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
    "FROM outbox WHERE published_at IS NULL"
)


def observe_pool(service: str, engine: AsyncEngine) -> None:
    """Report the engine's connections in use as zgov.db.pool.in_use{service}."""
    samples.register()
    samples.pools[service] = engine


async def sample_outbox(service: str, engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        backlog, oldest = (await connection.execute(_OUTBOX)).one()
    samples.set("zgov.outbox.backlog", {"service": service}, float(backlog))
    samples.set("zgov.outbox.oldest_age", {"service": service}, float(oldest))


async def sample_consumers(js: Any, consumers: Sequence[Any]) -> None:
    """The service's consumers (shared.consumer.EventConsumer, or (stream, durable) pairs): their lag
    and redeliveries from JetStream's consumer info."""
    for consumer in consumers:
        stream, durable = consumer if isinstance(consumer, tuple) else (consumer.stream, consumer.durable)
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:
            # not bound yet: the stream's service has not started (the consumer says so in its own log
            # and retries); no lag to report, and the other consumers are still sampled
            continue
        attributes = {"stream": stream, "consumer": durable}
        samples.set("zgov.consumer.pending", attributes, float(info.num_pending or 0))
        samples.set("zgov.consumer.redelivered", attributes, float(info.num_redelivered or 0))


async def watch_service(
    service: str,
    engine: AsyncEngine,
    js: Any = None,
    consumers: Sequence[Any] = (),
    every: float = SAMPLE_SECONDS,
    *,
    outbox: bool = True,
) -> None:
    """In the background (server.background): sample the outbox and the consumers every `every` s.
    `outbox=False`: a service that publishes nothing has no outbox table to sample (notify)."""
    samples.register()
    observe_pool(service, engine)
    while True:
        try:
            if outbox:
                await sample_outbox(service, engine)
            if js is not None and consumers:
                await sample_consumers(js, consumers)
        except Exception:  # noqa: BLE001 — a sample missed is no reason to stop sampling
            if not _being_cancelled():
                log.warning("metrics sample failed", service=service, exc_info=True)
        if _being_cancelled():
            # Python 3.11's asyncio.wait_for (inside the NATS client's requests) can swallow the
            # server's cancellation at shutdown (or turn it into a TimeoutError): the loop would go on
            # for ever, and the server's drain, which waits for its background tasks, never end.
            raise asyncio.CancelledError
        await asyncio.sleep(every)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# -- export ----------------------------------------------------------------------------------


def configure_metrics(
    service: str,
    *,
    otlp: bool = False,
    otlp_endpoint: str | None = None,
    prometheus_port: int = 0,
    readers: Sequence[Any] = (),
    set_global: bool = True,
) -> Any:
    """Install the process's MeterProvider (once): OTLP every minute when `otlp`, a Prometheus
    endpoint on `prometheus_port` (0: none), plus `readers` (tests pass an InMemoryMetricReader)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_NAMESPACE, Resource

    all_readers = list(readers)
    if otlp:
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        all_readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=otlp_endpoint)))
    if prometheus_port:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server

        start_http_server(prometheus_port, addr="0.0.0.0")  # scraped from other pods  # noqa: S104
        all_readers.append(PrometheusMetricReader())
    global _provider, _instruments
    provider = MeterProvider(
        resource=Resource.create({SERVICE_NAME: service, SERVICE_NAMESPACE: "zgov"}),
        metric_readers=all_readers,
    )
    if set_global:
        metrics.set_meter_provider(provider)  # the SDK's other meters (shared.consumer's) too
    # this module's instruments from now on come from this provider (a test installs its own)
    _provider, _instruments = provider, None
    samples.reset()
    return provider
