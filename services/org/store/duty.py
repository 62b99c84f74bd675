"""Queries of the holiday duty roster (节假日带班, A79). Never commits: the caller owns the transaction."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.org import models
from shared import audit
from shared.db import Db
from shared.identity import Actor

DUTY_ASSIGNMENT = models.DutyAssignment.__table__


async def duty_assignments(db: Db, year: int) -> list:
    rows = await db.execute(
        select(DUTY_ASSIGNMENT)
        .where(DUTY_ASSIGNMENT.c.day >= date(year, 1, 1), DUTY_ASSIGNMENT.c.day <= date(year, 12, 31))
        .order_by(DUTY_ASSIGNMENT.c.day)
    )
    return list(rows)


async def put_duty_assignment(
    session: AsyncSession, day: date, leader_user_id: str, holiday: str, actor: Actor
) -> str:
    """Assign the day; returns the leader it replaced ('' if none)."""
    current = await session.get(models.DutyAssignment, day, with_for_update=True)
    previous = current.leader_user_id if current else ""
    if current is None:
        current = models.DutyAssignment(day=day)
        session.add(current)
    current.leader_user_id = leader_user_id
    current.holiday = holiday
    current.assigned_by = audit.actor_record(actor)
    current.assigned_at = datetime.now().astimezone()
    await session.flush()
    return previous
