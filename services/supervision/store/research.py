"""Queries of research visits, topics and pace warnings (never commit)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from shared.errors import NotFound

VISIT = models.ResearchVisit
TOPIC = models.ResearchTopic
WARNING = models.ResearchWarning


async def add(session: AsyncSession, row) -> None:
    session.add(row)
    await session.flush()


async def days_by_leader(session: AsyncSession, year: int, until: date) -> dict[str, int]:
    """The research days of each leader in a year, of the visits begun by `until` (a visit org fed
    before its day counts once the day has come)."""
    rows = await session.execute(
        select(VISIT.leader_user_id, func.sum(VISIT.days))
        .where(VISIT.year == year, VISIT.started_on <= until)
        .group_by(VISIT.leader_user_id)
    )
    return {leader: int(days) for leader, days in rows}


async def add_once(session: AsyncSession, values: dict) -> bool:
    """A visit fed from another service's event, once per source; False when it is there already."""
    result = await session.execute(
        insert(VISIT)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source_ref"])
        .returning(VISIT.id)
    )
    return result.first() is not None


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
