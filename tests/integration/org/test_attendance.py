"""Requests to have a city leader attend an event (政务活动), end to end: A54, A55, A59.

Real Keycloak tokens (the requesting organisation comes from the token's groups), real
PostgreSQL, real NATS JetStream.
"""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest

from services.org import api as org_api
from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.streams import read_events
from tests.integration.org.test_org_api import TODAY, d, rpc_error
from zgov.common.v1 import common_pb2
from zgov.org.v1 import events_pb2, org_pb2

pytestmark = pytest.mark.integration

EVENT_DAY = TODAY + timedelta(days=14)
APPROVAL = "资委办〔2026〕21号"


async def ask(org, username="department-head", leader="vice-mayor-1", **fields):
    """A request to have `leader` attend, as `username` (default: the education bureau's head)."""
    values = dict(
        leader_user_id=org.user_id(leader),
        event_day=d(EVENT_DAY),
        title="市第一中学新校区揭牌仪式",
        venue="雁江区第一中学",
        activity_kind=org_pb2.ACTIVITY_KIND_MEETING,
        details="请出席并讲话",
    )
    values.update(fields)
    reply = await org.stub.RequestEventAttendance(
        org_pb2.RequestEventAttendanceRequest(**values), metadata=org.as_user(username)
    )
    return reply.attendance


FORWARD = org_pb2.REVIEW_OUTCOME_FORWARD


async def review(org, attendance_id, outcome=FORWARD, username="office-staff", **fields):
    reply = await org.stub.ReviewEventAttendance(
        org_pb2.ReviewEventAttendanceRequest(
            attendance_id=attendance_id, outcome=outcome, opinion=fields.pop("opinion", "拟请出席"), **fields
        ),
        metadata=org.as_user(username),
    )
    return reply.attendance


async def decide(org, attendance_id, username, decision=org_pb2.ATTENDANCE_DECISION_AGREE, reason=""):
    reply = await org.stub.DecideEventAttendance(
        org_pb2.DecideEventAttendanceRequest(attendance_id=attendance_id, decision=decision, reason=reason),
        metadata=org.as_user(username),
    )
    return reply.attendance


async def reassign(org, attendance_id, leader, username="office-staff"):
    reply = await org.stub.ReassignEventAttendance(
        org_pb2.ReassignEventAttendanceRequest(
            attendance_id=attendance_id,
            leader_user_id=org.user_id(leader),
            reason="原定领导另有公务，协调出席",
        ),
        metadata=org.as_user(username),
    )
    return reply.attendance


async def listed(org, username="office-staff", **filters):
    reply = await org.stub.ListEventAttendances(
        org_pb2.ListEventAttendancesRequest(**filters), metadata=org.as_user(username)
    )
    return list(reply.attendances)


async def test_A55_unveiling_needs_approval_then_the_office_forwards_and_the_vice_mayor_agrees(org):
    refused = await rpc_error(ask(org, activity_kind=org_pb2.ACTIVITY_KIND_UNVEILING))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(refused) == "A55.approval"
    assert await listed(org) == []

    asked = await ask(org, activity_kind=org_pb2.ACTIVITY_KIND_UNVEILING, approval_ref=APPROVAL)
    assert asked.state == org_pb2.ATTENDANCE_STATE_REQUESTED
    assert asked.requesting_organisation_code == "education-bureau"  # from the token
    assert asked.requested_by_user_id == org.user_id("department-head")
    assert asked.approval_ref == APPROVAL

    not_yet = await rpc_error(decide(org, asked.id, "vice-mayor-1"))
    assert not_yet.code() == grpc.StatusCode.INVALID_ARGUMENT  # the office reviews first
    forwarded = await review(org, asked.id)
    assert (forwarded.state, forwarded.review_opinion) == (org_pb2.ATTENDANCE_STATE_FORWARDED, "拟请出席")

    other_leader = await rpc_error(decide(org, asked.id, "vice-mayor-2"))
    assert other_leader.code() == grpc.StatusCode.PERMISSION_DENIED
    agreed = await decide(org, asked.id, "vice-mayor-1", reason="按时出席")
    assert agreed.state == org_pb2.ATTENDANCE_STATE_AGREED
    assert [(h.act, h.actor.username) for h in agreed.history] == [
        ("attendance.requested", "department-head"),
        ("attendance.forwarded", "office-staff"),
        ("attendance.agreed", "vice-mayor-1"),
    ]
    again = await rpc_error(
        decide(org, asked.id, "vice-mayor-1", org_pb2.ATTENDANCE_DECISION_DECLINE, "有事")
    )
    assert again.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_A54_foreign_affairs_event_is_not_forwarded_before_it_is_filed_with_the_bureau(org):
    asked = await ask(
        org,
        "county-head",
        leader="mayor",
        activity_kind=org_pb2.ACTIVITY_KIND_FOREIGN_AFFAIRS_VISIT,
        title="会见德国友好城市代表团",
        venue="安岳县",
    )
    assert asked.foreign_affairs and asked.requesting_organisation_code == "anyue-county"
    refused = await rpc_error(review(org, asked.id))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(refused) == "A54.foreign-affairs-filing"
    still = await org.stub.GetEventAttendance(
        org_pb2.GetEventAttendanceRequest(attendance_id=asked.id), metadata=org.as_user("county-head")
    )
    assert still.attendance.state == org_pb2.ATTENDANCE_STATE_REQUESTED

    filed = await review(org, asked.id, foreign_affairs_filing_ref="资外备〔2026〕7号")
    assert filed.state == org_pb2.ATTENDANCE_STATE_FORWARDED
    assert filed.foreign_affairs_filing_ref == "资外备〔2026〕7号"

    flagged = await ask(
        org, foreign_affairs=True, title="国际教育交流研讨", activity_kind=org_pb2.ACTIVITY_KIND_OTHER
    )
    refused = await rpc_error(review(org, flagged.id, username="deputy-secretary-general"))
    assert rule_id_of(refused) == "A54.foreign-affairs-filing"
    returned = await review(
        org, flagged.id, outcome=org_pb2.REVIEW_OUTCOME_RETURN, opinion="请先报外事局备案"
    )
    assert returned.state == org_pb2.ATTENDANCE_STATE_RETURNED


