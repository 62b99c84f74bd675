"""ApplicationService: applications for government information (依申请公开) and the yearly report.

Each RPC names its permission (a client role of the `disclosure` client); which positions hold it is
configured in Keycloak (deploy/keycloak/realm-zgov.json), not here:
  application:submit  apply; follow, complete and download one's own application (citizens; the
                      portal's service account for applicants without an account — they follow by code)
  application:handle  register, confirm receipt, ask to complete, consult, reply, record reviews and
                      lawsuits; read and list every application (disclosure officers)
  application:extend  approve the one extension of art. 33 (the head of the disclosure office)
  application:report  generate and publish the yearly report (art. 49–50)
  publication:read    read published yearly reports

An applicant sees only his or her own applications: by the account that filed them, or by the query
code (random, shown once, kept as a hash). A read refused is recorded too. Events never carry the
applicant's identity, contacts or request (only the summary in applications.proto).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from datetime import date, timedelta

from google.rpc import code_pb2
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import store_applications as store
from services.disclosure import store_publications
from services.disclosure.api_publications import recompute_provisional_limits
from services.disclosure.domain import annual_report as report_domain
from services.disclosure.domain import applications as domain
from services.disclosure.models import ApplicationRemedy, InfoApplication
from shared import audit
from shared.convert import EnumMap, date_from_proto, date_to_proto, decode_page_token, encode_page_token, page_limit
from shared.convert import today_in_china as _today_in_china
from shared.db import transaction
from shared.errors import DomainError, Forbidden, InvalidInput, NotFound, RuleViolation
from shared.grpc_server import current_actor, requires
from shared.identity import Actor
from shared.outbox import add_event
from shared.logging import get_logger
from shared.sweep import SweepLeader, run_every
from shared.workdays import WorkingCalendar, calendar
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import applications_pb2 as pb
from zgov.disclosure.v1 import applications_pb2_grpc

AGENCY = "资阳市人民政府办公室"  # the agency that answers (政府信息公开工作机构)
REVIEW_BODY = "资阳市人民政府"  # reviews of a department of the city government go to the city government
LETTER_PREFIX = "资府办依申复"
# 16 characters of 31 unambiguous ones (about 79 bits): not guessable, easy to read out on the phone.
QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_CODE_LENGTH = 16
# The portal is on the internet: an account files at most this many applications a day.
MAX_ONLINE_PER_DAY = 20
# A submitter's idempotency key (the portal's form carries one; integrators send their own).
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
log = get_logger(__name__)
# Acts of the service itself (the art. 30 lapse).
SYSTEM = Actor(user_id="", username="system:disclosure", display_name="政务公开系统")


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


class TooManySubmissions(DomainError):
    code = code_pb2.RESOURCE_EXHAUSTED


def new_query_code() -> str:
    raw = "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, QUERY_CODE_LENGTH, 4))


def query_code_hash(code: str) -> str:
    """The code as typed (any case, with or without dashes and spaces) → the stored hash."""
    normal = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normal.encode()).hexdigest()


def submission_fingerprint(request: pb.SubmitApplicationRequest) -> str:
    """SHA-256 of what was asked (applicant and content as sent): tells a retry from a key reused for
    another application, so a key alone never shows someone else's application."""
    asked = pb.SubmitApplicationRequest(applicant=request.applicant, content=request.content)
    return hashlib.sha256(asked.SerializeToString(deterministic=True)).hexdigest()


def today_in_china() -> date:
    """The service's day (China Standard Time); tests set it by replacing this function."""
    return _today_in_china()


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _on_or_today(value: common_pb2.Date, field: str) -> date:
    return date_from_proto(value, field, required=False) or today_in_china()


# ---- from the wire -------------------------------------------------------------------------------

def applicant_from_proto(m: pb.Applicant) -> domain.Applicant:
    return domain.Applicant(kind=KIND_FROM.get(m.kind), name=m.name.strip(), id_number=m.id_number.strip(),
                            phone=m.phone.strip(), email=m.email.strip(), address=m.address.strip(),
                            contact_person=m.contact_person.strip())


def request_from_proto(m: pb.ApplicationContent) -> domain.Request:
    return domain.Request(description=m.description.strip(), document_number=m.document_number.strip(),
                          purpose=m.purpose.strip(), delivery_form=DELIVERY_FROM.get(m.delivery_form),
                          kind=REQUEST_KIND_FROM.get(m.kind, domain.RequestKind.INFORMATION),
                          evidence=m.evidence.strip())


def reply_from_proto(m: pb.Reply) -> domain.Reply:
    return domain.Reply(
        kind=REPLY_FROM.get(m.kind), published_at=m.published_at.strip(), provided=m.provided.strip(),
        withheld=tuple(domain.Withheld(w.part.strip(), EXEMPTION_FROM.get(w.exemption), w.reason.strip())
                       for w in m.withheld),
        exemption=EXEMPTION_FROM.get(m.exemption), holder_name=m.holder_name.strip(),
        holder_contact=m.holder_contact.strip(), earlier_application=m.earlier_application.strip(),
        special_law=m.special_law.strip(), public_interest_reason=m.public_interest_reason.strip(),
        third_party_notified_on=date_from_proto(m.third_party_notified_on, "reply.third_party_notified_on",
                                                required=False),
        reason=m.reason.strip(),
    )


def reply_to_json(r: domain.Reply, letter_number: str) -> dict:
    return {
        "published_at": r.published_at, "provided": r.provided,
        "withheld": [{"part": w.part, "exemption": w.exemption.value, "reason": w.reason}
                     for w in r.withheld],
        "exemption": r.exemption.value if r.exemption else None, "holder_name": r.holder_name,
        "holder_contact": r.holder_contact, "earlier_application": r.earlier_application,
        "special_law": r.special_law, "public_interest_reason": r.public_interest_reason,
        "third_party_notified_on": _iso(r.third_party_notified_on), "reason": r.reason,
        "letter_number": letter_number,
    }


