"""While its database is unreachable a service answers UNAVAILABLE and reports NOT_SERVING.

The org service runs on a PostgreSQL of this test's own, which the test stops under it and starts again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.org.__main__ import build
from tests.fixtures.servers import stop_fast
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import org_settings, serving
from tests.fixtures.polling import eventually_equal
from tests.integration.org.test_org_api import TODAY, d
from zgov.org.v1 import org_pb2, org_pb2_grpc

pytestmark = pytest.mark.integration


@pytest.fixture
async def org_on_own_database(keycloak, org_nats, own_postgres, org_directory):
    settings = org_settings(
        keycloak,
        own_postgres.ensure_database("org"),
        org_nats.url,
        acting_clock_seconds=0.5,
        nats_nkey_seed=org_nats.seeds["org"],
    )
    async with serving(build(settings, org_directory)) as server:
        channel = grpc.aio.insecure_channel(server.address)
        try:
            yield org_pb2_grpc.OrgServiceStub(channel), health_pb2_grpc.HealthStub(channel)
        finally:
            await channel.close()


async def health_status(health) -> int:
    return (await health.Check(health_pb2.HealthCheckRequest(service="zgov.org.v1.OrgService"))).status


async def test_database_down_is_unavailable_and_not_serving_until_it_is_back(
    org_on_own_database, own_postgres, keycloak
):
    """Closes: with PostgreSQL stopped, calls answered UNKNOWN with the driver's "Connect call failed"
    text and readiness stayed SERVING, so nothing told clients to retry or balancers to look elsewhere."""
    org, health = org_on_own_database
    mayor = CallsAsPeople(keycloak).as_user("mayor")
    await org.ListLeaves(org_pb2.ListLeavesRequest(), metadata=mayor)
    assert await health_status(health) == health_pb2.HealthCheckResponse.SERVING

    await asyncio.to_thread(stop_fast, own_postgres)
    request = org_pb2.RequestLeaveRequest(
        position="mayor",
        kind=org_pb2.LEAVE_KIND_LEAVE,
        reason="公务",
        first_day=d(TODAY + timedelta(days=40)),
        last_day=d(TODAY + timedelta(days=41)),
    )
    for call in (
        org.ListLeaves(org_pb2.ListLeavesRequest(), metadata=mayor),
        org.RequestLeave(request, metadata=mayor),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value.details()
        assert "Connect call failed" not in err.value.details() and "asyncpg" not in err.value.details()
    await eventually_equal(lambda: health_status(health), health_pb2.HealthCheckResponse.NOT_SERVING)

    await asyncio.to_thread(own_postgres.start)
    await eventually_equal(lambda: health_status(health), health_pb2.HealthCheckResponse.SERVING)
    leave = await org.RequestLeave(request, metadata=mayor)
    assert leave.state == org_pb2.LEAVE_STATE_REQUESTED
