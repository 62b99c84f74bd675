"""The disclosure service running in-process against the real PostgreSQL, NATS and Keycloak of the tests.
Each test gets a fresh database and its own NATS (fresh streams) with authorization as in production:
disclosure connects as its own NKEY user (`disclosure_nats.seeds["disclosure"]`), the test's readers and
publishers as `admin`.

    async def test_x(disclosure):
        reply = await disclosure.publications.ListLatest(pb.ListLatestRequest(), metadata=disclosure.as_user("citizen"))

Other stubs of the same server: `SomeServiceStub(disclosure.channel)`.
Documents' events are published by `publish_documents_event` (the DOCUMENTS stream is declared here,
as the documents service would declare it; the test publishes as `admin`, standing for documents' relay).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf.message import Message

from services.disclosure.__main__ import build
from services.disclosure.config import DisclosureSettings
from shared.outbox import MSG_ID_HEADER, build_envelope
from shared.streams import ensure_stream
from tests.fixtures.bus_auth import ADMIN, AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2_grpc
from zgov.events.v1 import envelope_pb2


@pytest.fixture
def disclosure_nats(production_nats) -> AuthenticatedBus:
    """A NATS of this test's own, so the streams hold only this test's events, with authorization as
    in production; a right the disclosure service lacks fails the test."""
    return production_nats("disclosure")


@dataclass
class DisclosureUnderTest(CallsAsPeople):
    channel: grpc.aio.Channel
    publications: publications_pb2_grpc.PublicationServiceStub
    nats: AuthenticatedBus
    database_url: str


@pytest.fixture
def disclosure_settings(request) -> dict:
    """Settings of the service under test besides the servers', e.g.
    @pytest.mark.parametrize("disclosure_settings", [{"search_candidates": 50}], indirect=True)."""
    return getattr(request, "param", {})


@pytest.fixture
async def disclosure(keycloak, disclosure_nats, service_database, disclosure_settings):
    database = await service_database("disclosure")
    server = build(
        DisclosureSettings(
            database_url=database,
            nats_url=disclosure_nats.url,
            nats_nkey_seed=disclosure_nats.seeds["disclosure"],
            keycloak_url=keycloak.url,
            client_id="disclosure",
            client_secret=keycloak.client_secrets["disclosure"],
            grpc_port=0,
            **disclosure_settings,
        )
    )
    async with serving(server):
        channel = grpc.aio.insecure_channel(server.address)
        try:
            yield DisclosureUnderTest(
                keycloak=keycloak,
                channel=channel,
                publications=publications_pb2_grpc.PublicationServiceStub(channel),
                nats=disclosure_nats,
                database_url=database,
            )
        finally:
            await channel.close()


@pytest.fixture
async def jetstream(disclosure_nats):
    """The test's own JetStream connection (admin): it reads disclosure's events and publishes
    documents' events on the DOCUMENTS stream it declares."""
    client = await disclosure_nats.connect(
        ADMIN, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    js = client.jetstream(timeout=5)
    await ensure_stream(js, "documents")
    yield js


DOCUMENTS_ACTOR = common_pb2.Actor(
    user_id="u-office",
    username="office-staff",
    display_name="王文书",
    positions=["office-staff"],
    organisation_code="general-office",
)


async def publish_documents_event(
    js, subject: str, payload: Message, *, event_id: uuid.UUID | None = None, document_id: str = ""
) -> envelope_pb2.EventEnvelope:
    """Publish an event as the documents service's outbox relay would (same envelope, same message id)."""
    envelope = build_envelope(
        subject, payload, f"document/{document_id}", DOCUMENTS_ACTOR, event_id=event_id or uuid.uuid4()
    )
    await js.publish(subject, envelope.SerializeToString(), headers={MSG_ID_HEADER: envelope.event_id})
    return envelope
