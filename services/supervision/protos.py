"""The wire of the supervision service: zgov.supervision.v1 messages ↔ the typed inputs of the acts
and the rows they return. Nothing else happens here."""

from __future__ import annotations

from datetime import date

from services.supervision.domain.accountability import CaseState, Ground
from services.supervision.models import AccountabilityCase
from services.supervision.domain import items as domain
from services.supervision.models import SupervisionItem
from shared.audit import to_proto as audit_to_proto
from shared.convert import date_from_proto, date_to_proto
from shared.errors import InvalidInput
from zgov.common.v1 import common_pb2
from zgov.supervision.v1 import events_pb2
from zgov.supervision.v1 import supervision_pb2 as pb


# ---- to the wire: enum maps, the event summary (acts/events.py publishes it) ----------------------


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
    "registered": events_pb2.ItemRegistered,
    "assigned": events_pb2.ItemAssigned,
    "acknowledged": events_pb2.ItemAcknowledged,
    "objected": events_pb2.ItemObjected,
    "reported": events_pb2.ItemReported,
    "completion-claimed": events_pb2.ItemCompletionClaimed,
    "extension-decided": events_pb2.ItemExtensionDecided,
    "verified": events_pb2.ItemVerified,
    "rechecked": events_pb2.ItemRechecked,
    "evaluated": events_pb2.ItemEvaluated,
    "escalated": events_pb2.ItemEscalated,
    "moved": events_pb2.ItemMoved,
    "withdrawn": events_pb2.ItemWithdrawn,
}
# supervision.accountability.<state> (acts/accountability.py), all AccountabilityChanged.
ACCOUNTABILITY_EVENTS = ("proposed", "referred", "decided", "exempted")


def source_of(row: SupervisionItem) -> pb.Source:
    return pb.Source(service=row.source_service, ref=row.source_ref, reference=row.source_reference)


def summary(row: SupervisionItem) -> events_pb2.ItemSummary:
    message = events_pb2.ItemSummary(
        item_id=str(row.id),
        number=row.number,
        kind=KIND_TO_PROTO[domain.Kind(row.kind)],
        state=STATE_TO_PROTO[domain.State(row.state)],
        colour=COLOUR_TO_PROTO[domain.Colour(row.colour)],
        source=source_of(row),
        lead_body_code=row.lead_body_code,
        co_body_codes=list(row.co_body_codes),
        supervising_leader_user_id=row.supervising_leader_user_id,
    )
    if row.due:
        message.due.CopyFrom(date_to_proto(row.due))
    return message


ACCOUNTABILITY_STATE_TO_PROTO = {
    s: pb.AccountabilityState.Value(f"ACCOUNTABILITY_STATE_{s.name}") for s in CaseState
}
GROUND_TO_PROTO = {g: pb.AccountabilityGround.Value(f"ACCOUNTABILITY_GROUND_{g.name}") for g in Ground}


def _from(mapping: dict) -> dict:
    return {v: k for k, v in mapping.items()}


KIND_FROM_PROTO = _from(KIND_TO_PROTO)
STATE_FROM_PROTO = _from(STATE_TO_PROTO)
URGENCY_FROM_PROTO = _from(URGENCY_TO_PROTO)
CADENCE_FROM_PROTO = _from(CADENCE_TO_PROTO)
COLOUR_FROM_PROTO = _from(COLOUR_TO_PROTO)
FINDING_FROM_PROTO = _from(FINDING_TO_PROTO)
EVIDENCE_FROM_PROTO = _from(EVIDENCE_TO_PROTO)
OUTCOME_FROM_PROTO = _from(OUTCOME_TO_PROTO)
RECHECK_FROM_PROTO = _from(RECHECK_TO_PROTO)
STEP_FROM_VALUE = {s.value: s for s in domain.Step}


def _enum(mapping: dict, value: int, field: str, *, required: bool = True, default=None):
    if value == 0:
        if required:
            raise InvalidInput({field: "required"})
        return default
    if value not in mapping:
        raise InvalidInput({field: f"unknown value {value}"})
    return mapping[value]


