"""Sign-off (签发) of an outgoing document and decision (批示) on an incoming one: A51 — the right
leader, or the one acting in his or her place (A10, A59), with an explicit opinion (or a circle-read),
name and full date; an incoming document is decided by the leader it was routed to (A50)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2

from services.documents import domain, models, store
from services.documents.acts import Env
from services.documents.acts.common import act_to_record, record_last, ref_of, with_act
from services.documents.protos import (
    SignOffInput,
    content_from_proto,
    content_of,
    countersign_view,
    document_to_proto,
    sign_off_to_proto,
)
from shared.errors import NotFound
from shared.identity import Actor
from shared.org_client import OrgRefused
from shared.outbox import new_event


async def _candidate(
    env: Env, signer: domain.Signer, position: str, holder_user_id: str = ""
) -> domain.Candidate | None:
    """A10, A59: who may act today for the holder of `position`; None when org names nobody (the
    position is vacant, or the holder given does not hold it)."""
    try:
        acting = await env.org.who_may_act(position, holder_user_id=holder_user_id)
    except (NotFound, OrgRefused):
        return None
    names = (await env.org.directory()).names
    return domain.Candidate(
        signer=signer,
        position=acting.position,
        holder_user_id=acting.holder_user_id,
        acting_user_id=acting.acting_user_id,
        holder_away=acting.holder_away,
        basis=acting.basis,
        holder_name=names.get(acting.holder_user_id, ""),
        acting_name=names.get(acting.acting_user_id, ""),
    )


async def _decider(env: Env, row: models.Document) -> list[domain.Candidate]:
    """A50: an incoming document is decided by the leader it was routed to (or the one acting)."""
    directory = await env.org.directory()
    routed = row.routed_to_user_id
    position = next((p for p in domain.LEADER_POSITIONS if routed in directory.holders.get(p, [])), None)
    if position is None:
        return []
    signer = domain.Signer.MAYOR if position == domain.MAYOR else domain.Signer.PORTFOLIO_LEADER
    candidate = await _candidate(env, signer, position, row.routed_to_user_id)
    return [candidate] if candidate else []


async def signers(env: Env, row: models.Document, content: domain.Content) -> list[domain.Candidate]:
    """A51 with A10/A59: whose authority may sign this document off, and who acts for each today."""
    if row.direction == domain.Direction.INCOMING.value:
        return await _decider(env, row)
    directory = await env.org.directory()
    candidates = []
    for signer in domain.signers_for(domain.Authority(row.authority)):
        if signer is domain.Signer.MAYOR:
            candidate = await _candidate(env, signer, domain.MAYOR)
        elif signer is domain.Signer.SECRETARY_GENERAL:
            candidate = await _candidate(env, signer, domain.SECRETARY_GENERAL)
        else:
            leader = await env.org.portfolio_holder(
                organisation_code=content.lead_organisation_code or row.organisation_code,
                matters=content.matters,
            )
            position = next(
                (p for p in domain.PORTFOLIO_POSITIONS if leader and leader in directory.holders.get(p, [])),
                None,
            )
            candidate = await _candidate(env, signer, position, leader) if position else None
        if candidate:
            candidates.append(candidate)
    return candidates


def _check_ready(row: models.Document, content: domain.Content, countersigns: list, env: Env) -> str:
    """The state (and for an outgoing document A49, A23, A22) before a sign-off; the rule id of who
    may sign."""
    if row.direction == domain.Direction.INCOMING.value:
        domain.SIGN_INCOMING.check(domain.State(row.state))
        return "A50.routed-leader"
    domain.SIGN_OUTGOING.check(domain.State(row.state))
    domain.check_countersigns_settled(
        [countersign_view(c) for c in countersigns], row.coordination is not None
    )
    domain.check_legality_reviewed(content.authority, row.legality_review)
    domain.check_public_comment(
        content.authority, row.comment_until, content.comment_exempt_reason, env.today()
    )
    return "A51.signer"


async def sign_off_document(
    session: AsyncSession, actor: Actor, given: SignOffInput, env: Env
) -> pb.Document:
    """A51: the right leader (or the one acting) signs off or decides; recorded in the holder's name
    as well when done in his or her place."""
    domain.check_sign_off(given.opinion, given.circle_read)
    today = env.today()
    row, now = await store.lock_document(session, given.document_id)
    relations = await store.relations_of(session, row.id)
    direction = domain.Direction(row.direction)
    content_pb = content_of(row)
    content = content_from_proto(content_pb)
    rule_id = _check_ready(row, content, relations.countersigns, env)
    match = domain.match_signer(actor.user_id, await signers(env, row, content), rule_id)
    holder = match.candidate
    signer = actor
    if match.in_place_of_holder:
        signer = actor.acting_for(holder.holder_user_id, holder.position)
    assert content.kind
    meaning = domain.sign_off_meaning(direction, content.kind, given.circle_read)
    opinion = given.opinion.strip() or "圈阅"
    sign_off = store.new_sign_off(
        session,
        document_id=row.id,
        signer_user_id=actor.user_id,
        signer_name=actor.display_name or actor.username,
        on_behalf_of_user_id=holder.holder_user_id if match.in_place_of_holder else "",
        on_behalf_of_position=holder.position if match.in_place_of_holder else "",
        authority_position=holder.position,
        opinion=opinion,
        circle_read=given.circle_read,
        meaning=meaning.value,
        signed_on=today,
        at=now,  # what the column's default would give: the transaction's now()
    )
    row.state = domain.State.SIGNED.value
    await session.flush()
    act = act_to_record(row, "document.signed", signer, f"{opinion} ({meaning.value})", now)
    reply = document_to_proto(
        row,
        today=today,
        countersigns=relations.countersigns,
        sign_offs=sorted([*relations.sign_offs, sign_off], key=lambda s: (s.at, s.id)),
        history=with_act(relations.history, act),
        content=content_pb,
    )
    event = new_event(
        "documents.document.signed",
        events_pb2.DocumentSigned(document=reply, sign_off=sign_off_to_proto(sign_off)),
        ref_of(row),
        signer,
    )
    await record_last(session, act, signer, event)
    return reply
