"""Queries of circulars and the item facts they tally (never commit)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from services.supervision.domain.circulars import ItemFacts
from shared.errors import NotFound

CIRCULAR = models.Circular
ITEM = models.SupervisionItem
ESCALATION = models.Escalation


async def get_circular(session: AsyncSession, circular_id: str, *, for_update: bool = False) -> CIRCULAR:
    try:
        key = uuid.UUID(circular_id)
    except (ValueError, TypeError):
        raise NotFound(f"circular {circular_id!r}", resource_type="circular") from None
    query = select(CIRCULAR).where(CIRCULAR.id == key)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"circular {circular_id}", resource_type="circular")
    return row


async def circular_of(session: AsyncSession, year: int, month: int) -> CIRCULAR | None:
    return await session.scalar(
        select(CIRCULAR).where(CIRCULAR.year == year, CIRCULAR.month == month).with_for_update()
    )


async def add(session: AsyncSession, row) -> None:
    session.add(row)
    await session.flush()


def _claimed_on():
    return func.to_date(ITEM.completion["claimed_on"].astext, "YYYY-MM-DD")


async def tallies(session: AsyncSession, first: date, last: date, as_of: date) -> list[dict]:
    """Per lead body: closed on time and closed in the month, and open past due on `as_of` (the month's
    last day, or today for the month under way)."""
    claimed = _claimed_on()
    closed_in_month = and_(ITEM.state == "closed", claimed >= first, claimed <= last)
    overdue = and_(ITEM.state.notin_(("closed", "withdrawn")), ITEM.due < as_of)
    rows = await session.execute(
        select(
            ITEM.lead_body_code,
            func.count().filter(and_(closed_in_month, claimed <= ITEM.due)),
            func.count().filter(closed_in_month),
            func.count().filter(overdue),
        )
        .where(ITEM.lead_body_code != "", (closed_in_month | overdue))
        .group_by(ITEM.lead_body_code)
        .order_by(ITEM.lead_body_code)
    )
    return [{"body_code": body, "closed_on_time": a, "closed": b, "overdue": c} for body, a, b, c in rows]


def _facts(row) -> ItemFacts:
    claimed = row.completion.get("claimed_on") if row.completion else None
    return ItemFacts(
        str(row.id),
        row.number,
        row.lead_body_code,
        row.state,
        row.due,
        date.fromisoformat(claimed) if claimed else None,
    )


async def facts_of(session: AsyncSession, item_ids: list[str]) -> dict[str, ItemFacts]:
    keys = []
    for value in item_ids:
        try:
            keys.append(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    rows = await session.scalars(select(ITEM).where(ITEM.id.in_(keys))) if keys else []
    return {str(r.id): _facts(r) for r in rows}


async def sent_to_mayor(session: AsyncSession, first: date, last: date) -> list[ItemFacts]:
    """The items the ladder sent to the mayor in the month (10 working days past due)."""
    rows = await session.scalars(
        select(ITEM)
        .join(ESCALATION, ESCALATION.item_id == ITEM.id)
        .where(ESCALATION.step == "to_mayor", ESCALATION.taken_on >= first, ESCALATION.taken_on <= last)
        .order_by(ITEM.number)
        .distinct()
    )
    return [_facts(r) for r in rows]
