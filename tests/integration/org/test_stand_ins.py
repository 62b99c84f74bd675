"""Issue 16: a leave says who stands in (A10, A59) and flags, when requested and approved, the days
on which a position is left with nobody to act — not discovered later when a signature fails."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.org.test_org_api import approve, d, request_leave
from zgov.org.v1 import org_pb2

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def gaps(leave: org_pb2.Leave) -> list[tuple]:
    return [(g.position, g.holder_user_id, g.leave_id, g.first_day, g.last_day) for g in leave.stand_in_gaps]


async def test_A10_the_mayors_leave_names_the_executive_vice_mayor_and_a_business_trip_is_flagged(org):
    mayor, evm = org.user_id("mayor"), org.user_id("evm")
    first = TODAY + timedelta(days=30)
    abroad = await request_leave(
        org, "mayor", "mayor", first, first + timedelta(days=2), kind=org_pb2.LEAVE_KIND_ABROAD
    )
    assert (abroad.acting_user_id, list(abroad.stand_in_gaps)) == (evm, [])
    approved = await approve(org, abroad.id, approver="evm")
    assert (approved.acting_user_id, list(approved.stand_in_gaps)) == (evm, [])
    stored = await org.stub.GetLeave(
        org_pb2.GetLeaveRequest(leave_id=abroad.id), metadata=org.as_user("mayor")
    )
    assert stored.acting_user_id == evm

    # A business trip in China is not an A10 absence: nobody acts as mayor, and the reply says so.
    trip_day = first + timedelta(days=10)
    trip = await request_leave(
        org, "mayor", "mayor", trip_day, trip_day, kind=org_pb2.LEAVE_KIND_BUSINESS_TRIP
    )
    assert trip.acting_user_id == ""
    approved = await approve(org, trip.id, approver="evm")
    assert approved.state == org_pb2.LEAVE_STATE_APPROVED
    assert gaps(approved) == [("mayor", mayor, trip.id, d(trip_day), d(trip_day))]
    [gap] = approved.stand_in_gaps
    assert "nobody acts for" in gap.reason and f"[{mayor}]" in gap.reason and "business_trip" in gap.reason


async def test_A59_a_vice_mayor_whose_ab_partner_is_away_is_flagged_at_approval(org):
    vm1, vm2 = org.user_id("vice-mayor-1"), org.user_id("vice-mayor-2")
    await org.stub.SetAbPair(
        org_pb2.SetAbPairRequest(leader_a_user_id=vm1, leader_b_user_id=vm2, reason="分工"),
        metadata=org.as_user("secretary-general"),
    )
    first = TODAY + timedelta(days=40)
    partner_away = await request_leave(org, "vice-mayor-2", "vice-mayor", first, first + timedelta(days=2))
    assert partner_away.acting_user_id == vm1
    await approve(org, partner_away.id)

    leave = await request_leave(
        org, "vice-mayor-1", "vice-mayor", first + timedelta(days=1), first + timedelta(days=4)
    )
    shared = (d(first + timedelta(days=1)), d(first + timedelta(days=2)))
    expected = [("vice-mayor", vm1, leave.id, *shared), ("vice-mayor", vm2, partner_away.id, *shared)]
    assert leave.acting_user_id == vm2
    assert gaps(leave) == expected  # already said when requested
    approved = await approve(org, leave.id)
    assert approved.state == org_pb2.LEAVE_STATE_APPROVED and gaps(approved) == expected
    own, partners = approved.stand_in_gaps
    assert f"[{vm2}]" in own.reason and "A59" in own.reason and "away too" in own.reason
    assert f"[{vm1}]" in partners.reason and "stands in (A59)" in partners.reason

    # Read back, a leave carries its stand-in but no warnings (they belong to the request and approval).
    stored = await org.stub.GetLeave(
        org_pb2.GetLeaveRequest(leave_id=leave.id), metadata=org.as_user("mayor")
    )
    assert (stored.acting_user_id, list(stored.stand_in_gaps)) == (vm2, [])


async def test_A82_A10_mayor_and_executive_vice_mayor_away_together_by_override_is_flagged(org):
    mayor, evm = org.user_id("mayor"), org.user_id("evm")
    start = TODAY + timedelta(days=20)
    evm_leave = await request_leave(org, "evm", "executive-vice-mayor", start, start + timedelta(days=2))
    await approve(org, evm_leave.id, approver="mayor")
    mayor_leave = await request_leave(
        org, "mayor", "mayor", start + timedelta(days=2), start + timedelta(days=4)
    )
    approved = await approve(
        org, mayor_leave.id, approver="evm", both_away_override_reason="省委统一安排集中学习"
    )
    assert approved.acting_user_id == evm
    assert gaps(approved) == [
        ("mayor", mayor, mayor_leave.id, d(start + timedelta(days=2)), d(start + timedelta(days=2)))
    ]
    assert f"[{evm}]" in approved.stand_in_gaps[0].reason
