"""Row access every aggregate uses: get by id (NotFound for an unknown or malformed id), add, LIKE text."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound


def like_escaped(text: str) -> str:
    """Search text taken literally in LIKE: % and _ are not wildcards when a person types them."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def row_key(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"{what} {value!r}") from None


async def get_row(session: AsyncSession, model, row_id: str, what: str, for_update: bool):
    query = select(model).where(model.id == row_key(row_id, what))
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"{what} {row_id}")
    return row


async def add(session: AsyncSession, row):
    session.add(row)
    await session.flush()
    return row
