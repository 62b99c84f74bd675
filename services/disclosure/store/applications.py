"""Persistence of applications for information, their reviews and lawsuits, and the yearly reports.

Never commits: the caller (an act, or a read in api_applications) owns the transaction, so a change, its recorded act
and its outbox event commit together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.domain import annual_report as report_domain
from services.disclosure.domain import applications as domain
from services.disclosure.domain.applications import (
    ApplicantKind,
    Exemption,
    RemedyKind,
    RemedyOutcome,
    ReplyKind,
    State,
)
from services.disclosure.models import AnnualReportRecord, ApplicationRemedy, InfoApplication
from shared.errors import InvalidInput, NotFound
from shared.workdays import WorkingCalendar


def parse_id(value: str, field: str = "application_id") -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        raise InvalidInput({field: "not an application id"}) from None


async def next_serial(session: AsyncSession) -> int:
    """The serial of a new application, taken first so its number is written with the row."""
    return await session.scalar(text("SELECT nextval(pg_get_serial_sequence('info_application', 'serial'))"))


async def add(session: AsyncSession, **fields) -> InfoApplication:
    row = InfoApplication(**fields)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, application_id: str, *, for_update: bool = False) -> InfoApplication:
    statement = select(InfoApplication).where(InfoApplication.id == parse_id(application_id))
    if for_update:
        statement = statement.with_for_update()
    row = await session.scalar(statement)
    if row is None:
        raise NotFound(f"application {application_id}", resource_type="application")
    return row


async def by_query_code(
    session: AsyncSession, code_hash: str, *, for_update: bool = False
) -> InfoApplication:
    statement = select(InfoApplication).where(InfoApplication.query_code_hash == code_hash)
    if for_update:
        statement = statement.with_for_update()
    row = await session.scalar(statement)
    if row is None:
        raise NotFound("an application with this query code", resource_type="application")
    return row


async def lock_idempotency_key(session: AsyncSession, owner: str, key: str) -> None:
    """Serialise submits with one key (of one account, or of those without): held to the commit."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"info_application:{owner}:{key}"},
    )


async def by_idempotency_key(session: AsyncSession, owner: str, key: str) -> InfoApplication | None:
    return await session.scalar(
        select(InfoApplication).where(
            InfoApplication.submitted_by_user_id == owner, InfoApplication.idempotency_key == key
        )
    )


@dataclass(frozen=True)
class ListFilter:
    state: str = ""
    overdue_on: date | None = None  # open applications whose limit ended before this day
    submitted_by_user_id: str = ""
    number: str = ""


async def list_page(
    session: AsyncSession, f: ListFilter, limit: int, after: tuple[str, str] | None = None
) -> list[InfoApplication]:
    """Newest first, keyset-paged on (created_at, id)."""
    statement = select(InfoApplication)
    if f.state:
        statement = statement.where(InfoApplication.state == f.state)
    if f.submitted_by_user_id:
        statement = statement.where(InfoApplication.submitted_by_user_id == f.submitted_by_user_id)
    if f.number:
        statement = statement.where(InfoApplication.number == f.number)
    if f.overdue_on is not None:
        statement = statement.where(
            InfoApplication.state.in_([State.RECEIVED.value, State.CONSULTING.value]),
            InfoApplication.reply_due < f.overdue_on,
        )
    if after is not None:
        created, last_id = after
        statement = statement.where(
            tuple_(InfoApplication.created_at, InfoApplication.id)
            < tuple_(datetime.fromisoformat(created), uuid.UUID(last_id))
        )
    statement = statement.order_by(InfoApplication.created_at.desc(), InfoApplication.id.desc()).limit(limit)
    return list((await session.scalars(statement)).all())


async def to_lapse(session: AsyncSession, today: date, limit: int) -> list[InfoApplication]:
    """Art. 30: applications whose period to complete ended before today, locked, skipping rows
    another replica (or a read) is lapsing right now — so each lapses once."""
    statement = (
        select(InfoApplication)
        .where(
            InfoApplication.state == State.AWAITING_COMPLETION.value, InfoApplication.completion_due < today
        )
        .order_by(InfoApplication.completion_due)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(statement)).all())


async def provisional_due(session: AsyncSession, before: date, limit: int) -> list[InfoApplication]:
    """Open applications whose stored limit was computed without an official schedule, and whose
    due day now falls before the first unknown day (shared.workdays recomputes it right)."""
    statement = (
        select(InfoApplication)
        .where(InfoApplication.reply_due_provisional.is_(True), InfoApplication.reply_due < before)
        .order_by(InfoApplication.reply_due)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(statement)).all())


# ---- reviews and lawsuits -------------------------------------------------------------------------


