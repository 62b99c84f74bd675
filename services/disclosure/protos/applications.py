"""The wire of applications for information (依申请公开) and the yearly report: proto ↔ typed input
(domain types) and rows → replies and event payloads. No rules."""

from __future__ import annotations

import hashlib
from datetime import date

from services.disclosure.domain import annual_report as report_domain
from services.disclosure.domain import applications as domain
from services.disclosure.models import InfoApplication
from services.disclosure.store.applications import clock_of, consultations_of
from shared import audit
from shared.convert import EnumMap, date_from_proto, date_to_proto
from shared.workdays import WorkingCalendar
from zgov.disclosure.v1 import applications_pb2 as pb
from zgov.disclosure.v1 import complaints_pb2


KIND = EnumMap(domain.ApplicantKind, pb.ApplicantKind, "APPLICANT_KIND")
CHANNEL = EnumMap(domain.Channel, pb.ApplicationChannel, "APPLICATION_CHANNEL")
DELIVERY = EnumMap(domain.DeliveryForm, pb.DeliveryForm, "DELIVERY_FORM")
STATE = EnumMap(domain.State, pb.ApplicationState, "APPLICATION_STATE")
REPLY = EnumMap(domain.ReplyKind, pb.ReplyKind, "REPLY_KIND")
EXEMPTION = EnumMap(domain.Exemption, pb.Exemption, "EXEMPTION")
PARTY = EnumMap(domain.ConsultedParty, pb.ConsultedParty, "CONSULTED_PARTY")
REMEDY = EnumMap(domain.RemedyKind, pb.RemedyKind, "REMEDY_KIND")
OUTCOME = EnumMap(domain.RemedyOutcome, pb.RemedyOutcome, "REMEDY_OUTCOME")
REQUEST_KIND = EnumMap(domain.RequestKind, pb.RequestKind, "REQUEST_KIND")
KIND_TO_PROTO, KIND_FROM = KIND.to_proto, KIND.from_proto
CHANNEL_TO_PROTO, CHANNEL_FROM = CHANNEL.to_proto, CHANNEL.from_proto
DELIVERY_TO_PROTO, DELIVERY_FROM = DELIVERY.to_proto, DELIVERY.from_proto
STATE_TO_PROTO, STATE_FROM = STATE.to_proto, STATE.from_proto
REPLY_TO_PROTO, REPLY_FROM = REPLY.to_proto, REPLY.from_proto
EXEMPTION_TO_PROTO, EXEMPTION_FROM = EXEMPTION.to_proto, EXEMPTION.from_proto
PARTY_TO_PROTO, PARTY_FROM = PARTY.to_proto, PARTY.from_proto
REMEDY_TO_PROTO, REMEDY_FROM = REMEDY.to_proto, REMEDY.from_proto
OUTCOME_TO_PROTO, OUTCOME_FROM = OUTCOME.to_proto, OUTCOME.from_proto
REQUEST_KIND_TO_PROTO = REQUEST_KIND.to_proto
REQUEST_KIND_FROM = {**REQUEST_KIND.from_proto, pb.REQUEST_KIND_UNSPECIFIED: domain.RequestKind.INFORMATION}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# ---- from the wire -------------------------------------------------------------------------------


def applicant_from_proto(m: pb.Applicant) -> domain.Applicant:
    return domain.Applicant(
        kind=KIND_FROM.get(m.kind),
        name=m.name.strip(),
        id_number=m.id_number.strip(),
        phone=m.phone.strip(),
        email=m.email.strip(),
        address=m.address.strip(),
        contact_person=m.contact_person.strip(),
    )


def request_from_proto(m: pb.ApplicationContent) -> domain.Request:
    return domain.Request(
        description=m.description.strip(),
        document_number=m.document_number.strip(),
        purpose=m.purpose.strip(),
        delivery_form=DELIVERY_FROM.get(m.delivery_form),
        kind=REQUEST_KIND_FROM.get(m.kind, domain.RequestKind.INFORMATION),
        evidence=m.evidence.strip(),
    )


def reply_from_proto(m: pb.Reply) -> domain.Reply:
    return domain.Reply(
        kind=REPLY_FROM.get(m.kind),
        published_at=m.published_at.strip(),
        provided=m.provided.strip(),
        withheld=tuple(
            domain.Withheld(w.part.strip(), EXEMPTION_FROM.get(w.exemption), w.reason.strip())
            for w in m.withheld
        ),
        exemption=EXEMPTION_FROM.get(m.exemption),
        holder_name=m.holder_name.strip(),
        holder_contact=m.holder_contact.strip(),
        earlier_application=m.earlier_application.strip(),
        special_law=m.special_law.strip(),
        public_interest_reason=m.public_interest_reason.strip(),
        third_party_notified_on=date_from_proto(
            m.third_party_notified_on, "reply.third_party_notified_on", required=False
        ),
        reason=m.reason.strip(),
    )


