"""The sampled gauges of shared/metrics.py against a real PostgreSQL: the outbox backlog and the age
of its oldest row, and the pool's connections in use, read back through an in-memory reader."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import nats
import pytest
from nats.js.api import ConsumerConfig
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from sqlalchemy import text

from shared import metrics
from shared.db import create_engine
from shared.migrations import run_migrations
from shared.streams import ensure_stream, stream_name
from tests.fixtures import sample_service

pytestmark = pytest.mark.integration


def gauge(reader: InMemoryMetricReader, name: str) -> list[tuple[dict, float]]:
    data = reader.get_metrics_data()
    return [
        (dict(p.attributes), p.value)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == name
        for p in m.data.data_points
    ]


async def test_outbox_backlog_oldest_age_and_pool_in_use_are_exported(database):
    reader = InMemoryMetricReader()
    metrics.configure_metrics("test", readers=[reader], set_global=False)
    await run_migrations(database, sample_service.MIGRATIONS_DIR)
    engine = create_engine(database)
    try:
        async with engine.begin() as connection:
            for minutes in (10, 1):
                await connection.execute(
                    text(
                        "INSERT INTO outbox (id, subject, aggregate_ref, payload, headers, created_at) "
                        "VALUES (:id, 'x.y.z', 'a/1', '', '{}', :at)"
                    ),
                    {"id": uuid.uuid4(), "at": datetime.now(UTC) - timedelta(minutes=minutes)},
                )
        await metrics.sample_outbox("sample", engine)
        metrics.observe_pool("sample", engine)
        async with engine.connect():
            in_use = gauge(reader, "zgov.db.pool.in_use")
        (backlog,) = gauge(reader, "zgov.outbox.backlog")
        (oldest,) = gauge(reader, "zgov.outbox.oldest_age")
    finally:
        await engine.dispose()
    assert backlog == ({"service": "sample"}, 2)
    assert oldest[0] == {"service": "sample"} and 590 < oldest[1] < 700
    assert ({"service": "sample"}, 1) in in_use


async def test_a_consumer_not_bound_yet_is_skipped_and_the_others_still_sampled(fresh_nats):
    """A service starts before the service whose stream it consumes: that consumer has no info yet.
    Sampling skips it instead of failing the whole sample (it logged a traceback every 15 s)."""
    reader = InMemoryMetricReader()
    metrics.configure_metrics("test", readers=[reader], set_global=False)
    metrics.samples.register()  # as watch_service does before its first sample
    client = await nats.connect(fresh_nats("metrics").url)
    try:
        js = client.jetstream()
        await ensure_stream(js, "sample")
        await js.add_consumer(stream_name("sample"), ConsumerConfig(durable_name="bound"))
        await js.publish("sample.thing.happened", b"x")
        await metrics.sample_consumers(
            js, [("SUPERVISION", "not-bound-yet"), (stream_name("sample"), "bound")]
        )
    finally:
        await client.close()
    pending = gauge(reader, "zgov.consumer.pending")
    assert pending == [({"stream": stream_name("sample"), "consumer": "bound"}, 1.0)]
