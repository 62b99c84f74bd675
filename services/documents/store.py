"""Reads and writes of the documents service's tables. Never commits: the caller owns the transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models
from services.documents.domain import CountersignState, State
from shared.errors import NotFound


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        raise NotFound(f"{what} {value!r}") from None


# ---- documents --------------------------------------------------------------------------------------

async def add_document(session: AsyncSession, **fields) -> models.Document:
    row = models.Document(id=uuid.uuid4(), **fields)
    session.add(row)
    await session.flush()
    return row


async def get_document(
    session: AsyncSession, document_id: str, *, for_update: bool = False
) -> models.Document:
    query = select(models.Document).where(models.Document.id == _uuid(document_id, "document"))
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"document {document_id}", resource_type="document")
    return row


def _overdue(today: date):
    table = models.Document
    return or_(
        and_(table.state.in_([State.FILED.value, State.ROUTED.value]), table.handling_due < today),
        and_(table.state.not_in([State.ISSUED.value, State.RETURNED.value]), table.issue_due < today),
    )


async def list_documents(
    session: AsyncSession, *, visible_to_organisation: str | None, direction: str = "", kind: str = "",
    state: str = "", sender_organisation_code: str = "", document_number: str = "",
    from_day: date | None = None, to_day: date | None = None, overdue_on: date | None = None,
    after: tuple[datetime, str] | None = None, limit: int = 50,
) -> list[models.Document]:
    """Documents by creation time then id; `after` is the keyset cursor of the page token.

    `visible_to_organisation` (None: every document) limits a department or county to the documents
    it drafted or filed and those it was asked to countersign.
    """
    table = models.Document
    query = select(table)
    if visible_to_organisation is not None:
        asked = select(models.Countersign.document_id).where(
            models.Countersign.organisation_code == visible_to_organisation)
        query = query.where(or_(table.organisation_code == visible_to_organisation, table.id.in_(asked)))
    for column, value in ((table.direction, direction), (table.kind, kind), (table.state, state),
                          (table.sender_organisation_code, sender_organisation_code),
                          (table.document_number, document_number)):
        if value:
            query = query.where(column == value)
    if from_day:
        query = query.where(table.created_on >= from_day)
    if to_day:
        query = query.where(table.created_on <= to_day)
    if overdue_on:
        query = query.where(_overdue(overdue_on))
    if after:
        at, last_id = after
        same_time_later_id = and_(table.created_at == at, table.id > uuid.UUID(last_id))
        query = query.where(or_(table.created_at > at, same_time_later_id))
    rows = await session.scalars(query.order_by(table.created_at, table.id).limit(limit))
    return list(rows)


async def briefing_series_of(session: AsyncSession, organisation_code: str) -> list[str]:
    """A52: the briefing series (简报) an organisation has filed with the city government (not returned)."""
    table = models.Document
    series = table.content["briefing_series"].astext
    rows = await session.scalars(
        select(series).distinct().where(
            table.organisation_code == organisation_code, table.direction == "incoming",
            table.state.not_in([State.DRAFT.value, State.RETURNED.value]), series.is_not(None), series != "",
        )
    )
    return list(rows)


async def issued_of_authorities(session: AsyncSession, authorities: list[str]) -> list[models.Document]:
    """A24, A25: issued rules and normative documents, by issue day then number."""
    table = models.Document
    rows = await session.scalars(
        select(table).where(table.state == State.ISSUED.value, table.authority.in_(authorities))
        .order_by(table.issued_on, table.issuer_code, table.number_sequence)
    )
    return list(rows)


async def normative_filings(session: AsyncSession) -> list[models.Document]:
    """A24: departments' normative documents filed with the city government (not returned)."""
    table = models.Document
    rows = await session.scalars(
        select(table).where(
            table.direction == "incoming", table.content["normative_filing"].astext == "true",
            table.state.not_in([State.DRAFT.value, State.RETURNED.value]),
        ).order_by(table.filed_on, table.id)
    )
    return list(rows)


async def issued_documents(session: AsyncSession, limit: int = 5000) -> list[models.Document]:
    """A52: issued documents not repealed, newest first (the candidates of the pre-issue check)."""
    table = models.Document
    rows = await session.scalars(
        select(table).where(table.state == State.ISSUED.value, table.repealed_on.is_(None))
        .order_by(table.issued_on.desc()).limit(limit)
    )
    return list(rows)


async def documents_expired_unrecorded(session: AsyncSession, today: date) -> list[models.Document]:
    """A25: issued documents past their validity whose expiry is not recorded yet (locked, skip locked)."""
    table = models.Document
    rows = await session.scalars(
        select(table).where(
            table.state == State.ISSUED.value, table.valid_until < today, table.expiry_recorded_on.is_(None),
        ).order_by(table.valid_until, table.id).with_for_update(skip_locked=True)
    )
    return list(rows)


# ---- countersign (A49) ------------------------------------------------------------------------------

