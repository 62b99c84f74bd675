"""Queries of supervision items (never commit: the caller owns the transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from shared.errors import NotFound
from services.supervision.domain.readers import Scope

ITEM = models.SupervisionItem


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        raise NotFound(f"item {value!r}", resource_type="item") from None


async def get_item(session: AsyncSession, item_id: str | uuid.UUID, *, for_update: bool = False) -> ITEM:
    key = item_id if isinstance(item_id, uuid.UUID) else _uuid(item_id)
    query = select(ITEM).where(ITEM.id == key)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"item {item_id}", resource_type="item")
    return row


async def next_number(session: AsyncSession, year: int) -> int:
    """The next item number of `year`, gapless: the counter row is created if missing, then locked
    FOR UPDATE, so concurrent registrations number one after the other and a rollback gives the
    number back."""
    await session.execute(
        insert(models.ItemCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    counter = await session.scalar(
        select(models.ItemCounter)
        .where(models.ItemCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter.last_number += 1
    await session.flush()
    return counter.last_number


async def add_item(session: AsyncSession, **fields) -> ITEM:
    row = ITEM(**{"id": uuid.uuid4(), **fields})
    session.add(row)
    await session.flush()
    return row


async def claim_source(session: AsyncSession, service: str, ref: str, item_id: uuid.UUID) -> bool:
    """Record that (service, ref) belongs to the item; False when the source was already known."""
    inserted = await session.execute(
        insert(models.ItemSource)
        .values(service=service, ref=ref, item_id=item_id)
        .on_conflict_do_nothing()
        .returning(models.ItemSource.ref)
    )
    return inserted.first() is not None


async def item_of_source(
    session: AsyncSession, service: str, ref: str, *, for_update: bool = False
) -> ITEM | None:
    item_id = await session.scalar(
        select(models.ItemSource.item_id).where(
            models.ItemSource.service == service, models.ItemSource.ref == ref
        )
    )
    return None if item_id is None else await get_item(session, item_id, for_update=for_update)


async def move_source(session: AsyncSession, service: str, ref: str, item_id: uuid.UUID) -> None:
    source = await session.get(models.ItemSource, (service, ref), with_for_update=True)
    source.item_id = item_id
    await session.flush()


# ---- escalations ----------------------------------------------------------------------------------


async def record_step(
    session: AsyncSession, item_id: uuid.UUID, step: str, against_due: date, taken_on: date, **recipient: str
) -> bool:
    """The step once: False when it was taken before (by another round or replica)."""
    e = models.Escalation
    inserted = await session.execute(
        insert(e)
        .values(
            id=uuid.uuid4(),
            item_id=item_id,
            step=step,
            against_due=against_due,
            taken_on=taken_on,
            **recipient,
        )
        .on_conflict_do_nothing(index_elements=["item_id", "step", "against_due"])
        .returning(e.id)
    )
    return inserted.first() is not None


async def steps_of(session: AsyncSession, item_id: uuid.UUID) -> list[models.Escalation]:
    e = models.Escalation
    rows = await session.scalars(select(e).where(e.item_id == item_id).order_by(e.created_at, e.id))
    return list(rows)


async def steps_of_many(session: AsyncSession, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    e = models.Escalation
    found: dict[uuid.UUID, list] = {i: [] for i in item_ids}
    if item_ids:
        query = select(e).where(e.item_id.in_(item_ids)).order_by(e.created_at, e.id)
        for row in await session.scalars(query):
            found[row.item_id].append(row)
    return found


async def items_to_check(session: AsyncSession, today: date, batch: int) -> list[ITEM]:
    """Open items with a step due by today; locked, skipped when another sweeper holds them."""
    rows = await session.scalars(
        select(ITEM)
        .where(ITEM.next_check_on <= today)
        .order_by(ITEM.next_check_on, ITEM.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


# ---- lists ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    state: str = ""
    body_code: str = ""
    leader_user_id: str = ""
    kind: str = ""
    colour: str = ""
    due_by: date | None = None
    open_states: tuple[str, ...] = ()


def _scope_clause(scope: Scope):
    if scope.everything:
        return None
    clauses = []
    if scope.leader_user_id:
        clauses += [
            ITEM.supervising_leader_user_id == scope.leader_user_id,
            ITEM.instructing_leader_user_id == scope.leader_user_id,
        ]
    if scope.body_code:
        clauses += [ITEM.lead_body_code == scope.body_code, ITEM.co_body_codes.any(scope.body_code)]
    return or_(*clauses) if clauses else ITEM.id.is_(None)


async def list_items(
    session: AsyncSession, scope: Scope, filters: Filters, after: tuple[int, int] | None, limit: int
) -> list[ITEM]:
    """Items by year and number; `after` is the (year, sequence) keyset cursor of the page token."""
    query = select(ITEM)
    visible = _scope_clause(scope)
    if visible is not None:
        query = query.where(visible)
    if filters.state:
        query = query.where(ITEM.state == filters.state)
    if filters.open_states:
        query = query.where(ITEM.state.in_(filters.open_states))
    if filters.body_code:
        query = query.where(
            or_(ITEM.lead_body_code == filters.body_code, ITEM.co_body_codes.any(filters.body_code))
        )
    if filters.leader_user_id:
        query = query.where(
            or_(
                ITEM.supervising_leader_user_id == filters.leader_user_id,
                ITEM.instructing_leader_user_id == filters.leader_user_id,
            )
        )
    if filters.kind:
        query = query.where(ITEM.kind == filters.kind)
    if filters.colour:
        query = query.where(ITEM.colour == filters.colour)
    if filters.due_by:
        query = query.where(ITEM.due <= filters.due_by)
    if after:
        year, sequence = after
        query = query.where(or_(ITEM.year > year, and_(ITEM.year == year, ITEM.sequence > sequence)))
    rows = await session.scalars(query.order_by(ITEM.year, ITEM.sequence).limit(limit))
    return list(rows)