def _day(value: common_pb2.Date, field: str) -> date | None:
    return date_from_proto(value, field, required=False)


def _iso(value: str) -> common_pb2.Date | None:
    return date_to_proto(date.fromisoformat(value)) if value else None


# ---- requests → inputs ----------------------------------------------------------------------------


def new_item(request: pb.RegisterItemRequest, source_ref: str) -> domain.NewItem:
    return domain.NewItem(
        kind=_enum(KIND_FROM_PROTO, request.kind, "kind"),
        title=request.title,
        requirement=request.requirement,
        source_service="supervision",
        source_ref=source_ref,
        source_reference=request.source_reference.strip(),
        due=_day(request.due, "due"),
        urgency=_enum(
            URGENCY_FROM_PROTO, request.urgency, "urgency", required=False, default=domain.Urgency.ORDINARY
        ),
        cadence=_enum(
            CADENCE_FROM_PROTO, request.cadence, "cadence", required=False, default=domain.Cadence.MONTHLY
        ),
        instructing_leader_user_id=request.instructing_leader_user_id.strip(),
        finding_source=_enum(FINDING_FROM_PROTO, request.finding_source, "finding_source", required=False),
        lead_body_code=request.lead_body_code.strip(),
        co_body_codes=tuple(c.strip() for c in request.co_body_codes if c.strip()),
    )


def claim(request: pb.ClaimCompletionRequest) -> domain.Claim:
    evidence = tuple(
        domain.Evidence(kind=EVIDENCE_FROM_PROTO.get(e.kind), description=e.description, ref=e.ref)
        for e in request.evidence
    )
    a = request.assessment
    return domain.Claim(
        summary=request.summary,
        evidence=evidence,
        assessment=domain.Assessment(a.effect, a.public_opinion, a.adjustment_proposals),
    )


def outcome(request: pb.VerifyItemRequest) -> domain.Outcome:
    return _enum(OUTCOME_FROM_PROTO, request.outcome, "outcome")


def recheck_outcome(request: pb.RecheckItemRequest) -> domain.RecheckOutcome:
    return _enum(RECHECK_FROM_PROTO, request.outcome, "outcome")


def day(value: common_pb2.Date, field: str) -> date | None:
    return _day(value, field)


# ---- rows → replies -------------------------------------------------------------------------------


