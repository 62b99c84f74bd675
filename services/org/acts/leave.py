"""Acts on a leader's leave (请假, 销假, A82) and the stand-in it names (A10, A59): requested by the
leader (or filed for him or her by whoever approves leave), approved or rejected by someone else,
ended when the leader is back. A leave that starts today hands over at once (acts/acting.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.org import domain
from services.org.acts.acting import emit_due_acting_events
from services.org.directory import Snapshot
from services.org.models import Leave
from services.org.protos.leave import leave_to_proto
from services.org.store import leave as store
from services.org.store import portfolios as portfolio_store
from shared import audit
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from shared.outbox import add_event
from zgov.org.v1 import events_pb2, org_pb2


def ref_of(row: Leave) -> str:
    return f"leave/{row.id}"


async def name_stand_in(session: AsyncSession, row: Leave, snap: Snapshot) -> list[domain.StandInGap]:
    """A10, A59: record on the leave the stand-in the rules name (else keep the one the request
    named), and return the gaps it opens: positions left with nobody to act on some days."""
    pairs = await portfolio_store.ab_pairs(session)
    evm = snap.holders_of(domain.EXECUTIVE_VICE_MAYOR)

    def stand_in_of(absence: domain.Absence) -> tuple[str, str]:
        return domain.stand_in_for(
            absence,
            executive_vice_mayor_id=evm[0].user_id if evm else None,
            ab_partner_id=domain.ab_partner(absence.user_id, pairs),
        )

    leave = store.as_absence(row)
    row.acting_user_id = stand_in_of(leave)[0]
    approved = await store.approved_absences_between(session, row.first_day, row.last_day)
    names = {p.user_id: p.display_name or p.username for people in snap.holders.values() for p in people}
    return domain.stand_in_gaps(leave, approved, stand_in_of, names)


def check_files_for(actor: Actor, user_id: str) -> None:
    """A leave is filed by the leader, or for him or her by whoever approves leave."""
    if user_id != actor.user_id and not actor.may("leave:approve"):
        raise Forbidden(
            "only those who approve leave may file a leave for someone else", reason="NOT_LEAVE_APPROVER"
        )


async def request_leave(
    session: AsyncSession,
    actor: Actor,
    snap: Snapshot,
    *,
    user_id: str,
    position: str,
    kind: domain.LeaveKind | None,
    first_day: date | None,
    last_day: date | None,
    reason: str,
    acting_user_id: str,
) -> org_pb2.Leave:
    """A82: a leader asks for leave (abroad, study, leave, business trip) before going."""
    check_files_for(actor, user_id)
    if acting_user_id and not snap.person(acting_user_id):
        raise InvalidInput({"acting_user_id": f"no position holder with user id {acting_user_id}"})
    await store.lock_absences(session)
    domain.check_leave_request(
        user_positions=snap.positions_of(user_id),
        position=position,
        kind=kind,
        first_day=first_day,
        last_day=last_day,
        reason=reason,
        own_leaves=await store.leaves_of(session, [user_id]),
    )
    row = await store.add_leave(
        session,
        user_id=user_id,
        position=position,
        kind=kind.value,
        first_day=first_day,
        last_day=last_day,
        reason=reason.strip(),
        acting_user_id=acting_user_id,
    )
    gaps = await name_stand_in(session, row, snap)
    await audit.record_act(session, ref_of(row), "leave.requested", actor, reason)
    reply = leave_to_proto(row, await audit.history(session, ref_of(row)), gaps)
    await add_event(
        session, "org.leave.requested", events_pb2.LeaveRequested(leave=reply), ref_of(row), actor
    )
    return reply


async def approve_leave(
    session: AsyncSession,
    actor: Actor,
    snap: Snapshot,
    leave_id: str,
    *,
    opinion: str,
    both_away_override_reason: str,
    today: date,
) -> org_pb2.Leave:
    """A82: approved by someone other than the leader away; the mayor and the executive vice mayor
    are not both away unless the reason is given."""
    await store.lock_absences(session)
    row = await store.get_leave(session, leave_id, for_update=True)
    if row.user_id == actor.user_id:
        raise Forbidden(
            "a leave is approved by someone other than the person who is away", reason="OWN_LEAVE"
        )
    if row.state != domain.LeaveState.REQUESTED.value:
        raise InvalidInput({"leave_id": f"the leave is {row.state}; only a requested leave is approved"})
    candidate = store.as_absence(row)
    others = await store.approved_absences_of_positions(session, [domain.MAYOR, domain.EXECUTIVE_VICE_MAYOR])
    domain.check_both_away(candidate, others, both_away_override_reason)
    if domain.both_top_leaders_away(candidate, others):
        row.both_away_override_reason = both_away_override_reason.strip()
    row.state = domain.LeaveState.APPROVED.value
    gaps = await name_stand_in(session, row, snap)
    await session.flush()
    await audit.record_act(
        session, ref_of(row), "leave.approved", actor, opinion or both_away_override_reason
    )
    reply = leave_to_proto(row, await audit.history(session, ref_of(row)), gaps)
    await add_event(session, "org.leave.approved", events_pb2.LeaveApproved(leave=reply), ref_of(row), actor)
    # A leave that starts today hands over at once, in the same transaction.
    await emit_due_acting_events(session, today, snap)
    return reply


async def reject_leave(session: AsyncSession, actor: Actor, leave_id: str, reason: str) -> org_pb2.Leave:
    if not reason.strip():
        raise InvalidInput({"reason": "a rejection states its reason"})
    row = await store.get_leave(session, leave_id, for_update=True)
    if row.state != domain.LeaveState.REQUESTED.value:
        raise InvalidInput({"leave_id": f"the leave is {row.state}; only a requested leave is rejected"})
    row.state = domain.LeaveState.REJECTED.value
    await session.flush()
    await audit.record_act(session, ref_of(row), "leave.rejected", actor, reason)
    reply = leave_to_proto(row, await audit.history(session, ref_of(row)))
    await add_event(session, "org.leave.rejected", events_pb2.LeaveRejected(leave=reply), ref_of(row), actor)
    return reply


async def end_leave(
    session: AsyncSession, actor: Actor, snap: Snapshot, leave_id: str, *, last_day: date | None, today: date
) -> org_pb2.Leave:
    """销假: the leader is back. Recorded by the leader or by whoever approves leave.

    A leave cut short keeps its state and gets its new last day; one withdrawn or cancelled
    before its first day becomes ENDED and never counted as an absence.
    """
    await store.lock_absences(session)
    row = await store.get_leave(session, leave_id, for_update=True)
    if row.user_id != actor.user_id and not actor.may("leave:approve"):
        raise Forbidden(
            "only the leader who is away, or whoever approves leave, ends a leave",
            reason="NOT_LEAVE_HOLDER_OR_APPROVER",
        )
    if row.state not in (domain.LeaveState.REQUESTED.value, domain.LeaveState.APPROVED.value):
        raise InvalidInput({"leave_id": f"the leave is {row.state} already"})
    last_day = last_day or today - timedelta(days=1)  # back today: away until yesterday
    outcome = domain.leave_end_outcome(
        state=domain.LeaveState(row.state),
        first_day=row.first_day,
        last_day=row.last_day,
        new_last_day=last_day,
        today=today,
    )
    if outcome is domain.LeaveState.ENDED:
        row.state = outcome.value
    else:
        row.last_day = last_day
    await session.flush()
    await audit.record_act(session, ref_of(row), "leave.ended", actor, f"last day away: {last_day}")
    reply = leave_to_proto(row, await audit.history(session, ref_of(row)))
    await add_event(session, "org.leave.ended", events_pb2.LeaveEnded(leave=reply), ref_of(row), actor)
    await emit_due_acting_events(session, today, snap)
    return reply
