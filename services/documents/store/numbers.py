"""Document numbers (发文字号): the next sequence of an issuer and year."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models

# ---- document numbers ---------------------------------------------------------------------------------


async def next_sequence(session: AsyncSession, issuer_code: str, year: int) -> int:
    """The next number of an issuer and year, in one statement (the counter row created by the first
    issue of a year): the row stays locked until the issuing transaction ends, so concurrent issues
    wait in line and a rolled-back issue gives its number back (never repeated, never skipped). One
    round trip, not three: every issue of the issuer waits for this lock, so its hold is kept short."""
    return await session.scalar(_TAKE, {"issuer_code": issuer_code, "year": year})


_COUNTER = models.NumberCounter.__table__
_TAKE = (
    insert(_COUNTER)
    .values(issuer_code=bindparam("issuer_code"), year=bindparam("year"), last_sequence=1)
    .on_conflict_do_update(
        index_elements=["issuer_code", "year"], set_={"last_sequence": _COUNTER.c.last_sequence + 1}
    )
    .returning(_COUNTER.c.last_sequence)
)  # built once
