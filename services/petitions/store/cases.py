"""Reads and writes of petition cases (信访件) and their attachments: registration numbers, repeats (A71),
the lists each reader may see (A71, A80), the overdue sweep's rows, the statistics. Never commits: the
caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Text, and_, cast, false, func, or_, select, text, true
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.petitions import domain
from services.petitions.models import PetitionAttachment, PetitionCase
from shared import words
from shared.errors import NotFound

_NEXT_SERIAL = text("SELECT nextval(pg_get_serial_sequence('petition_case', 'serial'))")


def case_number(received_on: date, serial: int) -> str:
    """信访 registration number: the year received and a running number."""
    return f"XF{received_on.year}-{serial:07d}"


async def add_case(session: AsyncSession, *, received_on: date, before_insert=None, **fields) -> PetitionCase:
    """A new case row; `before_insert(row)` completes it (e.g. its running limit) in the same INSERT."""
    serial = (await session.execute(_NEXT_SERIAL)).scalar_one()
    row = PetitionCase(
        id=uuid.uuid4(),
        serial=serial,
        number=case_number(received_on, serial),
        received_on=received_on,
        objections=[],
        reviews=[],
        reviewing_body_codes=[],
        leader_instructions=[],
        marked_leader_ids=[],
        overdue_notified_stage="",
        extension_days=0,
        **fields,
    )
    if before_insert is not None:
        before_insert(row)
    session.add(row)
    await session.flush()
    return row


def search_vector(lexemes: list[str]):
    """The tsvector of a text's lexemes (shared.words.lexemes: every bigram, jieba's words), stored as
    they are (array_to_tsvector: no parser) at the INSERT."""
    return func.array_to_tsvector(cast(lexemes, ARRAY(Text)))


def describe_attachments(files: Iterable[domain.Attachment]) -> list[domain.StoredAttachment]:
    """Ids, sizes and digests of files about to be stored (what the case row lists)."""
    return [
        domain.StoredAttachment(
            id=str(uuid.uuid4()),
            file_name=f.file_name.strip(),
            media_type=domain.normal_media_type(f.media_type),
            size_bytes=len(f.content),
            sha256=f.sha256,
        )
        for f in files
    ]


async def add_attachments(
    session: AsyncSession,
    case_id: uuid.UUID,
    files: Iterable[domain.Attachment],
    described: Iterable[domain.StoredAttachment],
) -> None:
    """The files' bytes, in the caller's transaction (the one that writes the case)."""
    for position, (file, meta) in enumerate(zip(files, described, strict=True)):
        session.add(
            PetitionAttachment(
                id=uuid.UUID(meta.id),
                case_id=case_id,
                position=position,
                file_name=meta.file_name,
                media_type=meta.media_type,
                size_bytes=meta.size_bytes,
                sha256=meta.sha256,
                content=file.content,
            )
        )
    await session.flush()


async def get_attachment(session: AsyncSession, case_id: uuid.UUID, attachment_id: str) -> PetitionAttachment:
    try:
        key = uuid.UUID(attachment_id)
    except (ValueError, TypeError):
        raise NotFound(f"attachment {attachment_id!r}", resource_type="petition attachment") from None
    row = await session.scalar(
        select(PetitionAttachment).where(PetitionAttachment.id == key, PetitionAttachment.case_id == case_id)
    )
    if row is None:
        raise NotFound(f"attachment {attachment_id}", resource_type="petition attachment")
    return row


def _key(case_id: str, field: str = "case_id") -> uuid.UUID:
    try:
        return uuid.UUID(case_id)
    except (ValueError, TypeError):
        raise NotFound(f"case {case_id!r}", resource_type="petition case") from None


async def get_case(session: AsyncSession, case_id: str, *, for_update: bool = False) -> PetitionCase:
    query = select(PetitionCase).where(PetitionCase.id == _key(case_id))
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"case {case_id}", resource_type="petition case")
    return row


async def get_case_by_query_code(
    session: AsyncSession, code_hash: str, *, for_update: bool = False
) -> PetitionCase | None:
    query = select(PetitionCase).where(PetitionCase.query_code_hash == code_hash)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


def as_earlier(row) -> domain.EarlierCase:
    """A case row, or a row of the columns it reads, as what the repeat rules need of it."""
    return domain.EarlierCase(
        case_id=str(row.id),
        state=domain.CaseState(row.state),
        category=domain.Category(row.category),
        body_complained_about=row.body_complained_about,
        person_keys=frozenset(row.person_keys),
        repeat_of_case_id=str(row.repeat_of_case_id or ""),
    )


async def first_cases_of_persons(
    session: AsyncSession, keys: Iterable[str], category: domain.Category, body: str
) -> list[domain.EarlierCase]:
    """Earlier first cases (not themselves repeats) sharing a person key, of `category` about `body`,
    oldest first: the only ones domain.find_same_matter can return. Asked in SQL and of the few columns
    it needs: a person's repeats (linked to a first case) can run to thousands, and loading each whole
    row (petitioners, attachments as JSONB) under the person's lock serialised every intake of a busy
    person behind that work (issue 17: 480 rows, most of the intake's CPU)."""
    keys = list(keys)
    if not keys:
        return []
    c = PetitionCase
    rows = await session.execute(
        select(c.id, c.state, c.category, c.body_complained_about, c.person_keys, c.repeat_of_case_id)
        .where(
            c.person_keys.overlap(keys),
            c.repeat_of_case_id.is_(None),
            c.category == category.value,
            c.body_complained_about == body,
        )
        .order_by(c.received_on, c.serial)
    )
    return [as_earlier(r) for r in rows]


async def lock_persons(session: AsyncSession, keys: Iterable[str]) -> None:
    """Two petitions of one person registered at once must not both become the 'first' case."""
    for key in sorted(keys):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"petitions.person.{key}"}
        )


