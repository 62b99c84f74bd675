"""The wire of the documents service: zgov.documents.v1 messages ↔ the typed input of the acts
(acts/) and the rows they return. No rules here beyond the shape of the input (which oneof is set,
enum values, dates): those are INVALID_ARGUMENT naming the field; everything else is the acts' and
the rules' (domain/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from google.protobuf import json_format
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb

from services.documents import domain, models
from shared.audit import to_proto as audit_to_proto
from shared.convert import EnumMap, date_from_proto, date_to_proto
from shared.errors import InvalidInput

KIND = EnumMap(domain.Kind, pb.DocumentKind, "DOCUMENT_KIND")
KIND_TO_PROTO = KIND.to_proto
DIRECTION = EnumMap(domain.Direction, pb.Direction, "DIRECTION")
DIRECTION_TO_PROTO = DIRECTION.to_proto
URGENCY = EnumMap(domain.Urgency, pb.Urgency, "URGENCY")
URGENCY_TO_PROTO = URGENCY.to_proto
CLASSIFICATION = EnumMap(domain.Classification, pb.Classification, "CLASSIFICATION")
CLASSIFICATION_TO_PROTO = CLASSIFICATION.to_proto
SENDER = EnumMap(domain.SenderCategory, pb.SenderCategory, "SENDER_CATEGORY")
SENDER_TO_PROTO = SENDER.to_proto
EXCEPTION = EnumMap(domain.PersonalException, pb.PersonalException, "PERSONAL_EXCEPTION")
EXCEPTION_TO_PROTO = EXCEPTION.to_proto
STATE = EnumMap(domain.State, pb.DocumentState, "DOCUMENT_STATE")
STATE_TO_PROTO = STATE.to_proto
AUTHORITY = EnumMap(domain.Authority, pb.SignOffAuthority, "SIGN_OFF_AUTHORITY")
AUTHORITY_TO_PROTO = AUTHORITY.to_proto
ROUTING = EnumMap(domain.RoutingBasis, pb.RoutingBasis, "ROUTING_BASIS")
ROUTING_TO_PROTO = ROUTING.to_proto
COUNTERSIGN = EnumMap(domain.CountersignState, pb.CountersignState, "COUNTERSIGN_STATE")
COUNTERSIGN_TO_PROTO = COUNTERSIGN.to_proto
MEANING = EnumMap(domain.SignOffMeaning, pb.SignOffMeaning, "SIGN_OFF_MEANING")
MEANING_TO_PROTO = MEANING.to_proto
DISCLOSURE = EnumMap(domain.Disclosure, pb.DisclosureAttribute, "DISCLOSURE_ATTRIBUTE")
DISCLOSURE_TO_PROTO = DISCLOSURE.to_proto
FILING_BODY = EnumMap(domain.FilingBody, pb.FilingBody, "FILING_BODY")
FILING_BODY_TO_PROTO = FILING_BODY.to_proto
CLEANUP = EnumMap(domain.CleanupDecision, pb.CleanupDecision, "CLEANUP_DECISION")
CLEANUP_TO_PROTO = CLEANUP.to_proto


KIND_FROM_PROTO = KIND.from_proto
DIRECTION_FROM_PROTO = DIRECTION.from_proto
URGENCY_FROM_PROTO = URGENCY.from_proto
CLASSIFICATION_FROM_PROTO = CLASSIFICATION.from_proto
SENDER_FROM_PROTO = SENDER.from_proto
EXCEPTION_FROM_PROTO = EXCEPTION.from_proto
STATE_FROM_PROTO = STATE.from_proto
AUTHORITY_FROM_PROTO = AUTHORITY.from_proto
DISCLOSURE_FROM_PROTO = DISCLOSURE.from_proto
FILING_BODY_FROM_PROTO = FILING_BODY.from_proto
CLEANUP_FROM_PROTO = CLEANUP.from_proto


def body_of(value: pb.Body) -> domain.Body:
    return domain.Body(value.code.strip(), value.name.strip())


def content_from_proto(c: pb.DocumentContent) -> domain.Content:
    provincial = c.implements_provincial
    received = date_from_proto(
        provincial.received_on, "content.implements_provincial.received_on", required=False
    )
    return domain.Content(
        kind=KIND_FROM_PROTO.get(c.kind),
        title=c.title,
        body=c.body,
        urgency=URGENCY_FROM_PROTO.get(c.urgency),
        classification=CLASSIFICATION_FROM_PROTO.get(c.classification),
        main_receivers=tuple(body_of(b) for b in c.main_receivers),
        copies=tuple(body_of(b) for b in c.copies),
        matters=tuple(c.matters),
        major_emergency=c.major_emergency,
        skips_level=c.skips_level,
        skipped_body=body_of(c.skipped_body) if c.HasField("skipped_body") else None,
        addressed_leader_user_id=c.addressed_leader_user_id.strip(),
        personal_exception=EXCEPTION_FROM_PROTO.get(c.personal_exception),
        personal_exception_reason=c.personal_exception_reason,
        contains_request=c.contains_request,
        major_matter=c.major_matter,
        leaders_instruction=c.leaders_instruction,
        authority=AUTHORITY_FROM_PROTO.get(c.authority),
        issuer_code=c.issuer_code.strip(),
        lead_organisation_code=c.lead_organisation_code.strip(),
        provincial_received_on=received,
        provincial_number=provincial.document_number.strip(),
        provincial_plan_or_regulation=provincial.plan_or_regulation,
        disclosure=DISCLOSURE_FROM_PROTO.get(c.disclosure),
        reprints_published_document=c.reprints_published_document,
        briefing_series=c.briefing_series.strip(),
        valid_until=date_from_proto(c.valid_until, "content.valid_until", required=False),
        comment_exempt_reason=c.comment_exempt_reason.strip(),
        speech_on_behalf=c.speech_on_behalf,
        normative_filing=c.normative_filing,
        filed_document_number=c.filed_document_number.strip(),
    )


def content_to_json(c: pb.DocumentContent) -> dict:
    return json_format.MessageToDict(c, preserving_proto_field_name=True)


def content_of(row: models.Document) -> pb.DocumentContent:
    return json_format.ParseDict(row.content, pb.DocumentContent(), ignore_unknown_fields=True)


def actor_from_record(record: dict | None) -> common_pb2.Actor | None:
    if not record:
        return None
    return common_pb2.Actor(
        user_id=record.get("user_id", ""),
        username=record.get("username", ""),
        display_name=record.get("display_name", ""),
        positions=record.get("positions", []),
        organisation_code=record.get("organisation_code", ""),
        on_behalf_of_user_id=record.get("on_behalf_of_user_id", ""),
        on_behalf_of_position=record.get("on_behalf_of_position", ""),
    )


def deadline_to_proto(
    start: date, working_days: int, due: date, provisional: bool
) -> common_pb2.WorkingDayDeadline:
    return common_pb2.WorkingDayDeadline(
        start=date_to_proto(start), working_days=working_days, due=date_to_proto(due), provisional=provisional
    )


def countersign_to_proto(row: models.Countersign) -> pb.Countersign:
    reply = pb.Countersign(
        organisation_code=row.organisation_code,
        state=COUNTERSIGN_TO_PROTO[domain.CountersignState(row.state)],
        deadline=deadline_to_proto(row.requested_on, row.working_days, row.due, row.provisional),
        reasons=row.reasons,
    )
    answered_by = actor_from_record(row.answered_by)
    if answered_by is not None:
        reply.answered_by.CopyFrom(answered_by)
    if row.answered_on:
        reply.answered_on.CopyFrom(date_to_proto(row.answered_on))
    return reply


def sign_off_to_proto(row: models.SignOff) -> pb.SignOff:
    return pb.SignOff(
        signer_user_id=row.signer_user_id,
        signer_name=row.signer_name,
        on_behalf_of_user_id=row.on_behalf_of_user_id,
        on_behalf_of_position=row.on_behalf_of_position,
        authority_position=row.authority_position,
        opinion=row.opinion,
        circle_read=row.circle_read,
        meaning=MEANING_TO_PROTO[domain.SignOffMeaning(row.meaning)],
        signed_on=date_to_proto(row.signed_on),
    )


def filing_to_proto(record: dict) -> pb.Filing:
    return pb.Filing(
        filed_with=FILING_BODY_TO_PROTO[domain.FilingBody(record["filed_with"])],
        filing_reference=record["filing_reference"],
        recorded_by=actor_from_record(record["recorded_by"]),
        filed_on=date_to_proto(date.fromisoformat(record["filed_on"])),
    )


def countersign_view(row: models.Countersign) -> domain.CountersignView:
    state = domain.CountersignState(row.state)
    return domain.CountersignView(row.organisation_code, state, row.due, row.reasons)


def document_to_proto(
    row: models.Document,
    *,
    today: date,
    countersigns=(),
    sign_offs=(),
    history=(),
    content: pb.DocumentContent | None = None,
) -> pb.Document:
    """`content`: the row's content already parsed by the caller (content_of), not parsed twice."""
    state = domain.State(row.state)
    reply = pb.Document(
        id=str(row.id),
        direction=DIRECTION_TO_PROTO[domain.Direction(row.direction)],
        state=STATE_TO_PROTO[state],
        content=content if content is not None else content_of(row),
        sender=pb.Sender(
            organisation_code=row.sender_organisation_code,
            name=row.sender_name,
            category=SENDER_TO_PROTO[domain.SenderCategory(row.sender_category)],
        ),
        return_reason=row.return_reason,
        proposed_opinion=row.proposed_opinion,
        routed_to_user_id=row.routed_to_user_id,
        routing_basis=ROUTING_TO_PROTO[domain.RoutingBasis(row.routing_basis)] if row.routing_basis else 0,
        countersigns=[countersign_to_proto(c) for c in countersigns],
        sign_offs=[sign_off_to_proto(s) for s in sign_offs],
        document_number=row.document_number,
        number_sequence=row.number_sequence or 0,
        overdue=domain.is_overdue(state, today, row.handling_due, row.issue_due),
        history=[audit_to_proto(h) for h in history],
    )
    reply.created_by.CopyFrom(actor_from_record(row.created_by))
    if row.filed_on:
        reply.filed_on.CopyFrom(date_to_proto(row.filed_on))
    if row.filed_on and row.handling_due:
        reply.handling_deadline.CopyFrom(
            deadline_to_proto(
                row.filed_on, row.handling_working_days, row.handling_due, row.handling_provisional
            )
        )
    if row.coordination:
        c = row.coordination
        reply.coordination.CopyFrom(
            pb.CoordinationRecord(
                process=c["process"],
                proposal=c["proposal"],
                recorded_by=actor_from_record(c["recorded_by"]),
                recorded_on=date_to_proto(date.fromisoformat(c["recorded_on"])),
            )
        )
    if row.legality_review:
        r = row.legality_review
        reply.legality_review.CopyFrom(
            pb.LegalityReview(
                passed=r["passed"],
                opinion=r["opinion"],
                reviewed_by=actor_from_record(r["reviewed_by"]),
                reviewed_on=date_to_proto(date.fromisoformat(r["reviewed_on"])),
            )
        )
    if row.cleanup:
        c = row.cleanup
        reply.cleanup.CopyFrom(
            pb.CleanupRecord(
                decision=CLEANUP_TO_PROTO[domain.CleanupDecision(c["decision"])],
                reason=c["reason"],
                recorded_by=actor_from_record(c["recorded_by"]),
                recorded_on=date_to_proto(date.fromisoformat(c["recorded_on"])),
            )
        )
    if row.comment_until:
        reply.comment_until.CopyFrom(date_to_proto(row.comment_until))
    reply.filings.extend(filing_to_proto(f) for f in row.filings or [])
    reply.expired = domain.is_expired(row.valid_until, today) and state is domain.State.ISSUED
    if row.issued_on:
        reply.issued_on.CopyFrom(date_to_proto(row.issued_on))
    if row.issue_due:
        reply.issue_due.CopyFrom(date_to_proto(row.issue_due))
    return reply


