"""The documents service and the org service it asks, both running in-process against the real
PostgreSQL, NATS and Keycloak of the tests; documents calls org with its client-credentials token.
Each test gets its own NATS with authorization as in production: documents and org connect as their own
NKEY users (`platform.nats.seeds[...]`), the test's readers and publishers as `admin`."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest

from services.documents.__main__ import build as build_documents
from services.documents.config import DocumentsSettings
from shared.db import create_engine, session_factory
from tests.fixtures.bus_auth import ADMIN, AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving
from zgov.documents.v1 import documents_pb2_grpc
from zgov.org.v1 import org_pb2_grpc


@dataclass
class Platform(CallsAsPeople):
    docs: documents_pb2_grpc.DocumentsServiceStub
    org: org_pb2_grpc.OrgServiceStub
    nats: AuthenticatedBus
    database_url: str
    sessions: object

    def token(self, username: str) -> str:
        return self.keycloak.token_for(username)


@pytest.fixture
async def platform(keycloak, service_database, production_nats, in_process_org):
    database = await service_database("documents")
    bus = production_nats("documents")
    engine = create_engine(database)
    try:
        async with in_process_org(bus.url, acting_clock_seconds=0.5, nats_nkey_seed=bus.seeds["org"]) as org:
            docs_server = build_documents(
                DocumentsSettings(
                    database_url=database,
                    nats_url=bus.url,
                    nats_nkey_seed=bus.seeds["documents"],
                    keycloak_url=keycloak.url,
                    client_id="documents",
                    client_secret=keycloak.client_secrets["documents"],
                    grpc_port=0,
                    org_address=org.address,
                    org_cache_seconds=300,
                    countersign_clock_seconds=3600,
                )
            )
            async with serving(docs_server):
                docs_channel = grpc.aio.insecure_channel(docs_server.address)
                try:
                    yield Platform(
                        keycloak=keycloak,
                        docs=documents_pb2_grpc.DocumentsServiceStub(docs_channel),
                        org=org.stub,
                        nats=bus,
                        database_url=database,
                        sessions=session_factory(engine),
                    )
                finally:
                    await docs_channel.close()
    finally:
        await engine.dispose()


@pytest.fixture
async def documents_events(platform):
    """The test's own JetStream connection (admin): it reads what the documents service published and
    publishes, as the supervision service's relay would, what documents consumes."""
    client = await platform.nats.connect(
        ADMIN, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    yield client.jetstream(timeout=5)
