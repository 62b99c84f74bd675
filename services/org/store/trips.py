"""Queries of trips abroad (A57, A58); never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
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