def reply_from_json(kind: str, data: dict) -> domain.Reply:
    return domain.Reply(
        kind=domain.ReplyKind(kind), published_at=data["published_at"], provided=data["provided"],
        withheld=tuple(domain.Withheld(w["part"], domain.Exemption(w["exemption"]), w["reason"])
                       for w in data["withheld"]),
        exemption=domain.Exemption(data["exemption"]) if data.get("exemption") else None,
        holder_name=data["holder_name"], holder_contact=data["holder_contact"],
        earlier_application=data["earlier_application"], special_law=data["special_law"],
        public_interest_reason=data["public_interest_reason"],
        third_party_notified_on=_day(data.get("third_party_notified_on")), reason=data["reason"],
    )


# ---- the row and the rules --------------------------------------------------------------------------

def consultations_of(row: InfoApplication) -> tuple[domain.Consultation, ...]:
    return tuple(
        domain.Consultation(domain.ConsultedParty(c["party"]), date.fromisoformat(c["sent_on"]),
                            _day(c.get("answered_on")), c.get("consents"))
        for c in row.consultations
    )


def clock_of(row: InfoApplication) -> domain.Clock:
    return domain.Clock(
        started_on=row.clock_started_on,
        extension_days=(row.extension or {}).get("working_days", 0),
        consultations=consultations_of(row),
        deferred_to=_day((row.deferral or {}).get("deferred_to")),
    )


def refresh_due(row: InfoApplication, cal: WorkingCalendar) -> domain.ReplyDue | None:
    """Keep the limit in force on the row (for lists, the overdue filter and events)."""
    state = domain.State(row.state)
    if row.clock_started_on is None or state not in (domain.State.RECEIVED, domain.State.CONSULTING):
        row.reply_due, row.reply_due_provisional = None, False
        return None
    due = domain.reply_due(clock_of(row), cal)
    row.reply_due, row.reply_due_provisional = due.due, due.provisional
    return due


def summary(row: InfoApplication) -> pb.ApplicationSummary:
    s = pb.ApplicationSummary(
        application_id=str(row.id), number=row.number, channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
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


async def publish(session: AsyncSession, event: str, row: InfoApplication, actor, message) -> None:
    """disclosure.application.<event>; an applicant's own acts are published without an actor."""
    assert type(message) is EVENT_TYPES[f"disclosure.application.{event}"]
    await add_event(session, f"disclosure.application.{event}", message, f"application/{row.id}", actor)


def application_to_proto(row: InfoApplication, cal: WorkingCalendar, *, officer: bool, today: date,
                         remedies=(), history=()) -> pb.Application:
    a = pb.Application(
        id=str(row.id), number=row.number, channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        state=STATE_TO_PROTO[domain.State(row.state)],
        applicant=pb.Applicant(kind=KIND_TO_PROTO[domain.ApplicantKind(row.applicant_kind)], **row.applicant),
        content=pb.ApplicationContent(description=row.description, document_number=row.document_number,
                                      purpose=row.purpose,
                                      delivery_form=DELIVERY_TO_PROTO[domain.DeliveryForm(row.delivery_form)],
                                      kind=REQUEST_KIND_TO_PROTO[domain.RequestKind(row.request_kind)],
                                      evidence=row.evidence),
        submitted_on=date_to_proto(row.submitted_on), fee_yuan=row.fee_yuan,
        filed_with_account=bool(row.submitted_by_user_id),
    )
    if row.received_on:
        a.received_on.CopyFrom(date_to_proto(row.received_on))
    if row.clock_started_on and domain.State(row.state) in (domain.State.RECEIVED, domain.State.CONSULTING):
        due = domain.reply_due(clock_of(row), cal, today)
        a.reply_due.CopyFrom(pb.ReplyDeadline(
            start=date_to_proto(row.clock_started_on), working_days=due.working_days,
            due=date_to_proto(due.due),
            provisional=due.provisional, paused=due.paused, deferred=due.deferred))
        a.overdue = today > due.due
    if row.completion:
        c = row.completion
        completion = pb.CompletionRequest(
            items=c["items"], requested_on=date_to_proto(date.fromisoformat(c["requested_on"])),
            period_working_days=c["period_working_days"], due=date_to_proto(date.fromisoformat(c["due_on"])),
            content=c.get("content", ""))
        if c.get("completed_on"):
            completion.completed_on.CopyFrom(date_to_proto(date.fromisoformat(c["completed_on"])))
        a.completion.CopyFrom(completion)
    for c, consultation in zip(row.consultations, consultations_of(row)):
        m = pb.Consultation(
            id=c["id"], party=PARTY_TO_PROTO[consultation.party], sent_on=date_to_proto(consultation.sent_on),
            answer_due=date_to_proto(consultation.limit(cal).due),
            answer={True: pb.CONSULTATION_ANSWER_CONSENTS, False: pb.CONSULTATION_ANSWER_OBJECTS}.get(
                c.get("consents"), pb.CONSULTATION_ANSWER_UNSPECIFIED),
        )
        if consultation.answered_on:
            m.answered_on.CopyFrom(date_to_proto(consultation.answered_on))
        if officer:  # who was asked and what they said stays inside the agency
            m.party_name, m.opinion = c["party_name"], c.get("opinion", "")
        a.consultations.append(m)
    if row.extension:
        e = row.extension
        a.extension.CopyFrom(pb.Extension(
            working_days=e["working_days"], reason=e["reason"], notice=e["notice"],
            approved_by_user_id=e["approved_by_user_id"] if officer else "",
            approved_on=date_to_proto(date.fromisoformat(e["approved_on"]))))
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
            kind=REPLY_TO_PROTO[r.kind], published_at=r.published_at, provided=r.provided,
            withheld=[pb.WithheldPart(part=w.part, exemption=EXEMPTION_TO_PROTO[w.exemption], reason=w.reason)
                      for w in r.withheld],
            exemption=EXEMPTION_TO_PROTO[r.exemption] if r.exemption else 0, holder_name=r.holder_name,
            holder_contact=r.holder_contact, earlier_application=r.earlier_application,
            special_law=r.special_law, reason=r.reason, letter_number=data.get("letter_number", ""),
            replied_on=date_to_proto(row.replied_on))
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
        remedy = pb.Remedy(id=str(m.id), kind=REMEDY_TO_PROTO[domain.RemedyKind(m.kind)],
                           filed_on=date_to_proto(m.filed_on),
                           outcome=OUTCOME_TO_PROTO[domain.RemedyOutcome(m.outcome)],
                           note=m.note if officer else "")
        if m.decided_on:
            remedy.decided_on.CopyFrom(date_to_proto(m.decided_on))
        a.remedies.append(remedy)
    if officer:
        a.history.extend(audit.to_proto(h) for h in history)
    return a


