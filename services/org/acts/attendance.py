"""Acts on a request for a city leader to attend an event (A54, A55, A59): a county or department
asks in advance, the general office reviews (审核: forwards or returns), the leader decides (审定; while
away, whoever acts for the leader decides in his or her place), the office reassigns it to another
leader when one cannot attend, and records once the day has come whether he attended (A31: an
inspection attended is research)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.org import domain
from services.org.directory import Snapshot
from services.org.models import EventAttendance
from services.org.protos.attendance import attendance_to_proto
from services.org.store import attendance as store
from services.org.store import leave as leave_store
from services.org.store import portfolios as portfolio_store
from shared import audit
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.outbox import add_event
from zgov.org.v1 import events_pb2, org_pb2


def ref_of(row: EventAttendance) -> str:
    return f"attendance/{row.id}"


def require_state(row, *states: domain.AttendanceState, act: str) -> None:
    """A request moves only forward: requested → forwarded/returned → agreed/declined (→ reassigned)."""
    if row.state not in {s.value for s in states}:
        allowed = " or ".join(s.value for s in states)
        raise InvalidInput({"attendance_id": f"the request is {row.state}; {allowed} requests are {act}"})


async def _recorded(
    session: AsyncSession, row: EventAttendance, act: str, actor: Actor, reason: str, subject: str, event
) -> org_pb2.EventAttendance:
    """The act recorded, the reply with the history, `event` (made from the reply) on `subject`."""
    await audit.record_act(session, ref_of(row), act, actor, reason)
    reply = attendance_to_proto(row, await audit.history(session, ref_of(row)))
    await add_event(session, subject, event(reply), ref_of(row), actor)
    return reply


async def request_attendance(
    session: AsyncSession,
    actor: Actor,
    snap: Snapshot,
    candidate: domain.AttendanceRequest,
    *,
    details: str,
    today: date,
) -> org_pb2.EventAttendance:
    """A54: a county or department asks, in advance, for a city leader to attend its event."""
    domain.check_attendance_request(
        candidate, today=today, leader_positions=snap.positions_of(candidate.leader_user_id)
    )
    assert candidate.kind and candidate.event_day
    row = await store.add_attendance(
        session,
        requesting_organisation_code=candidate.organisation_code,
        requested_by_user_id=actor.user_id,
        leader_user_id=candidate.leader_user_id,
        event_day=candidate.event_day,
        title=candidate.title.strip(),
        venue=candidate.venue.strip(),
        activity_kind=candidate.kind.value,
        details=details.strip(),
        foreign_affairs=candidate.is_foreign_affairs,
        foreign_affairs_filing_ref=candidate.foreign_affairs_filing_ref,
        approval_ref=candidate.approval_ref,
        photo_session=candidate.photo_session,
        photo_approval_ref=candidate.photo_approval_ref,
        festivity_override_reason=candidate.festivity_override_reason,
    )
    return await _recorded(
        session,
        row,
        "attendance.requested",
        actor,
        candidate.festivity_override_reason,
        "org.attendance.requested",
        lambda reply: events_pb2.EventAttendanceRequested(attendance=reply),
    )


async def review_attendance(
    session: AsyncSession,
    actor: Actor,
    attendance_id: str,
    *,
    forward: bool,
    opinion: str,
    foreign_affairs_filing_ref: str,
    today: date,
) -> org_pb2.EventAttendance:
    """A54: the general office reviews (审核): forwards to the leader, or returns with a reason."""
    if not forward and not opinion.strip():
        raise InvalidInput({"opinion": "a returned request states its reason"})
    row = await store.get_attendance(session, attendance_id, for_update=True)
    require_state(row, domain.AttendanceState.REQUESTED, act="reviewed")
    if foreign_affairs_filing_ref.strip():
        row.foreign_affairs_filing_ref = foreign_affairs_filing_ref.strip()
    if forward:
        domain.check_forward(
            is_foreign_affairs=row.foreign_affairs,
            foreign_affairs_filing_ref=row.foreign_affairs_filing_ref,
            event_day=row.event_day,
            today=today,
        )
    new_state = domain.AttendanceState.FORWARDED if forward else domain.AttendanceState.RETURNED
    row.state = new_state.value
    row.review_opinion = opinion.strip()
    await session.flush()
    return await _recorded(
        session,
        row,
        f"attendance.{new_state.value}",
        actor,
        row.review_opinion,
        "org.attendance.reviewed",
        lambda reply: events_pb2.EventAttendanceReviewed(attendance=reply),
    )


async def decide_attendance(
    session: AsyncSession,
    actor: Actor,
    snap: Snapshot,
    attendance_id: str,
    *,
    agree: bool,
    reason: str,
    today: date,
) -> org_pb2.EventAttendance:
    """A54: the leader asked decides (审定); while away on the event day, whoever acts for the leader
    (A10, A59) decides in his or her place, and the act records both names."""
    if not agree and not reason.strip():
        raise InvalidInput({"reason": "a leader who cannot attend says why (A59: another is asked)"})
    row = await store.get_attendance(session, attendance_id, for_update=True)
    require_state(row, domain.AttendanceState.FORWARDED, act="decided")
    domain.check_not_passed(row.event_day, today)
    position = domain.check_city_leader(row.leader_user_id, snap.positions_of(row.leader_user_id))
    pairs = await portfolio_store.ab_pairs(session)
    evm = snap.holders_of(domain.EXECUTIVE_VICE_MAYOR)
    acting = domain.who_may_act(
        position=position,
        holder_user_id=row.leader_user_id,
        day=row.event_day,
        absences=await leave_store.approved_absences_on(session, row.event_day),
        executive_vice_mayor_id=evm[0].user_id if evm else None,
        ab_partner_id=domain.ab_partner(row.leader_user_id, pairs),
    )
    in_place = domain.attendance_decider(
        caller_user_id=actor.user_id, leader_user_id=row.leader_user_id, acting=acting
    )
    decider = actor.acting_for(row.leader_user_id, position) if in_place else actor
    new_state = domain.AttendanceState.AGREED if agree else domain.AttendanceState.DECLINED
    row.state = new_state.value
    row.decision_reason = reason.strip()
    await session.flush()
    return await _recorded(
        session,
        row,
        f"attendance.{new_state.value}",
        decider,
        row.decision_reason,
        "org.attendance.decided",
        lambda reply: events_pb2.EventAttendanceDecided(attendance=reply),
    )


async def reassign_attendance(
    session: AsyncSession,
    actor: Actor,
    snap: Snapshot,
    attendance_id: str,
    *,
    leader_user_id: str,
    reason: str,
    today: date,
) -> org_pb2.EventAttendance:
    """A59: a leader cannot attend; the office coordinates another city leader to attend instead."""
    row = await store.get_attendance(session, attendance_id, for_update=True)
    require_state(row, domain.AttendanceState.DECLINED, domain.AttendanceState.FORWARDED, act="reassigned")
    domain.check_not_passed(row.event_day, today)
    domain.check_reassignment(
        new_leader_user_id=leader_user_id,
        new_leader_positions=snap.positions_of(leader_user_id),
        current_leader_user_id=row.leader_user_id,
        earlier_leader_user_ids=row.previous_leader_user_ids,
    )
    previous = row.leader_user_id
    row.previous_leader_user_ids = [*row.previous_leader_user_ids, previous]
    row.leader_user_id = leader_user_id
    row.state = domain.AttendanceState.FORWARDED.value
    row.decision_reason = ""
    await session.flush()
    return await _recorded(
        session,
        row,
        "attendance.reassigned",
        actor,
        reason.strip() or f"in place of {previous}",
        "org.attendance.reassigned",
        lambda reply: events_pb2.EventAttendanceReassigned(
            attendance=reply, previous_leader_user_id=previous
        ),
    )


async def record_outcome(
    session: AsyncSession,
    actor: Actor,
    attendance_id: str,
    *,
    attended: bool | None,
    note: str,
    today: date,
) -> org_pb2.EventAttendance:
    """A31, A54: the general office records, once the day has come, whether the leader attended the event
    he agreed to; once (supervision counts an inspection attended as a research day, not one missed)."""
    row = await store.get_attendance(session, attendance_id, for_update=True)
    require_state(row, domain.AttendanceState.AGREED, act="given an outcome")
    domain.check_outcome(attended=attended, note=note, event_day=row.event_day, today=today)
    new_state = domain.AttendanceState.ATTENDED if attended else domain.AttendanceState.NOT_ATTENDED
    row.state = new_state.value
    await session.flush()
    return await _recorded(
        session,
        row,
        f"attendance.{new_state.value.replace('_', '-')}",
        actor,
        note.strip(),
        "org.attendance.outcome_recorded",
        lambda reply: events_pb2.EventAttendanceOutcomeRecorded(attendance=reply),
    )
