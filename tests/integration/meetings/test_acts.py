"""The meetings acts called directly (no RPC), each test inside one transaction that is rolled back
at its end: what an act checks, writes, records and announces, seen from the session itself.

Real PostgreSQL (this test's database, migrated), the in-process org (who holds which position, who
acts) with the service's own client-credentials token from the tests' Keycloak.
"""

from __future__ import annotations

from dataclasses import replace

import jwt
import pytest
from sqlalchemy import func, select

from services.meetings import domain, models
from services.meetings.acts import Env, meetings, topics
from services.meetings.config import MeetingsSettings
from services.meetings.protos import NewMeeting, NewProposal, NewTopic
from shared.audit import history
from shared.convert import today_in_china
from shared.db import create_engine, session_factory
from shared.errors import RuleViolation
from shared.identity import Actor
from shared.org_client import OrgClient
from shared.service_auth import ClientCredentials
from shared.workdays import calendar

pytestmark = pytest.mark.integration

TODAY = today_in_china()


@pytest.fixture
async def world(keycloak, meetings_nats, service_database, in_process_org):
    """(sessions, env, people): the migrated database, org serving, and the actors of the realm."""
    database = await service_database("meetings")
    async with in_process_org(meetings_nats.url, nats_nkey_seed=meetings_nats.seeds["org"]) as org:
        settings = MeetingsSettings(
            database_url=database,
            nats_url=meetings_nats.url,
            nats_nkey_seed=meetings_nats.seeds["meetings"],
            keycloak_url=keycloak.url,
            client_id="meetings",
            client_secret=keycloak.client_secrets["meetings"],
            grpc_port=0,
            org_address=org.address,
        )
        client = OrgClient(org.address, ClientCredentials.from_settings(settings), ttl_seconds=30)
        engine = create_engine(database)

        def person(username: str, positions: set[str], organisation: str) -> Actor:
            sub = jwt.decode(keycloak.token_for(username), options={"verify_signature": False})["sub"]
            return Actor(
                user_id=sub, username=username, positions=frozenset(positions), organisation_code=organisation
            )

        people = {
            "mayor": person("mayor", {domain.MAYOR}, "city-government"),
            "vice-mayor-1": person("vice-mayor-1", {domain.VICE_MAYOR}, "city-government"),
            "department-head": person("department-head", {domain.DEPARTMENT_HEAD}, "education-bureau"),
        }
        try:
            yield session_factory(engine), Env(org=client, calendar=calendar(), today=today_in_china), people
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


def executive_meeting(day) -> NewMeeting:
    return NewMeeting(
        kind=domain.MeetingKind.EXECUTIVE,
        title="市政府常务会议",
        day=day,
        start_minute=9 * 60,
        duration_minutes=240,
        location="市政府第一会议室",
        emergency=False,
        emergency_reason="",
        chair_user_id="",
        delegated_by_user_id="",
        member_user_ids=(),
        invitee_user_ids=(),
    )


async def test_A42_acts_schedule_propose_and_file_record_each_act_in_the_callers_transaction(world, session):
    sessions, env, people = world
    day = calendar().add_working_days(TODAY, 15).due
    meeting = await meetings.schedule_meeting(session, people["mayor"], executive_meeting(day), env)
    proposal = await topics.propose_topic(
        session,
        people["vice-mayor-1"],
        NewProposal(
            meeting.id, "education-bureau", "关于2027年教育经费安排的议题", domain.TopicRoute.VIA_VICE_MAYOR
        ),
        env,
    )
    topic_input = NewTopic(
        meeting_id=meeting.id,
        title="关于2027年教育经费安排的议题",
        summary="请审议",
        route=domain.TopicRoute.VIA_VICE_MAYOR,
        proposed_by_user_id=people["vice-mayor-1"].user_id,
        documents=({"name": "议题审批表", "ref": "doc-1"},),
        ad_hoc_consent_id="",
        decidable_within_portfolio=False,
        matter_ref="",
        proposal_id=proposal.id,
    )
    topic = await topics.file_topic(session, people["department-head"], topic_input, env)
    assert (
        topic.owning_organisation_code == "education-bureau"
        and topic.proposed_by_user_id == proposal.proposed_by_user_id
    )
    # The acts recorded themselves and added the meeting's event, all in this one transaction.
    # (Acts of one transaction share its time, so history lists them in id order, not as done.)
    acts = sorted(r.act for r in await history(session, f"meeting/{meeting.id}"))
    assert acts == ["meeting.scheduled", "topic.proposed"]
    outbox = models.metadata.tables["outbox"]
    assert await session.scalar(select(func.count()).select_from(outbox)) == 1  # meetings.meeting.scheduled
    # A refused act raises before it writes: the proposal is used, a second filing names A42.route.
    with pytest.raises(RuleViolation) as refused:
        await topics.file_topic(session, people["department-head"], replace(topic_input, title="重复"), env)
    assert refused.value.rule_id == "A42.route"
    assert await session.scalar(select(func.count()).select_from(models.Topic)) == 1
    # An act never commits: another connection sees none of it (the fixture rolls it all back).
    async with sessions() as other:
        assert await other.scalar(select(func.count()).select_from(models.Meeting)) == 0
        assert await other.scalar(select(func.count()).select_from(models.TopicProposal)) == 0
