"""Queries of acting (代行, A10, A59): the leaves whose acting begins or ends today (the acting clock),
and WhoMayAct's facts in one round trip. Never commits: the caller owns the transaction.

WhoMayAct, which every service asks, is the hottest read: it takes the engine and runs its select
compiled once on the driver (`shared.db.fetch`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, case, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.org import models
from services.org.domain import Absence, LeaveState
from services.org.store.leave import APPROVED_ON_DAY, as_absence
from shared.db import DriverQuery, fetch

AB_PAIR = models.AbPair.__table__

# Built once: WhoMayAct asks this at every call, and building a statement costs more than running it.
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
_ABSENCES_WITH_PARTNER = DriverQuery(APPROVED_ON_DAY.add_columns(_PARTNER_OF_HOLDER.label("ab_partner")))


async def acting_facts(
    engine: AsyncEngine, day: date, holder_user_id: str
) -> tuple[list[Absence], str | None]:
    """WhoMayAct (A10, A59) in one round trip: the approved absences on `day`, and the holder's A/B
    partner (as domain.ab_partner finds it in store/portfolios.py `ab_pairs`).

    The partner rides on every absence row. With no absence that day the holder is not away and the
    partner does not matter, so it is None then.
    """
    rows = await fetch(engine, _ABSENCES_WITH_PARTNER, day=day, holder=holder_user_id)
    return [as_absence(r) for r in rows], (rows[0].ab_partner if rows else None)


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
