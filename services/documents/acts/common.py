"""What the acts on a document share: its audit reference, its reply (the document with its
countersigns, sign-offs and history), who the lead body is, and who sends it.

The acts on the filing-to-issued path (draft, sign-off, issue) answer from what they hold: the
document they locked, its relations read once after the lock (store.relations_of) and the act they
record, instead of reading all of it again; the reply is the one GetDocument gives right after."""

from __future__ import annotations

import sys
import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb

from services.documents import domain, models, store
from services.documents.protos import GivenSender, document_to_proto
from shared.audit import RecordedAct, actor_record, history_order, record_act
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from shared.org_client import Directory
from shared.outbox import NewEvent


def ref_of(row: models.Document) -> str:
    return f"document/{row.id}"


async def document_reply(
    session: AsyncSession, row: models.Document, today: date, *, with_history: bool = True
) -> pb.Document:
    relations = await store.relations_of(session, row.id)
    return document_to_proto(
        row,
        today=today,
        countersigns=relations.countersigns,
        sign_offs=relations.sign_offs,
        history=relations.history if with_history else (),
    )


# The place of an act not linked yet: after every act read (it is linked after all of them).
_NOT_LINKED_YET = sys.maxsize


def act_to_record(row: models.Document, act: str, actor: Actor, reason: str, at: datetime) -> RecordedAct:
    """The act as it will be recorded at `at` (the transaction's now()), so the reply and the event
    carry it before `record_last` links it into the chain."""
    return RecordedAct(uuid.uuid4(), ref_of(row), act, actor_record(actor), at, reason, _NOT_LINKED_YET)


def with_act(acts: list[RecordedAct], act: RecordedAct) -> list[RecordedAct]:
    """The history read, with the act being recorded in the place `history` will read it."""
    return sorted([*acts, act], key=history_order)


async def record_last(session: AsyncSession, act: RecordedAct, actor: Actor, event: NewEvent) -> None:
    """Link the act into the chain (A20, A26) as the act's last statement: the chain's lock, which
    every act of the service waits for, is then held only from here to the commit. Its event is
    written in the act's INSERT (one round trip fewer)."""
    await record_act(
        session, act.subject_ref, act.act, actor, act.reason, act_id=act.id, at=act.at, event=event
    )


def check_lead_body(actor: Actor, row: models.Document) -> None:
    if actor.organisation_code != row.organisation_code:
        raise Forbidden(
            f"only the lead body (主办单位) {row.organisation_code} acts on its document here",
            reason="NOT_LEAD_BODY",
            metadata={"lead_body": row.organisation_code},
        )


def check_addressed_leader(content: domain.Content, directory: Directory) -> None:
    leader = content.addressed_leader_user_id
    if leader and not any(leader in directory.holders.get(p, []) for p in domain.LEADER_POSITIONS):
        raise InvalidInput({"content.addressed_leader_user_id": f"{leader} is not a city leader"})


def sender_of(actor: Actor, given: GivenSender, directory: Directory) -> domain.Sender:
    """Who sends it: the filer's own organisation, a body under it, or (registered by the office)
    any sender."""
    own = directory.organisations.get(actor.organisation_code)
    if not given.named:
        if own is None:
            raise InvalidInput({"content.sender": "your account belongs to no organisation: name the sender"})
        category = domain.CATEGORY_OF_ORGANISATION_KIND.get(own[1])
        if category is None:
            raise InvalidInput(
                {
                    "content.sender": f"{actor.organisation_code} is not an office, "
                    "department or county: name the sender"
                }
            )
        return domain.Sender(actor.organisation_code, own[0], category)
    category = given.category
    if category is None:
        raise InvalidInput({"content.sender.category": "what kind of body the sender is (A47)"})
    code = given.organisation_code
    name = given.name or directory.organisations.get(code, ("", ""))[0]
    if not name:
        raise InvalidInput({"content.sender.name": "the sender's name"})
    if actor.may("document:process"):
        return domain.Sender(code, name, category)
    if category in domain.SUBORDINATE_CATEGORIES and code in ("", actor.organisation_code):
        return domain.Sender("", name, category)
    raise Forbidden(
        "you file for your own organisation or a body under it; the general office registers "
        "documents of other senders",
        reason="OTHER_SENDER",
    )


async def add_document(
    session: AsyncSession,
    actor: Actor,
    new_direction: domain.Direction,
    content: domain.Content,
    content_json: dict,
    sender: domain.Sender,
    state: domain.State,
    today: date,
) -> models.Document:
    assert content.kind and content.urgency
    return await store.add_document(
        session,
        direction=new_direction.value,
        state=state.value,
        kind=content.kind.value,
        title=content.title.strip(),
        urgency=content.urgency.value,
        content=content_json,
        organisation_code=actor.organisation_code,
        sender_organisation_code=sender.organisation_code,
        sender_name=sender.name,
        sender_category=sender.category.value,
        created_by=actor_record(actor),
        created_on=today,
        handling_working_days=0,
        handling_provisional=False,
        return_reason="",
        proposed_opinion="",
        major_matter=content.major_matter,
        routed_to_user_id="",
        routing_basis="",
        authority=content.authority.value if content.authority else "",
        issuer_code=content.issuer_code,
        document_number="",
        valid_until=content.valid_until,
        issue_due=domain.provincial_issue_due(
            content.provincial_received_on, content.provincial_plan_or_regulation
        ),
    )
