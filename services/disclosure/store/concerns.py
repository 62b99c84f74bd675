"""Persistence of public concerns (回应关切, A70). Functions add, query and flush; the caller commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, func, not_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.domain.concerns import Limit, State
from services.disclosure.models import PublicConcern
from shared.errors import InvalidInput, NotFound

OPEN = PublicConcern.state != State.RESPONDED.value


def parse_id(value: str, field: str = "concern_id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput({field: "not a concern id"}) from None


async def add(session: AsyncSession, **fields) -> PublicConcern:
    row = PublicConcern(id=uuid.uuid4(), overdue_notified=[], **fields)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, concern_id: str, *, for_update: bool = False) -> PublicConcern:
    key = parse_id(concern_id)
    query = select(PublicConcern).where(PublicConcern.id == key)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"concern {key}", resource_type="concern")
    return row


async def by_response(session: AsyncSession, publication_id: uuid.UUID) -> PublicConcern | None:
    query = select(PublicConcern).where(PublicConcern.response_publication_id == publication_id)
    return (await session.execute(query)).scalar_one_or_none()


def _late(now: datetime):
    """Open past the response limit, or a major one with no press conference past its limit."""
    c = PublicConcern
    return or_(
        and_(OPEN, c.response_due < now), and_(c.press_conference_due < now, c.press_conference_at.is_(None))
    )


async def listed(
    session: AsyncSession,
    *,
    late_only: bool,
    include_responded: bool,
    now: datetime,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    department_code: str | None = None,
) -> list[PublicConcern]:
    """The officer's queue (or one department's): the earliest response limit first (keyset on
    response_due, id)."""
    c = PublicConcern
    query = select(c)
    if department_code is not None:
        query = query.where(c.department_code == department_code)
    if not include_responded:
        query = query.where(OPEN)
    if late_only:
        query = query.where(_late(now))
    if after is not None:
        query = query.where(tuple_(c.response_due, c.id) > tuple_(after[0], after[1]))
    return list((await session.execute(query.order_by(c.response_due, c.id).limit(limit))).scalars())


async def count_late(session: AsyncSession, now: datetime, department_code: str | None = None) -> int:
    c = PublicConcern
    query = select(func.count()).select_from(c).where(OPEN, c.response_due < now)
    if department_code is not None:
        query = query.where(c.department_code == department_code)
    return (await session.execute(query)).scalar_one()


async def overdue_to_announce(session: AsyncSession, now: datetime, batch: int) -> list[PublicConcern]:
    """Concerns past a limit whose overdue event is not yet written; locked, skipped when another sweep
    holds them (so each event is written once)."""
    c = PublicConcern
    response = and_(OPEN, c.response_due < now, not_(c.overdue_notified.has_key(Limit.RESPONSE.value)))
    conference = and_(
        c.press_conference_due < now,
        c.press_conference_at.is_(None),
        not_(c.overdue_notified.has_key(Limit.PRESS_CONFERENCE.value)),
    )
    query = (
        select(c)
        .where(or_(response, conference))
        .order_by(c.response_due, c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())
