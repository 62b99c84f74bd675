"""Persistence of publications and comments. Functions add, query and flush; the caller commits."""

from __future__ import annotations

import functools
from calendar import monthrange
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.disclosure.search import (
    NewestFirst,
    Window,
    meta_query,
    months_back,
    months_query,
    publication_lexemes,
    span,
)
from services.disclosure.domain.publications import Kind, State, Validity
from services.disclosure.models import Publication, PublicationComment
from shared import words
from shared.errors import InvalidInput, NotFound

# The states as SQL literals, never parameters: the read indexes are partial on them, and a prepared
# statement's generic plan could not use them with a parameter.
IS_PUBLISHED = Publication.state == literal_column("'published'")
IS_QUEUED = Publication.state == literal_column("'queued'")
# A write transaction's session or a read-only connection (shared.db.read).
Db = AsyncSession | AsyncConnection
# Every column but the search vector and the body: what lists need.
LIST_COLUMNS = [c for c in Publication.__table__.c if c.name not in ("search", "body")]


@dataclass(frozen=True)
class Filter:
    category: str | None = None
    issuer_code: str = ""
    year: int = 0
    validity: Validity | None = None
    kind: str | None = None


def parse_id(value: str, field: str = "publication_id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput({field: "not a publication id"}) from None


async def get(
    session: AsyncSession,
    publication_id: str | uuid.UUID,
    *,
    for_update: bool = False,
    field: str = "publication_id",
) -> Publication:
    key = publication_id if isinstance(publication_id, uuid.UUID) else parse_id(publication_id, field)
    query = select(Publication).where(Publication.id == key)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"publication {key}", resource_type="publication")
    return row


async def get_many(
    session: AsyncSession, ids: list[uuid.UUID], *, for_update: bool = False
) -> list[Publication]:
    if not ids:
        return []
    query = select(Publication).where(Publication.id.in_(ids)).order_by(Publication.id)
    if for_update:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


