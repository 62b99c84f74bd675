"""The leave acts of org called directly (no RPC), each test inside one transaction rolled back at its
end: what an act checks, writes, records and announces, seen from the session itself. Real
PostgreSQL (this test's database, at the service's migration head); the positions and holders are a
directory snapshot made here (no Keycloak), and an event is the outbox row the act adds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.org import domain
from services.org.acts import leave
from services.org.directory import Person, Snapshot
from shared.audit import history
from shared.convert import today_in_china
from shared.db import create_engine, session_factory
from shared.errors import Forbidden, InvalidInput, RuleViolation
from shared.identity import Actor
from tests.fixtures.outbox import outbox_subjects
from zgov.org.v1 import org_pb2

pytestmark = pytest.mark.integration

TODAY = today_in_china()
MAYOR = Actor(
    user_id="u-mayor",
    username="mayor",
    positions=frozenset({domain.MAYOR}),
    permissions=frozenset({"leave:request"}),
)
EVM = Actor(
    user_id="u-evm",
    username="executive-vice-mayor",
    positions=frozenset({domain.EXECUTIVE_VICE_MAYOR}),
    permissions=frozenset({"leave:request", "leave:approve"}),
)
SNAP = Snapshot(
    positions={domain.MAYOR: "市长", domain.EXECUTIVE_VICE_MAYOR: "常务副市长"},
    holders={
        domain.MAYOR: [Person("u-mayor", "mayor", "李市长")],
        domain.EXECUTIVE_VICE_MAYOR: [Person("u-evm", "executive-vice-mayor", "王常务")],
    },
    organisations={"city-government": {"name": "资阳市人民政府", "kind": "office"}},
)


@pytest.fixture
async def session(service_database):
    """One transaction for the whole test, rolled back at its end (nothing it wrote stays)."""
    engine = create_engine(await service_database("org"))
    try:
        async with session_factory(engine)() as s:
            await s.begin()
            try:
                yield s
            finally:
                await s.rollback()
    finally:
        await engine.dispose()


async def ask(session, first: date, last: date):
    return await leave.request_leave(
        session,
        MAYOR,
        SNAP,
        user_id=MAYOR.user_id,
        position=domain.MAYOR,
        kind=domain.LeaveKind.ABROAD,
        first_day=first,
        last_day=last,
        reason="出访友好城市",
        acting_user_id="",
    )


async def test_A10_A82_the_mayors_leave_names_the_executive_vice_mayor_and_hands_over_on_its_first_day(
    session,
):
    asked = await ask(session, TODAY, TODAY + timedelta(days=2))
    assert asked.acting_user_id == "u-evm"  # A10: the executive vice mayor stands in for the mayor
    approved = await leave.approve_leave(
        session, EVM, SNAP, asked.id, opinion="同意", both_away_override_reason="", today=TODAY
    )
    assert approved.state == org_pb2.LEAVE_STATE_APPROVED
    # a leave that starts today hands the duties over at once, in the same transaction
    assert await outbox_subjects(session, f"leave/{asked.id}") == [
        "org.leave.requested",
        "org.leave.approved",
        "org.acting.started",
    ]
    assert sorted(h.act for h in await history(session, f"leave/{asked.id}")) == [
        "leave.approved",
        "leave.requested",
    ]


async def test_A82_refusals_change_nothing(session):
    asked = await ask(session, TODAY + timedelta(days=10), TODAY + timedelta(days=12))
    with pytest.raises(RuleViolation) as overlap:
        await ask(session, TODAY + timedelta(days=11), TODAY + timedelta(days=13))
    assert overlap.value.rule_id == "A82.overlap"
    with pytest.raises(Forbidden):
        await leave.approve_leave(
            session, MAYOR, SNAP, asked.id, opinion="", both_away_override_reason="", today=TODAY
        )
    with pytest.raises(InvalidInput):
        await leave.reject_leave(session, EVM, asked.id, "  ")
    with pytest.raises(Forbidden):
        leave.check_files_for(MAYOR, "u-evm")
    assert await outbox_subjects(session, f"leave/{asked.id}") == ["org.leave.requested"]
