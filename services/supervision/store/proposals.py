"""Queries of suggestions and proposals (A67); never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from shared.errors import NotFound
from services.supervision.domain.readers import Scope

PROPOSAL = models.Proposal


@dataclass(frozen=True)
class Filters:
    year: int = 0
    kind: str = ""
    state: str = ""
    lead_body_code: str = ""
    lead_leader_user_id: str = ""


async def get_proposal(session: AsyncSession, proposal_id: str, *, for_update: bool = False) -> PROPOSAL:
    try:
        key = uuid.UUID(proposal_id)
    except (ValueError, TypeError):
        raise NotFound(f"proposal {proposal_id!r}", resource_type="proposal") from None
    query = select(PROPOSAL).where(PROPOSAL.id == key)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"proposal {proposal_id}", resource_type="proposal")
    return row


async def add_proposal(db: AsyncSession, **fields) -> PROPOSAL | None:
    """The new row; None when the same kind, session and number is registered already (the unique key
    serialises two concurrent registrations of it). `db`, not `session`: a proposal has a `session` field
    (the congress' session)."""
    new_id = uuid.uuid4()
    inserted = await db.execute(
        insert(PROPOSAL)
        .values(id=new_id, **fields)
        .on_conflict_do_nothing(index_elements=["kind", "session", "number"])
        .returning(PROPOSAL.id)
    )
    if inserted.first() is None:
        return None
    return await get_proposal(db, str(new_id))


async def registered_as(session: AsyncSession, kind: str, session_name: str, number: str) -> PROPOSAL | None:
    return await session.scalar(
        select(PROPOSAL).where(
            PROPOSAL.kind == kind, PROPOSAL.session == session_name, PROPOSAL.number == number
        )
    )


def _scoped(query, scope: Scope):
    if scope.everything:
        return query
    if scope.leader_user_id:
        return query.where(PROPOSAL.lead_leader_user_id == scope.leader_user_id)
    return query.where(
        or_(PROPOSAL.lead_body_code == scope.body_code, PROPOSAL.co_body_codes.any(scope.body_code))
    )


async def list_proposals(
    session: AsyncSession, scope: Scope, filters: Filters, after: tuple[str, str] | None, limit: int
) -> list[PROPOSAL]:
    """Newest registration first; keyset on (created_at, id)."""
    query = _scoped(select(PROPOSAL), scope)
    for column, value in (
        (PROPOSAL.year, filters.year),
        (PROPOSAL.kind, filters.kind),
        (PROPOSAL.state, filters.state),
        (PROPOSAL.lead_body_code, filters.lead_body_code),
        (PROPOSAL.lead_leader_user_id, filters.lead_leader_user_id),
    ):
        if value:
            query = query.where(column == value)
    if after is not None:
        created, key = after
        query = query.where(
            or_(
                PROPOSAL.created_at < created,
                and_(PROPOSAL.created_at == created, PROPOSAL.id < uuid.UUID(key)),
            )
        )
    query = query.order_by(PROPOSAL.created_at.desc(), PROPOSAL.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def led_in(session: AsyncSession, year: int) -> list[tuple[str, str]]:
    """(leading leader, kind) of every proposal of `year` that a leader leads."""
    rows = await session.execute(
        select(PROPOSAL.lead_leader_user_id, PROPOSAL.kind).where(
            PROPOSAL.year == year, PROPOSAL.lead_leader_user_id != ""
        )
    )
    return [(leader, kind) for leader, kind in rows]


async def handling_due_by(session: AsyncSession, day, batch: int) -> list[PROPOSAL]:
    """Proposals being handled whose limit falls by `day` (locked, skipped when another sweeper has them)."""
    return list(
        await session.scalars(
            select(PROPOSAL)
            .where(PROPOSAL.state.in_(("assigned", "reopened")), PROPOSAL.due <= day)
            .order_by(PROPOSAL.due, PROPOSAL.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )


async def claim_warning(session: AsyncSession, proposal_id, step: str, due, today) -> bool:
    result = await session.execute(
        insert(models.ProposalWarning)
        .values(proposal_id=proposal_id, step=step, against_due=due, taken_on=today)
        .on_conflict_do_nothing()
        .returning(models.ProposalWarning.step)
    )
    return result.first() is not None
