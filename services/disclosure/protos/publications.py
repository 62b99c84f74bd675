"""The wire of proactive disclosure (主动公开): enum maps, publication rows → protos, content and
filters from protos, page cursors. No rules."""

from __future__ import annotations

import uuid
from datetime import date

from services.disclosure.domain import publications as domain
from services.disclosure.domain.publications import Category, Kind, State, Validity
from services.disclosure.store import publications as store
from shared.convert import date_from_proto, date_to_proto, decode_page_token
from shared.errors import InvalidInput
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2 as pb

CATEGORY_TO_PROTO = {c: pb.Category.Value(f"CATEGORY_{c.name}") for c in Category}
CATEGORY_FROM_PROTO = {v: k for k, v in CATEGORY_TO_PROTO.items()}
KIND_TO_PROTO = {k: pb.PublicationKind.Value(f"PUBLICATION_KIND_{k.name}") for k in Kind}
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}
VALIDITY_TO_PROTO = {v: pb.Validity.Value(f"VALIDITY_{v.name}") for v in Validity}
VALIDITY_FROM_PROTO = {v: k for k, v in VALIDITY_TO_PROTO.items()}
STATE_TO_PROTO = {s: pb.PublicationState.Value(f"PUBLICATION_STATE_{s.name}") for s in State}
PROPOSAL_KIND_TO_PROTO = {
    k.value: pb.ProposalKind.Value(f"PROPOSAL_KIND_{k.name}") for k in domain.ProposalKind
}
PROPOSAL_KIND_FROM_PROTO = {v: k for k, v in PROPOSAL_KIND_TO_PROTO.items()}


# ---- to the wire -----------------------------------------------------------------------------------------


def _date(value: date | None) -> common_pb2.Date | None:
    return date_to_proto(value) if value else None


def to_proto(row, today: date, *, body: bool = False) -> pb.Publication:
    """A publication row (ORM object or LIST_COLUMNS row) as the proto, without links and history."""
    kind, state = Kind(row.kind), State(row.state)
    message = pb.Publication(
        id=str(row.id),
        kind=KIND_TO_PROTO[kind],
        category=CATEGORY_TO_PROTO[Category(row.category)],
        title=row.title,
        issuer_code=row.issuer_code,
        issuer_name=row.issuer_name,
        document_number=row.document_number,
        made_on=_date(row.made_on),
        published_on=_date(row.published_on),
        valid_until=_date(row.valid_until),
        validity=VALIDITY_TO_PROTO[domain.effective_validity(Validity(row.validity), row.valid_until, today)],
        state=STATE_TO_PROTO[state],
        normative=row.normative,
        requires_interpretation=row.requires_interpretation,
        policy_id=str(row.policy_id) if row.policy_id else "",
        late=domain.is_late(row.publish_due, today, row.published_on) if row.made_on else False,
        comment_until=_date(row.comment_until),
        comment_count=row.comment_count,
        comment_open=domain.comment_open(kind, state, row.comment_until, today),
        source_document_id=row.source_document_id or "",
        decline_reason=row.decline_reason,
    )
    if body:
        message.body = row.body
    if row.made_on and row.publish_due:
        message.publish_due.CopyFrom(
            common_pb2.WorkingDayDeadline(
                start=date_to_proto(row.made_on),
                working_days=domain.PUBLISH_LIMIT_WORKING_DAYS,
                due=date_to_proto(row.publish_due),
                provisional=row.publish_due_provisional,
            )
        )
    if row.proposal:
        p = row.proposal
        message.proposal.CopyFrom(
            pb.ProposalResult(
                proposal_kind=PROPOSAL_KIND_TO_PROTO.get(p.get("proposal_kind", ""), 0),
                proposal_number=p.get("proposal_number", ""),
                proposer=p.get("proposer", ""),
                session=p.get("session", ""),
            )
        )
    # A22: the account of the comments is public once the period has closed (not while it is reopened)
    if row.comment_feedback and not message.comment_open:
        f = row.comment_feedback
        message.comment_feedback.CopyFrom(
            pb.CommentFeedback(
                summary=f["summary"],
                received=f["received"],
                adopted=f["adopted"],
                partly_adopted=f["partly_adopted"],
                not_adopted=f["not_adopted"],
                published_on=date_to_proto(date.fromisoformat(f["published_on"])),
                version=f["version"],
            )
        )
    if row.power:
        message.power.CopyFrom(
            pb.Power(
                **{
                    k: row.power.get(k, "")
                    for k in ("subject", "basis", "procedure", "supervision", "power_type")
                }
            )
        )
    return message


def link_of(row) -> pb.PublicationLink:
    return pb.PublicationLink(
        id=str(row.id),
        title=row.title,
        kind=KIND_TO_PROTO[Kind(row.kind)],
        state=STATE_TO_PROTO[State(row.state)],
    )


# ---- from the wire ---------------------------------------------------------------------------------------


def content_from_proto(message: pb.PublicationContent) -> domain.Content:
    proposal = None
    if message.HasField("proposal"):
        p = message.proposal
        proposal = {
            "proposal_kind": PROPOSAL_KIND_FROM_PROTO.get(p.proposal_kind, ""),
            "proposal_number": p.proposal_number.strip(),
            "proposer": p.proposer.strip(),
            "session": p.session.strip(),
        }
    power = None
    if message.HasField("power"):
        w = message.power
        power = {
            "subject": w.subject.strip(),
            "basis": w.basis.strip(),
            "procedure": w.procedure.strip(),
            "supervision": w.supervision.strip(),
            "power_type": w.power_type.strip(),
        }
    return domain.Content(
        kind=KIND_FROM_PROTO.get(message.kind),
        category=CATEGORY_FROM_PROTO.get(message.category),
        title=message.title.strip(),
        body=message.body,
        issuer_code=message.issuer_code.strip(),
        issuer_name=message.issuer_name.strip(),
        document_number=message.document_number.strip(),
        made_on=date_from_proto(message.made_on, "content.made_on", required=False),
        valid_until=date_from_proto(message.valid_until, "content.valid_until", required=False),
        normative=message.normative,
        requires_interpretation=message.requires_interpretation,
        policy_id=message.policy_id.strip(),
        comment_until=date_from_proto(message.comment_until, "content.comment_until", required=False),
        proposal=proposal,
        power=power,
    )


def filter_from_proto(message: pb.PublicationFilter) -> store.Filter:
    if message.year and not 1949 <= message.year <= 2100:
        raise InvalidInput({"filter.year": "a year between 1949 and 2100"})
    if len(message.issuer_code) > 64:
        raise InvalidInput({"filter.issuer_code": "at most 64 characters"})
    category = CATEGORY_FROM_PROTO.get(message.category)
    kind = KIND_FROM_PROTO.get(message.kind)
    return store.Filter(
        category=category.value if category else None,
        issuer_code=message.issuer_code.strip(),
        year=message.year,
        validity=VALIDITY_FROM_PROTO.get(message.validity),
        kind=kind.value if kind else None,
    )


def date_cursor(token: str) -> tuple[date, uuid.UUID] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        return date.fromisoformat(position[0]), uuid.UUID(position[1])
    except (ValueError, IndexError):
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None
