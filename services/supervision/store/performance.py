"""Queries of performance sets and assessments (never commit)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from shared.errors import NotFound

SET = models.IndicatorSet
ASSESSMENT = models.Assessment
ITEM = models.SupervisionItem
FACT = models.MeasuredFact


def _key(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        raise NotFound(f"{what} {value!r}", resource_type=what) from None


async def get_set(session: AsyncSession, set_id: str, *, for_update: bool = False) -> SET:
    query = select(SET).where(SET.id == _key(set_id, "indicator_set"))
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"indicator set {set_id}", resource_type="indicator_set")
    return row


async def set_of(session: AsyncSession, year: int, kind: str) -> SET | None:
    return await session.scalar(select(SET).where(SET.year == year, SET.kind == kind).with_for_update())


async def add(session: AsyncSession, row) -> None:
    session.add(row)
    await session.flush()


async def get_assessment(
    session: AsyncSession, assessment_id: str, *, for_update: bool = False
) -> ASSESSMENT:
    query = select(ASSESSMENT).where(ASSESSMENT.id == _key(assessment_id, "assessment"))
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"assessment {assessment_id}", resource_type="assessment")
    return row


async def assessment_of(session: AsyncSession, set_id: uuid.UUID, body: str) -> ASSESSMENT | None:
    return await session.scalar(
        select(ASSESSMENT).where(ASSESSMENT.set_id == set_id, ASSESSMENT.body_code == body).with_for_update()
    )


async def assessments_of(session: AsyncSession, set_id: uuid.UUID) -> list[ASSESSMENT]:
    return list(
        await session.scalars(
            select(ASSESSMENT).where(ASSESSMENT.set_id == set_id).order_by(ASSESSMENT.body_code)
        )
    )


async def any_scored(session: AsyncSession, set_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(ASSESSMENT)
            .where(ASSESSMENT.set_id == set_id, ASSESSMENT.scores != {})
        )
    )


async def items_on_time(session: AsyncSession, body: str, year: int) -> tuple[int, int]:
    """(items led by `body` due in `year`, those of them closed with completion claimed by the due date)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    due = and_(ITEM.lead_body_code == body, ITEM.due >= start, ITEM.due <= end, ITEM.state != "withdrawn")
    claimed_on = ITEM.completion["claimed_on"].astext
    on_time = and_(due, ITEM.state == "closed", claimed_on <= func.to_char(ITEM.due, "YYYY-MM-DD"))
    total = await session.scalar(select(func.count()).select_from(ITEM).where(due))
    done = await session.scalar(select(func.count()).select_from(ITEM).where(on_time))
    return total or 0, done or 0


async def record_fact(
    session: AsyncSession, measure: str, source_ref: str, body: str, good: bool, on: date, *, latest: bool
) -> None:
    """One fact per measure and source: a replay keeps the first (`latest`: the last one reported
    replaces it, e.g. a petitioner's rating given again)."""
    values = dict(
        measure=measure, source_ref=source_ref, body_code=body, year=on.year, good=good, happened_on=on
    )
    statement = insert(FACT).values(**values)
    if latest:
        statement = statement.on_conflict_do_update(
            index_elements=[FACT.measure, FACT.source_ref],
            set_={"body_code": body, "year": on.year, "good": good, "happened_on": on},
        )
    else:
        statement = statement.on_conflict_do_nothing()
    await session.execute(statement)


async def record_facts(session: AsyncSession, facts: list[dict]) -> None:
    """Several facts in one statement, each kept once per measure and source as `record_fact`
    without `latest` (a fact already there, or met earlier in the list, is skipped)."""
    if facts:
        await session.execute(insert(FACT).values(facts).on_conflict_do_nothing())


async def fact_share(session: AsyncSession, measure: str, body: str, year: int) -> tuple[int, int]:
    """(facts of `measure` about `body` in `year`, the good ones among them)."""
    counted = await session.execute(
        select(func.count(), func.count().filter(FACT.good)).where(
            FACT.measure == measure, FACT.body_code == body, FACT.year == year
        )
    )
    total, good = counted.one()
    return total or 0, good or 0
