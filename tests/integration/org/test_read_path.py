"""The org service's read path (no transaction, no pool pre-ping) gives the same answers, and keeps
answering after PostgreSQL ended the service's connections (pg_terminate_backend)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from tests.integration.org.test_org_api import TODAY, approve, request_leave
from zgov.org.v1 import org_pb2

pytestmark = pytest.mark.integration

CHINA = ZoneInfo("Asia/Shanghai")


async def end_every_connection_of(database_url: str) -> int:
    """pg_terminate_backend of every session of the service's database; how many were ended."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        ended = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    await asyncio.sleep(0.3)  # the backends exit and close their sockets
    return ended


def who_may_act(org, position: str, day, holder_user_id: str = ""):
    request = org_pb2.WhoMayActRequest(position=position, holder_user_id=holder_user_id)
    request.at.FromDatetime(datetime.combine(day, datetime.min.time().replace(hour=10), CHINA))
    return org.stub.WhoMayAct(request, metadata=org.as_user("office-staff"))


async def reads(org, day):
    vm2 = org.user_id("vice-mayor-2")
    return (
        await who_may_act(org, "mayor", day),
        await who_may_act(org, "vice-mayor", day, holder_user_id=vm2),
        await who_may_act(org, "executive-vice-mayor", day),
        await org.stub.ListLeaves(org_pb2.ListLeavesRequest(), metadata=org.as_user("office-staff")),
        await org.stub.ListAbPairs(org_pb2.ListAbPairsRequest(), metadata=org.as_user("office-staff")),
    )


async def test_A10_A59_reads_answer_alike_before_and_after_the_database_ends_the_connections(org):
    vm1, vm2 = org.user_id("vice-mayor-1"), org.user_id("vice-mayor-2")
    pair = org_pb2.SetAbPairRequest(leader_a_user_id=vm1, leader_b_user_id=vm2, reason="分工")
    await org.stub.SetAbPair(pair, metadata=org.as_user("secretary-general"))
    day = TODAY + timedelta(days=50)
    mayor_away = await request_leave(
        org, "mayor", "mayor", day, day + timedelta(days=2), kind=org_pb2.LEAVE_KIND_ABROAD
    )
    await approve(org, mayor_away.id, approver="evm")
    vm2_away = await request_leave(org, "vice-mayor-2", "vice-mayor", day, day)
    await approve(org, vm2_away.id)

    before = await reads(org, day)
    mayor, vice_mayor, evm = before[:3]
    assert (mayor.acting_user_id, mayor.basis, mayor.leave_id) == (org.user_id("evm"), "A10", mayor_away.id)
    # vice-mayor-2 is the B side of the pair: the partner is found from either side (A59)
    assert (vice_mayor.acting_user_id, vice_mayor.basis, vice_mayor.leave_id) == (vm1, "A59", vm2_away.id)
    assert (evm.acting_user_id, evm.basis, evm.holder_away) == (org.user_id("evm"), "holder present", False)
    # both leaves start the same day: ListLeaves orders by first day, then id
    assert [leave.id for leave in before[3].leaves] == sorted([mayor_away.id, vm2_away.id])

    assert await end_every_connection_of(org.database_url) >= 1
    assert await reads(org, day) == before

    # A write right after such a cut gets a live connection too.
    await end_every_connection_of(org.database_url)
    later_day = day + timedelta(days=5)
    later = await request_leave(org, "vice-mayor-1", "vice-mayor", later_day, later_day)
    got = await org.stub.GetLeave(
        org_pb2.GetLeaveRequest(leave_id=later.id), metadata=org.as_user("office-staff")
    )
    assert [h.act for h in got.history] == ["leave.requested"]
