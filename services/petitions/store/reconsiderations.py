"""Queries of administrative reconsiderations (A69); never commit."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions.models import Reconsideration
from shared.errors import NotFound

OPEN_STATES = ("applied", "accepted")


def _key(reconsideration_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(reconsideration_id)
    except (ValueError, TypeError):
        raise NotFound(f"reconsideration {reconsideration_id!r}", resource_type="reconsideration") from None


async def add(session: AsyncSession, **fields) -> Reconsideration:
    row = Reconsideration(id=uuid.uuid4(), overdue_notified=[], **fields)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, reconsideration_id: str, *, for_update: bool = False) -> Reconsideration:
    query = select(Reconsideration).where(Reconsideration.id == _key(reconsideration_id))
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"reconsideration {reconsideration_id}", resource_type="reconsideration")
    return row


async def by_query_code(session: AsyncSession, code_hash: str) -> Reconsideration | None:
    return await session.scalar(select(Reconsideration).where(Reconsideration.query_code_hash == code_hash))


async def of_applicant(session: AsyncSession, user_id: str, limit: int = 100) -> list[Reconsideration]:
    r = Reconsideration
    query = (
        select(r).where(r.applicant_user_id == user_id).order_by(r.received_on.desc(), r.created_at.desc())
    )
    return list(await session.scalars(query.limit(limit)))


async def open_past_a_limit(session: AsyncSession, today: date, batch: int) -> list[Reconsideration]:
    """Open applications with a step past its limit and not yet escalated, locked with SKIP LOCKED so
    replicas share the sweep."""
    r = Reconsideration

    def not_told(step: str):
        return ~r.overdue_notified.any(step)

    applied, accepted = r.state == "applied", r.state == "accepted"
    due = (
        (applied & (r.acceptance_due < today) & not_told("acceptance"))
        | (accepted & r.answered_on.is_(None) & (r.answer_due < today) & not_told("answer"))
        | (accepted & (r.decision_due < today) & not_told("decision"))
    )
    query = (
        select(r)
        .where(r.state.in_(OPEN_STATES))
        .where(due)
        .order_by(r.received_on, r.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(query))
