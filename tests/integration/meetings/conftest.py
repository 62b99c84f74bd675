"""The meetings service running in-process with the org service it asks, against the real
PostgreSQL, NATS and Keycloak of the tests. Each test gets fresh databases and its own NATS
(fresh streams), so it sees only its own events."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import grpc
import jwt
import nats
import pytest
from zgov.meetings.v1 import meetings_pb2_grpc
from zgov.org.v1 import org_pb2_grpc

from deploy.local.servers import Nats, free_port
from services.meetings.__main__ import build as build_meetings
from services.meetings.config import MeetingsSettings
from services.org.__main__ import build as build_org
from services.org.config import OrgSettings


@pytest.fixture
def meetings_nats(stack_dir):
    server = Nats(stack_dir / f"meetings-nats-{free_port()}", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def org_database(postgres):
    name = f"t_org_{uuid.uuid4().hex[:10]}"
    yield postgres.ensure_database(name)
    postgres.drop_database(name)


@dataclass
class MeetingsUnderTest:
    stub: meetings_pb2_grpc.MeetingsServiceStub
    org: org_pb2_grpc.OrgServiceStub
    keycloak: object
    nats: Nats

    def as_user(self, username: str) -> tuple:
        return (("authorization", f"Bearer {self.keycloak.token_for(username)}"),)

    def user_id(self, username: str) -> str:
        token = self.keycloak.token_for(username)
        return jwt.decode(token, options={"verify_signature": False})["sub"]


async def _stop(server) -> None:
    server.shutdown()
    await asyncio.wait_for(server.wait_stopped(), 30)


@pytest.fixture
async def meetings(keycloak, meetings_nats, database, org_database):
    org_server = build_org(
        OrgSettings(
            database_url=org_database,
            nats_url=meetings_nats.url,
            keycloak_url=keycloak.url,
            client_id="org",
            client_secret=keycloak.client_secrets["org"],
            grpc_port=0,
            acting_clock_seconds=5,
            directory_ttl_seconds=30,
        )
    )
    await org_server.start()
    server = build_meetings(
        MeetingsSettings(
            database_url=database,
            nats_url=meetings_nats.url,
            keycloak_url=keycloak.url,
            client_id="meetings",
            client_secret=keycloak.client_secrets["meetings"],
            grpc_port=0,
            http_port=0,
            org_address=org_server.address,
            org_cache_seconds=30,
        )
    )
    await server.start()
    channel = grpc.aio.insecure_channel(server.address)
    org_channel = grpc.aio.insecure_channel(org_server.address)
    try:
        yield MeetingsUnderTest(
            meetings_pb2_grpc.MeetingsServiceStub(channel),
            org_pb2_grpc.OrgServiceStub(org_channel),
            keycloak,
            meetings_nats,
        )
    finally:
        await channel.close()
        await org_channel.close()
        await _stop(server)
        await _stop(org_server)


@pytest.fixture
async def meetings_events(meetings_nats):
    """A JetStream connection to read what the meetings service published."""
    client = await nats.connect(meetings_nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client.jetstream(timeout=5)
    await client.close()