def reply_to_json(r: domain.Reply, letter_number: str) -> dict:
    return {
        "published_at": r.published_at,
        "provided": r.provided,
        "withheld": [
            {"part": w.part, "exemption": w.exemption.value, "reason": w.reason} for w in r.withheld
        ],
        "exemption": r.exemption.value if r.exemption else None,
        "holder_name": r.holder_name,
        "holder_contact": r.holder_contact,
        "earlier_application": r.earlier_application,
        "special_law": r.special_law,
        "public_interest_reason": r.public_interest_reason,
        "third_party_notified_on": _iso(r.third_party_notified_on),
        "reason": r.reason,
        "letter_number": letter_number,
    }


def reply_from_json(kind: str, data: dict) -> domain.Reply:
    return domain.Reply(
        kind=domain.ReplyKind(kind),
        published_at=data["published_at"],
        provided=data["provided"],
        withheld=tuple(
            domain.Withheld(w["part"], domain.Exemption(w["exemption"]), w["reason"])
            for w in data["withheld"]
        ),
        exemption=domain.Exemption(data["exemption"]) if data.get("exemption") else None,
        holder_name=data["holder_name"],
        holder_contact=data["holder_contact"],
        earlier_application=data["earlier_application"],
        special_law=data["special_law"],
        public_interest_reason=data["public_interest_reason"],
        third_party_notified_on=_day(data.get("third_party_notified_on")),
        reason=data["reason"],
    )


def summary(row: InfoApplication) -> pb.ApplicationSummary:
    s = pb.ApplicationSummary(
        application_id=str(row.id),
        number=row.number,
        channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        applicant_kind=KIND_TO_PROTO[domain.ApplicantKind(row.applicant_kind)],
        state=STATE_TO_PROTO[domain.State(row.state)],
    )
    if row.received_on:
        s.received_on.CopyFrom(date_to_proto(row.received_on))
    if row.reply_due:
        s.reply_due.CopyFrom(date_to_proto(row.reply_due))
    return s


# The events of the applications side (deploy/nats/streams.yaml lists them): subject → message.
EVENT_TYPES = {
    "disclosure.application.received": pb.ApplicationReceived,
    "disclosure.application.completion-requested": pb.ApplicationCompletionRequested,
    "disclosure.application.completed": pb.ApplicationCompleted,
    "disclosure.application.lapsed": pb.ApplicationLapsed,
    "disclosure.application.withdrawn": pb.ApplicationWithdrawn,
    "disclosure.application.extended": pb.ApplicationExtended,
    "disclosure.application.replied": pb.ApplicationReplied,
    "disclosure.report.published": pb.AnnualReportPublished,
}


