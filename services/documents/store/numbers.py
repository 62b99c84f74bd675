"""Document numbers (发文字号): the next sequence of an issuer and year."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models

# ---- document numbers ---------------------------------------------------------------------------------


async def next_sequence(session: AsyncSession, issuer_code: str, year: int) -> int:
    """The next number of an issuer and year: the counter row is created once, then locked FOR UPDATE
    until the issuing transaction ends, so concurrent issues wait in line and a rolled-back issue
    gives its number back (never repeated, never skipped)."""
    await session.execute(
        insert(models.NumberCounter)
        .values(issuer_code=issuer_code, year=year, last_sequence=0)
        .on_conflict_do_nothing(index_elements=["issuer_code", "year"])
    )
    counter = await session.scalar(
        select(models.NumberCounter)
        .where(models.NumberCounter.issuer_code == issuer_code, models.NumberCounter.year == year)
        .with_for_update()
    )
    counter.last_sequence += 1
    await session.flush()
    return counter.last_sequence
