"""The org service end to end: real Keycloak tokens, real PostgreSQL, real NATS JetStream."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.convert import date_to_proto as d
from shared.errors import field_violations_of, rule_id_of
from shared.workdays import calendar
from tests.fixtures.rpc import rpc_error
from tests.fixtures.streams import read_events
from zgov.org.v1 import events_pb2, org_pb2

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def request_leave(org, username, position, first, last, kind=org_pb2.LEAVE_KIND_LEAVE, **extra):
    return await org.stub.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position=position, kind=kind, first_day=d(first), last_day=d(last), reason="公务安排", **extra
        ),
        metadata=org.as_user(username),
    )


async def approve(org, leave_id, approver="mayor", **extra):
    return await org.stub.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave_id, opinion="同意", **extra),
        metadata=org.as_user(approver),
    )


# ---- who may call ------------------------------------------------------------------------------


async def test_token_from_keycloak_is_allowed_or_denied_by_position(org):
    reply = await org.stub.ListPositions(org_pb2.ListPositionsRequest(), metadata=org.as_user("mayor"))
    positions = {p.position.code: p for p in reply.positions}
    assert positions["mayor"].position.title == "市长"
    assert [h.username for h in positions["mayor"].holders] == ["mayor"]
    assert {h.username for h in positions["vice-mayor"].holders} == {
        "vice-mayor-1",
        "vice-mayor-2",
        "vice-mayor-3",
    }

    denied = await rpc_error(
        org.stub.ListPositions(org_pb2.ListPositionsRequest(), metadata=org.as_user("citizen"))
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "positions:read" in denied.details()

    vice_mayor_may_not_approve = await rpc_error(
        org.stub.ApproveLeave(org_pb2.ApproveLeaveRequest(leave_id="x"), metadata=org.as_user("vice-mayor-1"))
    )
    assert vice_mayor_may_not_approve.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_missing_or_bad_token_is_unauthenticated(org):
    missing = await rpc_error(org.stub.ListPositions(org_pb2.ListPositionsRequest()))
    assert missing.code() == grpc.StatusCode.UNAUTHENTICATED
    token = org.keycloak.token_for("mayor")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    bad = await rpc_error(
        org.stub.ListPositions(
            org_pb2.ListPositionsRequest(), metadata=(("authorization", f"Bearer {tampered}"),)
        )
    )
    assert bad.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_service_account_of_another_service_may_ask_who_may_act(org):
    token = org.keycloak.service_token("documents")
    reply = await org.stub.WhoMayAct(
        org_pb2.WhoMayActRequest(position="mayor"), metadata=(("authorization", f"Bearer {token}"),)
    )
    assert reply.acting_user_id == org.user_id("mayor")
    denied = await rpc_error(
        org.stub.ApproveLeave(
            org_pb2.ApproveLeaveRequest(leave_id="x"), metadata=(("authorization", f"Bearer {token}"),)
        )
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


# ---- bad input changes nothing -----------------------------------------------------------------


async def test_leave_that_ends_before_it_starts_is_refused_with_the_field(org):
    err = await rpc_error(request_leave(org, "vice-mayor-1", "vice-mayor", TODAY + timedelta(days=5), TODAY))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "last_day" in field_violations_of(err)
    listed = await org.stub.ListLeaves(org_pb2.ListLeavesRequest(), metadata=org.as_user("mayor"))
    assert list(listed.leaves) == []


async def test_unknown_position_is_refused(org):
    err = await rpc_error(
        org.stub.WhoMayAct(org_pb2.WhoMayActRequest(position="emperor"), metadata=org.as_user("mayor"))
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "position" in field_violations_of(err)
    err = await rpc_error(request_leave(org, "vice-mayor-1", "mayor", TODAY, TODAY))
    assert "position" in field_violations_of(err)


async def test_A82_overlapping_request_of_the_same_leader_is_refused(org):
    first = await request_leave(
        org, "vice-mayor-2", "vice-mayor", TODAY + timedelta(days=10), TODAY + timedelta(days=12)
    )
    err = await rpc_error(
        request_leave(
            org, "vice-mayor-2", "vice-mayor", TODAY + timedelta(days=12), TODAY + timedelta(days=14)
        )
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(err) == "A82.overlap"
    assert first.id in err.details()


# ---- A82, A10, A59 ------------------------------------------------------------------------------


async def test_A82_mayor_and_executive_vice_mayor_not_away_together_unless_overridden(org):
    start = TODAY + timedelta(days=20)
    evm_leave = await request_leave(org, "evm", "executive-vice-mayor", start, start + timedelta(days=2))
    await approve(org, evm_leave.id, approver="mayor")
    mayor_leave = await request_leave(
        org, "mayor", "mayor", start + timedelta(days=2), start + timedelta(days=4)
    )
    err = await rpc_error(approve(org, mayor_leave.id, approver="evm"))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(err) == "A82"
    still = await org.stub.GetLeave(
        org_pb2.GetLeaveRequest(leave_id=mayor_leave.id), metadata=org.as_user("mayor")
    )
    assert still.state == org_pb2.LEAVE_STATE_REQUESTED

    approved = await approve(
        org,
        mayor_leave.id,
        approver="evm",
        both_away_override_reason="省委统一安排，两位领导同时参加集中学习",
    )
    assert approved.state == org_pb2.LEAVE_STATE_APPROVED
    assert approved.both_away_override_reason.startswith("省委")
    acts = [(h.act, h.actor.username) for h in approved.history]
    assert acts == [("leave.requested", "mayor"), ("leave.approved", "evm")]


async def test_A10_executive_vice_mayor_acts_as_mayor_while_the_mayor_is_away(org):
    first = TODAY + timedelta(days=30)
    leave = await request_leave(
        org, "mayor", "mayor", first, first + timedelta(days=3), kind=org_pb2.LEAVE_KIND_ABROAD
    )
    at = datetime.combine(first + timedelta(days=1), datetime.min.time(), ZoneInfo("Asia/Shanghai"))

    def ask(when):
        request = org_pb2.WhoMayActRequest(position="mayor")
        request.at.FromDatetime(when)
        return org.stub.WhoMayAct(request, metadata=org.as_user("office-staff"))

    before_approval = await ask(at)
    assert before_approval.acting_user_id == org.user_id("mayor")
    await approve(org, leave.id, approver="evm")
    during = await ask(at)
    assert (during.acting_user_id, during.basis, during.holder_away) == (org.user_id("evm"), "A10", True)
    assert during.leave_id == leave.id
    after = await ask(at + timedelta(days=3))
    assert after.acting_user_id == org.user_id("mayor")


async def test_A59_ab_partner_acts_for_an_absent_vice_mayor(org):
    vm1, vm2 = org.user_id("vice-mayor-1"), org.user_id("vice-mayor-2")
    await org.stub.SetAbPair(
        org_pb2.SetAbPairRequest(leader_a_user_id=vm1, leader_b_user_id=vm2, reason="分工"),
        metadata=org.as_user("secretary-general"),
    )
    first = TODAY + timedelta(days=40)
    leave = await request_leave(org, "vice-mayor-1", "vice-mayor", first, first)
    await approve(org, leave.id)
    request = org_pb2.WhoMayActRequest(position="vice-mayor", holder_user_id=vm1)
    request.at.FromDatetime(
        datetime.combine(first, datetime.min.time().replace(hour=9), ZoneInfo("Asia/Shanghai"))
    )
    answer = await org.stub.WhoMayAct(request, metadata=org.as_user("office-staff"))
    assert (answer.acting_user_id, answer.basis) == (vm2, "A59")

    ambiguous = await rpc_error(
        org.stub.WhoMayAct(
            org_pb2.WhoMayActRequest(position="vice-mayor"), metadata=org.as_user("office-staff")
        )
    )
    assert "holder_user_id" in field_violations_of(ambiguous)


# ---- A8, A79 ------------------------------------------------------------------------------------


async def test_A8_each_department_has_one_leader_and_routing_follows_the_portfolio(org):
    vm1, vm2 = org.user_id("vice-mayor-1"), org.user_id("vice-mayor-2")
    sg = org.as_user("secretary-general")
    await org.stub.SetPortfolio(
        org_pb2.SetPortfolioRequest(
            leader_user_id=vm1,
            organisation_codes=["education-bureau", "health-commission"],
            matters=["教育"],
            reason="市政府领导分工",
        ),
        metadata=sg,
    )
    err = await rpc_error(
        org.stub.SetPortfolio(
            org_pb2.SetPortfolioRequest(
                leader_user_id=vm2, organisation_codes=["education-bureau"], reason="调整"
            ),
            metadata=sg,
        )
    )
    assert rule_id_of(err) == "A8"
    unknown = await rpc_error(
        org.stub.SetPortfolio(
            org_pb2.SetPortfolioRequest(leader_user_id=vm2, organisation_codes=["ministry-of-magic"]),
            metadata=sg,
        )
    )
    assert "organisation_codes" in field_violations_of(unknown)

    found = await org.stub.FindPortfolioHolder(
        org_pb2.FindPortfolioHolderRequest(organisation_code="health-commission"),
        metadata=org.as_user("office-staff"),
    )
    assert found.leader_user_id == vm1
    none = await org.stub.FindPortfolioHolder(
        org_pb2.FindPortfolioHolderRequest(organisation_code="audit-bureau"),
        metadata=org.as_user("office-staff"),
    )
    assert none.leader_user_id == ""


async def test_A79_every_weekday_statutory_holiday_needs_a_leader_on_duty(org):
    year = max(calendar().known_years)  # the latest year whose official schedule is loaded
    duty_days = sorted(calendar().statutory_holidays_on_weekdays(year))
    assert duty_days, f"the {year} schedule has statutory holidays on weekdays"
    before = await org.stub.CheckDutyCoverage(
        org_pb2.CheckDutyCoverageRequest(year=year), metadata=org.as_user("office-staff")
    )
    assert [date(x.year, x.month, x.day) for x in before.uncovered_days] == duty_days
    assert not before.fully_covered

    for day in duty_days:
        await org.stub.SetDutyAssignment(
            org_pb2.SetDutyAssignmentRequest(day=d(day), leader_user_id=org.user_id("vice-mayor-3")),
            metadata=org.as_user("office-staff"),
        )
    after = await org.stub.CheckDutyCoverage(
        org_pb2.CheckDutyCoverageRequest(year=year), metadata=org.as_user("office-staff")
    )
    assert after.fully_covered and list(after.uncovered_days) == []

    saturday = next(day for day in (date(year, 6, 1) + timedelta(n) for n in range(7)) if day.weekday() == 5)
    err = await rpc_error(
        org.stub.SetDutyAssignment(
            org_pb2.SetDutyAssignmentRequest(day=d(saturday), leader_user_id=org.user_id("vice-mayor-3")),
            metadata=org.as_user("office-staff"),
        )
    )
    assert "day" in field_violations_of(err)
    not_a_leader = await rpc_error(
        org.stub.SetDutyAssignment(
            org_pb2.SetDutyAssignmentRequest(day=d(duty_days[0]), leader_user_id=org.user_id("office-staff")),
            metadata=org.as_user("office-staff"),
        )
    )
    assert "leader_user_id" in field_violations_of(not_a_leader)


# ---- events --------------------------------------------------------------------------------------


async def test_A10_leave_starting_today_publishes_approval_and_acting_started(org, org_events):
    leave = await request_leave(org, "mayor", "mayor", TODAY, TODAY + timedelta(days=1))
    await approve(org, leave.id, approver="evm")
    events = [
        e
        for e in await read_events(org_events, "ORG", "org.>", count=3, and_any_more=True)
        if e.aggregate_ref == f"leave/{leave.id}"
    ]
    assert [e.subject for e in events] == ["org.leave.requested", "org.leave.approved", "org.acting.started"]
    started = events_pb2.ActingStarted()
    events[2].payload.Unpack(started)
    assert (started.acting_user_id, started.basis) == (org.user_id("evm"), "A10")
    assert events[1].actor.username == "evm"


@pytest.mark.restarts_nats
async def test_events_written_while_nats_is_down_all_arrive_once_it_is_back(org, org_events):
    org.nats.stop()
    ids = []
    for n in range(3):
        first = TODAY + timedelta(days=60 + 5 * n)
        leave = await request_leave(org, "vice-mayor-3", "vice-mayor", first, first + timedelta(days=1))
        await approve(org, leave.id)
        ids.append(leave.id)
    org.nats.start()
    events = await read_events(org_events, "ORG", "org.leave.>", count=6, and_any_more=True, timeout=30)
    got = [(e.subject, e.aggregate_ref) for e in events]
    expected = [(s, f"leave/{i}") for i in ids for s in ("org.leave.requested", "org.leave.approved")]
    assert sorted(got) == sorted(expected)
    assert len({e.event_id for e in events}) == len(events) == 6
