"""Trips abroad (A57, A58) on the wire: enum maps, members, the row as a reply. No rules."""

from __future__ import annotations

from datetime import date

from services.org.domain.trips import Member, Overdue, OverdueStep, Payer, TaskKind, TripLimits, TripState
from services.org.models import Trip
from shared import audit
from shared.convert import EnumMap, date_to_proto
from zgov.org.v1 import events_pb2
from zgov.org.v1 import trips_pb2 as pb

TASK = EnumMap(TaskKind, pb.TaskKind, "TASK_KIND")
PAYER = EnumMap(Payer, pb.Payer, "PAYER")
STATE = EnumMap(TripState, pb.TripState, "TRIP_STATE")
OVERDUE_STEP = EnumMap(OverdueStep, events_pb2.TripOverdueStep, "TRIP_OVERDUE_STEP")


def _day(value: date | str | None):
    if not value:
        return None
    return date_to_proto(date.fromisoformat(value) if isinstance(value, str) else value)


def members_from_proto(items) -> tuple[Member, ...]:
    return tuple(Member(m.user_id.strip(), m.position.strip(), m.name.strip()) for m in items)


def gift_to_proto(g: dict) -> pb.TripGift:
    return pb.TripGift(
        id=g["id"],
        received_by_user_id=g["received_by_user_id"],
        giver=g["giver"],
        description=g["description"],
        value_fen=g["value_fen"],
        received_on=_day(g["received_on"]),
        must_hand_over=g["must_hand_over"],
        hand_over_due=_day(g.get("hand_over_due")),
        handed_over_on=_day(g.get("handed_over_on")),
    )


def trip_to_proto(row: Trip, history=()) -> pb.Trip:
    return pb.Trip(
        id=str(row.id),
        organisation_code=row.organisation_code,
        requested_by_user_id=row.requested_by_user_id,
        task_kind=TASK.to_proto[TaskKind(row.task_kind)],
        purpose=row.purpose,
        invitation_ref=row.invitation_ref,
        countries=row.countries,
        far_region=row.far_region,
        first_day=_day(row.first_day),
        last_day=_day(row.last_day),
        members=[pb.TripMember(**m) for m in row.members],
        payer=PAYER.to_proto[Payer(row.payer)],
        state=STATE.to_proto[TripState(row.state)],
        authority=row.authority,
        authority_reference=row.authority_reference,
        approved_by_user_id=row.approved_by_user_id,
        leave_ids=row.leave_ids,
        gifts=[gift_to_proto(g) for g in row.gifts],
        report_due=_day(row.report_due),
        reported_on=_day(row.reported_on),
        report_late=bool(row.reported_on and row.reported_on > row.report_due),
        rejection_reason=row.rejection_reason,
        history=[audit.to_proto(h) for h in history],
    )


def limits_to_proto(limits: TripLimits) -> pb.TripLimits:
    return pb.TripLimits(**{k: list(v) if isinstance(v, tuple) else v for k, v in limits.__dict__.items()})


def overdue_to_proto(row: Trip, overdue: Overdue) -> events_pb2.TripOverdue:
    return events_pb2.TripOverdue(
        trip=trip_to_proto(row),
        step=OVERDUE_STEP.to_proto[overdue.step],
        gift_id=overdue.gift_id,
        due=date_to_proto(overdue.due),
        responsible_body_code=row.organisation_code,
        responsible_user_id=overdue.user_id,
    )
