"""Acts on responses to public concerns (回应关切, A70): a concern registered with its limits (in clock
hours, domain/concerns.py), the responsible department's findings (调查核实), the response published
on the portal, the press conference recorded, and the overdue announcements of the sweep.

A response is a publication of kind CONCERN_RESPONSE, published at once (the limits are hours).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.acts import publications
from services.disclosure.domain import concerns as domain
from services.disclosure.domain.concerns import Limit, Severity, State
from services.disclosure.domain.publications import Category, Kind
from services.disclosure.models import PublicConcern
from services.disclosure.protos.concerns import LIMIT_TO_PROTO, event_view
from services.disclosure.store import concerns as store
from shared.audit import record_act
from shared.identity import Actor
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.disclosure.v1 import publications_pb2 as pb

# Who writes the overdue events: the platform itself.
SWEEP = Actor(
    user_id="", username="system:disclosure", display_name="政务公开系统（回应关切时限）", is_service=True
)


def ref_of(concern_id) -> str:
    return f"concern/{concern_id}"


async def register(
    session: AsyncSession, actor: Actor, registration: domain.Registration, now: datetime
) -> PublicConcern:
    """A70: a concern seen in the media, online, on the hotline or raised by deputies; the department
    named investigates; the limits of 国办发〔2016〕61号 run from when it was first seen."""
    domain.check_registration(registration, now)
    limits = domain.limits(registration.severity, registration.first_seen_at)
    row = await store.add(
        session,
        source=registration.source.value,
        source_detail=registration.source_detail,
        summary=registration.summary,
        first_seen_at=registration.first_seen_at,
        severity=registration.severity.value,
        department_code=registration.department_code,
        department_name=registration.department_name,
        state=State.REGISTERED.value,
        response_due=limits.response_due,
        press_conference_due=limits.press_conference_due,
        registered_at=now,
    )
    await record_act(
        session,
        ref_of(row.id),
        "concern.registered",
        actor,
        f"{registration.severity.value}; respond by {limits.response_due.isoformat()}; "
        f"investigated by {registration.department_code}",
    )
    await add_event(
        session,
        "disclosure.concern.registered",
        pb.ConcernRegistered(concern=event_view(row, now)),
        ref_of(row.id),
        actor,
    )
    return row


async def verify(
    session: AsyncSession, actor: Actor, concern_id: str, findings: str, now: datetime
) -> PublicConcern:
    """A70 (调查核实): the department asked records what it verified; a later finding before the
    response is recorded again (each an act; the latest is the one in force)."""
    row = await store.get(session, concern_id, for_update=True)
    domain.check_verification(State(row.state), row.department_code, actor.organisation_code, findings)
    row.findings = findings.strip()
    row.verified_at = now
    row.verified_by_name = actor.display_name or actor.username
    row.state = State.VERIFIED.value
    await session.flush()
    await record_act(session, ref_of(row.id), "concern.verified", actor, row.findings[:2000])
    return row


async def respond(
    session: AsyncSession,
    actor: Actor,
    calendar: WorkingCalendar,
    concern_id: str,
    *,
    category: Category | None,
    title: str,
    body: str,
    issuer_code: str,
    issuer_name: str,
    now: datetime,
    today: date,
) -> PublicConcern:
    """A70: the response is published on the portal (回应关切) once the facts are verified; after
    the limit it is published all the same and shows as late."""
    row = await store.get(session, concern_id, for_update=True)
    domain.check_response(State(row.state), title, body)
    if category is None:
        category = Category.EMERGENCIES if row.severity == Severity.MAJOR.value else Category.OTHER
    publication = await publications.queue_publication(
        session,
        calendar,
        today,
        kind=Kind.CONCERN_RESPONSE,
        category=category,
        made_on=today,
        title=title.strip(),
        body=body.strip(),
        issuer_code=issuer_code.strip() or row.department_code,
        issuer_name=issuer_name.strip() or row.department_name or row.department_code,
    )
    await record_act(
        session,
        publications.ref_of(publication.id),
        "publication.queued",
        actor,
        f"response to concern {row.id}",
    )
    await publications.publish(session, publication, today, actor)
    row.state = State.RESPONDED.value
    row.responded_at = now
    row.response_publication_id = publication.id
    await session.flush()
    late = domain.is_late(row.response_due, now, now)
    after = f"; after the limit of {row.response_due.isoformat()}" if late else ""
    await record_act(
        session, ref_of(row.id), "concern.responded", actor, f"publication {publication.id}{after}"
    )
    await add_event(
        session,
        "disclosure.concern.responded",
        pb.ConcernResponded(concern=event_view(row, now), publication_id=str(publication.id)),
        ref_of(row.id),
        actor,
    )
    return row


async def record_press_conference(
    session: AsyncSession, actor: Actor, concern_id: str, held_at: datetime | None, note: str, now: datetime
) -> PublicConcern:
    """国办发〔2016〕61号: a press conference within 24 hours for a major emergency."""
    row = await store.get(session, concern_id, for_update=True)
    domain.check_press_conference(held_at, row.first_seen_at, now, row.press_conference_at)
    row.press_conference_at = held_at
    await session.flush()
    await record_act(
        session,
        ref_of(row.id),
        "concern.press-conference",
        actor,
        f"held {held_at.isoformat()}; {note.strip()[:1000]}",
    )
    return row


async def announce_overdue(session: AsyncSession, now: datetime, batch: int = 500) -> int:
    """disclosure.concern.overdue for each limit passed with nothing done, once per concern and limit
    (remembered on the row in the same transaction as the outbox row). Returns the events written."""
    written = 0
    for row in await store.overdue_to_announce(session, now, batch):
        notified = frozenset(Limit(v) for v in row.overdue_notified)
        passed = domain.overdue_limits(
            State(row.state),
            Severity(row.severity),
            now,
            row.response_due,
            row.press_conference_due,
            row.press_conference_at,
            notified,
        )
        for limit in passed:
            due = row.response_due if limit is Limit.RESPONSE else row.press_conference_due
            await record_act(
                session, ref_of(row.id), "concern.overdue", SWEEP, f"{limit.value}: limit {due.isoformat()}"
            )
            await add_event(
                session,
                "disclosure.concern.overdue",
                pb.ConcernOverdue(concern=event_view(row, now), limit=LIMIT_TO_PROTO[limit]),
                ref_of(row.id),
                SWEEP,
            )
            written += 1
        row.overdue_notified = sorted({*row.overdue_notified, *(limit.value for limit in passed)})
    await session.flush()
    return written