def report_to_proto(record) -> pb.AnnualReport:
    r = report_domain.AnnualReport.from_json(record.content)
    out = pb.AnnualReport(
        year=r.year, overview=r.overview, problems=r.problems, other_matters=r.other_matters,
        proactive=pb.ProactiveFigures(**vars(r.proactive)), publish_by=date_to_proto(r.publish_by),
        published_on=date_to_proto(record.published_on), published_late=record.published_on > r.publish_by,
        version=record.version,
        columns=[pb.ReportColumn(key=k, label=label) for k, label in report_domain.COLUMNS],
        rows=[pb.ReportRow(key=k, label=label,
                           counts=[r.applications[k][c] for c, _ in report_domain.COLUMNS])
              for k, label in report_domain.ROWS],
    )
    for kind in domain.RemedyKind:
        counts = r.remedies[kind.value]
        out.remedies.append(pb.RemedyRow(kind=REMEDY_TO_PROTO[kind], **counts))
    return out


def letter_pdf(row: InfoApplication, *, number: str, title: str, paragraphs: list[str], on: date) -> bytes:
    """A letter to the applicant in the layout of official documents, rendered by the platform's
    GB/T 9704 library (shared.gbt9704: the same layout and faces as issued documents)."""
    from shared.gbt9704 import Layout, render_pdf  # fpdf2 and its fonts load on first use

    return render_pdf(Layout(
        issuer_mark=AGENCY, document_number=number, title=title, body="\n".join(paragraphs), signature=AGENCY,
        written_on=on, main_receivers=[row.applicant["name"]], printed_by=AGENCY,
    ))


NOTICE_TITLES = {
    pb.NOTICE_KIND_RECEIPT: ("政府信息公开申请登记回执", "回执"),
    pb.NOTICE_KIND_COMPLETION: ("政府信息公开申请补正告知书", "补正告知书"),
    pb.NOTICE_KIND_EXTENSION: ("政府信息公开申请延期答复告知书", "延期答复告知书"),
    pb.NOTICE_KIND_DEFERRAL: ("政府信息公开申请延迟答复告知书", "延迟答复告知书"),
}


def notice_pdf(row: InfoApplication, kind: int, cal: WorkingCalendar) -> tuple[bytes, str]:
    """The written notice of `kind`, or NotFound when the application has none of that kind."""
    if kind not in NOTICE_TITLES:
        raise InvalidInput({"kind": "receipt, completion, extension or deferral"})
    title, short = NOTICE_TITLES[kind]
    missing = NotFound(f"a {short} for application {row.number}", resource_type="notice")
    if row.received_on is None:
        raise missing
    if kind == pb.NOTICE_KIND_RECEIPT:
        first = domain.reply_due(domain.Clock(started_on=row.received_on), cal)
        paragraphs = domain.receipt_paragraphs(number=row.number, description=row.description,
                                               received_on=row.received_on, due=first.due,
                                               provisional=first.provisional)
        on = row.received_on
    elif kind == pb.NOTICE_KIND_COMPLETION:
        if not row.completion:
            raise missing
        c = row.completion
        on = date.fromisoformat(c["requested_on"])
        paragraphs = domain.completion_paragraphs(description=row.description, received_on=row.received_on,
                                                  items=c["items"], due=date.fromisoformat(c["due_on"]))
    elif kind == pb.NOTICE_KIND_EXTENSION:
        if not row.extension:
            raise missing
        e = row.extension
        on = date.fromisoformat(e["approved_on"])
        # the limit as the extension left it (later consultations are told separately)
        extended = domain.reply_due(domain.Clock(started_on=row.clock_started_on,
                                                 extension_days=e["working_days"],
                                                 consultations=consultations_of(row)), cal)
        paragraphs = domain.extension_paragraphs(description=row.description, received_on=row.received_on,
                                                 working_days=e["working_days"], reason=e["reason"],
                                                 notice=e["notice"], due=extended.due)
    else:
        if not (row.deferral or {}).get("deferred_to"):
            raise missing
        on = date.fromisoformat(row.deferral["reasons_requested_on"])
        paragraphs = domain.deferral_paragraphs(description=row.description, received_on=row.received_on,
                                                deferred_to=date.fromisoformat(row.deferral["deferred_to"]),
                                                notice=row.deferral["notice"])
    pdf = letter_pdf(row, number=row.number, title=title, paragraphs=paragraphs, on=on)
    return pdf, f"{row.number}-{short}.pdf"


def reply_pdf(row: InfoApplication) -> bytes:
    """The reply letter (政府信息公开申请答复书)."""
    reply = reply_from_json(row.reply_kind, row.reply)
    body = domain.reply_paragraphs(reply, description=row.description, received_on=row.received_on,
                                   agency=AGENCY, review_body=REVIEW_BODY)
    return letter_pdf(row, number=row.reply.get("letter_number", ""), title="政府信息公开申请答复书",
                      paragraphs=body, on=row.replied_on)


# ---- the lapse of art. 30 (sweep and read) ---------------------------------------------------------

async def lapse(session: AsyncSession, row: InfoApplication) -> None:
    """Art. 30: deemed withdrawn the day after its period to complete ended; once (the caller holds
    the row's lock and has checked the state)."""
    row.state = domain.State.LAPSED.value
    row.lapsed_on = row.completion_due + timedelta(days=1)
    row.reply_due, row.reply_due_provisional = None, False
    await session.flush()
    await audit.record_act(session, f"application/{row.id}", "application.lapsed", SYSTEM,
                           f"no completion by {row.completion_due} (art. 30)")
    await publish(session, "lapsed", row, None, pb.ApplicationLapsed(
        application=summary(row), lapsed_on=date_to_proto(row.lapsed_on)))


