"""The meetings service running in-process with the org service it asks, against the real
PostgreSQL, NATS and Keycloak of the tests. Each test gets fresh databases and its own NATS
(fresh streams), so it sees only its own events."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from zgov.meetings.v1 import meetings_pb2_grpc
from zgov.org.v1 import org_pb2_grpc

from deploy.local.servers import Nats
from services.meetings.__main__ import build as build_meetings
from services.meetings.config import MeetingsSettings
from tests.fixtures.bus_auth import ADMIN, AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving


@pytest.fixture
def meetings_nats(production_nats) -> AuthenticatedBus:
    """A NATS of this test's own with authorization as in production: meetings and org connect as
    their own NKEY users (`meetings_nats.seeds[...]`), the test's readers as `admin`."""
    return production_nats("meetings")


@dataclass
class MeetingsUnderTest(CallsAsPeople):
    stub: meetings_pb2_grpc.MeetingsServiceStub
    org: org_pb2_grpc.OrgServiceStub
    nats: Nats
    # the service's database, for tests that change a row as no act yet does (e.g. a meeting moved)
    database: str = ""


@pytest.fixture
async def meetings(keycloak, meetings_nats, service_database, in_process_org):
    database = await service_database("meetings")
    async with in_process_org(
        meetings_nats.url, acting_clock_seconds=5, nats_nkey_seed=meetings_nats.seeds["org"]
    ) as org:
        server = build_meetings(
            MeetingsSettings(
                database_url=database,
                nats_url=meetings_nats.url,
                nats_nkey_seed=meetings_nats.seeds["meetings"],
                keycloak_url=keycloak.url,
                client_id="meetings",
                client_secret=keycloak.client_secrets["meetings"],
                grpc_port=0,
                http_port=0,
                org_address=org.address,
                org_cache_seconds=30,
            )
        )
        async with serving(server):
            channel = grpc.aio.insecure_channel(server.address)
            try:
                yield MeetingsUnderTest(
                    keycloak=keycloak,
                    stub=meetings_pb2_grpc.MeetingsServiceStub(channel),
                    org=org.stub,
                    nats=meetings_nats.server,
                    database=database,
                )
            finally:
                await channel.close()


@pytest.fixture
async def meetings_events(meetings_nats):
    """A JetStream connection to read what the meetings service published."""
    client = await meetings_nats.connect(
        ADMIN, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    yield client.jetstream(timeout=5)
