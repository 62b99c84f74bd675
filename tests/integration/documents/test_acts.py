"""The documents acts called directly (no RPC), each test inside one transaction that is rolled back
at its end: what an act checks, writes, records and announces, seen from the session itself.

Real PostgreSQL (this test's database, migrated), the in-process org (organisations, who holds which
position, portfolios) with the documents service's own client-credentials token from the tests'
Keycloak.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select
from zgov.documents.v1 import documents_pb2 as pb

from services.documents import models, protos
from services.documents.acts import COUNTERSIGN_CLOCK, Env, countersign, drafting, review, sign_off
from services.documents.config import DocumentsSettings
from services.documents.protos import CountersignAnswer, CountersignRequest, OfficeReview, SignOffInput
from shared.audit import history
from shared.convert import today_in_china
from shared.db import create_engine, session_factory
from shared.errors import InvalidInput, RuleViolation
from shared.identity import Actor
from shared.org_client import OrgClient
from shared.positions import DEPARTMENT_HEAD, MAYOR, OFFICE_STAFF, SECRETARY_GENERAL
from shared.service_auth import ClientCredentials
from shared.workdays import calendar

pytestmark = pytest.mark.integration

TODAY = today_in_china()
CITY = pb.Body(code="city-government", name="资阳市人民政府")


@pytest.fixture
async def world(keycloak, service_database, production_nats, in_process_org):
    """(sessions, env, people): the migrated database, org serving (as its own NATS user), and the
    actors of the realm."""
    database = await service_database("documents")
    bus = production_nats("documents-acts")
    async with in_process_org(bus.url, nats_nkey_seed=bus.seeds["org"]) as org:
        settings = DocumentsSettings(
            database_url=database,
            nats_url=bus.url,
            nats_nkey_seed=bus.seeds["documents"],
            keycloak_url=keycloak.url,
            client_id="documents",
            client_secret=keycloak.client_secrets["documents"],
            grpc_port=0,
            org_address=org.address,
        )
        client = OrgClient(org.address, ClientCredentials.from_settings(settings), ttl_seconds=30)
        engine = create_engine(database)

        def person(username: str, position: str, organisation: str, *permissions: str) -> Actor:
            sub = jwt.decode(keycloak.token_for(username), options={"verify_signature": False})["sub"]
            return Actor(
                user_id=sub,
                username=username,
                positions=frozenset({position}),
                organisation_code=organisation,
                permissions=frozenset(permissions),
            )

        people = {
            "office-staff": person("office-staff", OFFICE_STAFF, "general-office", "document:process"),
            "department-head": person("department-head", DEPARTMENT_HEAD, "education-bureau"),
            "secretary-general": person("secretary-general", SECRETARY_GENERAL, "general-office"),
            "mayor": person("mayor", MAYOR, "city-government"),
        }
        try:
            yield (
                session_factory(engine),
                Env(org=client, calendar=calendar(), today=today_in_china),
                people,
            )
        finally:
            await client.close()
            await engine.dispose()


@pytest.fixture
async def session(world):
    """One transaction for the whole test, rolled back at its end (nothing it wrote stays)."""
    sessions, _, _ = world
    async with sessions() as s:
        await s.begin()
        try:
            yield s
        finally:
            await s.rollback()


async def count(session, table) -> int:
    return await session.scalar(select(func.count()).select_from(table))


def outgoing_notice() -> pb.DraftDocumentRequest:
    return pb.DraftDocumentRequest(
        direction=pb.DIRECTION_OUTGOING,
        content=pb.DocumentContent(
            kind=pb.DOCUMENT_KIND_NOTICE,
            title="关于调整市政府值班安排的通知",
            body="……",
            urgency=pb.URGENCY_ORDINARY,
            classification=pb.CLASSIFICATION_NONE,
            authority=pb.SIGN_OFF_AUTHORITY_ROUTINE,
            issuer_code="资府办函",
            disclosure=pb.DISCLOSURE_ATTRIBUTE_PROACTIVE,
        ),
    )


async def test_A49_acts_draft_countersign_and_the_clocks_deemed_agreement_in_the_callers_transaction(
    world, session
):
    sessions, env, people = world
    staff = people["office-staff"]
    draft = await drafting.draft_document(session, staff, protos.draft(outgoing_notice()), env)
    asked = await countersign.request_countersign(
        session, staff, CountersignRequest(draft.id, ("education-bureau", "anyue-county"), 0), env
    )
    assert [c.deadline.working_days for c in asked.countersigns] == [7, 7]
    await countersign.answer_countersign(
        session,
        people["department-head"],
        CountersignAnswer(draft.id, True, "值班经费应由各部门自行承担"),
        env,
    )
    # The clock's act: on the last day still in time, the day after recorded once as no objection.
    (county,) = [
        c for c in await session.scalars(select(models.Countersign)) if c.organisation_code == "anyue-county"
    ]
    assert not await countersign.deem_countersign_agreed(session, COUNTERSIGN_CLOCK, county, county.due)
    assert await countersign.deem_countersign_agreed(
        session, COUNTERSIGN_CLOCK, county, county.due + timedelta(days=1)
    )
    assert county.state == "deemed_agreed"
    # Each act recorded itself and added its events, all in this one transaction.
    acts = sorted(r.act for r in await history(session, f"document/{draft.id}"))
    assert acts == [
        "countersign.deemed-agreed",
        "countersign.objected",
        "countersign.requested",
        "document.drafted",
    ]
    outbox = models.metadata.tables["outbox"]
    assert await count(session, outbox) == 4  # requested ×2, answered, deemed-agreed
    # A refused act raises before it writes: the objection stands without a coordination record.
    with pytest.raises(RuleViolation) as refused:
        await sign_off.sign_off_document(
            session, people["secretary-general"], SignOffInput(draft.id, "同意印发", False), env
        )
    assert refused.value.rule_id == "A49.coordination"
    assert await count(session, models.SignOff) == 0
    # An act never commits: another connection sees none of it (the fixture rolls it all back).
    async with sessions() as other:
        assert await count(other, models.Document) == 0
        assert await count(other, models.Countersign) == 0


async def test_A50_acts_file_and_route_a_major_matter_to_the_mayor(world, session):
    _, env, people = world
    filing = protos.filing(
        pb.FileDocumentRequest(
            content=pb.DocumentContent(
                kind=pb.DOCUMENT_KIND_REQUEST,
                title="关于新建城东学校的请示",
                body="……特此请示。",
                main_receivers=[CITY],
                urgency=pb.URGENCY_ORDINARY,
                classification=pb.CLASSIFICATION_NONE,
                matters=["城东学校建设"],
            )
        )
    )
    filed = await drafting.file_document(session, people["department-head"], filing, env)
    assert filed.state == pb.DOCUMENT_STATE_FILED and filed.handling_deadline.working_days == 10
    # The office's check refuses an acceptance without an opinion before it reads a row.
    with pytest.raises(InvalidInput) as no_opinion:
        await review.review_document(
            session, people["office-staff"], OfficeReview(filed.id, True, " ", False), env
        )
    assert "opinion" in str(no_opinion.value.violations)
    routed = await review.review_document(
        session, people["office-staff"], OfficeReview(filed.id, True, "拟请王建国市长阅示", True), env
    )
    assert routed.state == pb.DOCUMENT_STATE_ROUTED
    assert (routed.routed_to_user_id, routed.routing_basis) == (
        people["mayor"].user_id,
        pb.ROUTING_BASIS_MAJOR_MATTER,
    )
    acts = sorted(h.act for h in routed.history)
    assert acts == ["document.accepted", "document.filed"]
    outbox = models.metadata.tables["outbox"]
    subjects = sorted((await session.execute(select(outbox.c.subject))).scalars())
    assert subjects == [
        "documents.document.accepted",
        "documents.document.filed",
        "documents.document.routed",
    ]


async def test_A53_the_clock_announces_a_document_past_its_handling_limit_once(world, session):
    from services.documents.events import announce_overdue_documents

    _, env, people = world
    filing = protos.filing(
        pb.FileDocumentRequest(
            content=pb.DocumentContent(
                kind=pb.DOCUMENT_KIND_REQUEST,
                title="关于城东学校用地的请示",
                body="……特此请示。",
                main_receivers=[CITY],
                urgency=pb.URGENCY_ORDINARY,
                classification=pb.CLASSIFICATION_NONE,
                matters=["城东学校用地"],
            )
        )
    )
    filed = await drafting.file_document(session, people["department-head"], filing, env)
    row = await session.get(models.Document, uuid.UUID(filed.id))
    assert await announce_overdue_documents(session, row.handling_due) == 0  # due today: not yet late
    after = row.handling_due + timedelta(days=1)
    assert await announce_overdue_documents(session, after) == 1
    assert await announce_overdue_documents(session, after + timedelta(days=3)) == 0  # once
    outbox = models.metadata.tables["outbox"]
    overdue = (
        await session.execute(
            select(outbox.c.subject).where(outbox.c.subject == "documents.document.overdue")
        )
    ).scalars()
    assert list(overdue) == ["documents.document.overdue"]
    assert "document.overdue" in [h.act for h in await history(session, f"document/{filed.id}")]
