"""Queries of receptions and their standards (A56); never commit."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.org.models import Reception, ReceptionStandard
from shared.errors import NotFound


async def standards_in_force(session: AsyncSession) -> ReceptionStandard | None:
    return await session.scalar(
        select(ReceptionStandard).order_by(ReceptionStandard.set_at.desc(), ReceptionStandard.id).limit(1)
    )


async def add_standards(session: AsyncSession, standards: dict, set_by: dict) -> ReceptionStandard:
    row = ReceptionStandard(id=uuid.uuid4(), standards=standards, set_by=set_by)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def add(session: AsyncSession, **fields) -> Reception:
    row = Reception(
        id=uuid.uuid4(), attendees=[], items=[], flags=[], actual_cost_fen=0, approved_by_user_id="", **fields
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, reception_id: str, *, for_update: bool = False) -> Reception:
    try:
        key = uuid.UUID(reception_id)
    except (ValueError, TypeError):
        raise NotFound(f"reception {reception_id!r}", resource_type="reception") from None
    query = select(Reception).where(Reception.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"reception {reception_id}", resource_type="reception")
    return row


async def closed(
    session: AsyncSession,
    *,
    host: str,
    flagged_only: bool,
    from_day: date | None,
    to_day: date | None,
    limit: int = 500,
) -> list[Reception]:
    query = select(Reception).where(Reception.state == "closed")
    if host:
        query = query.where(Reception.host_organisation_code == host)
    if flagged_only:
        query = query.where(func.jsonb_array_length(Reception.flags) > 0)
    if from_day:
        query = query.where(Reception.day >= from_day)
    if to_day:
        query = query.where(Reception.day <= to_day)
    return list(await session.scalars(query.order_by(Reception.day, Reception.id).limit(limit)))
