"""A recorded act is never rewritten (A20, A26): ending a leave does not undo the days already away."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.errors import rule_id_of
from tests.integration.org.test_org_api import approve, d, request_leave, rpc_error
from zgov.org.v1 import org_pb2

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def end_leave(org, leave_id, last_day=None, username="mayor"):
    request = org_pb2.EndLeaveRequest(leave_id=leave_id, last_day=d(last_day) if last_day else None)
    return await org.stub.EndLeave(request, metadata=org.as_user(username))


async def test_A26_an_approved_leave_that_began_cannot_be_ended_before_its_first_day(org):
    """Closes the hole where EndLeave with a last day before the first day turned an approved leave,
    under which the acting mayor may already have signed, into one that never took the mayor away."""
    first = TODAY - timedelta(days=2)
    leave = await request_leave(org, "mayor", "mayor", first, TODAY + timedelta(days=3))
    await approve(org, leave.id, approver="evm")

    for last_day in (first - timedelta(days=1), first - timedelta(days=10)):
        refused = await rpc_error(end_leave(org, leave.id, last_day))
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert rule_id_of(refused) == "A26.leave-taken"

    kept = await org.stub.GetLeave(org_pb2.GetLeaveRequest(leave_id=leave.id), metadata=org.as_user("mayor"))
    assert (kept.state, kept.first_day, kept.last_day) == (
        org_pb2.LEAVE_STATE_APPROVED,
        d(first),
        d(TODAY + timedelta(days=3)),
    )


async def test_A26_a_leave_ends_from_today_at_the_earliest(org):
    """Closes the hole where a leave that had begun could be shortened into the past (a last day before
    yesterday), erasing days the leader was recorded away; ending it from today works."""
    first = TODAY - timedelta(days=5)
    leave = await request_leave(org, "mayor", "mayor", first, TODAY + timedelta(days=3))
    await approve(org, leave.id, approver="evm")

    refused = await rpc_error(end_leave(org, leave.id, TODAY - timedelta(days=2)))
    assert rule_id_of(refused) == "A26.leave-taken"

    ended = await end_leave(org, leave.id)  # back today: the last day away is yesterday
    assert (ended.state, ended.first_day, ended.last_day) == (
        org_pb2.LEAVE_STATE_APPROVED,
        d(first),
        d(TODAY - timedelta(days=1)),
    )


async def test_A26_an_approved_leave_that_has_not_begun_is_withdrawn(org):
    """Withdrawing a leave before its first day stays possible: nobody acted under it yet."""
    first = TODAY + timedelta(days=10)
    leave = await request_leave(org, "mayor", "mayor", first, first + timedelta(days=2))
    await approve(org, leave.id, approver="evm")
    ended = await end_leave(org, leave.id)
    assert ended.state == org_pb2.LEAVE_STATE_ENDED
