"""Responses to public concerns (回应关切, A70): the RPCs of PublicationService about concerns, and the
overdue sweep.

Permissions (client roles of `disclosure`):
  concern:handle  disclosure officers (the press office's too): register, read the queue, publish the
                  response, record the press conference
  concern:verify  the responsible department (its head): record what its investigation verified
                  (调查核实), only for a concern its own organisation was asked to investigate

A response is a publication of kind CONCERN_RESPONSE, published at once (the limits are hours) with
its own page on the portal and the list 回应关切. Limits in clock hours (domain/concerns.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import store_concerns as store
from services.disclosure.domain import concerns as domain
from services.disclosure.domain.concerns import Limit, Severity, Source, State
from services.disclosure.domain.publications import Category, Kind
from services.disclosure.models import PublicConcern
from shared import audit
from shared.audit import record_act
from shared.convert import Page, decode_page_token
from shared.db import transaction
from shared.errors import InvalidInput
from shared.grpc_server import current_actor, requires
from shared.identity import Actor
from shared.logging import get_logger
from shared.outbox import add_event
from shared.sweep import SweepLeader, run_every
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2 as pb

log = get_logger(__name__)

HANDLE = "concern:handle"
VERIFY = "concern:verify"

SOURCE_TO_PROTO = {s: pb.ConcernSource.Value(f"CONCERN_SOURCE_{s.name}") for s in Source}
SOURCE_FROM_PROTO = {v: k for k, v in SOURCE_TO_PROTO.items()}
SEVERITY_TO_PROTO = {s: pb.ConcernSeverity.Value(f"CONCERN_SEVERITY_{s.name}") for s in Severity}
SEVERITY_FROM_PROTO = {v: k for k, v in SEVERITY_TO_PROTO.items()}
STATE_TO_PROTO = {s: pb.ConcernState.Value(f"CONCERN_STATE_{s.name}") for s in State}
LIMIT_TO_PROTO = {limit: pb.ConcernLimit.Value(f"CONCERN_LIMIT_{limit.name}") for limit in Limit}

# Who writes the overdue events: the platform itself.
SWEEP = Actor(user_id="", username="system:disclosure", display_name="政务公开系统（回应关切时限）", is_service=True)


def _publications():
    """api_publications, imported when first needed: it imports this module for ConcernRpcs."""
    from services.disclosure import api_publications
    return api_publications


def utc_now() -> datetime:
    return datetime.now(UTC)


def ref_of(concern_id) -> str:
    return f"concern/{concern_id}"


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _from_ts(message, name: str) -> datetime | None:
    if not message.HasField(name):
        return None
    return getattr(message, name).ToDatetime(tzinfo=UTC)


def to_proto(row: PublicConcern, now: datetime) -> pb.Concern:
    state = State(row.state)
    return pb.Concern(
        id=str(row.id), source=SOURCE_TO_PROTO[Source(row.source)], source_detail=row.source_detail,
        summary=row.summary, first_seen_at=_ts(row.first_seen_at),
        severity=SEVERITY_TO_PROTO[Severity(row.severity)],
        department_code=row.department_code, department_name=row.department_name, state=STATE_TO_PROTO[state],
        response_due=_ts(row.response_due), press_conference_due=_ts(row.press_conference_due),
        press_conference_at=_ts(row.press_conference_at), findings=row.findings,
        verified_at=_ts(row.verified_at),
        verified_by_name=row.verified_by_name,
        response_publication_id=str(row.response_publication_id) if row.response_publication_id else "",
        responded_at=_ts(row.responded_at), registered_at=_ts(row.registered_at),
        late=domain.is_late(row.response_due, now, row.responded_at),
        press_conference_late=domain.is_late(row.press_conference_due, now, row.press_conference_at),
    )


def event_view(row: PublicConcern, now: datetime) -> pb.Concern:
    """A concern as events carry it: without the department's findings (they may name people) and
    without who recorded them."""
    message = to_proto(row, now)
    message.ClearField("findings")
    message.ClearField("verified_by_name")
    return message


def facts_of(row: PublicConcern) -> pb.ConcernFacts:
    """What a response's public page shows of its concern (no findings, no officers' names)."""
    return pb.ConcernFacts(source=SOURCE_TO_PROTO[Source(row.source)], summary=row.summary,
                           first_seen_at=_ts(row.first_seen_at), responded_at=_ts(row.responded_at),
                           department_name=row.department_name or row.department_code)


def _cursor(token: str) -> tuple[datetime, uuid.UUID] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        return datetime.fromisoformat(position[0]), uuid.UUID(position[1])
    except (ValueError, IndexError):
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None


class ConcernRpcs:
    """Mixed into PublicationServicer (it has `sessions`, `calendar`, `today` and `_full`)."""

    clock: Callable[[], datetime] = staticmethod(utc_now)

    async def _concern_reply(self, session: AsyncSession, row: PublicConcern) -> pb.Concern:
        reply = to_proto(row, self.clock())
        reply.history.extend(audit.to_proto(r) for r in await audit.history(session, ref_of(row.id)))
        return reply

    @requires(HANDLE)
    async def RegisterConcern(self, request, context):
        """A70: a concern seen in the media, online, on the hotline or raised by deputies; the department
        named investigates; the limits of 国办发〔2016〕61号 run from when it was first seen."""
        actor = current_actor()
        now = self.clock()
        registration = domain.Registration(
            source=SOURCE_FROM_PROTO.get(request.source), summary=request.summary.strip(),
            first_seen_at=_from_ts(request, "first_seen_at"),
            severity=SEVERITY_FROM_PROTO.get(request.severity),
            department_code=request.department_code.strip(),
            department_name=request.department_name.strip()[:200],
            source_detail=request.source_detail.strip())
        domain.check_registration(registration, now)
        limits = domain.limits(registration.severity, registration.first_seen_at)
        async with transaction(self.sessions) as session:
            row = await store.add(
                session, source=registration.source.value, source_detail=registration.source_detail,
                summary=registration.summary, first_seen_at=registration.first_seen_at,
                severity=registration.severity.value, department_code=registration.department_code,
                department_name=registration.department_name, state=State.REGISTERED.value,
                response_due=limits.response_due, press_conference_due=limits.press_conference_due,
                registered_at=now)
            await record_act(session, ref_of(row.id), "concern.registered", actor,
                             f"{registration.severity.value}; respond by {limits.response_due.isoformat()}; "
                             f"investigated by {registration.department_code}")
            await add_event(session, "disclosure.concern.registered",
                            pb.ConcernRegistered(concern=event_view(row, now)), ref_of(row.id), actor)
            return await self._concern_reply(session, row)

    @requires(HANDLE)
    async def GetConcern(self, request, context):
        async with transaction(self.sessions) as session:
            return await self._concern_reply(session, await store.get(session, request.concern_id))

    @requires(HANDLE)
    async def ListConcerns(self, request, context):
        """The officer's queue: open concerns, the earliest response limit first, late ones marked."""
        page = Page.of(request.page)
        after = _cursor(request.page.page_token)
        now = self.clock()
        async with transaction(self.sessions) as session:
            rows = await store.listed(session, late_only=request.late_only,
                                      include_responded=request.include_responded, now=now, limit=page.fetch,
                                      after=after)
            late = await store.count_late(session, now)
        rows, token = page.cut(rows, lambda r: (r.response_due.isoformat(), str(r.id)))
        return pb.ListConcernsResponse(concerns=[to_proto(r, now) for r in rows], late_count=late,
                                       page=common_pb2.PageResponse(next_page_token=token))

    @requires(VERIFY)
    async def ListDepartmentConcerns(self, request, context):
        """What the caller's own department was asked to investigate (调查核实), the earliest limit first;
        without the recorded acts."""
        actor = current_actor()
        page = Page.of(request.page)
        after = _cursor(request.page.page_token)
        now = self.clock()
        department = actor.organisation_code
        if not department:
            return pb.ListConcernsResponse()
        async with transaction(self.sessions) as session:
            rows = await store.listed(session, late_only=False, include_responded=request.include_responded,
                                      now=now, limit=page.fetch, after=after, department_code=department)
            late = await store.count_late(session, now, department)
        rows, token = page.cut(rows, lambda r: (r.response_due.isoformat(), str(r.id)))
        return pb.ListConcernsResponse(concerns=[to_proto(r, now) for r in rows], late_count=late,
                                       page=common_pb2.PageResponse(next_page_token=token))

    @requires(VERIFY)
    async def RecordConcernVerification(self, request, context):
        """A70 (调查核实): the department asked records what it verified; a later finding before the
        response is recorded again (each an act; the latest is the one in force)."""
        actor = current_actor()
        now = self.clock()
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.concern_id, for_update=True)
            domain.check_verification(State(row.state), row.department_code, actor.organisation_code,
                                      request.findings)
            row.findings = request.findings.strip()
            row.verified_at = now
            row.verified_by_name = actor.display_name or actor.username
            row.state = State.VERIFIED.value
            await session.flush()
            await record_act(session, ref_of(row.id), "concern.verified", actor, row.findings[:2000])
            return await self._concern_reply(session, row)

    @requires(HANDLE)
    async def PublishConcernResponse(self, request, context):
        """A70: the response is published on the portal (回应关切) once the facts are verified; after
        the limit it is published all the same and shows as late."""
        actor = current_actor()
        now = self.clock()
        today = self.today()
        pubs = _publications()
        category = pubs.CATEGORY_FROM_PROTO.get(request.category)
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.concern_id, for_update=True)
            domain.check_response(State(row.state), request.title, request.body)
            if category is None:
                category = Category.EMERGENCIES if row.severity == Severity.MAJOR.value else Category.OTHER
            publication = await pubs.queue_publication(
                session, self.calendar, today, kind=Kind.CONCERN_RESPONSE, category=category, made_on=today,
                title=request.title.strip(), body=request.body.strip(),
                issuer_code=request.issuer_code.strip() or row.department_code,
                issuer_name=request.issuer_name.strip() or row.department_name or row.department_code)
            await record_act(session, pubs.ref_of(publication.id), "publication.queued", actor,
                             f"response to concern {row.id}")
            await pubs.publish(session, publication, today, actor)
            row.state = State.RESPONDED.value
            row.responded_at = now
            row.response_publication_id = publication.id
            await session.flush()
            late = domain.is_late(row.response_due, now, now)
            after = f"; after the limit of {row.response_due.isoformat()}" if late else ""
            await record_act(session, ref_of(row.id), "concern.responded", actor,
                             f"publication {publication.id}{after}")
            await add_event(session, "disclosure.concern.responded",
                            pb.ConcernResponded(concern=event_view(row, now),
                                                publication_id=str(publication.id)),
                            ref_of(row.id), actor)
            return await self._concern_reply(session, row)

    @requires(HANDLE)
    async def RecordPressConference(self, request, context):
        """国办发〔2016〕61号: a press conference within 24 hours for a major emergency."""
        actor = current_actor()
        now = self.clock()
        held_at = _from_ts(request, "held_at")
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.concern_id, for_update=True)
            domain.check_press_conference(held_at, row.first_seen_at, now, row.press_conference_at)
            row.press_conference_at = held_at
            await session.flush()
            await record_act(session, ref_of(row.id), "concern.press-conference", actor,
                             f"held {held_at.isoformat()}; {request.note.strip()[:1000]}")
            return await self._concern_reply(session, row)


