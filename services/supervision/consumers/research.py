"""The event handlers of research days (A31): a city leader's agreed inspection or research visit
(调研、视察, A54) a county or department asked for is a research day of his, and is no longer one when
the office records that he did not attend."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import research as research_acts
from services.supervision.consumers.base import Handlers, actor_of, day_of
from services.supervision.domain.research import Visit
from zgov.org.v1 import events_pb2 as org_events
from zgov.org.v1 import org_pb2

# A31: what org reported of an agreed inspection (attended or not).
ATTENDED = {org_pb2.ATTENDANCE_STATE_ATTENDED: True, org_pb2.ATTENDANCE_STATE_NOT_ATTENDED: False}


class ResearchConsumers(Handlers):
    async def _visit(self, attendance: org_pb2.EventAttendance) -> Visit:
        """The research day an inspection (调研、视察) a county or department asked for is (A31, A54)."""
        host = attendance.requesting_organisation_code
        return Visit(
            leader_user_id=attendance.leader_user_id,
            started_on=day_of(attendance.event_day),
            days=1,
            place=attendance.venue,
            county_codes=(host,) if host in await self.people.counties() else (),
            purpose=attendance.title,
            reporting_meeting=None,
        )

    async def on_attendance_decided(
        self, session: AsyncSession, envelope, event: org_events.EventAttendanceDecided
    ) -> None:
        """A31: a city leader agreed to attend an inspection or research visit (调研、视察) a county or
        department asked for (A54); its day becomes one research day of his, counted once it has come
        (and once for his calendar day). Any other kind of event, or a decline, is no research."""
        attendance = event.attendance
        if (
            attendance.state != org_pb2.ATTENDANCE_STATE_AGREED
            or attendance.activity_kind != org_pb2.ACTIVITY_KIND_INSPECTION
        ):
            return
        await research_acts.record_visit_from_org(
            session,
            actor_of(envelope),
            await self._visit(attendance),
            f"org/attendance/{attendance.id}",
            self.people,
        )

    async def on_attendance_outcome(
        self, session: AsyncSession, envelope, event: org_events.EventAttendanceOutcomeRecorded
    ) -> None:
        """A31: the general office recorded whether the leader attended the inspection he agreed to:
        attended, its day counts; not attended, it no longer does (whichever of the two events comes
        first, the visit is one per attendance)."""
        attendance = event.attendance
        outcome = ATTENDED.get(attendance.state)
        if outcome is None or attendance.activity_kind != org_pb2.ACTIVITY_KIND_INSPECTION:
            return
        await research_acts.record_attendance_outcome(
            session,
            actor_of(envelope),
            await self._visit(attendance),
            f"org/attendance/{attendance.id}",
            outcome,
            self.people,
        )
