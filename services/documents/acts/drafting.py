"""Acts on a document being drafted and filed (起草、报送): draft it (A47, A53, A21–A23 for outgoing
ones, A52 no reprints), file it with the city government (A47, A48, A49, A52 one briefing, A53
handling limit), put the official day on a handling limit computed provisionally, and announce a
document past its handling limit (A53, documents.document.overdue); draft the supervision office's
monthly circular from supervision's request (A61, `draft_from_source`, once per circular)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2

from services.documents import domain, models, store
from services.documents.acts import Env
from services.documents.acts.common import (
    add_document,
    check_addressed_leader,
    check_lead_body,
    document_reply,
    ref_of,
    sender_of,
)
from services.documents.protos import (
    NO_SENDER,
    Filing,
    NewDocument,
    content_from_proto,
    content_of,
    countersign_view,
    document_to_proto,
)
from shared.audit import record_act
from shared.convert import date_to_proto
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.outbox import add_event
from shared.workdays import WorkingCalendar


async def draft_document(session: AsyncSession, actor: Actor, new: NewDocument, env: Env) -> pb.Document:
    """A draft of the lead body: its content checked for shape (A47), classification (A53), the
    leader it is addressed to and its lead organisation; an outgoing draft also no reprint (A52)
    and a validity period (A23)."""
    content = new.content
    domain.check_content(content, new.direction)
    domain.check_not_classified(content.classification)
    directory = await env.org.directory()
    check_addressed_leader(content, directory)
    if content.lead_organisation_code and content.lead_organisation_code not in directory.organisations:
        raise InvalidInput(
            {"content.lead_organisation_code": f"unknown organisation {content.lead_organisation_code}"}
        )
    if new.direction is domain.Direction.INCOMING:
        sender = sender_of(actor, new.sender, directory)
    else:
        domain.check_not_a_reprint(content)
        domain.check_validity(content, env.today())
        sender = sender_of(actor, NO_SENDER, directory)
    today = env.today()
    row = await add_document(
        session, actor, new.direction, content, new.content_json, sender, domain.State.DRAFT, today
    )
    drafted = await record_act(session, ref_of(row), "document.drafted", actor, row.title)
    return document_to_proto(row, today=today, history=[drafted])  # new: no countersign nor sign-off yet


async def draft_from_source(
    session: AsyncSession, actor: Actor, new: NewDocument, source_ref: str, env: Env
) -> pb.Document | None:
    """A draft asked for by another service's event (A61: supervision's monthly circular), drafted as
    the office would draft it, once per source: a replayed event finds the draft and changes nothing
    (None). The draft then goes the usual way: countersign, sign-off (A51), check and issue."""
    if await store.document_of_source(session, source_ref) is not None:
        return None
    reply = await draft_document(session, actor, new, env)
    row = await store.get_document(session, reply.id, for_update=True)
    row.source_ref = source_ref
    await session.flush()
    await record_act(session, ref_of(row), "document.drafted-from", actor, source_ref)
    return reply


async def _filed_draft(session: AsyncSession, actor: Actor, draft_id: str):
    """A draft filed as it stands: incoming, of the filer's body, its countersigns settled (A49)."""
    row = await store.get_document(session, draft_id, for_update=True)
    if row.direction != domain.Direction.INCOMING.value:
        raise InvalidInput({"draft_id": "an outgoing document is signed off and issued, not filed"})
    check_lead_body(actor, row)
    domain.FILE.check(domain.State(row.state))
    content = content_from_proto(content_of(row))
    sender = domain.Sender(
        row.sender_organisation_code, row.sender_name, domain.SenderCategory(row.sender_category)
    )
    domain.check_filing(content, sender)
    countersigns = await store.countersigns_of(session, row.id)
    domain.check_countersigns_settled(
        [countersign_view(c) for c in countersigns], row.coordination is not None
    )
    return row, content, sender


async def file_document(session: AsyncSession, actor: Actor, filing: Filing, env: Env) -> pb.Document:
    """A53, A47, A48, A49: the city government accepts the document for the office's check, with a
    handling limit by its urgency."""
    directory = await env.org.directory()
    today = env.today()
    if filing.draft_id:
        row, content, sender = await _filed_draft(session, actor, filing.draft_id)
    else:
        assert filing.new
        content = filing.new.content
        domain.check_content(content, domain.Direction.INCOMING)
        check_addressed_leader(content, directory)
        sender = sender_of(actor, filing.new.sender, directory)
        domain.check_filing(content, sender)
        if content.valid_until and content.valid_until <= today:
            raise InvalidInput({"content.valid_until": "the validity ends after today"})
        row = await add_document(
            session,
            actor,
            domain.Direction.INCOMING,
            content,
            filing.new.content_json,
            sender,
            domain.State.FILED,
            today,
        )
    if content.briefing_series:
        domain.check_one_briefing(
            content.briefing_series,
            sender.name,
            await store.briefing_series_of(session, row.organisation_code),
        )
    assert content.urgency
    days, deadline = domain.handling_deadline(env.calendar, today, content.urgency)
    row.state = domain.State.FILED.value
    row.filed_on = today
    row.handling_working_days = days
    row.handling_due = deadline.due
    row.handling_provisional = deadline.provisional
    await session.flush()
    await record_act(
        session,
        ref_of(row),
        "document.filed",
        actor,
        f"{sender.name}: {row.title} (handle by {deadline.due.isoformat()})",
    )
    reply = await document_reply(session, row, today)
    await add_event(
        session, "documents.document.filed", events_pb2.DocumentFiled(document=reply), ref_of(row), actor
    )
    return reply


async def recompute_handling_due(
    session: AsyncSession, actor: Actor, row: models.Document, cal: WorkingCalendar
) -> bool:
    """docs/design.md "Time": a handling limit computed into a year whose official schedule was not
    known takes the official day once it is loaded; a changed day is recorded. True if it moved."""
    deadline = cal.add_working_days(row.filed_on, row.handling_working_days)
    old, row.handling_due, row.handling_provisional = row.handling_due, deadline.due, deadline.provisional
    if old == deadline.due:
        return False
    await record_act(
        session,
        f"document/{row.id}",
        "document.handling-due-recomputed",
        actor,
        f"{old} → {deadline.due} (official schedule of {old.year} loaded)",
    )
    return True


async def announce_overdue(session: AsyncSession, actor: Actor, row: models.Document, today: date) -> None:
    """A53: a filed document past its handling limit and not decided is announced once
    (documents.document.overdue), so supervision follows it up as an overdue item."""
    row.overdue_announced_on = today
    await session.flush()
    ref = ref_of(row)
    await record_act(
        session, ref, "document.overdue", actor, f"handling limit {row.handling_due.isoformat()} passed (A53)"
    )
    await add_event(
        session,
        "documents.document.overdue",
        events_pb2.DocumentOverdue(
            document=document_to_proto(row, today=today), handling_due=date_to_proto(row.handling_due)
        ),
        ref,
        actor,
    )
