"""A70 responses to public concerns (回应关切) end to end: real Keycloak tokens, PostgreSQL, NATS JetStream.

Demo people: disclosure-officer (general-office; concern:handle), department-head (education-bureau;
concern:verify), citizen.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from shared.errors import rule_id_of
from tests.fixtures.streams import read_events
from zgov.disclosure.v1 import publications_pb2 as pb

pytestmark = pytest.mark.integration

OFFICER = "disclosure-officer"
HEAD = "department-head"  # of education-bureau


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def register(
    p,
    *,
    hours_ago: float,
    severity=pb.CONCERN_SEVERITY_GENERAL,
    department="education-bureau",
    summary="网民反映某小学食堂饭菜质量差",
) -> pb.Concern:
    return await p.publications.RegisterConcern(
        pb.RegisterConcernRequest(
            source=pb.CONCERN_SOURCE_ONLINE,
            source_detail="本地论坛",
            summary=summary,
            first_seen_at=ts(datetime.now(UTC) - timedelta(hours=hours_ago)),
            severity=severity,
            department_code=department,
            department_name="资阳市教育局" if department == "education-bureau" else "",
        ),
        metadata=p.as_user(OFFICER),
    )


async def verify(p, concern_id: str, user: str = HEAD) -> pb.Concern:
    return await p.publications.RecordConcernVerification(
        pb.RecordConcernVerificationRequest(
            concern_id=concern_id, findings="经现场核查，该校食堂供餐符合标准，个别菜品口味问题已整改。"
        ),
        metadata=p.as_user(user),
    )


async def respond(p, concern_id: str) -> pb.Concern:
    return await p.publications.PublishConcernResponse(
        pb.PublishConcernResponseRequest(
            concern_id=concern_id,
            title="关于网民反映某小学食堂问题的回应",
            body="近日，有网民反映某小学食堂饭菜质量差。市教育局高度重视，立即组织调查核实……",
        ),
        metadata=p.as_user(OFFICER),
    )


async def test_A70_response_only_after_the_departments_verification_with_its_own_page(disclosure, jetstream):
    concern = await register(disclosure, hours_ago=1)
    assert concern.state == pb.CONCERN_STATE_REGISTERED and not concern.late
    seen = concern.first_seen_at.ToDatetime(tzinfo=UTC)
    assert concern.response_due.ToDatetime(tzinfo=UTC) - seen == timedelta(hours=48)
    assert not concern.HasField("press_conference_due")

    # a citizen neither registers nor reads the queue
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.ListConcerns(
            pb.ListConcernsRequest(), metadata=disclosure.as_user("citizen")
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # A70: no response before the department verified the facts
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await respond(disclosure, concern.id)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(err.value) == "A70"

    # the officer does not verify for the department (no concern:verify)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await verify(disclosure, concern.id, OFFICER)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # another department's concern is not this head's to verify
    other = await register(
        disclosure, hours_ago=1, department="health-commission", summary="某医院排队时间长"
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await verify(disclosure, other.id)
    assert rule_id_of(err.value) == "A70.verified-by-department"

    # the department sees what it is asked to verify, and only that
    mine = await disclosure.publications.ListDepartmentConcerns(
        pb.ListDepartmentConcernsRequest(), metadata=disclosure.as_user(HEAD)
    )
    assert [c.id for c in mine.concerns] == [concern.id] and not mine.concerns[0].history
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.ListDepartmentConcerns(
            pb.ListDepartmentConcernsRequest(), metadata=disclosure.as_user(OFFICER)
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    verified = await verify(disclosure, concern.id)
    assert verified.state == pb.CONCERN_STATE_VERIFIED and verified.findings.startswith("经现场核查")
    responded = await respond(disclosure, concern.id)
    assert responded.state == pb.CONCERN_STATE_RESPONDED and not responded.late
    assert [h.act for h in responded.history] == [
        "concern.registered",
        "concern.verified",
        "concern.responded",
    ]

    # the response is a publication of its own, public, with the concern it answers
    page = await disclosure.publications.GetPublication(
        pb.GetPublicationRequest(publication_id=responded.response_publication_id),
        metadata=disclosure.as_user("citizen"),
    )
    assert page.kind == pb.PUBLICATION_KIND_CONCERN_RESPONSE and page.state == pb.PUBLICATION_STATE_PUBLISHED
    assert page.issuer_name == "资阳市教育局" and page.category == pb.CATEGORY_OTHER
    assert (
        page.concern.summary == "网民反映某小学食堂饭菜质量差"
        and page.concern.source == pb.CONCERN_SOURCE_ONLINE
    )
    assert page.concern.department_name == "资阳市教育局" and page.concern.HasField("responded_at")
    assert not page.history
    listed = await disclosure.publications.ListPublications(
        pb.ListPublicationsRequest(filter=pb.PublicationFilter(kind=pb.PUBLICATION_KIND_CONCERN_RESPONSE)),
        metadata=disclosure.as_user("citizen"),
    )
    assert [p.id for p in listed.publications] == [responded.response_publication_id]

    # a response is made from its concern only, and once
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await respond(disclosure, concern.id)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await disclosure.publications.CreatePublication(
            pb.CreatePublicationRequest(
                content=pb.PublicationContent(
                    kind=pb.PUBLICATION_KIND_CONCERN_RESPONSE,
                    category=pb.CATEGORY_OTHER,
                    title="回应",
                    body="……",
                    issuer_name="资阳市教育局",
                    made_on=page.published_on,
                )
            ),
            metadata=disclosure.as_user(OFFICER),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    events = await read_events(
        jetstream,
        "DISCLOSURE",
        "disclosure.concern.>",
        until=lambda seen: any(e.subject == "disclosure.concern.responded" for e in seen),
    )
    assert [e.subject for e in events].count("disclosure.concern.registered") == 2
    (event,) = [e for e in events if e.subject == "disclosure.concern.responded"]
    payload = pb.ConcernResponded()
    event.payload.Unpack(payload)
    assert payload.publication_id == responded.response_publication_id and event.actor.username == OFFICER
    # the findings (they may name people) and who recorded them stay out of events
    assert payload.concern.state == pb.CONCERN_STATE_RESPONDED
    assert not payload.concern.findings and not payload.concern.verified_by_name


@pytest.mark.parametrize("disclosure_settings", [{"concern_sweep_seconds": 0.3}], indirect=True)
async def test_A70_major_emergency_late_after_5_hours_in_the_queue_and_overdue_announced_once(
    disclosure, jetstream
):
    """A major emergency seen 6 hours ago: past the 5-hour limit, not yet past the 24-hour press
    conference; one seen 25 hours ago: past both. Each limit is announced once however often the
    sweep runs; a general concern seen 6 hours ago is within its 48 hours."""
    six = await register(disclosure, hours_ago=6, severity=pb.CONCERN_SEVERITY_MAJOR, summary="某化工厂爆炸")
    day_old = await register(
        disclosure, hours_ago=25, severity=pb.CONCERN_SEVERITY_MAJOR, summary="某桥梁垮塌"
    )
    general = await register(disclosure, hours_ago=6, summary="公交线路调整")
    assert six.late and not six.press_conference_late
    assert day_old.late and day_old.press_conference_late and not general.late

    queue = await disclosure.publications.ListConcerns(
        pb.ListConcernsRequest(), metadata=disclosure.as_user(OFFICER)
    )
    assert [c.id for c in queue.concerns] == [day_old.id, six.id, general.id]  # earliest limit first
    assert queue.late_count == 2 and [c.late for c in queue.concerns] == [True, True, False]
    late = await disclosure.publications.ListConcerns(
        pb.ListConcernsRequest(late_only=True), metadata=disclosure.as_user(OFFICER)
    )
    assert [c.id for c in late.concerns] == [day_old.id, six.id]

    await asyncio.sleep(2)  # several sweep rounds
    events = await read_events(
        jetstream, "DISCLOSURE", "disclosure.concern.overdue", until=lambda seen: len(seen) >= 3, timeout=10
    )
    announced = []
    for envelope in events:
        payload = pb.ConcernOverdue()
        envelope.payload.Unpack(payload)
        announced.append((payload.concern.id, payload.limit))
    assert sorted(announced) == sorted(
        [
            (six.id, pb.CONCERN_LIMIT_RESPONSE),
            (day_old.id, pb.CONCERN_LIMIT_RESPONSE),
            (day_old.id, pb.CONCERN_LIMIT_PRESS_CONFERENCE),
        ]
    )

    # the press conference and a late response are recorded; the concern stays marked late
    await disclosure.publications.RecordPressConference(
        pb.RecordPressConferenceRequest(
            concern_id=six.id, held_at=ts(datetime.now(UTC) - timedelta(hours=1)), note="市政府新闻办"
        ),
        metadata=disclosure.as_user(OFFICER),
    )
    await disclosure.publications.RecordConcernVerification(
        pb.RecordConcernVerificationRequest(concern_id=six.id, findings="事故原因正在调查，伤员已全部送医。"),
        metadata=disclosure.as_user(HEAD),
    )
    responded = await respond(disclosure, six.id)
    assert responded.late and not responded.press_conference_late
    assert "concern.overdue" in [h.act for h in responded.history]
    page = await disclosure.publications.GetPublication(
        pb.GetPublicationRequest(publication_id=responded.response_publication_id),
        metadata=disclosure.as_user("citizen"),
    )
    assert page.category == pb.CATEGORY_EMERGENCIES
    queue = await disclosure.publications.ListConcerns(
        pb.ListConcernsRequest(), metadata=disclosure.as_user(OFFICER)
    )
    assert [c.id for c in queue.concerns] == [day_old.id, general.id] and queue.late_count == 1
