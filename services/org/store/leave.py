"""Queries of leave (请假, 销假, A82): the absences WhoMayAct, the stand-in rules and A82 read, and the
lock that serialises every decision about who is away. Never commits: the caller owns the transaction.

Functions taking `db: Db` are Core selects returning rows (the table's columns as attributes):
they run inside a write transaction (an AsyncSession) or on a read-only AUTOCOMMIT connection
(`shared.db.read`), which the read RPCs use so that a read costs no BEGIN/COMMIT round trips.
Core statements do not autoflush a session: flush first if the transaction changed what they read.
ListLeaves, one of the two hottest reads (the other, WhoMayAct, is store/acting.py's), takes the
engine and runs its select compiled once on the driver (`shared.db.fetch`): rows with the same
attributes.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Integer, bindparam, or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.org import models
from services.org.domain import Absence, LeaveKind, LeaveState
from shared import audit
from shared.db import Db, DriverQuery, fetch
from shared.errors import NotFound

# One lock for every decision about who is away: two approvals running at once must not
# both pass the A82 check, nor two overlapping requests of one person both be accepted.
_ABSENCE_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('org.absence'))")

LEAVE = models.Leave.__table__

# Built once: WhoMayAct asks it at every call (store/acting.py), and building a statement costs more
# than running it.
APPROVED_ON_DAY = select(LEAVE).where(
    LEAVE.c.state == LeaveState.APPROVED.value,
    LEAVE.c.first_day <= bindparam("day"),
    LEAVE.c.last_day >= bindparam("day"),
)


async def lock_absences(session: AsyncSession) -> None:
    await session.execute(_ABSENCE_LOCK)


def as_absence(row) -> Absence:
    """An absence from a leave: an ORM object or a row of the leave table."""
    return Absence(
        leave_id=str(row.id),
        user_id=row.user_id,
        position=row.position,
        kind=LeaveKind(row.kind),
        first_day=row.first_day,
        last_day=row.last_day,
        state=LeaveState(row.state),
        acting_user_id=row.acting_user_id,
    )


async def add_leave(session: AsyncSession, **fields) -> models.Leave:
    leave = models.Leave(id=uuid.uuid4(), state=LeaveState.REQUESTED.value, **fields)
    session.add(leave)
    await session.flush()
    return leave


async def get_leave(session: AsyncSession, leave_id: str, *, for_update: bool = False) -> models.Leave:
    try:
        key = uuid.UUID(leave_id)
    except ValueError:
        raise NotFound(f"leave {leave_id!r}") from None
    query = select(models.Leave).where(models.Leave.id == key)
    if for_update:
        query = query.with_for_update()
    leave = await session.scalar(query)
    if leave is None:
        raise NotFound(f"leave {leave_id}")
    return leave


async def leaves_of(session: AsyncSession, user_ids: Iterable[str]) -> list[Absence]:
    rows = await session.scalars(select(models.Leave).where(models.Leave.user_id.in_(list(user_ids))))
    return [as_absence(r) for r in rows]


async def approved_absences_on(db: Db, day: date) -> list[Absence]:
    rows = await db.execute(APPROVED_ON_DAY, {"day": day})
    return [as_absence(r) for r in rows]


async def approved_absences_of_positions(session: AsyncSession, positions: Iterable[str]) -> list[Absence]:
    rows = await session.scalars(
        select(models.Leave).where(
            models.Leave.state == LeaveState.APPROVED.value, models.Leave.position.in_(list(positions))
        )
    )
    return [as_absence(r) for r in rows]


async def approved_absences_between(session: AsyncSession, first_day: date, last_day: date) -> list[Absence]:
    """Approved leaves sharing a day with [first_day, last_day]: the stand-ins' and the A10/A59 partners'."""
    rows = await session.scalars(
        select(models.Leave).where(
            models.Leave.state == LeaveState.APPROVED.value,
            models.Leave.first_day <= last_day,
            models.Leave.last_day >= first_day,
        )
    )
    return [as_absence(r) for r in rows]


async def list_leaves(
    engine: AsyncEngine,
    *,
    user_id: str = "",
    state: str = "",
    from_day: date | None = None,
    to_day: date | None = None,
    after: tuple[date, str] | None = None,
    limit: int = 50,
) -> list:
    """Rows of leaves by first day then id; `after` is the keyset cursor of the page token."""
    filters = {"user_id": user_id, "state": state, "from_day": from_day, "to_day": to_day}
    values = {name: value for name, value in filters.items() if value}
    if after:
        values["after_day"], values["after_id"] = after[0], uuid.UUID(after[1])
    query = _leaves_query(*(name in values for name in (*filters, "after_day")))
    return await fetch(engine, query, **values, limit=limit)


@functools.cache
def _leaves_query(user_id: bool, state: bool, from_day: bool, to_day: bool, after: bool) -> DriverQuery:
    """The ListLeaves statement for one combination of filters, built once: values are bound at
    execution, and building a statement costs more than running this one."""
    query = select(LEAVE)
    if user_id:
        query = query.where(LEAVE.c.user_id == bindparam("user_id"))
    if state:
        query = query.where(LEAVE.c.state == bindparam("state"))
    if from_day:
        query = query.where(LEAVE.c.last_day >= bindparam("from_day"))
    if to_day:
        query = query.where(LEAVE.c.first_day <= bindparam("to_day"))
    if after:
        day = bindparam("after_day")
        query = query.where(
            or_(LEAVE.c.first_day > day, (LEAVE.c.first_day == day) & (LEAVE.c.id > bindparam("after_id")))
        )
    return DriverQuery(query.order_by(LEAVE.c.first_day, LEAVE.c.id).limit(bindparam("limit", type_=Integer)))


async def leave_by_id(db: Db, leave_id: str):
    """The row of one leave, for reading (get_leave gives the ORM object a write changes)."""
    try:
        key = uuid.UUID(leave_id)
    except ValueError:
        raise NotFound(f"leave {leave_id!r}") from None
    row = (await db.execute(select(LEAVE).where(LEAVE.c.id == key))).first()
    if row is None:
        raise NotFound(f"leave {leave_id}")
    return row


async def leave_with_history(db: Db, leave_id: str) -> tuple:
    """GetLeave: the leave's row and its recorded acts."""
    row = await leave_by_id(db, leave_id)
    return row, await audit.history(db, f"leave/{row.id}")
