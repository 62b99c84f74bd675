"""The documents service and the org service it asks, both running in-process against the real
PostgreSQL, NATS and Keycloak of the tests; documents calls org with its client-credentials token."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import nats
import pytest

from deploy.local.servers import Nats
from services.documents.__main__ import build as build_documents
from services.documents.config import DocumentsSettings
from shared.db import create_engine, session_factory
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving
from zgov.documents.v1 import documents_pb2_grpc
from zgov.org.v1 import org_pb2_grpc


@dataclass
class Platform(CallsAsPeople):
    docs: documents_pb2_grpc.DocumentsServiceStub
    org: org_pb2_grpc.OrgServiceStub
    nats: Nats
    database_url: str
    sessions: object

    def token(self, username: str) -> str:
        return self.keycloak.token_for(username)


@pytest.fixture
async def platform(keycloak, service_database, fresh_nats, in_process_org):
    database = await service_database("documents")
    bus = fresh_nats("documents")
    engine = create_engine(database)
    try:
        async with in_process_org(bus.url, acting_clock_seconds=0.5) as org:
            docs_server = build_documents(
                DocumentsSettings(
                    database_url=database,
                    nats_url=bus.url,
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
    """A JetStream connection to read what the documents service published."""
    client = await nats.connect(platform.nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client.jetstream(timeout=5)
    await client.close()
