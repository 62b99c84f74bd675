"""Reads and writes of the org service's tables. Never commits: the caller owns the transaction.
Receptions (A56) and trips abroad (A57, A58) have their own modules: store/receptions.py, store/trips.py.

Functions taking `db: Db` are Core selects returning rows (the table's columns as attributes):
they run inside a write transaction (an AsyncSession) or on a read-only AUTOCOMMIT connection
(`shared.db.read`), which the read RPCs use so that a read costs no BEGIN/COMMIT round trips.
Core statements do not autoflush a session: flush first if the transaction changed what they read.
The two hottest reads (WhoMayAct, which every service asks, and ListLeaves) take the engine and
run their select compiled once on the driver (`shared.db.fetch`): rows with the same attributes.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Integer, bindparam, case, delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from services.org import models
from services.org.domain import Absence, AttendanceState, LeaveKind, LeaveState
from shared import audit
from shared.db import DriverQuery, fetch
from shared.errors import NotFound
from shared.identity import Actor

# One lock for every decision about who is away: two approvals running at once must not
# both pass the A82 check, nor two overlapping requests of one person both be accepted.
_ABSENCE_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('org.absence'))")

# A write transaction's session or a read-only connection (shared.db.read).
Db = AsyncSession | AsyncConnection

LEAVE = models.Leave.__table__
AB_PAIR = models.AbPair.__table__
PORTFOLIO = models.Portfolio.__table__
PORTFOLIO_ORGANISATION = models.PortfolioOrganisation.__table__
DUTY_ASSIGNMENT = models.DutyAssignment.__table__

# Built once: WhoMayAct asks these at every call, and building a statement costs more than running it.
_APPROVED_ON_DAY = select(LEAVE).where(
    LEAVE.c.state == LeaveState.APPROVED.value,
    LEAVE.c.first_day <= bindparam("day"),
    LEAVE.c.last_day >= bindparam("day"),
)
_HOLDER = bindparam("holder")
_PARTNER_OF_HOLDER = (
    select(
        case(
            (AB_PAIR.c.leader_a_user_id == _HOLDER, AB_PAIR.c.leader_b_user_id),
            else_=AB_PAIR.c.leader_a_user_id,
        )
    )
    .where(or_(AB_PAIR.c.leader_a_user_id == _HOLDER, AB_PAIR.c.leader_b_user_id == _HOLDER))
    .order_by(AB_PAIR.c.leader_a_user_id)
    .limit(1)
    .scalar_subquery()
)
_ABSENCES_WITH_PARTNER = DriverQuery(_APPROVED_ON_DAY.add_columns(_PARTNER_OF_HOLDER.label("ab_partner")))
_AB_PAIRS = select(AB_PAIR.c.leader_a_user_id, AB_PAIR.c.leader_b_user_id).order_by(
    AB_PAIR.c.leader_a_user_id
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


# ---- leave ---------------------------------------------------------------------------------------


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
    rows = await db.execute(_APPROVED_ON_DAY, {"day": day})
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


async def leaves_due_to_start_acting(session: AsyncSession, today: date) -> list[models.Leave]:
    rows = await session.scalars(
        select(models.Leave)
        .where(
            models.Leave.state == LeaveState.APPROVED.value,
            models.Leave.acting_started_at.is_(None),
            models.Leave.first_day <= today,
            models.Leave.last_day >= today,
        )
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def leaves_due_to_end_acting(session: AsyncSession, today: date) -> list[models.Leave]:
    """Acting began and the absence is over: past its last day, or ended by 销假."""
    rows = await session.scalars(
        select(models.Leave)
        .where(
            models.Leave.acting_started_at.is_not(None),
            models.Leave.acting_ended_at.is_(None),
            or_(models.Leave.last_day < today, models.Leave.state == LeaveState.ENDED.value),
        )
        .with_for_update(skip_locked=True)
    )
    return list(rows)


# ---- portfolios (A8) -------------------------------------------------------------------------------


async def portfolios(db: Db) -> dict[str, tuple[list[str], object]]:
    """leader -> (organisation codes, portfolio row)."""
    rows = list(await db.execute(select(PORTFOLIO).order_by(PORTFOLIO.c.leader_user_id)))
    codes: dict[str, list[str]] = {r.leader_user_id: [] for r in rows}
    for link in await db.execute(
        select(PORTFOLIO_ORGANISATION).order_by(PORTFOLIO_ORGANISATION.c.organisation_code)
    ):
        codes.setdefault(link.leader_user_id, []).append(link.organisation_code)
    return {r.leader_user_id: (codes[r.leader_user_id], r) for r in rows}


async def replace_portfolio(
    session: AsyncSession,
    leader_user_id: str,
    organisation_codes: list[str],
    matters: list[str],
    actor: Actor,
) -> models.Portfolio:
    portfolio = await session.get(models.Portfolio, leader_user_id, with_for_update=True)
    if portfolio is None:
        portfolio = models.Portfolio(leader_user_id=leader_user_id)
        session.add(portfolio)
    portfolio.matters = matters
    portfolio.updated_by = audit.actor_record(actor)
    portfolio.updated_at = datetime.now().astimezone()
    await session.flush()
    await session.execute(
        delete(models.PortfolioOrganisation).where(
            models.PortfolioOrganisation.leader_user_id == leader_user_id
        )
    )
    session.add_all(
        models.PortfolioOrganisation(organisation_code=c, leader_user_id=leader_user_id)
        for c in organisation_codes
    )
    await session.flush()
    return portfolio


# ---- A/B pairs (A59) -------------------------------------------------------------------------------


async def ab_pairs(db: Db) -> list[tuple[str, str]]:
    rows = await db.execute(_AB_PAIRS)
    return [(a, b) for a, b in rows]


async def acting_facts(
    engine: AsyncEngine, day: date, holder_user_id: str
) -> tuple[list[Absence], str | None]:
    """WhoMayAct (A10, A59) in one round trip: the approved absences on `day`, and the holder's A/B
    partner (as domain.ab_partner finds it in `ab_pairs`).

    The partner rides on every absence row. With no absence that day the holder is not away and the
    partner does not matter, so it is None then.
    """
    rows = await fetch(engine, _ABSENCES_WITH_PARTNER, day=day, holder=holder_user_id)
    return [as_absence(r) for r in rows], (rows[0].ab_partner if rows else None)


async def replace_ab_pair(session: AsyncSession, a: str, b: str) -> None:
    """Pairs are exclusive: pairing two leaders dissolves their earlier pairs."""
    await session.execute(
        delete(models.AbPair).where(
            models.AbPair.leader_a_user_id.in_([a, b]) | models.AbPair.leader_b_user_id.in_([a, b])
        )
    )
    session.add(models.AbPair(leader_a_user_id=a, leader_b_user_id=b))
    await session.flush()


# ---- duty roster (A79) -----------------------------------------------------------------------------


async def duty_assignments(db: Db, year: int) -> list:
    rows = await db.execute(
        select(DUTY_ASSIGNMENT)
        .where(DUTY_ASSIGNMENT.c.day >= date(year, 1, 1), DUTY_ASSIGNMENT.c.day <= date(year, 12, 31))
        .order_by(DUTY_ASSIGNMENT.c.day)
    )
    return list(rows)


async def put_duty_assignment(
    session: AsyncSession, day: date, leader_user_id: str, holiday: str, actor: Actor
) -> str:
    """Assign the day; returns the leader it replaced ('' if none)."""
    current = await session.get(models.DutyAssignment, day, with_for_update=True)
    previous = current.leader_user_id if current else ""
    if current is None:
        current = models.DutyAssignment(day=day)
        session.add(current)
    current.leader_user_id = leader_user_id
    current.holiday = holiday
    current.assigned_by = audit.actor_record(actor)
    current.assigned_at = datetime.now().astimezone()
    await session.flush()
    return previous


# ---- event attendance (A54, A55, A59) ----------------------------------------------------------------


async def add_attendance(session: AsyncSession, **fields) -> models.EventAttendance:
    row = models.EventAttendance(
        id=uuid.uuid4(), state=AttendanceState.REQUESTED.value, previous_leader_user_ids=[], **fields
    )
    session.add(row)
    await session.flush()
    return row


async def get_attendance(
    session: AsyncSession, attendance_id: str, *, for_update: bool = False
) -> models.EventAttendance:
    try:
        key = uuid.UUID(attendance_id)
    except ValueError:
        raise NotFound(f"event attendance request {attendance_id!r}") from None
    query = select(models.EventAttendance).where(models.EventAttendance.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"event attendance request {attendance_id}")
    return row


async def list_attendances(
    session: AsyncSession,
    *,
    organisation_code: str = "",
    leader_user_id: str = "",
    state: str = "",
    from_day: date | None = None,
    to_day: date | None = None,
    after: tuple[date, str] | None = None,
    limit: int = 50,
) -> list[models.EventAttendance]:
    """Requests by event day then id; `after` is the keyset cursor of the page token."""
    table = models.EventAttendance
    query = select(table)
    if organisation_code:
        query = query.where(table.requesting_organisation_code == organisation_code)
    if leader_user_id:
        query = query.where(table.leader_user_id == leader_user_id)
    if state:
        query = query.where(table.state == state)
    if from_day:
        query = query.where(table.event_day >= from_day)
    if to_day:
        query = query.where(table.event_day <= to_day)
    if after:
        day, last_id = after
        query = query.where(
            or_(table.event_day > day, (table.event_day == day) & (table.id > uuid.UUID(last_id)))
        )
    rows = await session.scalars(query.order_by(table.event_day, table.id).limit(limit))
    return list(rows)