async def test_A59_declined_request_goes_to_another_vice_mayor_who_agrees(org):
    asked = await ask(org)
    await review(org, asked.id)
    no_reason = await rpc_error(decide(org, asked.id, "vice-mayor-1", org_pb2.ATTENDANCE_DECISION_DECLINE))
    assert "reason" in field_violations_of(no_reason)
    declined = await decide(
        org, asked.id, "vice-mayor-1", org_pb2.ATTENDANCE_DECISION_DECLINE, "当天赴省里开会"
    )
    assert declined.state == org_pb2.ATTENDANCE_STATE_DECLINED

    requester_may_not = await rpc_error(reassign(org, asked.id, "vice-mayor-2", username="department-head"))
    assert requester_may_not.code() == grpc.StatusCode.PERMISSION_DENIED
    not_a_leader = await rpc_error(reassign(org, asked.id, "office-staff"))
    assert rule_id_of(not_a_leader) == "A54.leader"

    moved = await reassign(org, asked.id, "vice-mayor-2")
    assert moved.state == org_pb2.ATTENDANCE_STATE_FORWARDED
    assert moved.leader_user_id == org.user_id("vice-mayor-2")
    assert list(moved.previous_leader_user_ids) == [org.user_id("vice-mayor-1")]
    first_leader = await rpc_error(decide(org, asked.id, "vice-mayor-1"))
    assert first_leader.code() == grpc.StatusCode.PERMISSION_DENIED
    back_again = await rpc_error(reassign(org, asked.id, "vice-mayor-1"))
    assert "leader_user_id" in field_violations_of(back_again)

    agreed = await decide(org, asked.id, "vice-mayor-2")
    assert agreed.state == org_pb2.ATTENDANCE_STATE_AGREED
    assert [h.act for h in agreed.history] == [
        "attendance.requested",
        "attendance.forwarded",
        "attendance.declined",
        "attendance.reassigned",
        "attendance.agreed",
    ]
    by_leader = await listed(
        org, leader_user_id=org.user_id("vice-mayor-2"), state=org_pb2.ATTENDANCE_STATE_AGREED
    )
    assert [a.id for a in by_leader] == [asked.id]


