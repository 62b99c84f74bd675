"""Queries of leave from a meeting (A43)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings import models
from services.meetings.store.rows import get_row

# ---- leave from a meeting ------------------------------------------------------------------------


async def get_leave(session: AsyncSession, leave_id: str, *, for_update: bool = False) -> models.MeetingLeave:
    return await get_row(session, models.MeetingLeave, leave_id, "meeting leave", for_update)


async def leaves_of_meeting(session: AsyncSession, meeting_id: uuid.UUID) -> list[models.MeetingLeave]:
    rows = await session.scalars(
        select(models.MeetingLeave)
        .where(models.MeetingLeave.meeting_id == meeting_id)
        .order_by(models.MeetingLeave.created_at, models.MeetingLeave.id)
    )
    return list(rows)
