"""Queries of requests for a city leader to attend an event (A54, A55, A59). Never commits: the caller
owns the transaction."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.org import models
from services.org.domain import AttendanceState
from shared.errors import NotFound


async def add_attendance(session: AsyncSession, **fields) -> models.EventAttendance:
    row = models.EventAttendance(
        id=uuid.uuid4(), state=AttendanceState.REQUESTED.value, previous_leader_user_ids=[], **fields
    )
    session.add(row)
    await session.flush()
    return row


async def get_attendance(
    session: AsyncSession, attendance_id: str, *, for_update: bool = False
) -> models.EventAttendance:
    try:
        key = uuid.UUID(attendance_id)
    except ValueError:
        raise NotFound(f"event attendance request {attendance_id!r}") from None
    query = select(models.EventAttendance).where(models.EventAttendance.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"event attendance request {attendance_id}")
    return row


async def list_attendances(
    session: AsyncSession,
    *,
    organisation_code: str = "",
    leader_user_id: str = "",
    state: str = "",
    from_day: date | None = None,
    to_day: date | None = None,
    after: tuple[date, str] | None = None,
    limit: int = 50,
) -> list[models.EventAttendance]:
    """Requests by event day then id; `after` is the keyset cursor of the page token."""
    table = models.EventAttendance
    query = select(table)
    if organisation_code:
        query = query.where(table.requesting_organisation_code == organisation_code)
    if leader_user_id:
        query = query.where(table.leader_user_id == leader_user_id)
    if state:
        query = query.where(table.state == state)
    if from_day:
        query = query.where(table.event_day >= from_day)
    if to_day:
        query = query.where(table.event_day <= to_day)
    if after:
        day, last_id = after
        query = query.where(
            or_(table.event_day > day, (table.event_day == day) & (table.id > uuid.UUID(last_id)))
        )
    rows = await session.scalars(query.order_by(table.event_day, table.id).limit(limit))
    return list(rows)
