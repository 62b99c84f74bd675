"""Numbering and issue (编号、印发): a signed outgoing document takes the next number of its issuer and
year in the issuing transaction (never repeated, never skipped); after the 6-month limit for
implementing a provincial document the lateness is recorded (A53)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2

from services.documents import domain, store
from services.documents.acts import Env
from services.documents.acts.common import act_to_record, record_last, ref_of, with_act
from services.documents.protos import content_of, document_to_proto
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.outbox import new_event


async def issue_document(session: AsyncSession, actor: Actor, document_id: str, env: Env) -> pb.Document:
    """印发: the next number of the issuer and year; the issued event carries the disclosure attribute
    the disclosure service publishes by."""
    today = env.today()
    row, now = await store.lock_document(session, document_id)
    if row.direction != domain.Direction.OUTGOING.value:
        raise InvalidInput({"document_id": "an incoming document is decided, not issued"})
    domain.ISSUE.check(domain.State(row.state))
    content_pb = content_of(row)
    # read before the number is taken: every issue of the issuer waits for the counter's lock
    relations = await store.relations_of(session, row.id)
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
    act = act_to_record(row, "document.issued", actor, row.document_number + late, now)
    reply = document_to_proto(
        row,
        today=today,
        countersigns=relations.countersigns,
        sign_offs=relations.sign_offs,
        history=with_act(relations.history, act),
        content=content_pb,
    )
    event = new_event(
        "documents.document.issued",
        events_pb2.DocumentIssued(
            document=reply, document_number=row.document_number, disclosure=content_pb.disclosure
        ),
        ref_of(row),
        actor,
    )
    await record_last(session, act, actor, event)
    return reply
