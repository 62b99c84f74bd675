"""Queries of meetings: bookings under one lock (A40 double booking), lists and the last meeting of a kind."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings import domain, models
from services.meetings.store.rows import get_row, like_escaped


def _has_participant(participant: str):
    """A person among a meeting's convener, chair, members and invitees (the GIN index answers it)."""
    return models.Meeting.participant_user_ids.contains([participant])


# The columns a calendar feed shows (calendar_feed.feed_meetings), not the whole row.
_FEED_COLUMNS = (
    "id",
    "kind",
    "title",
    "day",
    "start_minute",
    "duration_minutes",
    "location",
    "emergency",
    "convener_user_id",
    "chair_user_id",
    "member_user_ids",
)

# One lock for scheduling: two meetings scheduled at once must not both pass the double-booking check.
_BOOKING_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('meetings.booking'))")

# ---- meetings ------------------------------------------------------------------------------------


async def lock_bookings(session: AsyncSession) -> None:
    await session.execute(_BOOKING_LOCK)


async def get_meeting(session: AsyncSession, meeting_id: str, *, for_update: bool = False) -> models.Meeting:
    return await get_row(session, models.Meeting, meeting_id, "meeting", for_update)


def as_booking(row: models.Meeting) -> domain.Booking:
    return domain.Booking(
        str(row.id),
        row.title,
        row.day,
        row.start_minute,
        row.start_minute + row.duration_minutes,
        frozenset(row.participants),
    )


async def bookings_on(session: AsyncSession, day: date) -> list[domain.Booking]:
    rows = await session.scalars(
        select(models.Meeting).where(
            models.Meeting.day == day, models.Meeting.state != domain.MeetingState.CLOSED.value
        )
    )
    return [as_booking(r) for r in rows]


async def list_meetings(
    session: AsyncSession,
    *,
    kind: str = "",
    state: str = "",
    from_day: date | None = None,
    to_day: date | None = None,
    participant: str = "",
    title_contains: str = "",
    after: tuple[date, str] | None = None,
    limit: int = 50,
) -> list[models.Meeting]:
    """Meetings by day then id; `after` is the keyset cursor of the page token."""
    m = models.Meeting
    query = select(m)
    if kind:
        query = query.where(m.kind == kind)
    if state:
        query = query.where(m.state == state)
    if from_day:
        query = query.where(m.day >= from_day)
    if to_day:
        query = query.where(m.day <= to_day)
    if participant:
        query = query.where(_has_participant(participant))
    if title_contains:
        query = query.where(m.title.ilike(f"%{like_escaped(title_contains)}%", escape="\\"))
    if after:
        day, last_id = after
        query = query.where(tuple_(m.day, m.id) > tuple_(day, uuid.UUID(last_id)))
    return list(await session.scalars(query.order_by(m.day, m.id).limit(limit)))


async def calendar_meetings(
    session: AsyncSession, participant: str, from_day: date, to_day: date, limit: int
):
    """A person's meetings between two days (inclusive), by day then id: only the feed's columns, found
    through the participants' index."""
    m = models.Meeting.__table__
    query = (
        select(*(m.c[name] for name in _FEED_COLUMNS))
        .where(_has_participant(participant), m.c.day.between(from_day, to_day))
        .order_by(m.c.day, m.c.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def last_meeting_day(session: AsyncSession, kind: str) -> date | None:
    return await session.scalar(select(func.max(models.Meeting.day)).where(models.Meeting.kind == kind))
