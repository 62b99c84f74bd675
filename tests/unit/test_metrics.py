"""shared/metrics.py: the RED histogram of a real grpc.aio server's calls, the sweep and the
sampled gauges, read back through an in-memory reader (what OTLP and Prometheus would export)."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from shared import metrics


@pytest.fixture
def reader() -> InMemoryMetricReader:
    reader = InMemoryMetricReader()
    metrics.configure_metrics("test", readers=[reader], set_global=False)
    return reader


def points(reader: InMemoryMetricReader, name: str) -> list:
    data = reader.get_metrics_data()
    return [
        point
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == name
        for point in m.data.data_points
    ]


async def test_every_call_is_measured_by_method_and_status(reader):
    server = grpc.aio.server(interceptors=[metrics.RpcMetricsInterceptor()])
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            await stub.Check(health_pb2.HealthCheckRequest(service=""))
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"))
    finally:
        await server.stop(None)
    calls = {
        (p.attributes["rpc.method"], p.attributes["rpc.grpc.status_code"]): p.count
        for p in points(reader, "rpc.server.duration")
    }
    assert calls == {
        ("Check", grpc.StatusCode.OK.value[0]): 1,
        ("Check", grpc.StatusCode.NOT_FOUND.value[0]): 1,
    }


def test_sweep_rounds_and_sampled_gauges_are_exported(reader):
    metrics.sweep_round("overdue sweep", 0.2, 7)
    metrics.samples.register()
    metrics.samples.set("zgov.outbox.backlog", {"service": "org"}, 12)
    (duration,) = points(reader, "zgov.sweep.duration")
    assert duration.attributes == {"sweep": "overdue sweep"} and duration.count == 1
    assert [p.value for p in points(reader, "zgov.sweep.items")] == [7]
    assert [(p.attributes, p.value) for p in points(reader, "zgov.outbox.backlog")] == [
        ({"service": "org"}, 12)
    ]
