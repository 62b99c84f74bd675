"""Countersigns (会签, A49): the requests, the answers and the ones the clock looks at."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models
from services.documents.domain import CountersignState
from shared.errors import NotFound

# ---- countersign (A49) ------------------------------------------------------------------------------


async def countersigns_of(session: AsyncSession, document_id: uuid.UUID) -> list[models.Countersign]:
    rows = await session.scalars(
        select(models.Countersign)
        .where(models.Countersign.document_id == document_id)
        .order_by(models.Countersign.organisation_code)
    )
    return list(rows)


async def countersigns_of_many(
    session: AsyncSession, document_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[models.Countersign]]:
    """The countersigns of a page of documents in one query."""
    found: dict[uuid.UUID, list[models.Countersign]] = {i: [] for i in document_ids}
    rows = await session.scalars(
        select(models.Countersign)
        .where(models.Countersign.document_id.in_(document_ids))
        .order_by(models.Countersign.organisation_code)
    )
    for row in rows:
        found[row.document_id].append(row)
    return found


async def add_countersign(session: AsyncSession, **fields) -> models.Countersign:
    row = models.Countersign(id=uuid.uuid4(), state=CountersignState.REQUESTED.value, reasons="", **fields)
    session.add(row)
    await session.flush()
    return row


async def countersign_of(
    session: AsyncSession, document_id: uuid.UUID, organisation_code: str
) -> models.Countersign:
    row = await session.scalar(
        select(models.Countersign)
        .where(
            models.Countersign.document_id == document_id,
            models.Countersign.organisation_code == organisation_code,
        )
        .with_for_update()
    )
    if row is None:
        who = organisation_code or "your organisation"
        raise NotFound(f"a countersign of {who} on document {document_id}", resource_type="countersign")
    return row


async def countersigns_due_unreminded(session: AsyncSession, today: date) -> list[models.Countersign]:
    """A49: unanswered countersigns whose last day is today and whose reminder is not written yet."""
    table = models.Countersign
    rows = await session.scalars(
        select(table)
        .where(
            table.state == CountersignState.REQUESTED.value,
            table.due == today,
            table.due_reminded_on.is_(None),
        )
        .order_by(table.id)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def countersigns_overdue(session: AsyncSession, today: date) -> list[models.Countersign]:
    """A49: still unanswered after their last day; locked, and skipped if another sweeper holds them."""
    rows = await session.scalars(
        select(models.Countersign)
        .where(
            models.Countersign.state == CountersignState.REQUESTED.value,
            models.Countersign.due < today,
        )
        .order_by(models.Countersign.due, models.Countersign.id)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