def catalogue_entry(
    row: models.Document,
    authority: domain.Authority,
    made_on: date,
    number: str,
    made_by: str,
    *,
    in_force: bool,
) -> pb.CatalogueEntry:
    """A24, A25: one line of the catalogue of rules and normative documents."""
    entry = pb.CatalogueEntry(
        document_id=str(row.id),
        document_number=number,
        title=row.title,
        authority=AUTHORITY_TO_PROTO[authority],
        issued_on=date_to_proto(made_on),
        in_force=in_force,
        filings=[filing_to_proto(f) for f in row.filings or []],
        made_by=made_by,
    )
    if row.valid_until:
        entry.valid_until.CopyFrom(date_to_proto(row.valid_until))
    return entry


# ---- typed input of the acts ---------------------------------------------------------------------


@dataclass(frozen=True)
class GivenSender:
    """The sender a filer names (or not: `named` is False when every field is empty)."""

    organisation_code: str
    name: str
    category: domain.SenderCategory | None
    named: bool


NO_SENDER = GivenSender("", "", None, False)


def given_sender(given: pb.Sender) -> GivenSender:
    return GivenSender(
        organisation_code=given.organisation_code.strip(),
        name=given.name.strip(),
        category=SENDER_FROM_PROTO.get(given.category),
        named=bool(given.organisation_code or given.name.strip() or given.category),
    )


