"""The general office's check of a filed document (审核): return it (退文) with the reason, or accept
it with a proposed opinion (拟办) and route it to the leader who decides (A50, A8)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2

from services.documents import domain, models, store
from services.documents.acts import Env
from services.documents.acts.common import document_reply, ref_of
from services.documents.protos import ROUTING_TO_PROTO, OfficeReview, content_from_proto, content_of
from shared.audit import record_act
from shared.errors import NotFound
from shared.identity import Actor
from shared.outbox import add_event


async def route(env: Env, row: models.Document, content: domain.Content) -> tuple[str, domain.RoutingBasis]:
    """A50, A8: the portfolio holder of the sender or of the matter, else the mayor."""
    directory = await env.org.directory()
    mayor = directory.sole_holder(domain.MAYOR)
    if not mayor:
        raise NotFound("a holder of 'mayor' (the position is vacant)")
    category = domain.SenderCategory(row.sender_category)
    to_mayor = (
        category in domain.HIGHER_LEVEL
        or row.major_matter
        or content.leaders_instruction
        or content.speech_on_behalf
        or bool(content.addressed_leader_user_id)
    )
    portfolio = (
        None
        if to_mayor
        else await env.org.portfolio_holder(
            organisation_code=row.sender_organisation_code or row.organisation_code, matters=content.matters
        )
    )
    return domain.route(
        sender_category=category,
        major_matter=row.major_matter,
        leaders_instruction=content.leaders_instruction,
        portfolio_leader_user_id=portfolio,
        mayor_user_id=mayor,
        speech_on_behalf=content.speech_on_behalf,
        addressed_leader_user_id=content.addressed_leader_user_id,
    )


async def _return(
    session: AsyncSession, actor: Actor, row: models.Document, opinion: str, env: Env
) -> pb.Document:
    row.state = domain.State.RETURNED.value
    row.return_reason = opinion
    await session.flush()
    await record_act(session, ref_of(row), "document.returned", actor, opinion)
    reply = await document_reply(session, row, env.today())
    await add_event(
        session,
        "documents.document.returned",
        events_pb2.DocumentReturned(document=reply, reason=opinion),
        ref_of(row),
        actor,
    )
    return reply


async def review_document(session: AsyncSession, actor: Actor, review: OfficeReview, env: Env) -> pb.Document:
    """A50: the office returns a filed document or accepts it and routes it to a leader."""
    domain.check_review(review.accept, review.opinion)
    opinion = review.opinion.strip()
    row = await store.get_document(session, review.document_id, for_update=True)
    domain.REVIEW.check(domain.State(row.state))
    if not review.accept:
        return await _return(session, actor, row, opinion, env)
    content = content_from_proto(content_of(row))
    row.major_matter = row.major_matter or review.major_matter
    leader, basis = await route(env, row, content)
    row.state = domain.State.ROUTED.value
    row.proposed_opinion = opinion
    row.routed_to_user_id = leader
    row.routing_basis = basis.value
    await session.flush()
    # One act (acts of one transaction share their time, so two would have no order).
    await record_act(
        session,
        ref_of(row),
        "document.accepted",
        actor,
        f"{opinion} — routed to {leader} ({basis.value}, A50)",
    )
    reply = await document_reply(session, row, env.today())
    await add_event(
        session,
        "documents.document.accepted",
        events_pb2.DocumentAccepted(document=reply),
        ref_of(row),
        actor,
    )
    await add_event(
        session,
        "documents.document.routed",
        events_pb2.DocumentRouted(document=reply, leader_user_id=leader, basis=ROUTING_TO_PROTO[basis]),
        ref_of(row),
        actor,
    )
    return reply
