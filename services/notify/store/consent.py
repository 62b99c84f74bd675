"""Queries on citizens' consents; never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import CitizenConsent


async def of_case(
    session: AsyncSession, kind: str, case_id: str, *, for_update: bool = False
) -> CitizenConsent | None:
    query = select(CitizenConsent).where(CitizenConsent.case_kind == kind, CitizenConsent.case_id == case_id)
    return await session.scalar(query.with_for_update() if for_update else query)


async def standing(session: AsyncSession, kind: str, case_id: str) -> CitizenConsent | None:
    """The consent of the case when it stands (given, not withdrawn)."""
    row = await of_case(session, kind, case_id)
    return row if row is not None and row.withdrawn_at is None else None


def add(session: AsyncSession, **values) -> CitizenConsent:
    row = CitizenConsent(**values)
    session.add(row)
    return row
