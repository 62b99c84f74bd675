"""Queries of inspection plans (never commit)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from shared.errors import NotFound

PLAN = models.InspectionPlan
IN_FORCE = ("approved", "filed")


async def get_plan(session: AsyncSession, plan_id: str, *, for_update: bool = False) -> PLAN:
    try:
        key = uuid.UUID(plan_id)
    except (ValueError, TypeError):
        raise NotFound(f"plan {plan_id!r}", resource_type="inspection_plan") from None
    query = select(PLAN).where(PLAN.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"plan {plan_id}", resource_type="inspection_plan")
    return row


async def plan_of(session: AsyncSession, organiser: str, year: int) -> PLAN | None:
    return await session.scalar(
        select(PLAN).where(PLAN.organiser_code == organiser, PLAN.year == year).with_for_update()
    )


async def add_plan(session: AsyncSession, **fields) -> PLAN:
    row = PLAN(id=uuid.uuid4(), **fields)
    session.add(row)
    await session.flush()
    return row


async def lock_year(session: AsyncSession, year: int) -> None:
    """Approvals of one year one after the other, so two cannot both pass the total cap."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"inspection-plan-{year}"))))


async def in_force(session: AsyncSession, year: int) -> list[PLAN]:
    return list(await session.scalars(select(PLAN).where(PLAN.year == year, PLAN.state.in_(IN_FORCE))))