async def lapse_due(sessions: async_sessionmaker[AsyncSession], today: date, batch: int = 500) -> int:
    async with transaction(sessions) as session:
        rows = await store.to_lapse(session, today, batch)
        for row in rows:
            await lapse(session, row)
    return len(rows)


async def recompute_provisional(sessions: async_sessionmaker[AsyncSession], cal: WorkingCalendar,
                                batch: int = 500) -> int:
    """Put the official day on limits computed on weekends only, once their year's schedule is known
    (docs/design.md "Time"); reads always compute the limit afresh, this keeps lists and filters right."""
    async with transaction(sessions) as session:
        rows = await store.provisional_due(session, cal.first_unknown_day, batch)
        for row in rows:
            refresh_due(row, cal)
    return len(rows)


class ApplicationServicer(applications_pb2_grpc.ApplicationServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar, *,
                 today=None):
        self.sessions = sessions
        self.calendar = calendar
        # looked up on each call, so a test can set the day the service lives on
        self.today = today or (lambda: today_in_china())

    # ---- helpers -----------------------------------------------------------------------------------

    async def _reply(self, session: AsyncSession, row: InfoApplication, *, officer: bool) -> pb.Application:
        remedies = await store.remedies_of(session, row.id)
        history = await audit.history(session, f"application/{row.id}") if officer else ()
        return application_to_proto(row, self.calendar, officer=officer, today=self.today(),
                                    remedies=remedies, history=history)

    async def _sweep(self) -> None:
        """Art. 30 before any act: lapses due by today are written (and published) in their own
        transaction, so they stand even when the act that follows is refused."""
        await lapse_due(self.sessions, self.today(), 100)

    async def _lapse_on_read(self, session: AsyncSession, row: InfoApplication) -> InfoApplication:
        """A read after the period to complete ended lapses the application if the sweep has not yet."""
        if domain.has_lapsed(domain.State(row.state), row.completion_due, self.today()):
            await session.refresh(row, with_for_update=True)
            if domain.has_lapsed(domain.State(row.state), row.completion_due, self.today()):
                await lapse(session, row)
        return row

    async def _handled(self, session: AsyncSession, application_id: str) -> InfoApplication:
        row = await store.get(session, application_id, for_update=True)
        return await self._lapse_on_read(session, row)

    async def _own(self, session: AsyncSession, actor: Actor, application_id: str, query_code: str, *,
                   for_update: bool = False) -> tuple[InfoApplication, bool]:
        """The application by id (its owner or an officer) or by query code; (row, read as officer)."""
        officer = actor.may("application:handle")
        if query_code.strip():
            row = await store.by_query_code(session, query_code_hash(query_code), for_update=for_update)
            return await self._lapse_on_read(session, row), officer
        if not application_id.strip():
            raise InvalidInput({"application_id": "the application's id, or its query code"})
        row = await store.get(session, application_id, for_update=for_update)
        if not domain.may_read(is_officer=officer, reader_user_id=actor.user_id, is_service=actor.is_service,
                               submitted_by_user_id=row.submitted_by_user_id):
            await self._refuse(actor, application_id)
        return await self._lapse_on_read(session, row), officer

    async def _refuse(self, actor: Actor, application_id: str) -> None:
        # recorded in its own transaction: the refusal rolls back the caller's
        async with transaction(self.sessions) as session:
            await audit.record_act(session, f"application/{application_id}", "application.read.denied", actor)
        raise Forbidden("an applicant sees only his or her own applications")

    async def _act(self, session: AsyncSession, row: InfoApplication, act: str, actor: Actor,
                   reason: str = "") -> None:
        refresh_due(row, self.calendar)
        await session.flush()
        await audit.record_act(session, f"application/{row.id}", act, actor, reason)

    async def _new(self, session: AsyncSession, applicant: domain.Applicant, request: domain.Request, *,
                   channel: domain.Channel, submitted_on: date, signed_for_on: date | None,
                   received_on: date | None, submitted_by: str, idempotency_key: str | None = None,
                   fingerprint: str | None = None) -> tuple[InfoApplication, str]:
        code = new_query_code()
        serial = await store.next_serial(session)
        row = await store.add(
            session, serial=serial, number=f"YSQ{submitted_on.year}{serial:06d}", channel=channel.value,
            state=(domain.State.RECEIVED if received_on else domain.State.SUBMITTED).value,
            applicant_kind=applicant.kind.value,
            applicant={"name": applicant.name, "id_number": applicant.id_number, "phone": applicant.phone,
                       "email": applicant.email, "address": applicant.address,
                       "contact_person": applicant.contact_person},
            description=request.description, document_number=request.document_number, purpose=request.purpose,
            request_kind=request.kind.value, evidence=request.evidence,
            delivery_form=request.delivery_form.value, submitted_on=submitted_on, signed_for_on=signed_for_on,
            received_on=received_on, clock_started_on=received_on, query_code_hash=query_code_hash(code),
            submitted_by_user_id=submitted_by, consultations=[], fee_yuan=0,
            idempotency_key=idempotency_key, idempotency_fingerprint=fingerprint,
        )
        refresh_due(row, self.calendar)
        await session.flush()
        return row, code

    # ---- applying ---------------------------------------------------------------------------------

    @requires("application:submit")
    async def SubmitApplication(self, request, context):
        """Online (互联网渠道): received when the office confirms it (art. 31(3)). With an idempotency
        key, a second submit of the same application returns the first (`replayed`, no query code)."""
        actor = current_actor()
        key = request.idempotency_key.strip() or None
        if key and not IDEMPOTENCY_KEY.match(key):
            raise InvalidInput({"idempotency_key": "8 to 64 letters, digits, '_' or '-'"})
        applicant, wanted = applicant_from_proto(request.applicant), request_from_proto(request.content)
        domain.check_application(applicant, wanted)
        today = self.today()
        fingerprint = submission_fingerprint(request) if key else None
        # the portal's own identity files for applicants without an account: they follow by code only
        owner = "" if actor.is_service else actor.user_id
        async with transaction(self.sessions) as session:
            if key:
                # concurrent submits with one key wait here for each other; the unique index backs it
                await store.lock_idempotency_key(session, owner, key)
                earlier = await store.by_idempotency_key(session, owner, key)
                if earlier is not None:
                    if earlier.idempotency_fingerprint != fingerprint:
                        raise InvalidInput({"idempotency_key": "already used for a different application"})
                    await audit.record_act(session, f"application/{earlier.id}",
                                           "application.submit-repeated", actor)
                    reply = await self._reply(session, earlier, officer=False)
                    return pb.SubmitApplicationResponse(application=reply, replayed=True)
            if owner:
                mine = await store.list_page(session, store.ListFilter(submitted_by_user_id=owner),
                                             MAX_ONLINE_PER_DAY)
                if sum(1 for r in mine if r.submitted_on == today) >= MAX_ONLINE_PER_DAY:
                    raise TooManySubmissions(f"at most {MAX_ONLINE_PER_DAY} applications a day per account")
            row, code = await self._new(session, applicant, wanted, channel=domain.Channel.ONLINE,
                                        submitted_on=today, signed_for_on=None, received_on=None,
                                        submitted_by=owner, idempotency_key=key, fingerprint=fingerprint)
            await audit.record_act(session, f"application/{row.id}", "application.submitted", actor)
            reply = await self._reply(session, row, officer=False)
        return pb.SubmitApplicationResponse(application=reply, query_code=code)

    @requires("application:handle")
    async def RegisterApplication(self, request, context):
        """An application handed in, posted or faxed, registered by the office (art. 31)."""
        actor = current_actor()
        applicant, wanted = applicant_from_proto(request.applicant), request_from_proto(request.content)
        channel = CHANNEL_FROM.get(request.channel)
        today = self.today()
        submitted_on = _on_or_today(request.submitted_on, "submitted_on")
        signed = date_from_proto(request.signed_for_on, "signed_for_on", required=False)
        confirmed = date_from_proto(request.confirmed_on, "confirmed_on", required=False)
        if channel is domain.Channel.ONLINE:
            raise InvalidInput({"channel": "online applications are filed on the portal (SubmitApplication)"})
        domain.check_application(applicant, wanted)
        domain.check_receipt(channel, submitted_on=submitted_on, signed_for_on=signed, confirmed_on=confirmed,
                             today=today)
        received = domain.receipt_date(channel, submitted_on=submitted_on, signed_for_on=signed,
                                       confirmed_on=confirmed)
        async with transaction(self.sessions) as session:
            row, code = await self._new(session, applicant, wanted, channel=channel,
                                        submitted_on=submitted_on, signed_for_on=signed, received_on=received,
                                        submitted_by="")
            await audit.record_act(session, f"application/{row.id}", "application.registered", actor,
                                   channel.value)
            if received:
                await publish(session, "received", row, actor,
                              pb.ApplicationReceived(application=summary(row)))
            reply = await self._reply(session, row, officer=True)
        return pb.SubmitApplicationResponse(application=reply, query_code=code)

    @requires("application:handle")
    async def ConfirmReceipt(self, request, context):
        actor = current_actor()
        confirmed = _on_or_today(request.confirmed_on, "confirmed_on")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            domain.check_confirmation(domain.Channel(row.channel), domain.State(row.state),
                                      submitted_on=row.submitted_on, confirmed_on=confirmed,
                                      today=self.today())
            row.state = domain.State.RECEIVED.value
            row.received_on = row.clock_started_on = confirmed
            await self._act(session, row, "application.received", actor, f"confirmed {confirmed} (art. 31)")
            await publish(session, "received", row, actor, pb.ApplicationReceived(application=summary(row)))
            return await self._reply(session, row, officer=True)

    # ---- reading ----------------------------------------------------------------------------------

    @requires("application:submit")
    async def GetApplication(self, request, context):
        """The owner (the account that filed it) or an officer; anyone else is refused and recorded."""
        actor = current_actor()
        await self._sweep()
        async with transaction(self.sessions) as session:
            row, officer = await self._own(session, actor, request.application_id, "")
            await audit.record_act(session, f"application/{row.id}", "application.read", actor)
            return await self._reply(session, row, officer=officer)

    @requires("application:submit")
    async def FollowApplication(self, request, context):
        actor = current_actor()
        if not request.query_code.strip():
            raise InvalidInput({"query_code": "the code given when applying"})
        await self._sweep()
        async with transaction(self.sessions) as session:
            row, _ = await self._own(session, actor, "", request.query_code)
            await audit.record_act(session, f"application/{row.id}", "application.read", actor, "query code")
            return await self._reply(session, row, officer=False)

    async def _list(self, f: store.ListFilter, page: common_pb2.PageRequest, *, officer: bool):
        limit = page_limit(page)
        position = decode_page_token(page.page_token)
        if position is not None and (len(position) != 2 or not all(isinstance(p, str) for p in position)):
            raise InvalidInput({"page.page_token": "not a token of this list"})
        await self._sweep()
        try:
            async with transaction(self.sessions) as session:
                rows = await store.list_page(session, f, limit + 1, tuple(position) if position else None)
                more = len(rows) > limit
                rows = rows[:limit]
                items = [application_to_proto(r, self.calendar, officer=officer, today=self.today())
                         for r in rows]
        except ValueError:
            raise InvalidInput({"page.page_token": "not a token of this list"}) from None
        token = encode_page_token(rows[-1].created_at.isoformat(), str(rows[-1].id)) if more else ""
        return pb.ListApplicationsResponse(applications=items,
                                           page=common_pb2.PageResponse(next_page_token=token))

    @requires("application:handle")
    async def ListApplications(self, request, context):
        if len(request.number) > 32:
            raise InvalidInput({"number": "at most 32 characters"})
        f = store.ListFilter(state=STATE_FROM[request.state].value if request.state in STATE_FROM else "",
                             overdue_on=self.today() if request.overdue_only else None,
                             number=request.number.strip().upper())
        return await self._list(f, request.page, officer=True)

    @requires("application:submit")
    async def ListMyApplications(self, request, context):
        actor = current_actor()
        if actor.is_service:
            raise InvalidInput({"authorization": "an applicant's own token: the portal's identity has no "
                                                 "applications of its own (follow by query code)"})
        return await self._list(store.ListFilter(submitted_by_user_id=actor.user_id), request.page,
                                officer=False)

    # ---- art. 30: completion ------------------------------------------------------------------------

    @requires("application:handle")
    async def RequestCompletion(self, request, context):
        actor = current_actor()
        requested = _on_or_today(request.requested_on, "requested_on")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            domain.check_completion_request(
                state=domain.State(row.state), already_requested=row.completion is not None,
                received_on=row.received_on or requested, requested_on=requested, items=request.items,
                period_working_days=request.period_working_days, today=self.today(), cal=self.calendar)
            period = request.period_working_days or domain.DEFAULT_COMPLETION_PERIOD
            due = domain.completion_due(requested, period, self.calendar)
            row.completion = {"items": request.items.strip(), "requested_on": requested.isoformat(),
                              "period_working_days": period, "due_on": due.due.isoformat()}
            row.completion_due = due.due
            row.state = domain.State.AWAITING_COMPLETION.value
            await self._act(session, row, "application.completion-requested", actor, request.items.strip())
            await publish(session, "completion-requested", row, actor, pb.ApplicationCompletionRequested(
                application=summary(row), completion_due=date_to_proto(due.due)))
            return await self._reply(session, row, officer=True)

    @requires("application:submit")
    async def CompleteApplication(self, request, context):
        """Art. 30: the completion arrives; the reply limit restarts from that day."""
        actor = current_actor()
        officer = actor.may("application:handle")
        today = self.today()
        completed = today
        if request.completed_on.year:
            if not officer:
                raise InvalidInput({"completed_on": "set by the office; an applicant completes today"})
            completed = date_from_proto(request.completed_on, "completed_on")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row, _ = await self._own(session, actor, request.application_id, request.query_code,
                                     for_update=True)
            if domain.State(row.state) is domain.State.LAPSED:
                raise RuleViolation("OGI30.lapsed", f"the period to complete ended on {row.completion_due}: "
                                                    "the application is deemed withdrawn")
            domain.check_completion(state=domain.State(row.state),
                                    requested_on=date.fromisoformat(row.completion["requested_on"])
                                    if row.completion else completed,
                                    completed_on=completed, due=row.completion_due or completed,
                                    content=request.content, today=today)
            row.completion = {**row.completion, "completed_on": completed.isoformat(),
                              "content": request.content.strip()}
            row.state = domain.State.RECEIVED.value
            row.clock_started_on = completed
            await self._act(session, row, "application.completed", actor, "limit restarts (art. 30)")
            await publish(session, "completed", row, actor if officer else None,
                          pb.ApplicationCompleted(application=summary(row)))
            return await self._reply(session, row, officer=officer)

    @requires("application:submit")
    async def WithdrawApplication(self, request, context):
        """The applicant withdraws (撤回) an open application: by account or code, or an officer records
        a withdrawal received in writing. The limit stops; the report counts it under 其他."""
        actor = current_actor()
        officer = actor.may("application:handle")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row, _ = await self._own(session, actor, request.application_id, request.query_code,
                                     for_update=True)
            domain.check_withdrawal(state=domain.State(row.state), reason=request.reason)
            row.state = domain.State.WITHDRAWN.value
            row.withdrawn_on = self.today()
            await self._act(session, row, "application.withdrawn", actor, request.reason.strip())
            await publish(session, "withdrawn", row, actor if officer else None, pb.ApplicationWithdrawn(
                application=summary(row), withdrawn_on=date_to_proto(row.withdrawn_on)))
            return await self._reply(session, row, officer=officer)

    # ---- art. 32, 34: consultation ------------------------------------------------------------------

    @requires("application:handle")
    async def StartConsultation(self, request, context):
        actor = current_actor()
        sent = _on_or_today(request.sent_on, "sent_on")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            party = PARTY_FROM.get(request.party)
            domain.check_consultation(state=domain.State(row.state), party=party,
                                      party_name=request.party_name, sent_on=sent,
                                      started_on=row.clock_started_on, today=self.today())
            row.consultations = [*row.consultations, {
                "id": str(uuid.uuid4()), "party": party.value, "party_name": request.party_name.strip(),
                "sent_on": sent.isoformat(), "answered_on": None, "consents": None, "opinion": ""}]
            row.state = domain.State.CONSULTING.value
            await self._act(session, row, "application.consultation-started", actor, party.value)
            return await self._reply(session, row, officer=True)

    @requires("application:handle")
    async def RecordOpinion(self, request, context):
        actor = current_actor()
        answered = _on_or_today(request.answered_on, "answered_on")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            found = [c for c in row.consultations if c["id"] == request.consultation_id.strip()]
            if not found or found[0]["answered_on"]:
                raise InvalidInput({"consultation_id": "no open consultation with this id"})
            domain.check_opinion(state=domain.State(row.state),
                                 sent_on=date.fromisoformat(found[0]["sent_on"]),
                                 answered_on=answered, opinion=request.opinion, today=self.today())
            consents = {pb.CONSULTATION_ANSWER_CONSENTS: True, pb.CONSULTATION_ANSWER_OBJECTS: False}.get(
                request.answer)
            if consents is None:
                raise InvalidInput({"answer": "consents or objects"})
            row.consultations = [
                {**c, "answered_on": answered.isoformat(), "consents": consents,
                 "opinion": request.opinion.strip()}
                if c["id"] == found[0]["id"] else c for c in row.consultations]
            if all(c["answered_on"] for c in row.consultations):
                row.state = domain.State.RECEIVED.value  # the clock runs again
            await self._act(session, row, "application.opinion-recorded", actor,
                            "consents" if consents else "objects")
            return await self._reply(session, row, officer=True)

    # ---- art. 33, 35: more time -----------------------------------------------------------------------

    @requires("application:extend")
    async def ExtendReplyLimit(self, request, context):
        """Approved by the head of the disclosure office (the permission), the applicant told."""
        actor = current_actor()
        approved = _on_or_today(request.approved_on, "approved_on")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            current = domain.reply_due(clock_of(row), self.calendar) if row.clock_started_on else None
            domain.check_extension(
                state=domain.State(row.state), already_extended=row.extension is not None,
                working_days=request.working_days, reason=request.reason, notice=request.notice,
                approved_on=approved, started_on=row.clock_started_on or approved,
                current_due=current.due if current else approved, today=self.today())
            row.extension = {"working_days": request.working_days, "reason": request.reason.strip(),
                             "notice": request.notice.strip(), "approved_by_user_id": actor.user_id,
                             "approved_on": approved.isoformat()}
            await self._act(session, row, "application.extended", actor, request.reason.strip())
            await publish(session, "extended", row, actor, pb.ApplicationExtended(
                application=summary(row), working_days=request.working_days))
            return await self._reply(session, row, officer=True)

    @requires("application:handle")
    async def RequestReasons(self, request, context):
        actor = current_actor()
        on = _on_or_today(request.requested_on, "requested_on")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            domain.check_reasons_request(state=domain.State(row.state),
                                         already_asked=bool((row.deferral or {}).get("reasons_requested_on")),
                                         note=request.note)
            row.deferral = {**(row.deferral or {}), "reasons_requested_on": on.isoformat(),
                            "reasons_note": request.note.strip()}
            await self._act(session, row, "application.reasons-requested", actor, request.note.strip())
            return await self._reply(session, row, officer=True)

    @requires("application:handle")
    async def DeferReply(self, request, context):
        actor = current_actor()
        deferred_to = date_from_proto(request.deferred_to, "deferred_to")
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            current = domain.reply_due(clock_of(row), self.calendar)
            domain.check_deferral(state=domain.State(row.state),
                                  reasons_asked=bool((row.deferral or {}).get("reasons_requested_on")),
                                  deferred_to=deferred_to, current_due=current.due, notice=request.notice,
                                  today=self.today())
            row.deferral = {**row.deferral, "deferred_to": deferred_to.isoformat(),
                            "notice": request.notice.strip()}
            await self._act(session, row, "application.deferred", actor, request.notice.strip())
            return await self._reply(session, row, officer=True)

    # ---- art. 36–39: the reply ------------------------------------------------------------------------

    @requires("application:handle")
    async def ReplyToApplication(self, request, context):
        actor = current_actor()
        replied = _on_or_today(request.replied_on, "replied_on")
        reply = reply_from_proto(request.reply)
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            consented, objected = domain.consent_of(consultations_of(row))
            domain.check_reply(reply, state=domain.State(row.state), started_on=row.clock_started_on,
                               replied_on=replied, today=self.today(),
                               reasons_asked=bool((row.deferral or {}).get("reasons_requested_on")),
                               third_party_consented=consented, third_party_objected=objected,
                               request_kind=domain.RequestKind(row.request_kind))
            if reply.kind is domain.ReplyKind.REPEATED:
                await self._check_earlier(session, row, reply.earlier_application)
            row.reply_kind = reply.kind.value
            row.reply = reply_to_json(reply, f"{LETTER_PREFIX}〔{replied.year}〕{row.serial}号")
            row.replied_on = replied
            row.state = domain.State.REPLIED.value
            await self._act(session, row, "application.replied", actor, reply.kind.value)
            await publish(session, "replied", row, actor, pb.ApplicationReplied(
                application=summary(row), kind=REPLY_TO_PROTO[reply.kind],
                exemption=EXEMPTION_TO_PROTO[reply.exemption] if reply.exemption else 0,
                replied_on=date_to_proto(replied)))
            return await self._reply(session, row, officer=True)

    async def _check_earlier(self, session: AsyncSession, row: InfoApplication, number: str) -> None:
        """Art. 36(6): a repeat of an application this agency answered (when it is one of ours)."""
        if not number.startswith("YSQ"):
            return  # answered before this service kept applications: the officer's word
        earlier = await session.scalar(select(InfoApplication).where(InfoApplication.number == number))
        if earlier is None or earlier.id == row.id:
            raise InvalidInput({"reply.earlier_application": "no other application with this number"})
        if earlier.state != domain.State.REPLIED.value:
            raise RuleViolation("OGI36.repeated-after-reply",
                                f"{number} has not been answered: this is not a repeat of an answered one")

    @requires("application:submit")
    async def RenderReply(self, request, context):
        actor = current_actor()
        await self._sweep()
        async with transaction(self.sessions) as session:
            row, _ = await self._own(session, actor, request.application_id, request.query_code)
            if not row.reply_kind:
                raise NotFound(f"a reply to application {row.number}", resource_type="reply")
            await audit.record_act(session, f"application/{row.id}", "application.reply.downloaded", actor)
        # A render takes about a second of CPU (the fonts are parsed per document): off the event loop
        pdf = await asyncio.to_thread(reply_pdf, row)
        return pb.RenderReplyResponse(pdf=pdf, file_name=f"{row.number}-答复书.pdf")

    @requires("application:submit")
    async def RenderNotice(self, request, context):
        """The applicant's written notices (receipt, art. 30 completion, art. 33 extension, art. 35
        deferral), as PDF, for the owner (account or code) or an officer."""
        actor = current_actor()
        await self._sweep()
        async with transaction(self.sessions) as session:
            row, _ = await self._own(session, actor, request.application_id, request.query_code)
            pdf, file_name = await asyncio.to_thread(notice_pdf, row, request.kind, self.calendar)
            await audit.record_act(session, f"application/{row.id}", "application.notice.downloaded", actor,
                                   pb.NoticeKind.Name(request.kind))
        return pb.RenderReplyResponse(pdf=pdf, file_name=file_name)

    # ---- art. 50(3), 51: reviews and lawsuits ----------------------------------------------------------

    @requires("application:handle")
    async def RecordRemedy(self, request, context):
        actor = current_actor()
        outcome = OUTCOME_FROM.get(request.outcome, domain.RemedyOutcome.PENDING)
        decided = date_from_proto(request.decided_on, "decided_on", required=False)
        if len(request.note) > domain.MAX_TEXT:
            raise InvalidInput({"note": f"at most {domain.MAX_TEXT} characters"})
        if (outcome is domain.RemedyOutcome.PENDING) != (decided is None):
            raise InvalidInput({"decided_on": "set exactly when the outcome is decided (not pending)"})
        await self._sweep()
        async with transaction(self.sessions) as session:
            row = await self._handled(session, request.application_id)
            if request.remedy_id.strip():
                remedy = await store.get_remedy(session, row.id, request.remedy_id)
                if decided and decided < remedy.filed_on:
                    raise InvalidInput({"decided_on": "not before the day filed"})
                remedy.outcome, remedy.decided_on = outcome.value, decided
                remedy.note = request.note.strip() or remedy.note
            else:
                kind = REMEDY_FROM.get(request.kind)
                filed = date_from_proto(request.filed_on, "filed_on")
                bad = []
                if kind is None:
                    bad.append(("kind", "review, lawsuit, or lawsuit after review"))
                if not row.replied_on and not row.lapsed_on and not row.received_on:
                    bad.append(("application_id", "nothing was decided on this application yet"))
                if filed > self.today():
                    bad.append(("filed_on", "not in the future"))
                if decided and decided < filed:
                    bad.append(("decided_on", "not before the day filed"))
                if bad:
                    raise InvalidInput(bad)
                remedy: ApplicationRemedy = await store.add_remedy(
                    session, application_id=row.id, kind=kind.value, filed_on=filed, outcome=outcome.value,
                    decided_on=decided, note=request.note.strip())
            await session.flush()
            await audit.record_act(session, f"application/{row.id}", "application.remedy-recorded", actor,
                                   f"{remedy.kind}: {remedy.outcome}")
            return await self._reply(session, row, officer=True)

    # ---- art. 49–50: the yearly report --------------------------------------------------------------

    @requires("application:report")
    async def GenerateAnnualReport(self, request, context):
        actor = current_actor()
        today = self.today()
        report_domain.check_report_year(request.year, today)
        longest = domain.MAX_TEXT * 4
        bad = [(name, f"at most {longest} characters")
               for name in ("overview", "problems", "other_matters") if len(getattr(request, name)) > longest]
        e = request.entered
        if any(getattr(e, f.name) < 0 for f in e.DESCRIPTOR.fields if f.type == f.TYPE_INT32):
            bad.append(("entered", "counts are not negative"))
        if bad:
            raise InvalidInput(bad)
        async with transaction(self.sessions) as session:
            # rules and normative documents from the catalogue; decisions and fees from other systems
            counted = await store_publications.rules_and_normative_of_year(session, request.year)
            proactive = report_domain.ProactiveFigures(
                **counted, licensing_decisions=e.licensing_decisions, penalty_decisions=e.penalty_decisions,
                enforcement_decisions=e.enforcement_decisions,
                fees_collected_wan_yuan=e.fees_collected_wan_yuan.strip() or "0")
            report = report_domain.build_report(
                request.year, proactive, await store.application_facts(session, request.year),
                await store.remedy_facts(session, request.year), overview=request.overview.strip(),
                problems=request.problems.strip(), other_matters=request.other_matters.strip())
            record = await store.put_report(session, request.year, report.to_json(), today, actor.user_id)
            out = report_to_proto(record)
            await audit.record_act(session, f"annual-report/{request.year}", "report.published", actor,
                                   f"version {record.version}")
            await add_event(session, "disclosure.report.published", pb.AnnualReportPublished(report=out),
                            f"annual-report/{request.year}", actor)
        return out

    @requires("publication:read")
    async def GetAnnualReport(self, request, context):
        async with transaction(self.sessions) as session:
            record = await store.get_report(session, request.year)
            if record is None:
                raise NotFound(f"the annual report of {request.year}", resource_type="annual report")
            return report_to_proto(record)

    @requires("publication:read")
    async def ListAnnualReports(self, request, context):
        async with transaction(self.sessions) as session:
            records = await store.list_reports(session)
            reports = []
            for record in records:
                full = report_to_proto(record)
                del full.rows[:]
                del full.remedies[:]
                reports.append(full)
        return pb.ListAnnualReportsResponse(reports=reports)


