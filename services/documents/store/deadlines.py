"""Provisional deadlines (docs/design.md "Time"): the rows whose due day awaits the official schedule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models
from services.documents.domain import CountersignState

# ---- provisional deadlines (docs/design.md "Time") ---------------------------------------------------


async def countersigns_with_provisional_due(
    session: AsyncSession, before: date, batch: int
) -> list[models.Countersign]:
    """Open countersigns whose last day was computed without its year's schedule and lies
    before `before` (the first day no schedule covers yet); locked, skipped if another sweeper
    holds them."""
    c = models.Countersign
    rows = await session.scalars(
        select(c)
        .where(c.provisional.is_(True), c.state == CountersignState.REQUESTED.value, c.due < before)
        .order_by(c.due, c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def documents_with_provisional_handling_due(
    session: AsyncSession, before: date, batch: int
) -> list[models.Document]:
    d = models.Document
    rows = await session.scalars(
        select(d)
        .where(d.handling_provisional.is_(True), d.handling_due < before)
        .order_by(d.handling_due, d.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
