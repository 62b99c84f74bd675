"""The petitions service running in-process with the org service it asks, against the real PostgreSQL,
NATS and Keycloak of the tests. Each test gets fresh databases and its own NATS (a fresh stream)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest

from deploy.local.servers import Nats
from services.petitions.__main__ import MAX_SEND_BYTES, build
from services.petitions.config import PetitionsSettings
from tests.fixtures.bus_auth import ADMIN, AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving
from zgov.org.v1 import org_pb2_grpc
from zgov.petitions.v1 import petitions_pb2_grpc


@pytest.fixture
def petitions_nats(production_nats) -> AuthenticatedBus:
    """A NATS of this test's own, so the PETITIONS stream holds only this test's events, with
    authorization as in production: petitions and org connect as their own NKEY users
    (`petitions_nats.seeds[...]`), the test's readers as `admin`."""
    return production_nats("petitions")


@dataclass
class PetitionsUnderTest(CallsAsPeople):
    stub: petitions_pb2_grpc.PetitionsServiceStub
    org: org_pb2_grpc.OrgServiceStub
    nats: Nats
    database_url: str


@pytest.fixture
async def petitions(keycloak, petitions_nats, service_database, in_process_org):
    database = await service_database("petitions")
    async with in_process_org(
        petitions_nats.url, acting_clock_seconds=5, nats_nkey_seed=petitions_nats.seeds["org"]
    ) as org:
        server = build(
            PetitionsSettings(
                database_url=database,
                nats_url=petitions_nats.url,
                nats_nkey_seed=petitions_nats.seeds["petitions"],
                keycloak_url=keycloak.url,
                client_id="petitions",
                client_secret=keycloak.client_secrets["petitions"],
                grpc_port=0,
                overdue_sweep_seconds=0.5,
                org_address=org.address,
                org_cache_seconds=0,
            )
        )
        async with serving(server):
            # Files of up to 10 MiB come back from GetAttachment (gRPC's default limit is 4 MiB).
            channel = grpc.aio.insecure_channel(
                server.address, options=[("grpc.max_receive_message_length", MAX_SEND_BYTES)]
            )
            try:
                yield PetitionsUnderTest(
                    keycloak=keycloak,
                    stub=petitions_pb2_grpc.PetitionsServiceStub(channel),
                    org=org.stub,
                    nats=petitions_nats.server,
                    database_url=database,
                )
            finally:
                await channel.close()


@pytest.fixture
async def petitions_events(petitions_nats):
    """A JetStream connection to read what the petitions service published."""
    client = await petitions_nats.connect(
        ADMIN, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    yield client.jetstream(timeout=5)
