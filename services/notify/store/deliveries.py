"""Queries on deliveries; never commit (the caller's transaction does).

Claiming (取件) moves a due row's next attempt forward by a lease in the claiming transaction,
with SKIP LOCKED, so two dispatchers (replicas, or a restart overlapping) never send one row at
the same time; a dispatcher that dies after sending and before marking leaves the row to be sent
again after the lease (at least once, never lost).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import Delivery

PENDING, SENT, FAILED = "pending", "sent", "failed"


async def add(session: AsyncSession, rows: list[dict]) -> int:
    """Insert deliveries; one already there for the same event, recipient and channel is kept as it
    is (never a second message). Returns how many are new."""
    if not rows:
        return 0
    statement = (
        insert(Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["event_id", "recipient_user_id", "channel"])
        .returning(Delivery.id)
    )
    return len((await session.execute(statement)).all())


async def claim_due(session: AsyncSession, now: datetime, batch: int, lease: timedelta) -> list[Delivery]:
    """The pending rows due by `now` (oldest first), leased to this caller."""
    due = (
        select(Delivery.id)
        .where(Delivery.state == PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    rows = await session.scalars(
        update(Delivery).where(Delivery.id.in_(ids)).values(next_attempt_at=now + lease).returning(Delivery)
    )
    return list(rows.all())


async def claim_companions(
    session: AsyncSession,
    user_id: str,
    channel: str,
    now: datetime,
    lease: timedelta,
    exclude: list[uuid.UUID],
    any_pending: bool = False,
) -> list[Delivery]:
    """The recipient's other rows on this channel still waiting, due or not, that go in the same
    message: digest rows, or (`any_pending`) every pending row."""
    others = (
        select(Delivery.id)
        .where(
            Delivery.state == PENDING,
            Delivery.recipient_user_id == user_id,
            Delivery.channel == channel,
            Delivery.id.not_in(exclude),
        )
        .with_for_update(skip_locked=True)
    )
    if not any_pending:
        others = others.where(Delivery.digest.is_(True))
    ids = list((await session.scalars(others)).all())
    if not ids:
        return []
    rows = await session.scalars(
        update(Delivery).where(Delivery.id.in_(ids)).values(next_attempt_at=now + lease).returning(Delivery)
    )
    return list(rows.all())


async def mark_sent(session: AsyncSession, ids: list[uuid.UUID], now: datetime) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(state=SENT, sent_at=now, attempts=Delivery.attempts + 1, last_error="")
    )


async def mark_failed(
    session: AsyncSession, ids: list[uuid.UUID], error: str, retry_at: datetime | None
) -> None:
    """One more failed attempt: retried at `retry_at`, or given up when None."""
    values = {"attempts": Delivery.attempts + 1, "last_error": error[:2000]}
    if retry_at is None:
        values["state"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    await session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(**values))


async def cancel_pending(session: AsyncSession, recipient_user_id: str, why: str) -> int:
    """The recipient's waiting rows given up (failed, with why), their addresses erased; how many."""
    cancelled = await session.execute(
        update(Delivery)
        .where(Delivery.recipient_user_id == recipient_user_id, Delivery.state == PENDING)
        .values(state=FAILED, address="", last_error=why)
        .returning(Delivery.id)
    )
    return len(cancelled.all())


@dataclass(frozen=True)
class Filters:
    recipient_user_id: str = ""
    state: str = ""
    event_id: str = ""


async def listed(
    session: AsyncSession, filters: Filters, after: tuple[datetime, str] | None, limit: int
) -> list[Delivery]:
    """Newest first, keyset-paged by (created_at, id)."""
    query = select(Delivery)
    if filters.recipient_user_id:
        query = query.where(Delivery.recipient_user_id == filters.recipient_user_id)
    if filters.state:
        query = query.where(Delivery.state == filters.state)
    if filters.event_id:
        query = query.where(Delivery.event_id == filters.event_id)
    if after is not None:
        created, row_id = after
        query = query.where(
            or_(
                Delivery.created_at < created,
                and_(Delivery.created_at == created, Delivery.id < uuid.UUID(row_id)),
            )
        )
    query = query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())
