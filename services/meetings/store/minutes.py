"""Queries of minutes and decisions; decision numbers from a counter row locked FOR UPDATE (no gaps)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings import domain, models
from services.meetings.store.rows import get_row, row_key

# ---- minutes and decisions -----------------------------------------------------------------------


async def get_minutes(session: AsyncSession, minutes_id: str, *, for_update: bool = False) -> models.Minutes:
    return await get_row(session, models.Minutes, minutes_id, "minutes", for_update)


async def decisions_of_minutes(session: AsyncSession, minutes_id: uuid.UUID) -> list[models.Decision]:
    rows = await session.scalars(
        select(models.Decision)
        .where(models.Decision.minutes_id == minutes_id)
        .order_by(models.Decision.number)
    )
    return list(rows)


async def next_decision_number(session: AsyncSession, series: str, year: int) -> int:
    """The next number of a series and year, without gaps.

    The counter row is created if missing (a concurrent creator is ignored), then locked FOR
    UPDATE: a second sign-off waits until the first commits or rolls back, so numbers are given
    one after the other, and a rolled-back sign-off gives its number back.
    """
    await session.execute(
        insert(models.DecisionCounter)
        .values(series=series, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    counter = await session.scalar(
        select(models.DecisionCounter)
        .where(models.DecisionCounter.series == series, models.DecisionCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter.last_number += 1
    await session.flush()
    return counter.last_number


async def list_decisions(
    session: AsyncSession,
    *,
    series: str = "",
    year: int = 0,
    meeting_id: str = "",
    after: tuple[int, str, int] | None = None,
    limit: int = 50,
) -> list[models.Decision]:
    d = models.Decision
    query = select(d)
    if series:
        query = query.where(d.series == series)
    if year:
        query = query.where(d.year == year)
    if meeting_id:
        query = query.where(d.meeting_id == row_key(meeting_id, "meeting"))
    if after:
        query = query.where(tuple_(d.year, d.series, d.number) > tuple_(*after))
    return list(await session.scalars(query.order_by(d.year, d.series, d.number).limit(limit)))


async def collective_decisions_on(session: AsyncSession, matter_ref: str) -> list[models.Decision]:
    """A7, A28: decisions on a matter by plenary or executive meetings, oldest first."""
    d = models.Decision
    rows = await session.scalars(
        select(d)
        .where(d.matter_ref == matter_ref, d.series.in_([k.value for k in domain.COLLECTIVE_KINDS]))
        .order_by(d.decided_on, d.series, d.number)
    )
    return list(rows)
