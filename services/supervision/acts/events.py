"""What the supervision service tells other services: item events on supervision.item.<event>.

An event carries the item's summary (numbers, bodies, leader, due date) and the act's facts, not
the texts of reports or opinions. Built here only, so every act publishes the same shape.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.domain import items as domain
from services.supervision.models import SupervisionItem
from shared.convert import date_to_proto
from shared.outbox import add_event
from zgov.supervision.v1 import events_pb2
from zgov.supervision.v1 import supervision_pb2 as pb


def _enum_map(domain_enum, proto_enum, prefix: str) -> dict:
    return {member: proto_enum.Value(f"{prefix}_{member.name}") for member in domain_enum}


KIND_TO_PROTO = _enum_map(domain.Kind, pb.ItemKind, "ITEM_KIND")
STATE_TO_PROTO = _enum_map(domain.State, pb.ItemState, "ITEM_STATE")
URGENCY_TO_PROTO = _enum_map(domain.Urgency, pb.Urgency, "URGENCY")
CADENCE_TO_PROTO = _enum_map(domain.Cadence, pb.ReportCadence, "REPORT_CADENCE")
COLOUR_TO_PROTO = _enum_map(domain.Colour, pb.Colour, "COLOUR")
FINDING_TO_PROTO = _enum_map(domain.FindingSource, pb.FindingSource, "FINDING_SOURCE")
EVIDENCE_TO_PROTO = _enum_map(domain.EvidenceKind, pb.EvidenceKind, "EVIDENCE_KIND")
OUTCOME_TO_PROTO = _enum_map(domain.Outcome, pb.VerificationOutcome, "VERIFICATION_OUTCOME")
RECHECK_TO_PROTO = _enum_map(domain.RecheckOutcome, pb.RecheckOutcome, "RECHECK_OUTCOME")
STEP_TO_PROTO = _enum_map(domain.Step, pb.EscalationStep, "ESCALATION_STEP")

# supervision.item.<name> → its message (deploy/nats/streams.yaml lists the same).
MESSAGE_TYPES = {
    "registered": events_pb2.ItemRegistered, "assigned": events_pb2.ItemAssigned,
    "acknowledged": events_pb2.ItemAcknowledged, "objected": events_pb2.ItemObjected,
    "reported": events_pb2.ItemReported, "completion-claimed": events_pb2.ItemCompletionClaimed,
    "extension-decided": events_pb2.ItemExtensionDecided, "verified": events_pb2.ItemVerified,
    "rechecked": events_pb2.ItemRechecked, "evaluated": events_pb2.ItemEvaluated,
    "escalated": events_pb2.ItemEscalated, "moved": events_pb2.ItemMoved,
    "withdrawn": events_pb2.ItemWithdrawn,
}
# supervision.accountability.<state> (acts/accountability.py), all AccountabilityChanged.
ACCOUNTABILITY_EVENTS = ("proposed", "referred", "decided", "exempted")


def source_of(row: SupervisionItem) -> pb.Source:
    return pb.Source(service=row.source_service, ref=row.source_ref, reference=row.source_reference)


def summary(row: SupervisionItem) -> events_pb2.ItemSummary:
    message = events_pb2.ItemSummary(
        item_id=str(row.id), number=row.number, kind=KIND_TO_PROTO[domain.Kind(row.kind)],
        state=STATE_TO_PROTO[domain.State(row.state)], colour=COLOUR_TO_PROTO[domain.Colour(row.colour)],
        source=source_of(row), lead_body_code=row.lead_body_code, co_body_codes=list(row.co_body_codes),
        supervising_leader_user_id=row.supervising_leader_user_id,
    )
    if row.due:
        message.due.CopyFrom(date_to_proto(row.due))
    return message


def ref_of(row: SupervisionItem) -> str:
    return f"item/{row.id}"


async def publish(session: AsyncSession, event: str, row: SupervisionItem, actor, **facts) -> None:
    """Write supervision.item.<event> in the caller's transaction."""
    payload = MESSAGE_TYPES[event](item=summary(row), **facts)
    await add_event(session, f"supervision.item.{event}", payload, ref_of(row), actor)
