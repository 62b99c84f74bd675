"""The sampled gauges of shared/metrics.py against a real PostgreSQL: the outbox backlog and the age
of its oldest row, and the pool's connections in use, read back through an in-memory reader."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from sqlalchemy import text

from shared import metrics
from shared.db import create_engine, run_migrations
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
