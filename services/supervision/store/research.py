"""Queries of research visits, topics and pace warnings (never commit)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import distinct, func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from services.supervision.domain.research import MAX_VISIT_DAYS
from shared.errors import NotFound

VISIT = models.ResearchVisit
TOPIC = models.ResearchTopic
WARNING = models.ResearchWarning


async def add(session: AsyncSession, row) -> None:
    session.add(row)
    await session.flush()


def _covered_days():
    """(the lateral rows of day offsets, the day) for each calendar day a visit covers: `days` days from
    `started_on`, one row per day."""
    offsets = (
        func.generate_series(0, VISIT.days - 1).table_valued("n").render_derived(name="day_offset").lateral()
    )
    return offsets, VISIT.started_on + offsets.c.n


COUNTS = VISIT.attended.is_not(False)  # a visit org reported not attended is no research day


async def days_by_leader(session: AsyncSession, year: int, until: date) -> dict[str, int]:
    """A31: the research days of each leader in a year up to `until` — the calendar days his visits cover,
    each day once whatever the number of visits and their sources (entered by hand, fed from org); a day
    org fed before it came counts once it has come, one org reported not attended does not count."""
    first, last = date(year, 1, 1), min(until, date(year, 12, 31))
    offsets, day = _covered_days()
    rows = await session.execute(
        select(VISIT.leader_user_id, func.count(distinct(day)))
        .select_from(VISIT)
        .join(offsets, true())
        .where(
            VISIT.started_on <= last,
            VISIT.started_on > first - timedelta(days=MAX_VISIT_DAYS),
            day >= first,
            day <= last,
            COUNTS,
        )
        .group_by(VISIT.leader_user_id)
    )
    return {leader: int(days) for leader, days in rows}


async def lock_leader(session: AsyncSession, leader: str) -> None:
    """One recording of a leader's visits at a time (until the transaction ends), so each sees the days
    the others counted."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"zgov.research_visit.{leader}"))))


async def counted_days_of_others(
    session: AsyncSession, leader: str, first: date, last: date, but: uuid.UUID
) -> list[tuple[VISIT, date]]:
    """(visit, day) for each day from `first` to `last` another counting visit of the leader covers."""
    offsets, day = _covered_days()
    rows = await session.execute(
        select(VISIT, day)
        .select_from(VISIT)
        .join(offsets, true())
        .where(
            VISIT.leader_user_id == leader,
            VISIT.id != but,
            VISIT.started_on <= last,
            VISIT.started_on > first - timedelta(days=MAX_VISIT_DAYS),
            day >= first,
            day <= last,
            COUNTS,
        )
        .order_by(day, VISIT.created_at)
    )
    return [(visit, covered) for visit, covered in rows]


async def of_source(session: AsyncSession, source_ref: str, *, for_update: bool = False) -> VISIT | None:
    query = select(VISIT).where(VISIT.source_ref == source_ref)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def add_once(session: AsyncSession, values: dict) -> VISIT | None:
    """A visit fed from another service's event, once per source; None when it is there already."""
    result = await session.execute(
        insert(VISIT)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source_ref"])
        .returning(VISIT.id)
    )
    added = result.scalar()
    return None if added is None else await session.get(VISIT, added)


async def get_topic(session: AsyncSession, topic_id: str, *, for_update: bool = False) -> TOPIC:
    try:
        key = uuid.UUID(topic_id)
    except (ValueError, TypeError):
        raise NotFound(f"topic {topic_id!r}", resource_type="research_topic") from None
    query = select(TOPIC).where(TOPIC.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"topic {topic_id}", resource_type="research_topic")
    return row


async def topics_of(session: AsyncSession, year: int) -> list[TOPIC]:
    return list(await session.scalars(select(TOPIC).where(TOPIC.year == year).order_by(TOPIC.created_at)))


async def claim_warning(
    session: AsyncSession, leader: str, year: int, month: int, days: int, expected: int
) -> bool:
    """True the first time a leader is warned in a month (the key makes it once, across replicas)."""
    result = await session.execute(
        insert(WARNING)
        .values(leader_user_id=leader, year=year, month=month, days=days, expected=expected)
        .on_conflict_do_nothing()
        .returning(WARNING.leader_user_id)
    )
    return result.first() is not None
