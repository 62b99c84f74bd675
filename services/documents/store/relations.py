"""A document's relations in one query: its countersigns (A49), sign-offs (A51) and recorded acts
(A20), what every reply carries beside the document row. One round trip instead of three: each
write RPC answers with the whole document (docs/design.md, documents)."""

from __future__ import annotations

import uuid
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain

from sqlalchemy import Column, Date, DateTime, Table, Uuid, bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import models
from shared.audit import RecordedAct

COUNTERSIGN = models.Countersign.__table__
SIGN_OFF = models.SignOff.__table__
AUDIT = models.metadata.tables["audit_record"]
HISTORY_COLUMNS = [AUDIT.c[name] for name in RecordedAct._fields]
CountersignRow = namedtuple("CountersignRow", [c.name for c in COUNTERSIGN.columns])
SignOffRow = namedtuple("SignOffRow", [c.name for c in SIGN_OFF.columns])


@dataclass(frozen=True)
class Relations:
    """Countersigns by organisation, sign-offs and acts in the order `store.countersigns_of`,
    `store.sign_offs_of` and `shared.audit.history` read them."""

    countersigns: list
    sign_offs: list
    history: list[RecordedAct]


def _rows(table: Table, columns: list[Column], where, order_by: list) -> object:
    """The rows of `table` matching `where`, as one JSON array (keys: column names), in order."""
    pairs = chain.from_iterable((literal_column(f"'{c.name}'"), c) for c in columns)
    rows = func.jsonb_agg(aggregate_order_by(func.jsonb_build_object(*pairs), *order_by))
    return select(func.coalesce(rows, text("'[]'::jsonb"), type_=JSONB)).where(where).scalar_subquery()


RELATIONS = select(
    _rows(
        COUNTERSIGN,
        list(COUNTERSIGN.columns),
        COUNTERSIGN.c.document_id == bindparam("document_id"),
        [COUNTERSIGN.c.organisation_code],
    ),
    _rows(
        SIGN_OFF,
        list(SIGN_OFF.columns),
        SIGN_OFF.c.document_id == bindparam("document_id"),
        [SIGN_OFF.c.at, SIGN_OFF.c.id],
    ),
    _rows(
        AUDIT,
        HISTORY_COLUMNS,
        AUDIT.c.subject_ref == bindparam("subject_ref"),
        [AUDIT.c.at, AUDIT.c.chain_seq.asc().nulls_first(), AUDIT.c.id],
    ),
)


def _parser(columns: list[Column]):
    """JSON values back to the columns' Python types (dates, instants and ids travel as text)."""
    kinds = {}
    for column in columns:
        if isinstance(column.type, DateTime):
            kinds[column.name] = datetime.fromisoformat
        elif isinstance(column.type, Date):
            kinds[column.name] = date.fromisoformat
        elif isinstance(column.type, Uuid):  # PostgreSQL's UUID is a Uuid
            kinds[column.name] = uuid.UUID

    def parse(values: dict) -> dict:
        for name, kind in kinds.items():
            if values[name] is not None:
                values[name] = kind(values[name])
        return values

    return parse


_COUNTERSIGN = _parser(list(COUNTERSIGN.columns))
_SIGN_OFF = _parser(list(SIGN_OFF.columns))
_ACT = _parser(HISTORY_COLUMNS)


async def relations_of(session: AsyncSession, document_id: uuid.UUID) -> Relations:
    """Read after the document's lock is held (a statement's snapshot is taken when it starts: read
    in the locking statement, these could miss what the transaction waited for committed)."""
    found = (
        await session.execute(
            RELATIONS, {"document_id": document_id, "subject_ref": f"document/{document_id}"}
        )
    ).one()
    return Relations(
        countersigns=[CountersignRow(**_COUNTERSIGN(c)) for c in found[0]],
        sign_offs=[SignOffRow(**_SIGN_OFF(s)) for s in found[1]],
        history=[RecordedAct(**_ACT(a)) for a in found[2]],
    )
