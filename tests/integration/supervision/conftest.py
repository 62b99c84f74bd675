"""The supervision service running in-process with the org service it asks, against the real PostgreSQL,
NATS and Keycloak of the tests. Each test gets fresh databases and its own NATS (fresh streams) with
authorization as in production: supervision, org and any other service a test starts connect as their own
NKEY users (`supervision.nats.seeds[...]`), the test's readers and publishers as `admin`.

`supervision.acts_context(today)` gives what the acts need (calendar, limits, org lookups) for tests
that call the acts directly inside `rolled_back(supervision.sessions)`, a transaction undone at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

import grpc
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.__main__ import build
from services.supervision.acts.items import Context
from services.supervision.acts.people import People
from services.supervision.config import SupervisionSettings
from shared.db import create_engine, session_factory
from shared.org_client import OrgClient
from shared.service_auth import ClientCredentials
from shared.streams import ensure_stream
from shared.workdays import calendar
from tests.fixtures.bus_auth import ADMIN, AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving
from zgov.org.v1 import org_pb2_grpc
from zgov.supervision.v1 import (
    circulars_pb2_grpc,
    feeds_pb2_grpc,
    performance_pb2_grpc,
    plans_pb2_grpc,
    proposals_pb2_grpc,
    research_pb2_grpc,
    supervision_pb2_grpc,
)


@pytest.fixture
def supervision_nats(production_nats) -> AuthenticatedBus:
    """A NATS of this test's own, so the streams hold only this test's events, with authorization as
    in production; a right a service lacks fails the test."""
    return production_nats("supervision")


@dataclass
class SupervisionUnderTest(CallsAsPeople):
    stub: supervision_pb2_grpc.SupervisionServiceStub
    org: org_pb2_grpc.OrgServiceStub
    org_address: str
    nats: AuthenticatedBus
    database_url: str
    settings: SupervisionSettings
    sessions: object = None
    people: People | None = None
    plans: plans_pb2_grpc.InspectionPlanServiceStub | None = None
    proposals: proposals_pb2_grpc.ProposalServiceStub | None = None
    performance: performance_pb2_grpc.PerformanceServiceStub | None = None
    research: research_pb2_grpc.ResearchServiceStub | None = None
    feeds: feeds_pb2_grpc.DeadlineFeedServiceStub | None = None
    circulars: circulars_pb2_grpc.CircularServiceStub | None = None

    def acts_context(self, today: date) -> Context:
        return Context(calendar(), today, self.settings.limits(), self.people)


@pytest.fixture
def start_supervision(keycloak, supervision_nats, service_database, in_process_org):
    """`async with start_supervision(consume_events=...) as s`: org and supervision serving."""

    @asynccontextmanager
    async def start(**overrides) -> AsyncIterator[SupervisionUnderTest]:
        database = await service_database("supervision")
        async with in_process_org(
            supervision_nats.url, acting_clock_seconds=5, nats_nkey_seed=supervision_nats.seeds["org"]
        ) as org:
            settings = SupervisionSettings(
                **{
                    "database_url": database,
                    "nats_url": supervision_nats.url,
                    "nats_nkey_seed": supervision_nats.seeds["supervision"],
                    "keycloak_url": keycloak.url,
                    "client_id": "supervision",
                    "client_secret": keycloak.client_secrets["supervision"],
                    "grpc_port": 0,
                    "http_port": 0,
                    "org_address": org.address,
                    "org_cache_seconds": 60,
                    "sweep_seconds": 3600,
                    **overrides,
                }
            )
            async with serving(build(settings)) as server:
                channel = grpc.aio.insecure_channel(server.address)
                engine = create_engine(database)
                org_client = OrgClient(org.address, ClientCredentials.from_settings(settings), ttl_seconds=60)
                try:
                    yield SupervisionUnderTest(
                        keycloak=keycloak,
                        stub=supervision_pb2_grpc.SupervisionServiceStub(channel),
                        org=org.stub,
                        org_address=org.address,
                        nats=supervision_nats,
                        database_url=database,
                        settings=settings,
                        sessions=session_factory(engine),
                        people=People(org_client),
                        plans=plans_pb2_grpc.InspectionPlanServiceStub(channel),
                        proposals=proposals_pb2_grpc.ProposalServiceStub(channel),
                        performance=performance_pb2_grpc.PerformanceServiceStub(channel),
                        research=research_pb2_grpc.ResearchServiceStub(channel),
                        feeds=feeds_pb2_grpc.DeadlineFeedServiceStub(channel),
                        circulars=circulars_pb2_grpc.CircularServiceStub(channel),
                    )
                finally:
                    await org_client.close()
                    await engine.dispose()
                    await channel.close()

    return start


@pytest.fixture
async def supervision(start_supervision):
    """The service serving its RPCs, without consuming other services' events."""
    async with start_supervision(consume_events=False) as s:
        yield s


@pytest.fixture
async def foreign_streams(supervision_nats):
    """The streams of the services supervision listens to, declared (as admin) before it binds its
    consumers."""
    client = await supervision_nats.connect(ADMIN)
    js = client.jetstream(timeout=5)
    for service in ("meetings", "petitions", "disclosure", "documents", "org"):
        await ensure_stream(js, service)
    await client.close()


@pytest.fixture
async def supervision_consuming(foreign_streams, start_supervision):
    """The service as deployed: consuming meetings', petitions' and disclosure's events."""
    async with start_supervision(consume_events=True) as s:
        yield s


@asynccontextmanager
async def rolled_back(sessions) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that is rolled back at the end, whatever the test wrote."""
    async with sessions() as session:
        transaction = await session.begin()
        try:
            yield session
        finally:
            await transaction.rollback()


@pytest.fixture
async def supervision_js(supervision_nats):
    """The test's own JetStream connection (admin): it publishes, as the other services' relays would,
    the events supervision consumes, and reads what supervision published."""
    client = await supervision_nats.connect(
        ADMIN, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    yield client.jetstream(timeout=5)