def application_to_proto(
    row: InfoApplication, cal: WorkingCalendar, *, officer: bool, today: date, remedies=(), history=()
) -> pb.Application:
    a = pb.Application(
        id=str(row.id),
        number=row.number,
        channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        state=STATE_TO_PROTO[domain.State(row.state)],
        applicant=pb.Applicant(kind=KIND_TO_PROTO[domain.ApplicantKind(row.applicant_kind)], **row.applicant),
        content=pb.ApplicationContent(
            description=row.description,
            document_number=row.document_number,
            purpose=row.purpose,
            delivery_form=DELIVERY_TO_PROTO[domain.DeliveryForm(row.delivery_form)],
            kind=REQUEST_KIND_TO_PROTO[domain.RequestKind(row.request_kind)],
            evidence=row.evidence,
        ),
        submitted_on=date_to_proto(row.submitted_on),
        fee_yuan=row.fee_yuan,
        filed_with_account=bool(row.submitted_by_user_id),
    )
    if row.received_on:
        a.received_on.CopyFrom(date_to_proto(row.received_on))
    if row.clock_started_on and domain.State(row.state) in (domain.State.RECEIVED, domain.State.CONSULTING):
        due = domain.reply_due(clock_of(row), cal, today)
        a.reply_due.CopyFrom(
            pb.ReplyDeadline(
                start=date_to_proto(row.clock_started_on),
                working_days=due.working_days,
                due=date_to_proto(due.due),
                provisional=due.provisional,
                paused=due.paused,
                deferred=due.deferred,
            )
        )
        a.overdue = today > due.due
    if row.completion:
        c = row.completion
        completion = pb.CompletionRequest(
            items=c["items"],
            requested_on=date_to_proto(date.fromisoformat(c["requested_on"])),
            period_working_days=c["period_working_days"],
            due=date_to_proto(date.fromisoformat(c["due_on"])),
            content=c.get("content", ""),
        )
        if c.get("completed_on"):
            completion.completed_on.CopyFrom(date_to_proto(date.fromisoformat(c["completed_on"])))
        a.completion.CopyFrom(completion)
    for c, consultation in zip(row.consultations, consultations_of(row)):
        m = pb.Consultation(
            id=c["id"],
            party=PARTY_TO_PROTO[consultation.party],
            sent_on=date_to_proto(consultation.sent_on),
            answer_due=date_to_proto(consultation.limit(cal).due),
            answer={True: pb.CONSULTATION_ANSWER_CONSENTS, False: pb.CONSULTATION_ANSWER_OBJECTS}.get(
                c.get("consents"), pb.CONSULTATION_ANSWER_UNSPECIFIED
            ),
        )
        if consultation.answered_on:
            m.answered_on.CopyFrom(date_to_proto(consultation.answered_on))
        if officer:  # who was asked and what they said stays inside the agency
            m.party_name, m.opinion = c["party_name"], c.get("opinion", "")
        a.consultations.append(m)
    if row.extension:
        e = row.extension
        a.extension.CopyFrom(
            pb.Extension(
                working_days=e["working_days"],
                reason=e["reason"],
                notice=e["notice"],
                approved_by_user_id=e["approved_by_user_id"] if officer else "",
                approved_on=date_to_proto(date.fromisoformat(e["approved_on"])),
            )
        )
    if row.deferral:
        d = row.deferral
        deferral = pb.Deferral(reasons_note=d.get("reasons_note", ""), notice=d.get("notice", ""))
        if d.get("reasons_requested_on"):
            asked_on = date.fromisoformat(d["reasons_requested_on"])
            deferral.reasons_requested_on.CopyFrom(date_to_proto(asked_on))
        if d.get("deferred_to"):
            deferral.deferred_to.CopyFrom(date_to_proto(date.fromisoformat(d["deferred_to"])))
        a.deferral.CopyFrom(deferral)
    if row.reply_kind and row.reply:
        r, data = reply_from_json(row.reply_kind, row.reply), row.reply
        reply = pb.Reply(
            kind=REPLY_TO_PROTO[r.kind],
            published_at=r.published_at,
            provided=r.provided,
            withheld=[
                pb.WithheldPart(part=w.part, exemption=EXEMPTION_TO_PROTO[w.exemption], reason=w.reason)
                for w in r.withheld
            ],
            exemption=EXEMPTION_TO_PROTO[r.exemption] if r.exemption else 0,
            holder_name=r.holder_name,
            holder_contact=r.holder_contact,
            earlier_application=r.earlier_application,
            special_law=r.special_law,
            reason=r.reason,
            letter_number=data.get("letter_number", ""),
            replied_on=date_to_proto(row.replied_on),
        )
        if officer:
            reply.public_interest_reason = r.public_interest_reason
            if r.third_party_notified_on:
                reply.third_party_notified_on.CopyFrom(date_to_proto(r.third_party_notified_on))
        a.reply.CopyFrom(reply)
    if row.lapsed_on:
        a.lapsed_on.CopyFrom(date_to_proto(row.lapsed_on))
    if row.withdrawn_on:
        a.withdrawn_on.CopyFrom(date_to_proto(row.withdrawn_on))
    for m in remedies:
        remedy = pb.Remedy(
            id=str(m.id),
            kind=REMEDY_TO_PROTO[domain.RemedyKind(m.kind)],
            filed_on=date_to_proto(m.filed_on),
            outcome=OUTCOME_TO_PROTO[domain.RemedyOutcome(m.outcome)],
            note=m.note if officer else "",
        )
        if m.decided_on:
            remedy.decided_on.CopyFrom(date_to_proto(m.decided_on))
        a.remedies.append(remedy)
    if officer:
        a.history.extend(audit.to_proto(h) for h in history)
    return a


def report_to_proto(record) -> pb.AnnualReport:
    r = report_domain.AnnualReport.from_json(record.content)
    out = pb.AnnualReport(
        year=r.year,
        overview=r.overview,
        problems=r.problems,
        other_matters=r.other_matters,
        proactive=pb.ProactiveFigures(**vars(r.proactive)),
        publish_by=date_to_proto(r.publish_by),
        published_on=date_to_proto(record.published_on),
        published_late=record.published_on > r.publish_by,
        version=record.version,
        columns=[pb.ReportColumn(key=k, label=label) for k, label in report_domain.COLUMNS],
        rows=[
            pb.ReportRow(key=k, label=label, counts=[r.applications[k][c] for c, _ in report_domain.COLUMNS])
            for k, label in report_domain.ROWS
        ],
    )
    for kind in domain.RemedyKind:
        counts = r.remedies[kind.value]
        out.remedies.append(pb.RemedyRow(kind=REMEDY_TO_PROTO[kind], **counts))
    if r.complaints is not None:  # A38, stored with the report
        out.complaints.CopyFrom(complaints_pb2.ComplaintFigures(year=r.year, **vars(r.complaints)))
    return out


def submission_fingerprint(request: pb.SubmitApplicationRequest) -> str:
    """SHA-256 of what was asked (applicant and content as sent): tells a retry from a key reused for
    another application, so a key alone never shows someone else's application."""
    asked = pb.SubmitApplicationRequest(applicant=request.applicant, content=request.content)
    return hashlib.sha256(asked.SerializeToString(deterministic=True)).hexdigest()


CONSENTS_FROM = {pb.CONSULTATION_ANSWER_CONSENTS: True, pb.CONSULTATION_ANSWER_OBJECTS: False}