# ---- the overdue sweep -----------------------------------------------------------------------------------

async def announce_overdue(session: AsyncSession, now: datetime, batch: int = 500) -> int:
    """disclosure.concern.overdue for each limit passed with nothing done, once per concern and limit
    (remembered on the row in the same transaction as the outbox row). Returns the events written."""
    written = 0
    for row in await store.overdue_to_announce(session, now, batch):
        notified = frozenset(Limit(v) for v in row.overdue_notified)
        passed = domain.overdue_limits(State(row.state), Severity(row.severity), now, row.response_due,
                                       row.press_conference_due, row.press_conference_at, notified)
        for limit in passed:
            due = row.response_due if limit is Limit.RESPONSE else row.press_conference_due
            await record_act(session, ref_of(row.id), "concern.overdue", SWEEP,
                             f"{limit.value}: limit {due.isoformat()}")
            await add_event(session, "disclosure.concern.overdue",
                            pb.ConcernOverdue(concern=event_view(row, now), limit=LIMIT_TO_PROTO[limit]),
                            ref_of(row.id), SWEEP)
            written += 1
        row.overdue_notified = sorted({*row.overdue_notified, *(limit.value for limit in passed)})
    await session.flush()
    return written


async def run_concern_sweep(sessions: async_sessionmaker[AsyncSession], interval: float = 60.0,
                            batch: int = 500, clock: Callable[[], datetime] = utc_now) -> None:
    """In the background: every `interval` seconds, announce the concerns past a limit (A70)."""

    async def one_round() -> int:
        async with transaction(sessions) as session:
            written = await announce_overdue(session, clock(), batch)
        if written:
            log.info("public concerns overdue announced (A70)", count=written)
        return written

    # run_every keeps the sweep alive through a database outage
    await run_every(interval, one_round, name="concern sweep", batch=batch,
                    leader=SweepLeader.of(sessions, "disclosure.concerns"))
