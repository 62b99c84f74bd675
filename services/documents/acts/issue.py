"""Numbering and issue (编号、印发): a signed outgoing document takes the next number of its issuer and
year in the issuing transaction (never repeated, never skipped); after the 6-month limit for
implementing a provincial document the lateness is recorded (A53)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2

from services.documents import domain, store
from services.documents.acts import Env
from services.documents.acts.common import document_reply, ref_of
from services.documents.protos import content_of
from shared.audit import record_act
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.outbox import add_event


async def issue_document(session: AsyncSession, actor: Actor, document_id: str, env: Env) -> pb.Document:
    """印发: the next number of the issuer and year; the issued event carries the disclosure attribute
    the disclosure service publishes by."""
    today = env.today()
    row = await store.get_document(session, document_id, for_update=True)
    if row.direction != domain.Direction.OUTGOING.value:
        raise InvalidInput({"document_id": "an incoming document is decided, not issued"})
    domain.ISSUE.check(domain.State(row.state))
    content_pb = content_of(row)
    sequence = await store.next_sequence(session, row.issuer_code, today.year)
    row.number_year = today.year
    row.number_sequence = sequence
    row.document_number = domain.document_number(row.issuer_code, today.year, sequence)
    row.issued_on = today
    row.state = domain.State.ISSUED.value
    await session.flush()
    late = ""
    if row.issue_due and today > row.issue_due:
        late = f"; after the 6-month limit of {row.issue_due} (A53)"
    await record_act(session, ref_of(row), "document.issued", actor, row.document_number + late)
    reply = await document_reply(session, row, today)
    await add_event(
        session,
        "documents.document.issued",
        events_pb2.DocumentIssued(
            document=reply, document_number=row.document_number, disclosure=content_pb.disclosure
        ),
        ref_of(row),
        actor,
    )
    return reply
