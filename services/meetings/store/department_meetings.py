"""Queries of department meetings (A46), one lock per department for the one-a-year check."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings import domain, models
from services.meetings.store.rows import get_row

# ---- department meetings (A46) --------------------------------------------------------------------


async def lock_department(session: AsyncSession, organisation_code: str) -> None:
    """Two requests of one department at once must not both pass the one-a-year check."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"meetings.department/{organisation_code}"},
    )


async def city_wide_meetings_in_year(session: AsyncSession, organisation_code: str, year: int) -> int:
    """A46: the department's city-wide meetings of a year that are requested or approved."""
    m = models.DepartmentMeeting
    return await session.scalar(
        select(func.count())
        .select_from(m)
        .where(
            m.organisation_code == organisation_code,
            m.city_wide.is_(True),
            m.day >= date(year, 1, 1),
            m.day <= date(year, 12, 31),
            m.state.in_(
                [domain.DepartmentMeetingState.REQUESTED.value, domain.DepartmentMeetingState.APPROVED.value]
            ),
        )
    )


async def get_department_meeting(
    session: AsyncSession, row_id: str, *, for_update: bool = False
) -> models.DepartmentMeeting:
    return await get_row(session, models.DepartmentMeeting, row_id, "department meeting", for_update)


async def list_department_meetings(
    session: AsyncSession, *, organisation_code: str = "", year: int = 0
) -> list[models.DepartmentMeeting]:
    m = models.DepartmentMeeting
    query = select(m)
    if organisation_code:
        query = query.where(m.organisation_code == organisation_code)
    if year:
        query = query.where(m.day >= date(year, 1, 1), m.day <= date(year, 12, 31))
    return list(await session.scalars(query.order_by(m.day, m.id).limit(1000)))