def item_to_proto(row: SupervisionItem, steps=(), history=()) -> pb.Item:
    item = pb.Item(
        id=str(row.id),
        number=row.number,
        year=row.year,
        sequence=row.sequence,
        kind=KIND_TO_PROTO[domain.Kind(row.kind)],
        state=STATE_TO_PROTO[domain.State(row.state)],
        colour=COLOUR_TO_PROTO[domain.Colour(row.colour)],
        source=source_of(row),
        title=row.title,
        requirement=row.requirement,
        urgency=URGENCY_TO_PROTO[domain.Urgency(row.urgency)],
        instructing_leader_user_id=row.instructing_leader_user_id,
        instructed_by_acting_user_id=row.instructed_by_acting_user_id,
        lead_body_code=row.lead_body_code,
        first_responsible_user_id=row.first_responsible_user_id,
        co_body_codes=list(row.co_body_codes),
        supervising_leader_user_id=row.supervising_leader_user_id,
        registered_on=date_to_proto(row.registered_on),
        due_provisional=row.due_provisional,
        cadence=CADENCE_TO_PROTO[domain.Cadence(row.cadence)],
        earlier_sources=[pb.Source(**s) for s in row.earlier_sources],
    )
    for name in ("due", "next_report_due", "acknowledge_due"):
        value = getattr(row, name)
        if value:
            getattr(item, name).CopyFrom(date_to_proto(value))
    if row.finding_source:
        item.finding_source = FINDING_TO_PROTO[domain.FindingSource(row.finding_source)]
    item.reports.extend(
        pb.ProgressReport(
            body_code=r["body_code"],
            text=r["text"],
            reported_on=_iso(r["reported_on"]),
            for_due=_iso(r["for_due"]),
            reported_by_user_id=r["reported_by_user_id"],
        )
        for r in row.reports
    )
    item.objections.extend(
        pb.Objection(body_code=o["body_code"], reason=o["reason"], objected_on=_iso(o["objected_on"]))
        for o in row.objections
    )
    item.co_opinions.extend(
        pb.CoOpinion(body_code=o["body_code"], opinion=o["opinion"], given_on=_iso(o["given_on"]))
        for o in row.co_opinions
    )
    if row.completion:
        c = row.completion
        item.completion.CopyFrom(
            pb.Completion(
                summary=c["summary"],
                claimed_on=_iso(c["claimed_on"]),
                verify_due=_iso(c["verify_due"]),
                assessment=pb.EffectAssessment(**c["assessment"]),
                evidence=[
                    pb.Evidence(
                        kind=EVIDENCE_TO_PROTO[domain.EvidenceKind(e["kind"])],
                        description=e["description"],
                        ref=e["ref"],
                    )
                    for e in c["evidence"]
                ],
            )
        )
    item.verifications.extend(
        pb.Verification(
            outcome=OUTCOME_TO_PROTO[domain.Outcome(v["outcome"])],
            opinion=v["opinion"],
            verified_on=_iso(v["verified_on"]),
            verified_by_user_id=v["verified_by_user_id"],
            rectification_requirement=v["rectification_requirement"],
        )
        for v in row.verifications
    )
    item.extensions.extend(
        pb.Extension(
            requested_on=_iso(e["requested_on"]),
            requested_due=_iso(e["requested_due"]),
            reason=e["reason"],
            decided=e["decided"],
            approved=e["approved"],
            decided_by_user_id=e["decided_by_user_id"],
            decided_for_user_id=e["decided_for_user_id"],
            opinion=e["opinion"],
        )
        for e in row.extensions
    )
    item.rechecks.extend(
        pb.Recheck(
            outcome=RECHECK_TO_PROTO[domain.RecheckOutcome(r["outcome"])],
            opinion=r["opinion"],
            rechecked_on=_iso(r["rechecked_on"]),
        )
        for r in row.rechecks
    )
    item.evaluations.extend(
        pb.Evaluation(
            evaluator=e["evaluator"],
            conclusion=e["conclusion"],
            rating=e["rating"],
            evaluated_on=_iso(e["evaluated_on"]),
        )
        for e in row.evaluations
    )
    item.escalations.extend(
        pb.Escalation(
            step=STEP_TO_PROTO[STEP_FROM_VALUE[s.step]],
            on=date_to_proto(s.taken_on),
            recipient_body_code=s.recipient_body_code,
            recipient_user_id=s.recipient_user_id,
            recipient_acting_for_user_id=s.recipient_acting_for_user_id,
            against_due=date_to_proto(s.against_due),
        )
        for s in steps
    )
    item.history.extend(audit_to_proto(h) for h in history)
    return item


ACCOUNTABILITY_STATE_FROM_PROTO = _from(ACCOUNTABILITY_STATE_TO_PROTO)


def _optional_day(value: date | None) -> common_pb2.Date | None:
    return date_to_proto(value) if value else None


def case_to_proto(case: AccountabilityCase, number: str, history=(), timeline=()) -> pb.AccountabilityCase:
    return pb.AccountabilityCase(
        id=str(case.id),
        item_id=str(case.item_id),
        item_number=number,
        ground=GROUND_TO_PROTO[Ground(case.ground)],
        state=ACCOUNTABILITY_STATE_TO_PROTO[CaseState(case.state)],
        body_code=case.body_code,
        responsible_user_id=case.responsible_user_id,
        responsible_acting_for_user_id=case.responsible_acting_for_user_id,
        against_due=_optional_day(case.against_due),
        proposed_on=_optional_day(case.proposed_on),
        reason=case.reason,
        referred_to=case.referred_to,
        referred_on=_optional_day(case.referred_on),
        outcome=case.outcome,
        decided_on=_optional_day(case.decided_on),
        exemption_reason=case.exemption_reason,
        history=[audit_to_proto(h) for h in history],
        timeline=[audit_to_proto(t) for t in timeline],
    )
