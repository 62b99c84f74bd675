"""Receptions (A56) on the wire: the standards, the row as a reply and as an event. No rules."""

from __future__ import annotations

from services.org.domain.receptions import Attendee, Item, ReceptionState, Standards, standards_of
from services.org.models import Reception, ReceptionStandard
from shared import audit
from shared.convert import EnumMap, date_to_proto
from zgov.common.v1 import common_pb2
from zgov.org.v1 import receptions_pb2 as pb

STATE = EnumMap(ReceptionState, pb.ReceptionState, "RECEPTION_STATE")


def standards_from_proto(message: pb.ReceptionStandards) -> Standards:
    return Standards(
        message.meal_per_head_fen,
        tuple(k.strip() for k in message.receivable_guest_kinds if k.strip()),
        message.small_group_size,
        message.small_group_accompanying,
        message.accompanying_ratio,
        message.source.strip(),
    )


def standards_to_proto(row: ReceptionStandard) -> pb.ReceptionStandards:
    s = standards_of(row.standards)
    by = row.set_by or {}
    return pb.ReceptionStandards(
        meal_per_head_fen=s.meal_per_head_fen,
        receivable_guest_kinds=list(s.receivable_guest_kinds),
        small_group_size=s.small_group_size,
        small_group_accompanying=s.small_group_accompanying,
        accompanying_ratio=s.accompanying_ratio,
        source=s.source,
        set_by=common_pb2.Actor(user_id=by.get("user_id", ""), username=by.get("username", "")),
    )


def attendees_from_proto(items) -> list[Attendee]:
    return [Attendee(a.name.strip(), a.unit.strip(), a.guest) for a in items]


def items_from_proto(items) -> list[Item]:
    return [Item(i.what.strip(), i.cost_fen, i.meal) for i in items]


def reception_to_proto(row: Reception, history=()) -> pb.Reception:
    return pb.Reception(
        id=str(row.id),
        host_organisation_code=row.host_organisation_code,
        requested_by_user_id=row.requested_by_user_id,
        guest_unit=row.guest_unit,
        guest_kind=row.guest_kind,
        guests=row.guests,
        accompanying=row.accompanying,
        meals=row.meals,
        planned_cost_fen=row.planned_cost_fen,
        day=date_to_proto(row.day),
        letter_ref=row.letter_ref,
        state=STATE.to_proto[ReceptionState(row.state)],
        approved_by_user_id=row.approved_by_user_id,
        attendees=[pb.Attendee(**a) for a in row.attendees],
        items=[pb.ReceptionItem(**i) for i in row.items],
        actual_cost_fen=row.actual_cost_fen,
        flags=[pb.ReceptionFlag(**f) for f in row.flags],
        history=[audit.to_proto(h) for h in history],
    )