async def by_source(
    session: AsyncSession, source_document_id: str, kind: Kind, *, for_update: bool = False
) -> Publication | None:
    query = select(Publication).where(
        Publication.source_document_id == source_document_id, Publication.kind == kind.value
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def all_by_source(session: AsyncSession, source_document_id: str) -> list[Publication]:
    query = (
        select(Publication)
        .where(Publication.source_document_id == source_document_id)
        .order_by(Publication.created_at)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def add(session: AsyncSession, **fields) -> Publication:
    row = Publication(id=uuid.uuid4(), **fields)
    session.add(row)
    await session.flush()
    return row


async def index_for_search(session: AsyncSession, row: Publication) -> None:
    """Store the row's lexemes (search.publication_lexemes: bigrams of its text and facts, its words, its
    filter lexemes) as its tsvector, as they are (array_to_tsvector: no parser)."""
    await session.execute(
        update(Publication)
        .where(Publication.id == row.id)
        .values(
            search=text("array_to_tsvector(CAST(:lexemes AS text[]))").bindparams(
                lexemes=publication_lexemes(row)
            )
        )
        .execution_options(synchronize_session=False)
    )


# ---- public reads (published only) -------------------------------------------------------------------


def _filters(f: Filter, today: date) -> list:
    p = Publication
    clauses = [IS_PUBLISHED]
    if f.category:
        clauses.append(p.category == f.category)
    if f.issuer_code:
        clauses.append(p.issuer_code == f.issuer_code)
    if f.year:
        clauses.append(p.year == f.year)
    if f.kind:
        clauses.append(p.kind == f.kind)
    return clauses + _validity_filter(f, today)


async def list_published(
    session: Db, f: Filter, today: date, limit: int, after: tuple[date, uuid.UUID] | None
) -> list:
    """Newest first (published_on, then id), keyset paging."""
    p = Publication
    query = select(*LIST_COLUMNS).where(*_filters(f, today))
    if after is not None:
        query = query.where(tuple_(p.published_on, p.id) < tuple_(after[0], after[1]))
    query = query.order_by(p.published_on.desc(), p.id.desc()).limit(limit)
    return list(await session.execute(query))


async def links_of(session: AsyncSession, ids: list[uuid.UUID]) -> list:
    """Id, title, kind and state of the publications named (policy and interpretation links)."""
    if not ids:
        return []
    p = Publication
    return list(await session.execute(select(p.id, p.title, p.kind, p.state).where(p.id.in_(ids))))


async def interpretations_of(session: AsyncSession, policy_id: uuid.UUID, *, published_only: bool) -> list:
    p = Publication
    query = select(p.id, p.title, p.kind, p.state).where(p.policy_id == policy_id)
    if published_only:
        query = query.where(p.state == State.PUBLISHED.value)
    return list(await session.execute(query.order_by(p.created_at, p.id)))


async def count_published_interpretations(session: AsyncSession, policy_id: uuid.UUID) -> int:
    p = Publication
    return (
        await session.execute(
            select(func.count()).where(p.policy_id == policy_id, p.state == State.PUBLISHED.value)
        )
    ).scalar_one()


async def normative_catalogue(session: Db, year: int) -> list:
    """A24: published normative documents made in `year`, in the order they were made."""
    p = Publication
    query = (
        select(*LIST_COLUMNS)
        .where(IS_PUBLISHED, p.normative.is_(True), p.year == year, p.kind == Kind.POLICY.value)
        .order_by(p.made_on, p.document_number, p.id)
    )
    return list(await session.execute(query))


async def comment_drafts(
    session: Db, open_only: bool, today: date, limit: int, after: tuple[date, uuid.UUID] | None
) -> list:
    """A22: drafts for comment, newest first; `open_only`: those whose closing day is not past."""
    p = Publication
    query = select(*LIST_COLUMNS).where(IS_PUBLISHED, p.kind == Kind.COMMENT_DRAFT.value)
    if open_only:
        query = query.where(p.comment_until >= today)
    if after is not None:
        query = query.where(tuple_(p.published_on, p.id) < tuple_(after[0], after[1]))
    return list(await session.execute(query.order_by(p.published_on.desc(), p.id.desc()).limit(limit)))


async def issuers(session: Db) -> list:
    """发布机构: (issuer_code, issuer_name, count) of published items, most first. One pass over the
    published rows (the partial index on issuer_code); the portal keeps the answer for a while."""
    p = Publication
    count = func.count().label("count")
    query = (
        select(p.issuer_code, p.issuer_name, count)
        .where(IS_PUBLISHED)
        .group_by(p.issuer_code, p.issuer_name)
        .order_by(count.desc(), p.issuer_name)
        .limit(1000)
    )
    return list(await session.execute(query))


# ---- search ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPage:
    rows: list  # LIST_COLUMNS rows with .rank, best first
    ranked: int
    capped: bool


def _validity_filter(f: Filter, today) -> list:
    return _validity_clauses(f.validity, today)


def _validity_clauses(validity: Validity | None, today) -> list:
    p = Publication
    if validity is Validity.IN_FORCE:
        return [p.validity == Validity.IN_FORCE.value, or_(p.valid_until.is_(None), p.valid_until >= today)]
    if validity is Validity.EXPIRED:
        return [
            or_(
                p.validity == Validity.EXPIRED.value,
                and_(p.validity == Validity.IN_FORCE.value, p.valid_until < today),
            )
        ]
    if validity is not None:
        return [p.validity == validity.value]
    return []


def _tsquery(name: str):
    return cast(bindparam(name, type_=String), TSQUERY)


# Only bitmap scans for the windows: the GIN index with the months, never a walk of a date index nor a
# sequential scan chosen from an estimate (PostgreSQL multiplies the bigrams' frequencies as if they
# were independent). The first and last days published are read in the same statement (index-only
# scans of ix_publication_published, planned before the settings change), and for each filter with
# an index of its own leading (category, issuer, year made, kind: ix_publication_*_published) the
# first and last days published of the rows it allows: the windows start at the filter's newest
# month and stop at its oldest (search.span), never reading months where it has no row.
SPANNED_FILTERS = ("category", "issuer_code", "year", "kind")


@functools.lru_cache(maxsize=16)
def _windows_setup(filtered: tuple[str, ...]):
    """The set-up statement of the windows: the settings, and (first, last) day published of all
    published rows, then of those of each filter named in `filtered` (bound as its own name)."""
    columns = [
        f"(SELECT {end}(published_on) FROM publication WHERE state = 'published'"
        f"{f' AND {name} = :{name}' if name != 'all' else ''}) AS {end}_{name}"
        for name in ("all", *filtered)
        for end in ("min", "max")
    ]
    return text(
        "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true), "
        + ", ".join(columns)
    )


async def _published_span(session: AsyncSession, f: Filter) -> tuple[date, date] | None:
    """The days the matches of a query filtered by `f` can have been published on (search.span)."""
    values = {name: getattr(f, name) for name in SPANNED_FILTERS if getattr(f, name)}
    row = (await session.execute(_windows_setup(tuple(values)), values)).one()._mapping
    return span([(row[f"min_{name}"], row[f"max_{name}"]) for name in ("all", *values)])


@functools.lru_cache(maxsize=64)
def _window_template(ordered: bool, validity: Validity | None):
    """A window's statement (search.Window): (published_on, id) of at most `limit` published matches
    of the query, its filters and months; ordered newest first or in no order."""
    p = Publication
    query = (
        select(p.published_on, p.id)
        .where(
            IS_PUBLISHED,
            *_validity_clauses(validity, bindparam("today", type_=Date)),
            p.search.op("@@")(_tsquery("match")),
        )
        .limit(bindparam("limit", type_=Integer))
    )
    return query.order_by(p.published_on.desc(), p.id.desc()) if ordered else query


@functools.lru_cache(maxsize=1)
def _ranked_template():
    """One page of the candidates named by id, ranked: the query in the title 2, its words as whole
    words of the text 1, then newer; with their bodies (for the snippets)."""
    p = Publication
    in_title = case((p.search.op("@@")(_tsquery("title")), 2.0), else_=0.0)
    as_words = case((p.search.op("@@")(_tsquery("words")), 1.0), else_=0.0)
    ranked = (
        select(p.id, (in_title + as_words).label("rank"))
        .where(p.id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))))
        .order_by(text("rank DESC"), p.published_on.desc(), p.id.desc())
        .offset(bindparam("skip", type_=Integer))
        .limit(bindparam("page", type_=Integer))
        .subquery("ranked")
    )
    return (
        select(*LIST_COLUMNS, p.body, ranked.c.rank)
        .join(ranked, ranked.c.id == p.id)
        .order_by(ranked.c.rank.desc(), p.published_on.desc(), p.id.desc())
    )