async def run_lapse_sweep(sessions: async_sessionmaker[AsyncSession], today=None,
                          interval: float = 300.0, batch: int = 500,
                          cal: WorkingCalendar | None = None) -> None:
    """Art. 30 in the background: every `interval` seconds, lapse the applications whose period to
    complete has ended (each once: rows are locked and skipped by a concurrent sweep or read); and
    recompute provisional limits (reply limits, and the article 26 limits of queued publications)
    whose year's schedule became known."""
    today = today or (lambda: today_in_china())

    async def one_round() -> int:
        lapsed = await lapse_due(sessions, today(), batch)
        if lapsed:
            log.info("applications lapsed (art. 30)", count=lapsed)
        moved = await recompute_provisional(sessions, cal or calendar(), batch)
        if moved:
            log.info("provisional reply limits recomputed", count=moved)
        async with transaction(sessions) as session:
            moved = await recompute_provisional_limits(session, cal or calendar(), batch)
        if moved:
            log.info("provisional article 26 limits recomputed", count=moved)
        return lapsed  # only a full batch of lapses goes on at once

    # run_every keeps the sweep alive through a database outage
    await run_every(interval, one_round, name="lapse sweep", batch=batch,
                    leader=SweepLeader.of(sessions, "disclosure.lapse"))
