"""Requests for a city leader to attend an event (A54, A55, A59) on the wire: the enum maps, the row as
a reply and as an event. No rules."""

from __future__ import annotations

from services.org import domain
from shared import audit
from shared.convert import date_to_proto
from zgov.org.v1 import org_pb2

# The proto names are the domain names in upper case.
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