async def test_A59_ab_partner_decides_for_a_vice_mayor_away_on_the_event_day(org):
    vm1, vm3 = org.user_id("vice-mayor-1"), org.user_id("vice-mayor-3")
    pair = org_pb2.SetAbPairRequest(leader_a_user_id=vm1, leader_b_user_id=vm3, reason="分工")
    await org.stub.SetAbPair(pair, metadata=org.as_user("secretary-general"))
    leave = await org.stub.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="vice-mayor",
            kind=org_pb2.LEAVE_KIND_STUDY,
            first_day=d(EVENT_DAY - timedelta(days=1)),
            last_day=d(EVENT_DAY + timedelta(days=1)),
            reason="省委党校学习",
        ),
        metadata=org.as_user("vice-mayor-1"),
    )
    await org.stub.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=org.as_user("mayor")
    )
    asked = await ask(org)
    await review(org, asked.id)
    stranger = await rpc_error(decide(org, asked.id, "vice-mayor-2"))
    assert stranger.code() == grpc.StatusCode.PERMISSION_DENIED

    agreed = await decide(org, asked.id, "vice-mayor-3", reason="代为出席")
    assert agreed.state == org_pb2.ATTENDANCE_STATE_AGREED
    act = agreed.history[-1]
    assert (act.act, act.actor.username) == ("attendance.agreed", "vice-mayor-3")
    assert (act.actor.on_behalf_of_user_id, act.actor.on_behalf_of_position) == (vm1, "vice-mayor")


async def test_A54_A55_who_may_ask_and_what_is_refused_before_anything_is_written(org):
    citizen = await rpc_error(ask(org, "citizen"))
    assert citizen.code() == grpc.StatusCode.PERMISSION_DENIED
    leader_may_not_ask = await rpc_error(ask(org, "vice-mayor-2"))
    assert leader_may_not_ask.code() == grpc.StatusCode.PERMISSION_DENIED

    for day in (TODAY - timedelta(days=3), TODAY):
        late = await rpc_error(ask(org, event_day=d(day)))
        assert (late.code(), rule_id_of(late)) == (grpc.StatusCode.FAILED_PRECONDITION, "A54.in-advance")
    not_a_day = await rpc_error(ask(org, event_day=common_pb2.Date(year=TODAY.year + 1, month=2, day=30)))
    assert not_a_day.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "event_day" in field_violations_of(not_a_day)
    missing = await rpc_error(ask(org, title=" ", activity_kind=org_pb2.ACTIVITY_KIND_UNSPECIFIED))
    assert set(field_violations_of(missing)) == {"title", "activity_kind"}

    not_a_leader = await rpc_error(ask(org, leader="office-staff"))
    assert rule_id_of(not_a_leader) == "A54.leader"
    tea_party = await rpc_error(ask(org, "county-head", activity_kind=org_pb2.ACTIVITY_KIND_TEA_PARTY))
    assert rule_id_of(tea_party) == "A55.county-festivities"
    photo = await rpc_error(ask(org, photo_session=True))
    assert rule_id_of(photo) == "A55.photo"
    assert await listed(org) == []

    festivity = await ask(
        org,
        "county-head",
        activity_kind=org_pb2.ACTIVITY_KIND_NEW_YEAR_GATHERING,
        festivity_override_reason="市委安排出席老干部团拜会",
    )
    photographed = await ask(org, photo_session=True, photo_approval_ref="市委办批〔2026〕3号")
    assert festivity.festivity_override_reason.startswith("市委")

    # A county or department sees only its own requests; the office sees all.
    assert [a.id for a in await listed(org, "county-head")] == [festivity.id]
    assert {a.id for a in await listed(org)} == {festivity.id, photographed.id}
    get_other = org_pb2.GetEventAttendanceRequest(attendance_id=photographed.id)
    hidden = await rpc_error(org.stub.GetEventAttendance(get_other, metadata=org.as_user("county-head")))
    assert hidden.code() == grpc.StatusCode.NOT_FOUND
    other = await rpc_error(listed(org, "county-head", requesting_organisation_code="education-bureau"))
    assert other.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_list_pages_through_requests_by_event_day(org):
    ids = [
        (await ask(org, event_day=d(EVENT_DAY + timedelta(days=n)), title=f"活动{n}")).id for n in (2, 0, 1)
    ]
    page = await org.stub.ListEventAttendances(
        org_pb2.ListEventAttendancesRequest(page=common_pb2.PageRequest(page_size=2)),
        metadata=org.as_user("office-staff"),
    )
    assert [a.id for a in page.attendances] == [ids[1], ids[2]] and page.page.next_page_token
    rest = await org.stub.ListEventAttendances(
        org_pb2.ListEventAttendancesRequest(
            page=common_pb2.PageRequest(page_size=2, page_token=page.page.next_page_token)
        ),
        metadata=org.as_user("office-staff"),
    )
    assert [a.id for a in rest.attendances] == [ids[0]] and not rest.page.next_page_token
    one_day = d(EVENT_DAY + timedelta(days=1))
    window = await listed(org, from_day=one_day, to_day=one_day)
    assert [a.id for a in window] == [ids[2]]
    bad = await rpc_error(listed(org, page=common_pb2.PageRequest(page_token="bm90IGEgdG9rZW4=")))
    assert "page.page_token" in field_violations_of(bad)


