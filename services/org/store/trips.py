"""Queries of trips abroad (A57, A58); never commit."""

from __future__ import annotations

import uuid

from datetime import date

from sqlalchemy import cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONPATH
from sqlalchemy.ext.asyncio import AsyncSession

from services.org.models import Trip
from shared.errors import NotFound


async def add(session: AsyncSession, **fields) -> Trip:
    row = Trip(id=uuid.uuid4(), leave_ids=[], gifts=[], **fields)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, trip_id: str, *, for_update: bool = False) -> Trip:
    try:
        key = uuid.UUID(trip_id)
    except (ValueError, TypeError):
        raise NotFound(f"trip {trip_id!r}", resource_type="trip") from None
    query = select(Trip).where(Trip.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"trip {trip_id}", resource_type="trip")
    return row


# A58: a gift to hand over, past its limit ($today, an ISO date: such strings compare as dates), not
# handed over and not yet announced.
GIFT_OVERDUE = (
    '$[*] ? (@.must_hand_over == true && @.handed_over_on == "" && @.hand_over_due < $today'
    " && !(exists(@.overdue_announced_on)))"
)


async def past_a_limit(session: AsyncSession, today: date, batch: int) -> list[Trip]:
    """Approved trips whose report or a gift's hand-over is past its limit and not yet announced,
    locked with SKIP LOCKED so replicas share the sweep."""
    report = (
        (Trip.state == "approved") & (Trip.report_due < today) & Trip.report_overdue_announced_on.is_(None)
    )
    gift = func.jsonb_path_exists(
        Trip.gifts, cast(literal(GIFT_OVERDUE), JSONPATH), func.jsonb_build_object("today", today.isoformat())
    )
    query = (
        select(Trip)
        .where(Trip.state.in_(("approved", "reported")))
        .where(report | gift)
        .order_by(Trip.last_day, Trip.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(query))