def window_match(query: words.SearchQuery, f: Filter, window: Window) -> str:
    """The tsquery of a window: the query's bigrams, its filters (search.meta_query), any of its months."""
    meta = meta_query(category=f.category, issuer_code=f.issuer_code, year=f.year, kind=f.kind)
    return " & ".join(x for x in (query.match, meta, months_query(list(window.months))) if x)


async def search(
    session: AsyncSession,
    query: words.SearchQuery,
    f: Filter,
    today: date,
    *,
    candidates: int,
    offset: int,
    limit: int,
    guard: int | None = None,
) -> SearchPage:
    """One page of the newest `candidates` matches ranked (search.py: the trade-off). The newest
    `candidates` + 1 (one more only tells whether there were more) are found window by window of
    months (search.NewestFirst), each a bitmap scan of the GIN index (SET LOCAL: `session` must be a
    transaction's), from the newest month to the oldest the filters allow; then the page of them
    ranked, with bodies."""
    need = candidates + 1
    published = await _published_span(session, f)
    if published is None:
        return SearchPage([], 0, False)
    oldest, newest = published
    months = months_back(newest, oldest)
    share = newest.day / monthrange(newest.year, newest.month)[1]
    plan = NewestFirst(months, need, guard if guard is not None else GUARD_TIMES * need, share)
    while (window := plan.next()) is not None:
        statement = _window_template(window.ordered, f.validity)
        parameters = {"match": window_match(query, f, window), "limit": window.limit, "today": today}
        plan.took(window, [tuple(r) for r in await session.execute(statement, parameters)])
    found = plan.found
    kept = [row_id for _, row_id in found[:candidates]]
    if not kept or offset >= len(kept):
        return SearchPage([], len(kept), len(found) > candidates)
    parameters = {
        "ids": kept,
        "title": query.title,
        "words": query.words,
        "skip": offset,
        "page": limit,
    }
    rows = list(await session.execute(_ranked_template(), parameters))
    return SearchPage(rows, len(kept), len(found) > candidates)


# A window of several months is read with a guard of this many times the matches needed.
GUARD_TIMES = 4


# ---- the officer's queue ---------------------------------------------------------------------------------