async def repeat_counts(session: AsyncSession, case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    ids = list(case_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(PetitionCase.repeat_of_case_id, func.count())
        .where(PetitionCase.repeat_of_case_id.in_(ids))
        .group_by(PetitionCase.repeat_of_case_id)
    )
    return {case_id: count for case_id, count in rows}


async def lock_idempotency_key(session: AsyncSession, owner: str, key: str) -> None:
    """Serialise submits with one key (of one account, or of those without): held to the commit."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"petition_case:{owner}:{key}"}
    )


async def by_idempotency_key(session: AsyncSession, owner: str, key: str) -> PetitionCase | None:
    return await session.scalar(
        select(PetitionCase).where(
            PetitionCase.submitted_by_user_id == owner, PetitionCase.idempotency_key == key
        )
    )


async def online_submissions_on(session: AsyncSession, user_id: str, day: date) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(PetitionCase)
            .where(PetitionCase.submitted_by_user_id == user_id, PetitionCase.received_on == day)
        )
    ).scalar_one()


@dataclass(frozen=True)
class Scope:
    """Which cases a reader may list (domain.case_view decides what each shows)."""

    everything: bool = False
    organisation_code: str = ""
    handling: bool = False
    reviewing: bool = False
    oversees: bool = False
    submitted_by_user_id: str = ""


def _scope_clause(scope: Scope):
    table = PetitionCase
    if scope.submitted_by_user_id:
        return table.submitted_by_user_id == scope.submitted_by_user_id
    own = scope.organisation_code
    if scope.everything:
        # The bureau sees every case but those about itself (routed above it, A71).
        return table.body_complained_about != own if own else true()
    seen = [false()]
    if own and scope.handling:
        seen.append(table.handling_body_code == own)
    if own and scope.reviewing:
        seen.append(table.reviewing_body_codes.any(own))
    if scope.oversees:
        seen.append(true())
    clause = or_(*seen)
    if own:
        # A71: the body complained about never sees the case, not even in a list.
        clause = and_(clause, table.body_complained_about != own)
    return clause


def _full_view_clause(scope: Scope):
    """The cases of the scope this reader sees in full (domain.case_view: FULL or PETITIONER)."""
    table = PetitionCase
    if scope.submitted_by_user_id or scope.everything:
        return true()
    own = scope.organisation_code
    full = [false()]
    if own and scope.handling:
        full.append(table.handling_body_code == own)
    if own and scope.reviewing:
        full.append(table.reviewing_body_codes.any(own))
    return or_(*full)


def _words_clause(scope: Scope, text_query: str):
    """A71: words match what the reader is shown — the full text where the case is seen in full, the
    redacted text (masked, no complaint's) where it is seen redacted; None when the text has no word."""
    searched = words.search_query(text_query)
    if not searched:
        return None
    # every bigram of the query: any run of characters of the text is found (shared/words.py)
    query = cast(searched.match, TSQUERY)
    table = PetitionCase
    clause = and_(_full_view_clause(scope), table.search_full.op("@@")(query))
    if scope.oversees and not scope.everything and not scope.submitted_by_user_id:
        clause = or_(clause, table.search_redacted.op("@@")(query))
    return clause


async def list_cases(
    session: AsyncSession,
    scope: Scope,
    *,
    state: str = "",
    handling_body_code: str = "",
    category: str = "",
    channel: str = "",
    overdue_on: date | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    after: tuple[date, str] | None = None,
    limit: int = 50,
    text_query: str = "",
) -> list[PetitionCase]:
    """Cases by day received then id; `after` is the keyset cursor of the page token. `text_query`:
    a registration number, or words (every one must match) of what the reader is shown."""
    table = PetitionCase
    query = select(table).where(_scope_clause(scope))
    if text_query:
        by_number = table.number == text_query.upper()
        by_words = _words_clause(scope, text_query)
        query = query.where(by_number if by_words is None else or_(by_number, by_words))
    if state:
        query = query.where(table.state == state)
    if handling_body_code:
        query = query.where(table.handling_body_code == handling_body_code)
    if category:
        query = query.where(table.category == category)
    if channel:
        query = query.where(table.channel == channel)
    if overdue_on:
        query = query.where(table.current_due < overdue_on)
    if received_from:
        query = query.where(table.received_on >= received_from)
    if received_to:
        query = query.where(table.received_on <= received_to)
    if after:
        day, last_id = after
        query = query.where(
            or_(table.received_on > day, and_(table.received_on == day, table.id > uuid.UUID(last_id)))
        )
    rows = await session.scalars(query.order_by(table.received_on, table.id).limit(limit))
    return list(rows)


async def cases_past_their_limit(session: AsyncSession, today: date, limit: int) -> list[PetitionCase]:
    """Cases whose current limit ended before today and whose overdue event is not written yet.

    Locked with SKIP LOCKED so two replicas of the service share the work without doubles.
    """
    table = PetitionCase
    rows = await session.scalars(
        select(table)
        .where(
            table.current_due < today,
            table.current_stage != "",
            table.overdue_notified_stage != table.current_stage,
        )
        .order_by(table.current_due)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


# A repeat petition counts under the body of the case it repeats.
_FIRST = aliased(PetitionCase)
_DIMENSIONS = {
    "handling_body": func.coalesce(
        func.nullif(func.coalesce(_FIRST.handling_body_code, PetitionCase.handling_body_code), ""),
        "unassigned",
    ),
    "category": PetitionCase.category,
    "channel": PetitionCase.channel,
    "month": func.to_char(PetitionCase.received_on, "YYYY-MM"),
}


async def statistics(
    session: AsyncSession,
    dimension: str,
    today: date,
    *,
    received_from: date | None = None,
    received_to: date | None = None,
) -> list[dict]:
    """A71: figures per key; a repeat petition is counted once, as a repeat, never as a new case."""
    table = PetitionCase
    key = _DIMENSIONS[dimension].label("key")
    first = table.repeat_of_case_id.is_(None)

    def count(*conditions):
        return func.count().filter(and_(*conditions))

    query = select(
        key,
        count(first).label("received"),
        count(table.repeat_of_case_id.is_not(None)).label("repeats"),
        count(first, table.current_due < cast(today, Date)).label("overdue"),
        count(first, table.replied_on.is_not(None)).label("replied"),
        count(table.satisfaction == domain.Satisfaction.SATISFIED.value).label("satisfied"),
        count(table.satisfaction == domain.Satisfaction.BASICALLY_SATISFIED.value).label(
            "basically_satisfied"
        ),
        count(table.satisfaction == domain.Satisfaction.DISSATISFIED.value).label("dissatisfied"),
    )
    query = query.select_from(table).outerjoin(_FIRST, table.repeat_of_case_id == _FIRST.id)
    if received_from:
        query = query.where(table.received_on >= received_from)
    if received_to:
        query = query.where(table.received_on <= received_to)
    rows = await session.execute(query.group_by(key).order_by(key))
    return [dict(r._mapping) for r in rows]


async def numbers_of(session: AsyncSession, case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = [i for i in case_ids if i]
    if not ids:
        return {}
    rows = await session.execute(select(PetitionCase.id, PetitionCase.number).where(PetitionCase.id.in_(ids)))
    return dict(rows.tuples().all())
