"""Persistence of openness complaints (A38). Functions add, query and flush; the caller commits."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.models import OpennessComplaint
from shared.errors import InvalidInput, NotFound

MAX_LISTED = 500


async def next_serial(session: AsyncSession) -> int:
    """The serial of a new complaint, taken first so its number is written with the row."""
    return await session.scalar(
        text("SELECT nextval(pg_get_serial_sequence('openness_complaint', 'serial'))")
    )


async def add(session: AsyncSession, **fields) -> OpennessComplaint:
    row = OpennessComplaint(id=uuid.uuid4(), **fields)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, complaint_id: str, *, for_update: bool = False) -> OpennessComplaint:
    try:
        key = uuid.UUID(complaint_id.strip())
    except (ValueError, AttributeError):
        raise InvalidInput({"complaint_id": "not a complaint id"}) from None
    query = select(OpennessComplaint).where(OpennessComplaint.id == key)
    row = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"complaint {key}", resource_type="complaint")
    return row


async def by_code_hash(session: AsyncSession, code_hash: str) -> OpennessComplaint | None:
    return await session.scalar(
        select(OpennessComplaint).where(OpennessComplaint.query_code_hash == code_hash)
    )


async def listed(session: AsyncSession, open_only: bool) -> list[OpennessComplaint]:
    """Open ones first, the earliest limit first; then the answered, newest first."""
    c = OpennessComplaint
    query = select(c)
    if open_only:
        query = query.where(c.state == "open")
    order = case((c.state == "open", 0), else_=1)
    return list(
        (await session.execute(query.order_by(order, c.answer_due, c.id).limit(MAX_LISTED))).scalars()
    )


async def figures(session: AsyncSession, first: date, last: date) -> dict[str, int]:
    """Received between the days, answered (of those) with their findings and lateness, open at the end
    (domain.annual_report.ComplaintFigures)."""
    c = OpennessComplaint
    filed = c.filed_on.between(first, last)
    answered = (filed, c.answered_on.is_not(None), c.answered_on <= last)
    row = (
        await session.execute(
            select(
                func.count().filter(filed).label("received"),
                func.count().filter(*answered).label("answered"),
                func.count()
                .filter(*answered, c.finding.in_(("substantiated", "partly_substantiated")))
                .label("substantiated"),
                func.count().filter(*answered, c.finding == "not_substantiated").label("not_substantiated"),
                func.count().filter(*answered, c.answered_on > c.answer_due).label("answered_late"),
                func.count()
                .filter(c.filed_on <= last, (c.answered_on.is_(None)) | (c.answered_on > last))
                .label("open_at_end"),
            )
        )
    ).one()
    return dict(row._mapping)