async def remedies_of(session: AsyncSession, application_id: uuid.UUID) -> list[ApplicationRemedy]:
    statement = (
        select(ApplicationRemedy)
        .where(ApplicationRemedy.application_id == application_id)
        .order_by(ApplicationRemedy.filed_on, ApplicationRemedy.created_at)
    )
    return list((await session.scalars(statement)).all())


async def add_remedy(session: AsyncSession, **fields) -> ApplicationRemedy:
    row = ApplicationRemedy(**fields)
    session.add(row)
    await session.flush()
    return row


async def get_remedy(session: AsyncSession, application_id: uuid.UUID, remedy_id: str) -> ApplicationRemedy:
    row = await session.get(ApplicationRemedy, parse_id(remedy_id, "remedy_id"), with_for_update=True)
    if row is None or row.application_id != application_id:
        raise NotFound(f"remedy {remedy_id}", resource_type="remedy")
    return row


# ---- the yearly report ----------------------------------------------------------------------------


async def application_facts(session: AsyncSession, year: int) -> list[report_domain.ApplicationFact]:
    """Applications received by the end of `year` and not finished before it (art. 50(2))."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    a = InfoApplication
    finished = func.coalesce(a.replied_on, a.lapsed_on, a.withdrawn_on)
    rows = (
        await session.execute(
            select(
                a.applicant_kind,
                a.received_on,
                a.replied_on,
                a.lapsed_on,
                a.withdrawn_on,
                a.reply_kind,
                a.reply["exemption"].astext,
            )
            # requests for correction (art. 41) have no row in the national template
            .where(
                a.request_kind == "information",
                a.received_on.is_not(None),
                a.received_on <= last,
                or_(finished.is_(None), finished >= first),
            )
        )
    ).all()
    facts = []
    for kind, received_on, replied_on, lapsed_on, withdrawn_on, reply_kind, exemption in rows:
        finished_on = replied_on or lapsed_on or withdrawn_on
        outcome = (
            report_domain.outcome_row(
                reply_kind=ReplyKind(reply_kind) if reply_kind else None,
                exemption=Exemption(exemption) if exemption else None,
                lapsed=lapsed_on is not None,
                withdrawn=withdrawn_on is not None,
            )
            if finished_on
            else ""
        )
        facts.append(report_domain.ApplicationFact(ApplicantKind(kind), received_on, finished_on, outcome))
    return facts


async def remedy_facts(session: AsyncSession, year: int) -> list[report_domain.RemedyFact]:
    r = ApplicationRemedy
    rows = (
        await session.execute(
            select(r.kind, r.filed_on, r.outcome).where(
                r.filed_on.between(date(year, 1, 1), date(year, 12, 31))
            )
        )
    ).all()
    return [report_domain.RemedyFact(RemedyKind(k), filed, RemedyOutcome(o)) for k, filed, o in rows]


async def get_report(
    session: AsyncSession, year: int, *, for_update: bool = False
) -> AnnualReportRecord | None:
    return await session.get(AnnualReportRecord, year, with_for_update=for_update)


async def list_reports(session: AsyncSession) -> list[AnnualReportRecord]:
    statement = select(AnnualReportRecord).order_by(AnnualReportRecord.year.desc())
    return list((await session.scalars(statement)).all())


async def put_report(
    session: AsyncSession, year: int, content: dict, published_on: date, published_by: str
) -> AnnualReportRecord:
    row = await get_report(session, year, for_update=True)
    if row is None:
        row = AnnualReportRecord(
            year=year, version=1, content=content, published_on=published_on, published_by=published_by
        )
        session.add(row)
    else:
        row.version += 1
        row.content = content
        row.published_on = published_on
        row.published_by = published_by
    await session.flush()
    return row


# ---- the row read as the rules see it --------------------------------------------------------------


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def consultations_of(row: InfoApplication) -> tuple[domain.Consultation, ...]:
    return tuple(
        domain.Consultation(
            domain.ConsultedParty(c["party"]),
            date.fromisoformat(c["sent_on"]),
            _day(c.get("answered_on")),
            c.get("consents"),
        )
        for c in row.consultations
    )


def clock_of(row: InfoApplication) -> domain.Clock:
    return domain.Clock(
        started_on=row.clock_started_on,
        extension_days=(row.extension or {}).get("working_days", 0),
        consultations=consultations_of(row),
        deferred_to=_day((row.deferral or {}).get("deferred_to")),
    )


def refresh_due(row: InfoApplication, cal: WorkingCalendar) -> domain.ReplyDue | None:
    """Keep the limit in force on the row (for lists, the overdue filter and events)."""
    state = domain.State(row.state)
    if row.clock_started_on is None or state not in (domain.State.RECEIVED, domain.State.CONSULTING):
        row.reply_due, row.reply_due_provisional = None, False
        return None
    due = domain.reply_due(clock_of(row), cal)
    row.reply_due, row.reply_due_provisional = due.due, due.provisional
    return due
