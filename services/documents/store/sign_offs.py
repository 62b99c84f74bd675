"""Sign-offs (签发, A51)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models

# ---- sign-off (A51) ---------------------------------------------------------------------------------


async def sign_offs_of(session: AsyncSession, document_id: uuid.UUID) -> list[models.SignOff]:
    rows = await session.scalars(
        select(models.SignOff)
        .where(models.SignOff.document_id == document_id)
        .order_by(models.SignOff.at, models.SignOff.id)
    )
    return list(rows)


async def sign_offs_of_many(
    session: AsyncSession, document_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[models.SignOff]]:
    """The sign-offs of a page of documents in one query."""
    found: dict[uuid.UUID, list[models.SignOff]] = {i: [] for i in document_ids}
    rows = await session.scalars(
        select(models.SignOff)
        .where(models.SignOff.document_id.in_(document_ids))
        .order_by(models.SignOff.at, models.SignOff.id)
    )
    for row in rows:
        found[row.document_id].append(row)
    return found


async def add_sign_off(session: AsyncSession, **fields) -> models.SignOff:
    row = models.SignOff(id=uuid.uuid4(), **fields)
    session.add(row)
    await session.flush()
    return row


def new_sign_off(session: AsyncSession, **fields) -> models.SignOff:
    """A sign-off written with the act's next flush (one round trip with the document's change)."""
    row = models.SignOff(id=uuid.uuid4(), **fields)
    session.add(row)
    return row
