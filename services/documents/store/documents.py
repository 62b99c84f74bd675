"""Documents (公文): add, read with a lock, list (with who sees what), briefings, the normative
catalogue, similar documents in force, expiries."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models
from services.documents.domain import State
from services.documents.store.rows import _uuid
from shared.errors import NotFound

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


_LOCK = (
    select(models.Document, func.now())
    .where(models.Document.id == bindparam("document_id"))
    .with_for_update(of=models.Document)
)


async def lock_document(session: AsyncSession, document_id: str) -> tuple[models.Document, datetime]:
    """The document locked for an act (FOR UPDATE), with the transaction's now(): the instant its
    recorded act and rows carry, known before they are written."""
    found = (await session.execute(_LOCK, {"document_id": _uuid(document_id, "document")})).first()
    if found is None:
        raise NotFound(f"document {document_id}", resource_type="document")
    return found[0], found[1]


async def document_of_source(session: AsyncSession, source_ref: str) -> models.Document | None:
    """The document drafted from another service's record (A61: a supervision circular), if any."""
    return await session.scalar(select(models.Document).where(models.Document.source_ref == source_ref))


def _overdue(today: date):
    table = models.Document
    return or_(
        and_(table.state.in_([State.FILED.value, State.ROUTED.value]), table.handling_due < today),
        and_(table.state.not_in([State.ISSUED.value, State.RETURNED.value]), table.issue_due < today),
    )


async def list_documents(
    session: AsyncSession,
    *,
    visible_to_organisation: str | None,
    direction: str = "",
    kind: str = "",
    state: str = "",
    sender_organisation_code: str = "",
    document_number: str = "",
    from_day: date | None = None,
    to_day: date | None = None,
    overdue_on: date | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> list[models.Document]:
    """Documents by creation time then id; `after` is the keyset cursor of the page token.

    `visible_to_organisation` (None: every document) limits a department or county to the documents
    it drafted or filed and those it was asked to countersign.
    """
    table = models.Document
    query = select(table)
    if visible_to_organisation is not None:
        asked = select(models.Countersign.document_id).where(
            models.Countersign.organisation_code == visible_to_organisation
        )
        query = query.where(or_(table.organisation_code == visible_to_organisation, table.id.in_(asked)))
    for column, value in (
        (table.direction, direction),
        (table.kind, kind),
        (table.state, state),
        (table.sender_organisation_code, sender_organisation_code),
        (table.document_number, document_number),
    ):
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
        select(series)
        .distinct()
        .where(
            table.organisation_code == organisation_code,
            table.direction == "incoming",
            table.state.not_in([State.DRAFT.value, State.RETURNED.value]),
            series.is_not(None),
            series != "",
        )
    )
    return list(rows)


async def issued_of_authorities(session: AsyncSession, authorities: list[str]) -> list[models.Document]:
    """A24, A25: issued rules and normative documents, by issue day then number."""
    table = models.Document
    rows = await session.scalars(
        select(table)
        .where(table.state == State.ISSUED.value, table.authority.in_(authorities))
        .order_by(table.issued_on, table.issuer_code, table.number_sequence)
    )
    return list(rows)


async def normative_filings(session: AsyncSession) -> list[models.Document]:
    """A24: departments' normative documents filed with the city government (not returned)."""
    table = models.Document
    rows = await session.scalars(
        select(table)
        .where(
            table.direction == "incoming",
            table.content["normative_filing"].astext == "true",
            table.state.not_in([State.DRAFT.value, State.RETURNED.value]),
        )
        .order_by(table.filed_on, table.id)
    )
    return list(rows)


async def issued_documents(session: AsyncSession, limit: int = 5000) -> list[models.Document]:
    """A52: issued documents not repealed, newest first (the candidates of the pre-issue check)."""
    table = models.Document
    rows = await session.scalars(
        select(table)
        .where(table.state == State.ISSUED.value, table.repealed_on.is_(None))
        .order_by(table.issued_on.desc())
        .limit(limit)
    )
    return list(rows)


async def documents_expired_unrecorded(session: AsyncSession, today: date) -> list[models.Document]:
    """A25: issued documents past their validity whose expiry is not recorded yet (locked, skip locked)."""
    table = models.Document
    rows = await session.scalars(
        select(table)
        .where(
            table.state == State.ISSUED.value,
            table.valid_until < today,
            table.expiry_recorded_on.is_(None),
        )
        .order_by(table.valid_until, table.id)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def documents_overdue_unannounced(session: AsyncSession, today: date) -> list[models.Document]:
    """A53: filed or routed documents past their handling limit, not yet announced (locked, skip locked)."""
    table = models.Document
    rows = await session.scalars(
        select(table)
        .where(
            table.state.in_([State.FILED.value, State.ROUTED.value]),
            table.handling_due < today,
            table.overdue_announced_on.is_(None),
        )
        .order_by(table.handling_due, table.id)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
