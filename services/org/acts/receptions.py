"""Acts on official receptions (公务接待, A56): the standards loaded, a reception requested, approved
before it happens, and closed with its list (接待清单) — flagged when over the standard or never
approved. Each act checks the rules, changes the rows, records the act and adds its event in the
caller's transaction; an act never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.org.domain import receptions as domain
from services.org.protos import receptions as wire
from services.org.store import receptions as store
from services.org.domain.receptions import Attendee, Item, ReceptionPlan, ReceptionState, Standards
from services.org.models import Reception, ReceptionStandard
from shared.audit import actor_record, record_act
from shared.errors import Forbidden, InvalidInput, RuleViolation
from shared.outbox import add_event
from zgov.org.v1 import events_pb2 as events_pb


def ref_of(row: Reception) -> str:
    return f"reception/{row.id}"


async def _changed(session: AsyncSession, row: Reception, subject: str, act: str, actor, reason: str) -> None:
    await record_act(session, ref_of(row), act, actor, reason)
    await add_event(
        session,
        subject,
        events_pb.ReceptionChanged(reception=wire.reception_to_proto(row)),
        ref_of(row),
        actor,
    )


async def set_standards(session: AsyncSession, actor, standards: Standards) -> ReceptionStandard:
    domain.check_standards(standards)
    row = await store.add_standards(session, standards.as_row(), actor_record(actor))
    await record_act(session, "reception-standards", "reception.standards-set", actor, standards.source)
    await add_event(
        session,
        "org.reception.standards_set",
        events_pb.ReceptionStandardsSet(standards=wire.standards_to_proto(row)),
        "reception-standards",
        actor,
    )
    return row


async def _standards(session: AsyncSession) -> Standards:
    row = await store.standards_in_force(session)
    if row is None:
        raise RuleViolation(
            "A56.no-standards",
            "no reception standards are loaded: the office loads the "
            "province's and the city's standards first",
        )
    return domain.standards_of(row.standards)


async def request(session: AsyncSession, actor, plan: ReceptionPlan, today: date) -> Reception:
    """接待审批 asked by the host organisation (the caller's) with the visiting unit's letter."""
    domain.check_plan(plan, today)
    standards = await _standards(session)
    domain.check_request(plan, standards)
    row = await store.add(
        session,
        host_organisation_code=actor.organisation_code,
        requested_by_user_id=actor.user_id,
        guest_unit=plan.guest_unit.strip(),
        guest_kind=plan.guest_kind,
        guests=plan.guests,
        accompanying=plan.accompanying,
        meals=plan.meals,
        planned_cost_fen=plan.planned_cost_fen,
        day=plan.day,
        letter_ref=plan.letter_ref.strip(),
        state=ReceptionState.REQUESTED.value,
        standards=standards.as_row(),
    )
    await _changed(session, row, "org.reception.requested", "reception.requested", actor, plan.letter_ref)
    return row


async def approve(session: AsyncSession, actor, row: Reception, opinion: str, today: date) -> Reception:
    if row.state != ReceptionState.REQUESTED.value:
        raise InvalidInput(
            {"reception_id": f"the reception is {row.state}; only a requested one is approved"}
        )
    if row.requested_by_user_id == actor.user_id:
        raise Forbidden(
            "a reception is approved by someone other than who asked for it", reason="OWN_REQUEST"
        )
    domain.check_approval_day(row.day, today)
    row.state, row.approved_by_user_id = ReceptionState.APPROVED.value, actor.user_id
    await session.flush()
    await _changed(session, row, "org.reception.approved", "reception.approved", actor, opinion)
    return row


async def close(
    session: AsyncSession, actor, row: Reception, attendees: list[Attendee], items: list[Item]
) -> Reception:
    """The list (接待清单) closes the reception: who attended, what was served, what it cost. A
    reception never approved, or over the standard it was checked against, is flagged, not hidden."""
    if actor.organisation_code != row.host_organisation_code:
        raise Forbidden("the host organisation closes its reception", reason="OTHER_ORGANISATION")
    if row.state == ReceptionState.CLOSED.value:
        raise InvalidInput({"reception_id": "the reception is closed already"})
    domain.check_list(attendees, items)
    flags = domain.flags_on_close(
        approved=row.state == ReceptionState.APPROVED.value,
        attendees=attendees,
        items=items,
        meals=row.meals,
        s=domain.standards_of(row.standards),
    )
    row.attendees = [{"name": a.name, "unit": a.unit, "guest": a.guest} for a in attendees]
    row.items = [{"what": i.what, "cost_fen": i.cost_fen, "meal": i.meal} for i in items]
    row.actual_cost_fen = sum(i.cost_fen for i in items)
    row.flags, row.state = flags, ReceptionState.CLOSED.value
    await session.flush()
    summary = f"{len(attendees)} attended, {row.actual_cost_fen / 100:.2f} yuan"
    await _changed(session, row, "org.reception.closed", "reception.closed", actor, summary)
    if flags:
        await add_event(
            session,
            "org.reception.flagged",
            events_pb.ReceptionFlagged(reception=wire.reception_to_proto(row)),
            ref_of(row),
            actor,
        )
    return row
