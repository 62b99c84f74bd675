"""Acts on countersigns (会签, A49): the lead body asks other bodies, each answers (agrees or objects
with reasons), objections still standing go to the leaders with a coordination record; and what the
countersign clock does when a day passes: remind on the last day, record an unanswered countersign
as no objection after it (逾期不回复的视为无不同意见), put the official day on a provisional due day."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2

from services.documents import domain, models, store
from services.documents.acts import Env
from services.documents.acts.common import check_lead_body, document_reply, ref_of
from services.documents.protos import (
    Coordination,
    CountersignAnswer,
    CountersignRequest,
    countersign_to_proto,
    countersign_view,
)
from shared import paper_records
from shared.audit import actor_record, record_act
from shared.identity import Actor
from shared.outbox import add_event
from shared.workdays import WorkingCalendar

DEEMED_REASONS = "逾期不回复，视为无不同意见 (A49)"


async def request_countersign(
    session: AsyncSession, actor: Actor, request: CountersignRequest, env: Env
) -> pb.Document:
    """A49: the lead body asks known bodies other than itself, once each, to answer within a number
    of working days (7 unless given)."""
    codes = list(request.organisation_codes)
    directory = await env.org.directory()
    today = env.today()
    row = await store.get_document(session, request.document_id, for_update=True)
    sent_on, paper_note = _day_sent(actor, row, request, today)
    domain.COUNTERSIGN.check(domain.State(row.state))
    existing = await store.countersigns_of(session, row.id)
    domain.check_countersign_request(
        row.organisation_code, codes, directory.organisations, [c.organisation_code for c in existing]
    )
    days, deadline = domain.countersign_deadline(env.calendar, sent_on, request.working_days)
    added = [
        await store.add_countersign(
            session,
            document_id=row.id,
            organisation_code=code,
            requested_on=sent_on,
            working_days=days,
            due=deadline.due,
            provisional=deadline.provisional,
        )
        for code in codes
    ]
    await record_act(
        session,
        ref_of(row),
        "countersign.requested",
        actor,
        f"{', '.join(codes)}: answer within {days} working days, by {deadline.due}{paper_note}",
    )
    for countersign in added:
        await add_event(
            session,
            "documents.countersign.requested",
            events_pb2.CountersignRequested(
                document_id=str(row.id),
                lead_organisation_code=row.organisation_code,
                countersign=countersign_to_proto(countersign),
            ),
            ref_of(row),
            actor,
        )
    return await document_reply(session, row, today)


async def answer_countersign(
    session: AsyncSession, actor: Actor, answer: CountersignAnswer, env: Env
) -> pb.Document:
    """A49: the body asked agrees, or objects with its reasons."""
    row = await store.get_document(session, answer.document_id, for_update=True)
    countersign = await store.countersign_of(session, row.id, actor.organisation_code)
    domain.check_countersign_answer(
        domain.CountersignState(countersign.state), answer.objection, answer.reasons
    )
    state = domain.CountersignState.OBJECTED if answer.objection else domain.CountersignState.AGREED
    countersign.state = state.value
    countersign.reasons = answer.reasons.strip()
    countersign.answered_by = actor_record(actor)
    countersign.answered_on = env.today()
    await session.flush()
    await record_act(
        session,
        ref_of(row),
        f"countersign.{state.value}",
        actor,
        f"{countersign.organisation_code}: {countersign.reasons}".rstrip(": "),
    )
    await add_event(
        session,
        "documents.countersign.answered",
        events_pb2.CountersignAnswered(
            document_id=str(row.id), countersign=countersign_to_proto(countersign)
        ),
        ref_of(row),
        actor,
    )
    return await document_reply(session, row, env.today())


async def record_coordination(
    session: AsyncSession, actor: Actor, record: Coordination, env: Env
) -> pb.Document:
    """A49: objections still standing go to the leaders with the coordination record."""
    row = await store.get_document(session, record.document_id, for_update=True)
    check_lead_body(actor, row)
    domain.COUNTERSIGN.check(domain.State(row.state))
    countersigns = await store.countersigns_of(session, row.id)
    domain.check_coordination([countersign_view(c) for c in countersigns], record.process, record.proposal)
    row.coordination = {
        "process": record.process.strip(),
        "proposal": record.proposal.strip(),
        "recorded_by": actor_record(actor),
        "recorded_on": env.today().isoformat(),
    }
    await session.flush()
    await record_act(session, ref_of(row), "document.coordinated", actor, record.proposal.strip())
    return await document_reply(session, row, env.today())


async def remind_countersign_due(
    session: AsyncSession, actor: Actor, countersign: models.Countersign, today: date
) -> None:
    """A49: on its last day, an unanswered countersign is announced once (documents.countersign.due)."""
    countersign.due_reminded_on = today
    await session.flush()
    await add_event(
        session,
        "documents.countersign.due",
        events_pb2.CountersignDue(
            document_id=str(countersign.document_id), countersign=countersign_to_proto(countersign)
        ),
        f"document/{countersign.document_id}",
        actor,
    )


async def deem_countersign_agreed(
    session: AsyncSession, actor: Actor, countersign: models.Countersign, today: date
) -> bool:
    """A49: a countersign still unanswered after its last working day is recorded as no objection,
    once; False (and nothing written) while it is not yet overdue."""
    if not domain.is_countersign_overdue(countersign.due, today):
        return False
    countersign.state = domain.CountersignState.DEEMED_AGREED.value
    countersign.reasons = DEEMED_REASONS
    countersign.answered_by = actor_record(actor)
    countersign.answered_on = today
    await session.flush()
    ref = f"document/{countersign.document_id}"
    await record_act(
        session,
        ref,
        "countersign.deemed-agreed",
        actor,
        f"{countersign.organisation_code}: no answer by {countersign.due.isoformat()}",
    )
    await add_event(
        session,
        "documents.countersign.deemed-agreed",
        events_pb2.CountersignDeemedAgreed(
            document_id=str(countersign.document_id), countersign=countersign_to_proto(countersign)
        ),
        ref,
        actor,
    )
    return True


async def recompute_countersign_due(
    session: AsyncSession, actor: Actor, countersign: models.Countersign, cal: WorkingCalendar
) -> bool:
    """docs/design.md "Time": a due day computed into a year whose official schedule was not known
    takes the official day once it is loaded; a changed day is recorded, so the history says why the
    countersign is due on another day. True if it moved."""
    deadline = cal.add_working_days(countersign.requested_on, countersign.working_days)
    old, countersign.due, countersign.provisional = countersign.due, deadline.due, deadline.provisional
    if old == deadline.due:
        return False
    await record_act(
        session,
        f"document/{countersign.document_id}",
        "countersign.due-recomputed",
        actor,
        f"{countersign.organisation_code}: {old} → {deadline.due} (official schedule of {old.year} loaded)",
    )
    return True


def _day_sent(actor: Actor, row, request: CountersignRequest, today: date) -> tuple[date, str]:
    """(day the request was sent, note for the act): today by the lead body itself, or the day the lead
    body sent it on paper, entered by the general office (补录), from which the limit runs."""
    if request.sent_on_paper is None:
        check_lead_body(actor, row)
        return today, ""
    paper_records.check_may_enter_paper(actor, "document:enter-paper", "RequestCountersign")
    day = paper_records.day_it_happened(request.sent_on_paper, today=today, field="sent_on_paper")
    return day, f"; sent on paper by {row.organisation_code}, {paper_records.entered_note(day, today)}"