@dataclass(frozen=True)
class NewDocument:
    """A document to draft or to file: its content parsed for the rules, and as stored (JSON)."""

    direction: domain.Direction
    content: domain.Content
    content_json: dict
    sender: GivenSender


def new_document(direction: domain.Direction, content: pb.DocumentContent) -> NewDocument:
    return NewDocument(
        direction, content_from_proto(content), content_to_json(content), given_sender(content.sender)
    )


def draft(request: pb.DraftDocumentRequest) -> NewDocument:
    direction = DIRECTION_FROM_PROTO.get(request.direction)
    if direction is None:
        raise InvalidInput({"direction": "incoming (to file with the city government) or outgoing"})
    return new_document(direction, request.content)


@dataclass(frozen=True)
class Filing:
    """File a draft (draft_id) or new content (new), never both."""

    draft_id: str
    new: NewDocument | None


def filing(request: pb.FileDocumentRequest) -> Filing:
    if request.draft_id and request.HasField("content"):
        raise InvalidInput({"draft_id": "file either a draft or new content, not both"})
    if not request.draft_id and not request.HasField("content"):
        raise InvalidInput({"content": "the document to file (or draft_id of a draft)"})
    if request.draft_id:
        return Filing(request.draft_id, None)
    return Filing("", new_document(domain.Direction.INCOMING, request.content))


