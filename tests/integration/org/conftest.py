"""The org service running in-process against the real PostgreSQL, NATS and Keycloak of the tests."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest

from deploy.local.servers import Nats
from services.org.__main__ import build
from tests.fixtures.bus_auth import ADMIN, AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import org_settings, serving
from zgov.org.v1 import org_pb2_grpc


@pytest.fixture
def org_nats(production_nats) -> AuthenticatedBus:
    """A NATS as new for this test (no stream yet) with authorization as in production: org connects as
    its own NKEY user (`org_nats.seeds["org"]`), the test's readers as `admin`; a test marked
    `@pytest.mark.restarts_nats` may stop and start its server (`org_nats.server`)."""
    return production_nats("org")


@dataclass
class OrgUnderTest(CallsAsPeople):
    stub: org_pb2_grpc.OrgServiceStub
    nats: Nats
    database_url: str


@pytest.fixture
async def org(keycloak, org_nats, service_database, org_directory):
    database = await service_database("org")
    settings = org_settings(
        keycloak, database, org_nats.url, acting_clock_seconds=0.5, nats_nkey_seed=org_nats.seeds["org"]
    )
    async with serving(build(settings, org_directory)) as server:
        channel = grpc.aio.insecure_channel(server.address)
        try:
            yield OrgUnderTest(
                keycloak=keycloak,
                stub=org_pb2_grpc.OrgServiceStub(channel),
                nats=org_nats.server,
                database_url=database,
            )
        finally:
            await channel.close()


@pytest.fixture
async def org_events(org_nats):
    """A JetStream connection to read what the org service published."""
    client = await org_nats.connect(
        ADMIN, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    yield client.jetstream(timeout=5)
