"""Calendar feed addresses: only the SHA-256 of a feed's secret is stored."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings import models

# ---- calendar feed addresses --------------------------------------------------------------------


async def replace_calendar_subscription(
    session: AsyncSession, user_id: str, digest: str, calendar_name: str
) -> models.CalendarSubscription:
    """One address per person: a new one replaces the old, which stops answering at once."""
    s = models.CalendarSubscription
    row = (
        await session.execute(
            insert(s)
            .values(user_id=user_id, token_sha256=digest, calendar_name=calendar_name)
            .on_conflict_do_update(
                index_elements=[s.user_id],
                set_={"token_sha256": digest, "calendar_name": calendar_name, "issued_at": func.now()},
            )
            .returning(s)
        )
    ).scalar_one()
    return row


async def calendar_subscription_by_digest(
    session: AsyncSession, digest: str
) -> models.CalendarSubscription | None:
    s = models.CalendarSubscription
    return await session.scalar(select(s).where(s.token_sha256 == digest))


async def delete_calendar_subscription(session: AsyncSession, user_id: str) -> bool:
    s = models.CalendarSubscription
    deleted = await session.execute(delete(s).where(s.user_id == user_id).returning(s.user_id))
    return deleted.first() is not None
