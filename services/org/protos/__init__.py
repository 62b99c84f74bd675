"""The wire of the org service: enum maps, page cursors, rows → zgov.org.v1 messages (the replies
and the events carry the same messages). No rules. Receptions and trips: protos/receptions.py,
protos/trips.py."""

from __future__ import annotations

import uuid
from datetime import date

from services.org import domain
from shared import audit
from shared.convert import date_to_proto, decode_page_token, encode_page_token
from shared.errors import InvalidInput
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2

KIND_TO_PROTO = {
    domain.LeaveKind.ABROAD: org_pb2.LEAVE_KIND_ABROAD,
    domain.LeaveKind.STUDY: org_pb2.LEAVE_KIND_STUDY,
    domain.LeaveKind.LEAVE: org_pb2.LEAVE_KIND_LEAVE,
    domain.LeaveKind.BUSINESS_TRIP: org_pb2.LEAVE_KIND_BUSINESS_TRIP,
}
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}
STATE_TO_PROTO = {
    domain.LeaveState.REQUESTED: org_pb2.LEAVE_STATE_REQUESTED,
    domain.LeaveState.APPROVED: org_pb2.LEAVE_STATE_APPROVED,
    domain.LeaveState.REJECTED: org_pb2.LEAVE_STATE_REJECTED,
    domain.LeaveState.ENDED: org_pb2.LEAVE_STATE_ENDED,
}
STATE_FROM_PROTO = {v: k for k, v in STATE_TO_PROTO.items()}
# Event attendance (A54, A55): the proto names are the domain names in upper case.
ACTIVITY_TO_PROTO = {k: org_pb2.ActivityKind.Value(f"ACTIVITY_KIND_{k.name}") for k in domain.ActivityKind}
ACTIVITY_FROM_PROTO = {v: k for k, v in ACTIVITY_TO_PROTO.items()}
ATTENDANCE_STATE_TO_PROTO = {
    s: org_pb2.AttendanceState.Value(f"ATTENDANCE_STATE_{s.name}") for s in domain.AttendanceState
}
ATTENDANCE_STATE_FROM_PROTO = {v: k for k, v in ATTENDANCE_STATE_TO_PROTO.items()}
# A31, A54: whether the leader attended (None: not said).
OUTCOME_FROM_PROTO = {
    org_pb2.ATTENDANCE_OUTCOME_ATTENDED: True,
    org_pb2.ATTENDANCE_OUTCOME_NOT_ATTENDED: False,
}


def encode_cursor(day: date, row_id: str) -> str:
    """Keyset cursor of lists ordered by a day, then id."""
    return encode_page_token(day.isoformat(), row_id)


def decode_cursor(token: str) -> tuple[date, str] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        day, row_id = position
        return date.fromisoformat(day), str(uuid.UUID(row_id))
    except ValueError:
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None


def gap_to_proto(gap: domain.StandInGap) -> org_pb2.StandInGap:
    return org_pb2.StandInGap(
        position=gap.position,
        holder_user_id=gap.holder_user_id,
        leave_id=gap.leave_id,
        first_day=date_to_proto(gap.first_day),
        last_day=date_to_proto(gap.last_day),
        reason=gap.reason,
    )


def leave_to_proto(row, history=(), gaps=()) -> org_pb2.Leave:
    return org_pb2.Leave(
        id=str(row.id),
        user_id=row.user_id,
        position=row.position,
        kind=KIND_TO_PROTO[domain.LeaveKind(row.kind)],
        first_day=date_to_proto(row.first_day),
        last_day=date_to_proto(row.last_day),
        reason=row.reason,
        state=STATE_TO_PROTO[domain.LeaveState(row.state)],
        acting_user_id=row.acting_user_id,
        both_away_override_reason=row.both_away_override_reason,
        history=[audit.to_proto(h) for h in history],
        stand_in_gaps=[gap_to_proto(g) for g in gaps],
    )


def attendance_to_proto(row, history=()) -> org_pb2.EventAttendance:
    return org_pb2.EventAttendance(
        id=str(row.id),
        requesting_organisation_code=row.requesting_organisation_code,
        requested_by_user_id=row.requested_by_user_id,
        leader_user_id=row.leader_user_id,
        event_day=date_to_proto(row.event_day),
        title=row.title,
        venue=row.venue,
        activity_kind=ACTIVITY_TO_PROTO[domain.ActivityKind(row.activity_kind)],
        details=row.details,
        foreign_affairs=row.foreign_affairs,
        foreign_affairs_filing_ref=row.foreign_affairs_filing_ref,
        approval_ref=row.approval_ref,
        photo_session=row.photo_session,
        photo_approval_ref=row.photo_approval_ref,
        festivity_override_reason=row.festivity_override_reason,
        state=ATTENDANCE_STATE_TO_PROTO[domain.AttendanceState(row.state)],
        review_opinion=row.review_opinion,
        decision_reason=row.decision_reason,
        previous_leader_user_ids=row.previous_leader_user_ids,
        history=[audit.to_proto(h) for h in history],
    )


def portfolio_to_proto(leader: str, codes: list[str], row) -> org_pb2.Portfolio:
    p = org_pb2.Portfolio(leader_user_id=leader, organisation_codes=codes, matters=row.matters)
    p.updated_at.FromDatetime(row.updated_at)
    by = row.updated_by or {}
    p.updated_by.CopyFrom(common_pb2.Actor(user_id=by.get("user_id", ""), username=by.get("username", "")))
    return p