async def queue(
    session: AsyncSession, late_only: bool, today: date, limit: int, after: tuple[date, uuid.UUID] | None
) -> list:
    """Queued publications, the earliest article 26 limit first (no limit last)."""
    p = Publication
    due = func.coalesce(p.publish_due, date(2100, 12, 31))
    query = select(*LIST_COLUMNS).where(IS_QUEUED)
    if late_only:
        query = query.where(p.publish_due < today)
    if after is not None:
        query = query.where(tuple_(due, p.id) > tuple_(after[0], after[1]))
    return list(await session.execute(query.order_by(due, p.id).limit(limit)))


async def count_late(session: AsyncSession, today: date) -> int:
    p = Publication
    return (await session.execute(select(func.count()).where(IS_QUEUED, p.publish_due < today))).scalar_one()


# ---- comments --------------------------------------------------------------------------------------------


async def add_comment(session: AsyncSession, **fields) -> PublicationComment:
    row = PublicationComment(id=uuid.uuid4(), **fields)
    session.add(row)
    await session.flush()
    return row


async def comments(
    session: AsyncSession, publication_id: uuid.UUID, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[PublicationComment]:
    c = PublicationComment
    query = select(c).where(c.publication_id == publication_id)
    if after is not None:
        query = query.where(tuple_(c.created_at, c.id) > tuple_(after[0], after[1]))
    return list((await session.execute(query.order_by(c.created_at, c.id).limit(limit))).scalars())


async def queued_with_provisional_limit(session: AsyncSession, before: date, batch: int) -> list[Publication]:
    """Queued publications whose article 26 limit was computed without its year's schedule and
    lies before `before` (the first day no schedule covers); locked, skipped if another sweeper holds them."""
    p = Publication
    rows = await session.scalars(
        select(p)
        .where(IS_QUEUED, p.publish_due_provisional.is_(True), p.publish_due < before)
        .order_by(p.publish_due, p.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


# ---- the yearly report's figures (OGI art. 50; read by the applications side) -----------------------

RULES_AND_NORMATIVE_OF_YEAR = text("""
WITH catalogue AS (
    SELECT p.made_on, p.valid_until, p.validity,
           -- a rule (规章) is promulgated by an order (政府令第N号, 规章制定程序条例 art. 30), and its
           -- draft was opened for public comment from the same document (A22)
           (p.document_number LIKE '%令第%' OR EXISTS (
               SELECT 1 FROM publication d WHERE d.kind = 'comment_draft'
                  AND d.source_document_id = p.source_document_id)) AS is_rule,
           (SELECT min((a.at AT TIME ZONE 'Asia/Shanghai')::date) FROM audit_record a
             WHERE a.subject_ref = 'publication/' || p.id AND a.act = 'publication.repealed') AS repealed_on,
           (SELECT min((a.at AT TIME ZONE 'Asia/Shanghai')::date) FROM audit_record a
             WHERE a.subject_ref = 'publication/' || p.id
               AND a.act IN ('publication.repealed', 'publication.amended', 'publication.expired')) AS ended_on
      FROM publication p
     WHERE p.state = 'published' AND p.kind = 'policy' AND p.normative
)
SELECT is_rule,
       count(*) FILTER (WHERE made_on BETWEEN :first AND :last) AS made,
       count(*) FILTER (WHERE repealed_on BETWEEN :first AND :last) AS repealed,
       count(*) FILTER (WHERE made_on <= :last
                          AND (ended_on > :last OR (ended_on IS NULL AND validity = 'in_force'))
                          AND (valid_until IS NULL OR valid_until >= :last)) AS in_force
  FROM catalogue GROUP BY is_rule
""")


async def rules_and_normative_of_year(session: Db, year: int) -> dict[str, int]:
    """二、主动公开 of the yearly report: published rules (规章) and normative documents (规范性文件) made
    in `year`, repealed in it (the day the repeal was recorded here), and in force at its end. A rule
    is a policy with an order's number (令第N号) or whose document was opened for public comment as a
    draft government rule (A22); every other normative policy is a normative document."""
    figures = {f"{k}_{m}": 0 for k in ("rules", "normative") for m in ("made", "repealed", "in_force")}
    rows = await session.execute(
        RULES_AND_NORMATIVE_OF_YEAR, {"first": date(year, 1, 1), "last": date(year, 12, 31)}
    )
    for is_rule, made, repealed, in_force in rows:
        kind = "rules" if is_rule else "normative"
        figures.update({f"{kind}_made": made, f"{kind}_repealed": repealed, f"{kind}_in_force": in_force})
    return figures
