"""Openness complaints (政府信息公开投诉举报): working rules A38 and OGI regulations art. 47, 51, as
`zgov.disclosure.v1.ComplaintService` (complaints.proto).

Permissions (client roles of `disclosure`):
  complaint:file    file a complaint and follow it by its query code (the portal's service account)
  complaint:answer  the office's queue and the answer (disclosure officers)
  publication:read  the yearly figures (GetComplaintFigures), for the report and the public

Every step is a recorded act on `complaint/<id>` and an event of the outbox (disclosure.complaint.received,
disclosure.complaint.answered: the number, matter, office and finding, never the complainant nor the
description); the complainant's name and contacts are shown to the office and back to the complainant
only, and never recorded in an act's reason."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import store_complaints as store
from services.disclosure.domain import complaints as domain
from services.disclosure.domain.complaints import Finding, Matter, State
from services.disclosure.models import OpennessComplaint
from shared.audit import record_act
from shared.convert import date_to_proto, today_in_china
from shared.db import transaction
from shared.errors import InvalidInput, NotFound
from shared.outbox import add_event
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar
from zgov.disclosure.v1 import complaints_pb2 as pb
from zgov.disclosure.v1 import complaints_pb2_grpc

MATTER_FROM_PROTO = {pb.ComplaintMatter.Value(f"COMPLAINT_MATTER_{m.name}"): m for m in Matter}
MATTER_TO_PROTO = {m: v for v, m in MATTER_FROM_PROTO.items()}
FINDING_FROM_PROTO = {pb.ComplaintFinding.Value(f"COMPLAINT_FINDING_{f.name}"): f for f in Finding}
FINDING_TO_PROTO = {f: v for v, f in FINDING_FROM_PROTO.items()}
STATE_TO_PROTO = {s: pb.ComplaintState.Value(f"COMPLAINT_STATE_{s.name}") for s in State}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_query_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def query_code_hash(code: str) -> str:
    """The code as typed (any case, with or without dashes and spaces) → the stored hash."""
    return hashlib.sha256("".join(code.split()).replace("-", "").upper().encode()).hexdigest()


def to_proto(row: OpennessComplaint, today: date, *, with_complainant: bool) -> pb.Complaint:
    out = pb.Complaint(
        id=str(row.id),
        number=row.number,
        matter=MATTER_TO_PROTO[Matter(row.matter)],
        office_name=row.office_name,
        description=row.description,
        filed_on=date_to_proto(row.filed_on),
        answer_due=date_to_proto(row.answer_due),
        late=domain.is_late(row.answer_due, today, row.answered_on),
        state=STATE_TO_PROTO[State(row.state)],
        answer=row.answer,
    )
    if row.finding:
        out.finding = FINDING_TO_PROTO[Finding(row.finding)]
    if row.answered_on:
        out.answered_on.CopyFrom(date_to_proto(row.answered_on))
    if with_complainant:
        out.complainant.CopyFrom(pb.Complainant(**row.complainant))
    return out


def received(row: OpennessComplaint) -> pb.ComplaintReceived:
    """The event of a complaint filed: no complainant, no description (what the public may count)."""
    return pb.ComplaintReceived(
        complaint_id=str(row.id),
        number=row.number,
        matter=MATTER_TO_PROTO[Matter(row.matter)],
        office_name=row.office_name,
        filed_on=date_to_proto(row.filed_on),
        answer_due=date_to_proto(row.answer_due),
    )


class ComplaintServicer(complaints_pb2_grpc.ComplaintServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar, *, today=None):
        self.sessions = sessions
        self.calendar = calendar
        self.today = today or (lambda: today_in_china())

    @requires("complaint:file")
    async def FileComplaint(self, request, context):
        """A38, OGI art. 51: filed today, numbered, with its answer limit; the query code shown once."""
        matter = MATTER_FROM_PROTO.get(request.matter)
        who = request.complainant
        domain.check_complaint(
            matter, request.office_name, request.description, who.name, who.phone, who.email
        )
        today = self.today()
        due = domain.answer_limit(self.calendar, today)
        code = new_query_code()
        async with transaction(self.sessions) as session:
            serial = await store.next_serial(session)
            row = await store.add(
                session,
                serial=serial,
                number=f"资公投〔{today.year}〕{serial}号",
                matter=matter.value,
                office_name=request.office_name.strip(),
                description=request.description.strip(),
                complainant={
                    "name": who.name.strip(),
                    "phone": who.phone.strip(),
                    "email": who.email.strip(),
                },
                filed_on=today,
                answer_due=due.due,
                answer_due_provisional=due.provisional,
                state=State.OPEN.value,
                finding="",
                answer="",
                query_code_hash=query_code_hash(code),
            )
            await record_act(
                session,
                f"complaint/{row.id}",
                "complaint.filed",
                current_actor(),
                f"{row.number}: {row.office_name}",
            )
            await add_event(session, "disclosure.complaint.received", received(row), f"complaint/{row.id}")
            reply = to_proto(row, today, with_complainant=True)
        return pb.FileComplaintResponse(complaint=reply, query_code=code)

    @requires("complaint:file")
    async def FollowComplaint(self, request, context):
        if not request.query_code.strip():
            raise InvalidInput({"query_code": "the code given when the complaint was filed"})
        async with transaction(self.sessions) as session:
            row = await store.by_code_hash(session, query_code_hash(request.query_code))
            if row is None:
                raise NotFound("complaint", resource_type="complaint")
            return to_proto(row, self.today(), with_complainant=True)

    @requires("complaint:answer")
    async def ListComplaints(self, request, context):
        today = self.today()
        async with transaction(self.sessions) as session:
            rows = await store.listed(session, request.open_only)
        return pb.ListComplaintsResponse(complaints=[to_proto(r, today, with_complainant=True) for r in rows])

    @requires("complaint:answer")
    async def AnswerComplaint(self, request, context):
        """The office's answer, once (A38.answered-once), with a finding; a recorded act."""
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.complaint_id, for_update=True)
            finding = FINDING_FROM_PROTO.get(request.finding)
            domain.check_answer(State(row.state), finding, request.answer)
            row.state, row.finding = State.ANSWERED.value, finding.value
            row.answer, row.answered_on = request.answer.strip(), today
            await session.flush()
            late = "; after the limit" if domain.is_late(row.answer_due, today, today) else ""
            await record_act(
                session,
                f"complaint/{row.id}",
                "complaint.answered",
                current_actor(),
                f"{finding.value}{late}",
            )
            answered = to_proto(row, today, with_complainant=False)
            await add_event(
                session,
                "disclosure.complaint.answered",
                pb.ComplaintAnswered(
                    complaint_id=answered.id,
                    number=answered.number,
                    finding=answered.finding,
                    answered_on=answered.answered_on,
                    late=answered.late,
                ),
                f"complaint/{row.id}",
                current_actor(),
            )
            return to_proto(row, today, with_complainant=True)

    @requires("publication:read")
    async def GetComplaintFigures(self, request, context):
        """The yearly report's figures (OGI art. 50): received, answered, substantiated, open at the end."""
        if not 2000 <= request.year <= 2100:
            raise InvalidInput({"year": "a year between 2000 and 2100"})
        async with transaction(self.sessions) as session:
            counts = await store.figures(session, date(request.year, 1, 1), date(request.year, 12, 31))
        return pb.ComplaintFigures(year=request.year, **counts)