async def countersigns_of(session: AsyncSession, document_id: uuid.UUID) -> list[models.Countersign]:
    rows = await session.scalars(
        select(models.Countersign).where(models.Countersign.document_id == document_id)
        .order_by(models.Countersign.organisation_code)
    )
    return list(rows)


async def countersigns_of_many(
    session: AsyncSession, document_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[models.Countersign]]:
    """The countersigns of a page of documents in one query."""
    found: dict[uuid.UUID, list[models.Countersign]] = {i: [] for i in document_ids}
    rows = await session.scalars(
        select(models.Countersign).where(models.Countersign.document_id.in_(document_ids))
        .order_by(models.Countersign.organisation_code)
    )
    for row in rows:
        found[row.document_id].append(row)
    return found


async def add_countersign(session: AsyncSession, **fields) -> models.Countersign:
    row = models.Countersign(id=uuid.uuid4(), state=CountersignState.REQUESTED.value, reasons="", **fields)
    session.add(row)
    await session.flush()
    return row


async def countersign_of(
    session: AsyncSession, document_id: uuid.UUID, organisation_code: str
) -> models.Countersign:
    row = await session.scalar(
        select(models.Countersign).where(
            models.Countersign.document_id == document_id,
            models.Countersign.organisation_code == organisation_code,
        ).with_for_update()
    )
    if row is None:
        who = organisation_code or "your organisation"
        raise NotFound(f"a countersign of {who} on document {document_id}", resource_type="countersign")
    return row


async def countersigns_due_unreminded(session: AsyncSession, today: date) -> list[models.Countersign]:
    """A49: unanswered countersigns whose last day is today and whose reminder is not written yet."""
    table = models.Countersign
    rows = await session.scalars(
        select(table).where(
            table.state == CountersignState.REQUESTED.value, table.due == today,
            table.due_reminded_on.is_(None),
        ).order_by(table.id).with_for_update(skip_locked=True)
    )
    return list(rows)


async def countersigns_overdue(session: AsyncSession, today: date) -> list[models.Countersign]:
    """A49: still unanswered after their last day; locked, and skipped if another sweeper holds them."""
    rows = await session.scalars(
        select(models.Countersign).where(
            models.Countersign.state == CountersignState.REQUESTED.value, models.Countersign.due < today,
        ).order_by(models.Countersign.due, models.Countersign.id).with_for_update(skip_locked=True)
    )
    return list(rows)


# ---- sign-off (A51) ---------------------------------------------------------------------------------

async def sign_offs_of(session: AsyncSession, document_id: uuid.UUID) -> list[models.SignOff]:
    rows = await session.scalars(
        select(models.SignOff).where(models.SignOff.document_id == document_id)
        .order_by(models.SignOff.at, models.SignOff.id)
    )
    return list(rows)


async def sign_offs_of_many(
    session: AsyncSession, document_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[models.SignOff]]:
    """The sign-offs of a page of documents in one query."""
    found: dict[uuid.UUID, list[models.SignOff]] = {i: [] for i in document_ids}
    rows = await session.scalars(
        select(models.SignOff).where(models.SignOff.document_id.in_(document_ids))
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


# ---- document numbers ---------------------------------------------------------------------------------

async def next_sequence(session: AsyncSession, issuer_code: str, year: int) -> int:
    """The next number of an issuer and year: the counter row is created once, then locked FOR UPDATE
    until the issuing transaction ends, so concurrent issues wait in line and a rolled-back issue
    gives its number back (never repeated, never skipped)."""
    await session.execute(
        insert(models.NumberCounter).values(issuer_code=issuer_code, year=year, last_sequence=0)
        .on_conflict_do_nothing(index_elements=["issuer_code", "year"])
    )
    counter = await session.scalar(
        select(models.NumberCounter).where(
            models.NumberCounter.issuer_code == issuer_code, models.NumberCounter.year == year
        ).with_for_update()
    )
    counter.last_sequence += 1
    await session.flush()
    return counter.last_sequence


# ---- provisional deadlines (docs/design.md "Time") ---------------------------------------------------

async def countersigns_with_provisional_due(session: AsyncSession, before: date, batch: int) -> list[models.Countersign]:
    """Open countersigns whose last day was computed without its year's schedule and lies
    before `before` (the first day no schedule covers yet); locked, skipped if another sweeper
    holds them."""
    c = models.Countersign
    rows = await session.scalars(
        select(c).where(c.provisional.is_(True), c.state == CountersignState.REQUESTED.value, c.due < before)
        .order_by(c.due, c.id).limit(batch).with_for_update(skip_locked=True)
    )
    return list(rows)


async def documents_with_provisional_handling_due(session: AsyncSession, before: date,
                                                  batch: int) -> list[models.Document]:
    d = models.Document
    rows = await session.scalars(
        select(d).where(d.handling_provisional.is_(True), d.handling_due < before)
        .order_by(d.handling_due, d.id).limit(batch).with_for_update(skip_locked=True)
    )
    return list(rows)