@dataclass(frozen=True)
class OfficeReview:
    """The general office's check (A50): return it (退文) or accept it (拟办) with an opinion."""

    document_id: str
    accept: bool
    opinion: str
    major_matter: bool


def office_review(request: pb.ReviewDocumentRequest) -> OfficeReview:
    if request.outcome not in (pb.REVIEW_OUTCOME_RETURN, pb.REVIEW_OUTCOME_ACCEPT):
        raise InvalidInput({"outcome": "return (退文) or accept (拟办)"})
    accept = request.outcome == pb.REVIEW_OUTCOME_ACCEPT
    return OfficeReview(request.document_id, accept, request.opinion, request.major_matter)


@dataclass(frozen=True)
class CountersignRequest:
    document_id: str
    organisation_codes: tuple[str, ...]
    working_days: int
    # 补录: the day the lead body sent the request on paper (shared/paper_records.py).
    sent_on_paper: date | None = None


def countersign_request(request: pb.RequestCountersignRequest) -> CountersignRequest:
    codes = tuple(c.strip() for c in request.organisation_codes)
    sent_on_paper = date_from_proto(request.sent_on_paper, "sent_on_paper", required=False)
    return CountersignRequest(request.document_id, codes, request.working_days, sent_on_paper)


@dataclass(frozen=True)
class CountersignAnswer:
    document_id: str
    objection: bool
    reasons: str


def countersign_answer(request: pb.AnswerCountersignRequest) -> CountersignAnswer:
    return CountersignAnswer(request.document_id, request.objection, request.reasons)


@dataclass(frozen=True)
class Coordination:
    document_id: str
    process: str
    proposal: str


def coordination(request: pb.RecordCoordinationRequest) -> Coordination:
    return Coordination(request.document_id, request.process, request.proposal)


@dataclass(frozen=True)
class SignOffInput:
    document_id: str
    opinion: str
    circle_read: bool


def sign_off(request: pb.SignOffDocumentRequest) -> SignOffInput:
    return SignOffInput(request.document_id, request.opinion, request.circle_read)


@dataclass(frozen=True)
class LegalityVerdict:
    document_id: str
    passed: bool
    opinion: str


def legality_verdict(request: pb.ReviewLegalityRequest) -> LegalityVerdict:
    return LegalityVerdict(request.document_id, request.passed, request.opinion)


@dataclass(frozen=True)
class CommentPeriod:
    document_id: str
    until: date | None


def comment_period(request: pb.OpenPublicCommentRequest) -> CommentPeriod:
    return CommentPeriod(request.document_id, date_from_proto(request.until, "until", required=False))


@dataclass(frozen=True)
class FilingRecord:
    document_id: str
    filed_with: domain.FilingBody | None
    filing_reference: str


def filing_record(request: pb.RecordFilingRequest) -> FilingRecord:
    return FilingRecord(
        request.document_id, FILING_BODY_FROM_PROTO.get(request.filed_with), request.filing_reference
    )


@dataclass(frozen=True)
class Cleanup:
    document_id: str
    decision: domain.CleanupDecision | None
    reason: str
    continue_until: date | None


def cleanup(request: pb.RecordCleanupRequest) -> Cleanup:
    continue_until = date_from_proto(request.continue_until, "continue_until", required=False)
    return Cleanup(
        request.document_id, CLEANUP_FROM_PROTO.get(request.decision), request.reason, continue_until
    )
