"""Responses to public concerns (回应关切, A70): the RPCs of PublicationService about concerns.

Permissions (client roles of `disclosure`):
  concern:handle  disclosure officers (the press office's too): register, read the queue, publish the
                  response, record the press conference
  concern:verify  the responsible department (its head): record what its investigation verified
                  (调查核实), only for a concern its own organisation was asked to investigate

The acts are in acts/concerns.py, the wire in protos/concerns.py, the overdue sweep in sweep.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.acts import concerns
from services.disclosure.domain import concerns as domain
from services.disclosure.models import PublicConcern
from services.disclosure.protos import concerns as wire
from services.disclosure.protos.publications import CATEGORY_FROM_PROTO
from services.disclosure.store import concerns as store
from shared import audit
from shared.convert import Page
from shared.db import transaction
from shared.rpc_auth import current_actor, requires
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2 as pb

HANDLE = "concern:handle"
VERIFY = "concern:verify"


def utc_now() -> datetime:
    return datetime.now(UTC)


class ConcernRpcs:
    """Mixed into PublicationServicer (it has `sessions`, `calendar` and `today`)."""

    clock: Callable[[], datetime] = staticmethod(utc_now)

    async def _concern_reply(self, session: AsyncSession, row: PublicConcern) -> pb.Concern:
        reply = wire.to_proto(row, self.clock())
        reply.history.extend(audit.to_proto(r) for r in await audit.history(session, concerns.ref_of(row.id)))
        return reply

    @requires(HANDLE)
    async def RegisterConcern(self, request, context):
        """A70: a concern seen in the media, online, on the hotline or raised by deputies."""
        registration = domain.Registration(
            source=wire.SOURCE_FROM_PROTO.get(request.source),
            summary=request.summary.strip(),
            first_seen_at=wire.from_ts(request, "first_seen_at"),
            severity=wire.SEVERITY_FROM_PROTO.get(request.severity),
            department_code=request.department_code.strip(),
            department_name=request.department_name.strip()[:200],
            source_detail=request.source_detail.strip(),
        )
        async with transaction(self.sessions) as session:
            row = await concerns.register(session, current_actor(), registration, self.clock())
            return await self._concern_reply(session, row)

    @requires(HANDLE)
    async def GetConcern(self, request, context):
        async with transaction(self.sessions) as session:
            return await self._concern_reply(session, await store.get(session, request.concern_id))

    @requires(HANDLE)
    async def ListConcerns(self, request, context):
        """The officer's queue: open concerns, the earliest response limit first, late ones marked."""
        page = Page.of(request.page)
        after = wire.cursor(request.page.page_token)
        now = self.clock()
        async with transaction(self.sessions) as session:
            rows = await store.listed(
                session,
                late_only=request.late_only,
                include_responded=request.include_responded,
                now=now,
                limit=page.fetch,
                after=after,
            )
            late = await store.count_late(session, now)
        rows, token = page.cut(rows, lambda r: (r.response_due.isoformat(), str(r.id)))
        return pb.ListConcernsResponse(
            concerns=[wire.to_proto(r, now) for r in rows],
            late_count=late,
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires(VERIFY)
    async def ListDepartmentConcerns(self, request, context):
        """What the caller's own department was asked to investigate (调查核实), the earliest limit first;
        without the recorded acts."""
        actor = current_actor()
        page = Page.of(request.page)
        after = wire.cursor(request.page.page_token)
        now = self.clock()
        department = actor.organisation_code
        if not department:
            return pb.ListConcernsResponse()
        async with transaction(self.sessions) as session:
            rows = await store.listed(
                session,
                late_only=False,
                include_responded=request.include_responded,
                now=now,
                limit=page.fetch,
                after=after,
                department_code=department,
            )
            late = await store.count_late(session, now, department)
        rows, token = page.cut(rows, lambda r: (r.response_due.isoformat(), str(r.id)))
        return pb.ListConcernsResponse(
            concerns=[wire.to_proto(r, now) for r in rows],
            late_count=late,
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires(VERIFY)
    async def RecordConcernVerification(self, request, context):
        """A70 (调查核实): the department asked records what it verified."""
        async with transaction(self.sessions) as session:
            row = await concerns.verify(
                session, current_actor(), request.concern_id, request.findings, self.clock()
            )
            return await self._concern_reply(session, row)

    @requires(HANDLE)
    async def PublishConcernResponse(self, request, context):
        """A70: the response is published on the portal (回应关切)."""
        now = self.clock()
        async with transaction(self.sessions) as session:
            row = await concerns.respond(
                session,
                current_actor(),
                self.calendar,
                request.concern_id,
                category=CATEGORY_FROM_PROTO.get(request.category),
                title=request.title,
                body=request.body,
                issuer_code=request.issuer_code,
                issuer_name=request.issuer_name,
                now=now,
                today=self.today(),
            )
            return await self._concern_reply(session, row)

    @requires(HANDLE)
    async def RecordPressConference(self, request, context):
        """国办发〔2016〕61号: a press conference within 24 hours for a major emergency."""
        now = self.clock()
        held_at = wire.from_ts(request, "held_at")
        async with transaction(self.sessions) as session:
            row = await concerns.record_press_conference(
                session, current_actor(), request.concern_id, held_at, request.note, now
            )
            return await self._concern_reply(session, row)