async def test_A54_A59_each_step_publishes_an_org_attendance_event(org, org_events):
    asked = await ask(org)
    await review(org, asked.id)
    await decide(org, asked.id, "vice-mayor-1", org_pb2.ATTENDANCE_DECISION_DECLINE, "另有安排")
    await reassign(org, asked.id, "vice-mayor-2")
    await decide(org, asked.id, "vice-mayor-2")
    events = [
        e
        for e in await read_events(org_events, "ORG", "org.attendance.>", count=5, and_any_more=True)
        if e.aggregate_ref == f"attendance/{asked.id}"
    ]
    assert [e.subject for e in events] == [
        "org.attendance.requested",
        "org.attendance.reviewed",
        "org.attendance.decided",
        "org.attendance.reassigned",
        "org.attendance.decided",
    ]
    assert [e.actor.username for e in events] == [
        "department-head",
        "office-staff",
        "vice-mayor-1",
        "office-staff",
        "vice-mayor-2",
    ]
    moved = events_pb2.EventAttendanceReassigned()
    events[3].payload.Unpack(moved)
    assert moved.previous_leader_user_id == org.user_id("vice-mayor-1")
    assert moved.attendance.leader_user_id == org.user_id("vice-mayor-2")
    last = events_pb2.EventAttendanceDecided()
    events[4].payload.Unpack(last)
    assert last.attendance.state == org_pb2.ATTENDANCE_STATE_AGREED
    assert (
        date(last.attendance.event_day.year, last.attendance.event_day.month, last.attendance.event_day.day)
        == EVENT_DAY
    )


async def outcome(org, attendance_id, outcome, note="", username="office-staff"):
    reply = await org.stub.RecordAttendanceOutcome(
        org_pb2.RecordAttendanceOutcomeRequest(attendance_id=attendance_id, outcome=outcome, note=note),
        metadata=org.as_user(username),
    )
    return reply.attendance


async def test_A31_A54_the_office_records_once_the_day_has_come_whether_the_leader_attended(
    org, org_events, monkeypatch
):
    asked = await ask(org, activity_kind=org_pb2.ACTIVITY_KIND_INSPECTION, title="调研柠檬产业发展")
    not_agreed = await rpc_error(outcome(org, asked.id, org_pb2.ATTENDANCE_OUTCOME_ATTENDED))
    assert not_agreed.code() == grpc.StatusCode.INVALID_ARGUMENT
    await review(org, asked.id)
    await decide(org, asked.id, "vice-mayor-1")
    too_early = await rpc_error(outcome(org, asked.id, org_pb2.ATTENDANCE_OUTCOME_ATTENDED))
    assert list(field_violations_of(too_early)) == ["attendance_id"]

    monkeypatch.setattr(org_api, "today_in_china", lambda: EVENT_DAY)
    no_reason = await rpc_error(outcome(org, asked.id, org_pb2.ATTENDANCE_OUTCOME_NOT_ATTENDED))
    assert list(field_violations_of(no_reason)) == ["note"]
    not_the_office = await rpc_error(
        outcome(org, asked.id, org_pb2.ATTENDANCE_OUTCOME_ATTENDED, username="department-head")
    )
    assert not_the_office.code() == grpc.StatusCode.PERMISSION_DENIED
    missed = await outcome(org, asked.id, org_pb2.ATTENDANCE_OUTCOME_NOT_ATTENDED, note="临时赴省开会")
    assert missed.state == org_pb2.ATTENDANCE_STATE_NOT_ATTENDED
    assert [(h.act, h.actor.username, h.reason) for h in missed.history][-1] == (
        "attendance.not-attended",
        "office-staff",
        "临时赴省开会",
    )
    once = await rpc_error(outcome(org, asked.id, org_pb2.ATTENDANCE_OUTCOME_ATTENDED))
    assert once.code() == grpc.StatusCode.INVALID_ARGUMENT

    events = [
        e
        for e in await read_events(org_events, "ORG", "org.attendance.>", count=4, and_any_more=True)
        if e.aggregate_ref == f"attendance/{asked.id}"
    ]
    assert [e.subject for e in events][-1] == "org.attendance.outcome_recorded"
    reported = events_pb2.EventAttendanceOutcomeRecorded()
    events[-1].payload.Unpack(reported)
    assert reported.attendance.state == org_pb2.ATTENDANCE_STATE_NOT_ATTENDED
