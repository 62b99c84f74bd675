"""The org service running in-process against the real PostgreSQL, NATS and Keycloak of the tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc
import jwt
import nats
import pytest

from deploy.local.servers import Nats, free_port
from services.org.__main__ import build
from services.org.config import OrgSettings
from zgov.org.v1 import org_pb2_grpc


@pytest.fixture
def org_nats(stack_dir):
    """A NATS of this test's own (a fresh stream), which the test may stop and start again."""
    server = Nats(stack_dir / f"org-nats-{free_port()}", free_port())
    server.start()
    yield server
    server.stop()


@dataclass
class OrgUnderTest:
    stub: org_pb2_grpc.OrgServiceStub
    keycloak: object
    nats: Nats
    database_url: str

    def as_user(self, username: str) -> tuple:
        return (("authorization", f"Bearer {self.keycloak.token_for(username)}"),)

    def user_id(self, username: str) -> str:
        """The Keycloak user id (the token's subject) of a demo user."""
        token = self.keycloak.token_for(username)
        return jwt.decode(token, options={"verify_signature": False})["sub"]


@pytest.fixture
async def org(keycloak, org_nats, database):
    settings = OrgSettings(
        database_url=database, nats_url=org_nats.url, keycloak_url=keycloak.url, client_id="org",
        client_secret=keycloak.client_secrets["org"], grpc_port=0, acting_clock_seconds=0.5,
        directory_ttl_seconds=0,
    )
    server = build(settings)
    await server.start()
    channel = grpc.aio.insecure_channel(server.address)
    try:
        yield OrgUnderTest(org_pb2_grpc.OrgServiceStub(channel), keycloak, org_nats, database)
    finally:
        await channel.close()
        server.shutdown()
        await asyncio.wait_for(server.wait_stopped(), 30)


@pytest.fixture
async def org_events(org_nats):
    """A JetStream connection to read what the org service published."""
    client = await nats.connect(org_nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client.jetstream(timeout=5)
    await client.close()
