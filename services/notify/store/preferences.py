"""Queries on people's preferences; never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import Preference


async def of(session: AsyncSession, user_ids: list[str]) -> dict[str, Preference]:
    if not user_ids:
        return {}
    rows = await session.scalars(select(Preference).where(Preference.user_id.in_(user_ids)))
    return {row.user_id: row for row in rows}


async def put(session: AsyncSession, user_id: str, values: dict) -> None:
    statement = insert(Preference).values(user_id=user_id, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))
