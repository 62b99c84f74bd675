"""Leave (请假, 销假, A82) and its stand-in gaps (A10, A59) on the wire: the enum maps, the row as a reply
and as an event (the replies and the events carry the same message). No rules."""

from __future__ import annotations

from services.org import domain
from shared import audit
from shared.convert import date_to_proto
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
