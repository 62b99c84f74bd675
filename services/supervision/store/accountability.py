"""Queries of accountability cases (never commit)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from shared.errors import NotFound

CASE = models.AccountabilityCase


async def add_case(session: AsyncSession, item_id: uuid.UUID, against_due: date, **fields) -> CASE | None:
    """The case once per item and due date; None when it was proposed before."""
    case_id = uuid.uuid4()
    inserted = await session.execute(
        insert(CASE)
        .values(id=case_id, item_id=item_id, against_due=against_due, **fields)
        .on_conflict_do_nothing(index_elements=["item_id", "against_due"])
        .returning(CASE.id)
    )
    if inserted.first() is None:
        return None
    return await get_case(session, case_id)


async def get_case(session: AsyncSession, case_id: str | uuid.UUID, *, for_update: bool = False) -> CASE:
    try:
        key = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(case_id)
    except (ValueError, TypeError):
        raise NotFound(f"accountability case {case_id!r}", resource_type="accountability_case") from None
    query = select(CASE).where(CASE.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"accountability case {case_id}", resource_type="accountability_case")
    return row


async def list_cases(
    session: AsyncSession, state: str, body_code: str, after: tuple[str, str] | None, limit: int
) -> list[CASE]:
    query = select(CASE)
    if state:
        query = query.where(CASE.state == state)
    if body_code:
        query = query.where(CASE.body_code == body_code)
    if after:
        at, last = after
        query = query.where(or_(CASE.created_at > at, and_(CASE.created_at == at, CASE.id > uuid.UUID(last))))
    return list(await session.scalars(query.order_by(CASE.created_at, CASE.id).limit(limit)))
