"""Acts on temporary official trips abroad (因公临时出国（境）, A57, A58): requested, approved by the
authority for the members' positions (or rejected), gifts recorded and handed over, the report after
return. An approved trip of a city leader becomes that leader's leave of kind abroad, approved with it,
so the acting holders follow (A10, A59) without anyone entering the absence twice. A report or a gift's
hand-over past its limit is announced once by the overdue sweep (`announce_overdue`, org.trip.overdue).

The leave is made by org's existing leave functions (services/org/store/leave.py `add_leave`, with
`domain.check_leave_request`, `domain.check_both_away` (A82) and `domain.stand_in_for`, the steps of
RequestLeave and ApproveLeave in api.py), so a leave from a trip is the same row, record and event
(`org.leave.approved`) as one entered by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.org import domain as leave_rules
from services.org.domain import trips as domain
from services.org.protos import trips as wire
from services.org.store import leave as leave_store
from services.org.store import portfolios as portfolio_store
from services.org.store import trips as store
from services.org.directory import Snapshot
from services.org.domain.trips import Member, TripLimits, TripRequest, TripState
from services.org.models import Trip
from shared.audit import history, record_act, to_proto
from shared.convert import date_to_proto
from shared.errors import Forbidden, InvalidInput, RuleViolation
from shared.outbox import add_event
from zgov.org.v1 import events_pb2, org_pb2
from zgov.org.v1 import events_pb2 as events_pb


@dataclass(frozen=True)
class TripContext:
    today: date
    limits: TripLimits
    snapshot: Snapshot


def ref_of(row: Trip) -> str:
    return f"trip/{row.id}"


async def _changed(session: AsyncSession, row: Trip, subject: str, actor, reason: str) -> None:
    """Record the act (named by the subject without "org.") and add its event."""
    await record_act(session, ref_of(row), subject.removeprefix("org."), actor, reason)
    await add_event(session, subject, events_pb.TripChanged(trip=wire.trip_to_proto(row)), ref_of(row), actor)


def _check_members(members: tuple[Member, ...], snap: Snapshot, limits: TripLimits) -> tuple[Member, ...]:
    """Members are people the directory knows; a position named must be held, and a member named without
    one travels in the highest position that decides the authority and the leave (so a city leader cannot
    travel as staff)."""
    problems = []
    checked = []
    for i, m in enumerate(members):
        held = snap.positions_of(m.user_id)
        if snap.person(m.user_id) is None:
            problems.append((f"members[{i}].user_id", f"no position holder with user id {m.user_id}"))
        elif m.position and m.position not in held:
            problems.append(
                (f"members[{i}].position", f"{m.user_id} does not hold the position {m.position!r}")
            )
        position = m.position or next((p for p in limits.province_approved_positions if p in held), "")
        checked.append(Member(m.user_id, position, m.name))
    if problems:
        raise InvalidInput(problems)
    return tuple(checked)


async def request(session: AsyncSession, actor, trip: TripRequest, ctx: TripContext) -> Trip:
    domain.check_input(trip, ctx.today)
    domain.check_rules(trip, ctx.limits)
    checked = _check_members(trip.members, ctx.snapshot, ctx.limits)
    members = [
        {
            "user_id": m.user_id,
            "position": m.position,
            "name": m.name or getattr(ctx.snapshot.person(m.user_id), "display_name", ""),
        }
        for m in checked
    ]
    row = await store.add(
        session,
        organisation_code=actor.organisation_code,
        requested_by_user_id=actor.user_id,
        task_kind=trip.task_kind.value,
        purpose=trip.purpose.strip(),
        invitation_ref=trip.invitation_ref.strip(),
        countries=sorted(set(trip.countries)),
        far_region=trip.far_region,
        first_day=trip.first_day,
        last_day=trip.last_day,
        members=members,
        payer=trip.payer.value,
        state=TripState.REQUESTED.value,
        authority=domain.authority_for(checked, ctx.limits),
        report_due=domain.report_due(trip.last_day, ctx.limits),
    )
    await _changed(session, row, "org.trip.requested", actor, trip.purpose.strip())
    return row


def _members(row: Trip) -> list[Member]:
    return [Member(m["user_id"], m["position"], m.get("name", "")) for m in row.members]


async def approve(
    session: AsyncSession,
    actor,
    row: Trip,
    authority_reference: str,
    opinion: str,
    both_away_override_reason: str,
    ctx: TripContext,
) -> Trip:
    if row.state != TripState.REQUESTED.value:
        raise InvalidInput({"trip_id": f"the trip is {row.state}; only a requested trip is approved"})
    domain.check_approval(
        authority=row.authority,
        authority_reference=authority_reference,
        approver_user_id=actor.user_id,
        members=_members(row),
    )
    if row.first_day <= ctx.today:
        raise RuleViolation("A57.before-leaving", "a trip is approved before it leaves")
    row.state, row.approved_by_user_id = TripState.APPROVED.value, actor.user_id
    row.authority_reference = authority_reference.strip()
    await leave_store.lock_absences(session)  # as ApproveLeave: two approvals cannot both pass A82
    row.leave_ids = [
        await _abroad_leave(session, actor, row, m, both_away_override_reason, ctx)
        for m in domain.leaders_on(_members(row), ctx.limits)
    ]
    await session.flush()
    await _changed(
        session,
        row,
        "org.trip.approved",
        actor,
        f"{row.authority} {row.authority_reference} {opinion}".strip(),
    )
    return row


async def _abroad_leave(
    session: AsyncSession, actor, row: Trip, member: Member, override_reason: str, ctx: TripContext
) -> str:
    """The leader's leave of kind abroad for the trip's days, requested and approved with the trip."""
    snap = ctx.snapshot
    reason = f"因公出国（境）{ref_of(row)}: {row.purpose}"
    leave_rules.check_leave_request(
        user_positions=snap.positions_of(member.user_id),
        position=member.position,
        kind=leave_rules.LeaveKind.ABROAD,
        first_day=row.first_day,
        last_day=row.last_day,
        reason=reason,
        own_leaves=await leave_store.leaves_of(session, [member.user_id]),
    )
    leave = await leave_store.add_leave(
        session,
        user_id=member.user_id,
        position=member.position,
        kind=leave_rules.LeaveKind.ABROAD.value,
        first_day=row.first_day,
        last_day=row.last_day,
        reason=reason,
        acting_user_id="",
    )
    candidate = leave_store.as_absence(leave)
    top = await leave_store.approved_absences_of_positions(
        session, [leave_rules.MAYOR, leave_rules.EXECUTIVE_VICE_MAYOR]
    )
    leave_rules.check_both_away(candidate, top, override_reason)
    if leave_rules.both_top_leaders_away(candidate, top):
        leave.both_away_override_reason = override_reason.strip()
    evm = snap.holders_of(leave_rules.EXECUTIVE_VICE_MAYOR)
    pairs = await portfolio_store.ab_pairs(session)
    leave.acting_user_id = leave_rules.stand_in_for(
        candidate,
        executive_vice_mayor_id=evm[0].user_id if evm else None,
        ab_partner_id=leave_rules.ab_partner(member.user_id, pairs),
    )[0]
    leave.state = leave_rules.LeaveState.APPROVED.value
    await session.flush()
    await record_act(session, f"leave/{leave.id}", "leave.requested", actor, reason)
    await record_act(session, f"leave/{leave.id}", "leave.approved", actor, f"with {ref_of(row)}")
    reply = _leave_to_proto(leave, await history(session, f"leave/{leave.id}"))
    await add_event(
        session, "org.leave.approved", events_pb2.LeaveApproved(leave=reply), f"leave/{leave.id}", actor
    )
    return str(leave.id)


def _leave_to_proto(leave, records) -> org_pb2.Leave:
    return org_pb2.Leave(
        id=str(leave.id),
        user_id=leave.user_id,
        position=leave.position,
        kind=org_pb2.LEAVE_KIND_ABROAD,
        first_day=date_to_proto(leave.first_day),
        last_day=date_to_proto(leave.last_day),
        reason=leave.reason,
        state=org_pb2.LEAVE_STATE_APPROVED,
        acting_user_id=leave.acting_user_id,
        both_away_override_reason=leave.both_away_override_reason,
        history=[to_proto(r) for r in records],
    )


async def reject(session: AsyncSession, actor, row: Trip, reason: str) -> Trip:
    if not reason.strip():
        raise InvalidInput({"reason": "required"})
    if row.state != TripState.REQUESTED.value:
        raise InvalidInput({"trip_id": f"the trip is {row.state}; only a requested trip is rejected"})
    row.state, row.rejection_reason = TripState.REJECTED.value, reason.strip()
    await session.flush()
    await _changed(session, row, "org.trip.rejected", actor, reason.strip())
    return row


def _member_or_requester(actor, row: Trip) -> None:
    if actor.user_id != row.requested_by_user_id and actor.user_id not in {m["user_id"] for m in row.members}:
        raise Forbidden("only the members of the trip or who asked for it", reason="NOT_TRIP_MEMBER")


async def record_gift(
    session: AsyncSession,
    actor,
    row: Trip,
    giver: str,
    description: str,
    value_fen: int,
    received_on: date | None,
    ctx: TripContext,
) -> Trip:
    """受礼登记: a gift received on the trip, recorded by the member; from the threshold up, it is
    handed over within its limit of the return (国务院令第133号)."""
    if actor.user_id not in {m["user_id"] for m in row.members}:
        raise Forbidden("a gift is recorded by the member who received it", reason="NOT_TRIP_MEMBER")
    if row.state not in (TripState.APPROVED.value, TripState.REPORTED.value):
        raise InvalidInput({"trip_id": f"the trip is {row.state}"})
    day = received_on or ctx.today
    problems = [(f, "required") for f, v in (("giver", giver), ("description", description)) if not v.strip()]
    if value_fen < 0:
        problems.append(("value_fen", "not negative"))
    if not row.first_day <= day <= row.last_day:
        problems.append(("received_on", "a day of the trip"))
    if problems:
        raise InvalidInput(problems)
    must, due = domain.gift_terms(value_fen, row.last_day, ctx.limits)
    gift = {
        "id": str(uuid.uuid4()),
        "received_by_user_id": actor.user_id,
        "giver": giver.strip(),
        "description": description.strip(),
        "value_fen": value_fen,
        "received_on": day.isoformat(),
        "must_hand_over": must,
        "hand_over_due": due.isoformat() if due else "",
        "handed_over_on": "",
    }
    row.gifts = [*row.gifts, gift]
    await session.flush()
    await _changed(session, row, "org.trip.gift_recorded", actor, f"{gift['id']}: {value_fen / 100:.2f} yuan")
    return row


async def hand_over_gift(session: AsyncSession, actor, row: Trip, gift_id: str, ctx: TripContext) -> Trip:
    gifts = [dict(g) for g in row.gifts]
    found = [g for g in gifts if g["id"] == gift_id]
    if not found:
        raise InvalidInput({"gift_id": "no gift with this id on the trip"})
    if found[0]["handed_over_on"]:
        raise InvalidInput({"gift_id": "handed over already"})
    found[0]["handed_over_on"] = ctx.today.isoformat()
    row.gifts = gifts
    await session.flush()
    late = found[0]["hand_over_due"] and ctx.today.isoformat() > found[0]["hand_over_due"]
    await _changed(session, row, "org.trip.gift_handed_over", actor, f"{gift_id}{' (late)' if late else ''}")
    return row


async def report(session: AsyncSession, actor, row: Trip, text: str, ctx: TripContext) -> Trip:
    """出访报告 after the return; a report after its limit is kept and marked late."""
    _member_or_requester(actor, row)
    if row.state != TripState.APPROVED.value:
        raise InvalidInput({"trip_id": f"the trip is {row.state}; a report follows an approved trip"})
    if not text.strip():
        raise InvalidInput({"report": "required"})
    if ctx.today < row.last_day:
        raise RuleViolation("A57.report-after-return", "the report is written after the return")
    row.report, row.reported_on, row.state = text.strip(), ctx.today, TripState.REPORTED.value
    await session.flush()
    late = " (after its limit)" if ctx.today > row.report_due else ""
    await _changed(session, row, "org.trip.reported", actor, f"reported on {ctx.today.isoformat()}{late}")
    return row


@dataclass(frozen=True)
class _Clock:
    """The overdue sweep as the actor of its records (no person acts)."""

    user_id: str = "org-trip-clock"
    username: str = "org-trip-clock"
    display_name: str = "出访逾期巡检"
    positions: frozenset = frozenset()
    organisation_code: str = ""
    on_behalf_of_user_id: str | None = None
    on_behalf_of_position: str | None = None


_CLOCK = _Clock()


async def announce_overdue(session: AsyncSession, row: Trip, today: date) -> int:
    """A57, A58: the report or a gift's hand-over past its limit is announced once each, as
    `org.trip.overdue` (supervision makes it an item); the row marks what was announced, in the same
    transaction. Returns how many were announced."""
    found = domain.overdue(
        state=TripState(row.state),
        report_due=row.report_due,
        report_announced=row.report_overdue_announced_on is not None,
        requested_by_user_id=row.requested_by_user_id,
        gifts=row.gifts,
        today=today,
    )
    for step in found:
        what = f"gift {step.gift_id}" if step.gift_id else "report"
        await record_act(session, ref_of(row), "trip.overdue", _CLOCK, f"{what} due {step.due.isoformat()}")
        await add_event(session, "org.trip.overdue", wire.overdue_to_proto(row, step), ref_of(row))
    told = {s.gift_id for s in found if s.gift_id}
    if any(s.step is domain.OverdueStep.REPORT for s in found):
        row.report_overdue_announced_on = today
    if told:
        row.gifts = [
            {**g, "overdue_announced_on": today.isoformat()} if g["id"] in told else g for g in row.gifts
        ]
    await session.flush()
    return len(found)


async def announce_all_overdue(session: AsyncSession, today: date, batch: int) -> tuple[int, int]:
    """One round of the sweep in the caller's transaction: (trips looked at, events written)."""
    rows = await store.past_a_limit(session, today, batch)
    written = 0
    for row in rows:
        written += await announce_overdue(session, row, today)
    return len(rows), written
