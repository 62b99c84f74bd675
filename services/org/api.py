"""The org service's gRPC surface: each RPC states its permission, turns the request into the typed
input of an act (protos/), runs the act in one transaction (acts/) and returns its reply; reads go
to the store (`read(self.engine, ...)`, no transaction) and back through protos/.

Each permission is a client role of the `org` client in Keycloak; which positions hold it is
configured in Keycloak, not here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from services.org import domain
from services.org.acts import attendance, duty, leave, portfolios
from services.org.directory import KeycloakDirectory, Snapshot
from services.org.protos.attendance import (
    ACTIVITY_FROM_PROTO,
    ATTENDANCE_STATE_FROM_PROTO,
    OUTCOME_FROM_PROTO,
    attendance_to_proto,
)
from services.org.protos.leave import KIND_FROM_PROTO, STATE_FROM_PROTO, leave_to_proto
from services.org.protos.portfolios import portfolio_to_proto
from services.org.store import acting as acting_store
from services.org.store import attendance as attendance_store
from services.org.store import duty as duty_store
from services.org.store import leave as leave_store
from services.org.store import portfolios as portfolio_store
from shared import audit
from shared.convert import CHINA, Page, date_from_proto, date_to_proto, decode_day_cursor, today_in_china
from shared.db import read, session_factory, transaction
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2, org_pb2_grpc

__all__ = ["OrgServicer", "today_in_china"]  # __main__ takes the service's day from here


class OrgServicer(org_pb2_grpc.OrgServiceServicer):
    """Writes run in `transaction(self.sessions)`; reads in `read(self.engine, ...)` (no transaction)."""

    def __init__(self, engine: AsyncEngine, directory: KeycloakDirectory, calendar: WorkingCalendar):
        self.engine = engine
        self.sessions = session_factory(engine)
        self.directory = directory
        self.calendar = calendar

    # ---- positions and organisations -------------------------------------------------------------

    @requires("positions:read")
    async def ListPositions(self, request, context):
        snap = await self.directory.snapshot()
        return org_pb2.ListPositionsResponse(
            positions=[
                org_pb2.PositionWithHolders(
                    position=common_pb2.Position(code=code, title=title),
                    holders=[
                        org_pb2.PositionHolder(
                            user_id=p.user_id,
                            username=p.username,
                            display_name=p.display_name,
                            organisation_code=p.organisation_code,
                        )
                        for p in snap.holders_of(code)
                    ],
                )
                for code, title in sorted(snap.positions.items())
            ]
        )

    @requires("positions:read")
    async def ListOrganisations(self, request, context):
        kinds = {
            "office": common_pb2.ORGANISATION_KIND_OFFICE,
            "department": common_pb2.ORGANISATION_KIND_DEPARTMENT,
            "county": common_pb2.ORGANISATION_KIND_COUNTY,
        }
        snap = await self.directory.snapshot()
        return org_pb2.ListOrganisationsResponse(
            organisations=[
                common_pb2.Organisation(code=code, name=o["name"], kind=kinds.get(o["kind"], 0))
                for code, o in sorted(snap.organisations.items())
            ]
        )

    # ---- portfolios (A8) ----------------------------------------------------------------------------

    @requires("portfolio:write")
    async def SetPortfolio(self, request, context):
        snap = await self.directory.snapshot()
        codes, matters = list(request.organisation_codes), [m.strip() for m in request.matters if m.strip()]
        async with transaction(self.sessions) as session:
            return await portfolios.set_portfolio(
                session,
                current_actor(),
                snap,
                leader_user_id=request.leader_user_id,
                organisation_codes=codes,
                matters=matters,
                reason=request.reason,
            )

    @requires("portfolio:read")
    async def GetPortfolio(self, request, context):
        current = await read(self.engine, portfolio_store.portfolios)
        if request.leader_user_id not in current:
            raise NotFound(f"portfolio of {request.leader_user_id}")
        codes, row = current[request.leader_user_id]
        return portfolio_to_proto(request.leader_user_id, codes, row)

    @requires("portfolio:read")
    async def ListPortfolios(self, request, context):
        current = await read(self.engine, portfolio_store.portfolios)
        return org_pb2.ListPortfoliosResponse(
            portfolios=[portfolio_to_proto(leader, codes, row) for leader, (codes, row) in current.items()]
        )

    @requires("portfolio:read")
    async def FindPortfolioHolder(self, request, context):
        if not (request.organisation_code or request.matter):
            raise InvalidInput({"organisation_code": "give an organisation code or a matter"})
        current = await read(self.engine, portfolio_store.portfolios)
        leader = domain.portfolio_holder(
            {leader: (codes, row.matters) for leader, (codes, row) in current.items()},
            organisation_code=request.organisation_code,
            matter=request.matter,
        )
        if leader is None:
            return org_pb2.FindPortfolioHolderResponse()
        codes, row = current[leader]
        return org_pb2.FindPortfolioHolderResponse(
            leader_user_id=leader, portfolio=portfolio_to_proto(leader, codes, row)
        )

    # ---- A/B pairs (A59) ------------------------------------------------------------------------------

    @requires("abpair:write")
    async def SetAbPair(self, request, context):
        snap = await self.directory.snapshot()
        async with transaction(self.sessions) as session:
            return await portfolios.set_ab_pair(
                session,
                current_actor(),
                snap,
                request.leader_a_user_id,
                request.leader_b_user_id,
                request.reason,
            )

    @requires("portfolio:read")
    async def ListAbPairs(self, request, context):
        pairs = await read(self.engine, portfolio_store.ab_pairs)
        return org_pb2.ListAbPairsResponse(
            pairs=[org_pb2.AbPair(leader_a_user_id=a, leader_b_user_id=b) for a, b in pairs]
        )

    # ---- leave (A82) and acting holders (A10, A59) ---------------------------------------------------

    @requires("leave:request")
    async def RequestLeave(self, request, context):
        actor = current_actor()
        user_id = request.user_id or actor.user_id
        leave.check_files_for(actor, user_id)
        snap = await self.directory.snapshot()
        first_day = date_from_proto(request.first_day, "first_day", required=False)
        last_day = date_from_proto(request.last_day, "last_day", required=False)
        async with transaction(self.sessions) as session:
            return await leave.request_leave(
                session,
                actor,
                snap,
                user_id=user_id,
                position=request.position,
                kind=KIND_FROM_PROTO.get(request.kind),
                first_day=first_day,
                last_day=last_day,
                reason=request.reason,
                acting_user_id=request.acting_user_id,
            )

    @requires("leave:approve")
    async def ApproveLeave(self, request, context):
        snap = await self.directory.snapshot()
        async with transaction(self.sessions) as session:
            return await leave.approve_leave(
                session,
                current_actor(),
                snap,
                request.leave_id,
                opinion=request.opinion,
                both_away_override_reason=request.both_away_override_reason,
                today=today_in_china(),
            )

    @requires("leave:approve")
    async def RejectLeave(self, request, context):
        async with transaction(self.sessions) as session:
            return await leave.reject_leave(session, current_actor(), request.leave_id, request.reason)

    @requires("leave:request")
    async def EndLeave(self, request, context):
        """销假: the leader is back. Recorded by the leader or by whoever approves leave."""
        snap = await self.directory.snapshot()
        last_day = date_from_proto(request.last_day, "last_day", required=False)
        async with transaction(self.sessions) as session:
            return await leave.end_leave(
                session, current_actor(), snap, request.leave_id, last_day=last_day, today=today_in_china()
            )

    @requires("leave:read")
    async def GetLeave(self, request, context):
        row, history = await read(self.engine, leave_store.leave_with_history, request.leave_id)
        return leave_to_proto(row, history)

    @requires("leave:read")
    async def ListLeaves(self, request, context):
        page = Page.of(request.page)
        after = decode_day_cursor(request.page.page_token)
        state = STATE_FROM_PROTO[request.state].value if request.state else ""
        rows = await leave_store.list_leaves(
            self.engine,
            user_id=request.user_id,
            state=state,
            from_day=date_from_proto(request.from_day, "from_day", required=False),
            to_day=date_from_proto(request.to_day, "to_day", required=False),
            after=after,
            limit=page.fetch,
        )
        rows, token = page.cut(rows, lambda r: (r.first_day.isoformat(), str(r.id)))
        return org_pb2.ListLeavesResponse(
            leaves=[leave_to_proto(r) for r in rows], page=common_pb2.PageResponse(next_page_token=token)
        )

    @requires("acting:read")
    async def WhoMayAct(self, request, context):
        snap = await self.directory.snapshot()
        if request.position not in snap.positions:
            raise InvalidInput({"position": f"unknown position '{request.position}'"})
        holder = self._holder(snap, request.position, request.holder_user_id)
        day = request.at.ToDatetime(tzinfo=CHINA).date() if request.HasField("at") else today_in_china()
        absences, partner = await acting_store.acting_facts(self.engine, day, holder)
        evm = snap.holders_of(domain.EXECUTIVE_VICE_MAYOR)
        answer = domain.who_may_act(
            position=request.position,
            holder_user_id=holder,
            day=day,
            absences=absences,
            executive_vice_mayor_id=evm[0].user_id if evm else None,
            ab_partner_id=partner,
        )
        return org_pb2.WhoMayActResponse(
            position=answer.position,
            holder_user_id=answer.holder_user_id,
            acting_user_id=answer.acting_user_id,
            holder_away=answer.holder_away,
            basis=answer.basis,
            leave_id=answer.leave_id,
        )

    @staticmethod
    def _holder(snap: Snapshot, position: str, holder_user_id: str) -> str:
        holders = [p.user_id for p in snap.holders_of(position)]
        if holder_user_id:
            if holder_user_id not in holders:
                raise InvalidInput({"holder_user_id": f"{holder_user_id} does not hold '{position}'"})
            return holder_user_id
        if not holders:
            raise NotFound(f"a holder of '{position}' (the position is vacant)")
        if len(holders) > 1:
            raise InvalidInput(
                {"holder_user_id": f"'{position}' has {len(holders)} holders: say whose duties"}
            )
        return holders[0]

    # ---- duty roster (A79) ---------------------------------------------------------------------------

    def _duty_days(self, year: int) -> dict[date, str]:
        return dict(self.calendar.statutory_holidays_on_weekdays(year))

    @requires("roster:write")
    async def SetDutyAssignment(self, request, context):
        day = date_from_proto(request.day, "day")
        snap = await self.directory.snapshot()
        async with transaction(self.sessions) as session:
            return await duty.set_duty_assignment(
                session,
                current_actor(),
                snap,
                day=day,
                leader_user_id=request.leader_user_id,
                duty_days=self._duty_days(day.year),
            )

    @requires("roster:read")
    async def GetDutyRoster(self, request, context):
        year = self._year(request.year)
        rows = await read(self.engine, duty_store.duty_assignments, year)
        return org_pb2.GetDutyRosterResponse(
            assignments=[
                org_pb2.DutyAssignment(
                    day=date_to_proto(r.day), leader_user_id=r.leader_user_id, holiday=r.holiday
                )
                for r in rows
            ]
        )

    @requires("roster:read")
    async def CheckDutyCoverage(self, request, context):
        year = self._year(request.year)
        rows = await read(self.engine, duty_store.duty_assignments, year)
        missing = domain.uncovered_duty_days(self._duty_days(year), [r.day for r in rows])
        return org_pb2.CheckDutyCoverageResponse(
            uncovered_days=[date_to_proto(d) for d in missing],
            fully_covered=not missing,
            schedule_known=self.calendar.schedule_known(year),
        )

    @staticmethod
    def _year(year: int) -> int:
        if not 2000 <= year <= 2100:
            raise InvalidInput({"year": "a year between 2000 and 2100"})
        return year

    # ---- event attendance (A54, A55, A59) ------------------------------------------------------------

    @requires("attendance:request")
    async def RequestEventAttendance(self, request, context):
        """A54: a county or department asks, in advance, for a city leader to attend its event."""
        actor = current_actor()
        snap = await self.directory.snapshot()
        organisation = snap.organisations.get(actor.organisation_code, {})
        candidate = domain.AttendanceRequest(
            organisation_code=actor.organisation_code,
            organisation_kind=organisation.get("kind", ""),
            leader_user_id=request.leader_user_id,
            event_day=date_from_proto(request.event_day, "event_day", required=False),
            title=request.title,
            venue=request.venue,
            kind=ACTIVITY_FROM_PROTO.get(request.activity_kind),
            foreign_affairs=request.foreign_affairs,
            foreign_affairs_filing_ref=request.foreign_affairs_filing_ref.strip(),
            approval_ref=request.approval_ref.strip(),
            photo_session=request.photo_session,
            photo_approval_ref=request.photo_approval_ref.strip(),
            festivity_override_reason=request.festivity_override_reason.strip(),
        )
        async with transaction(self.sessions) as session:
            reply = await attendance.request_attendance(
                session, actor, snap, candidate, details=request.details, today=today_in_china()
            )
        return org_pb2.RequestEventAttendanceResponse(attendance=reply)

    @requires("attendance:review")
    async def ReviewEventAttendance(self, request, context):
        """A54: the general office reviews (审核): forwards to the leader, or returns with a reason."""
        if request.outcome not in (org_pb2.REVIEW_OUTCOME_FORWARD, org_pb2.REVIEW_OUTCOME_RETURN):
            raise InvalidInput({"outcome": "forward to the leader or return to the requester"})
        async with transaction(self.sessions) as session:
            reply = await attendance.review_attendance(
                session,
                current_actor(),
                request.attendance_id,
                forward=request.outcome == org_pb2.REVIEW_OUTCOME_FORWARD,
                opinion=request.opinion,
                foreign_affairs_filing_ref=request.foreign_affairs_filing_ref,
                today=today_in_china(),
            )
        return org_pb2.ReviewEventAttendanceResponse(attendance=reply)

    @requires("attendance:decide")
    async def DecideEventAttendance(self, request, context):
        """A54: the leader asked decides (审定), or whoever acts for the leader while away (A10, A59)."""
        if request.decision not in (org_pb2.ATTENDANCE_DECISION_AGREE, org_pb2.ATTENDANCE_DECISION_DECLINE):
            raise InvalidInput({"decision": "agree or decline"})
        agree = request.decision == org_pb2.ATTENDANCE_DECISION_AGREE
        if not agree and not request.reason.strip():
            raise InvalidInput({"reason": "a leader who cannot attend says why (A59: another is asked)"})
        snap = await self.directory.snapshot()
        async with transaction(self.sessions) as session:
            reply = await attendance.decide_attendance(
                session,
                current_actor(),
                snap,
                request.attendance_id,
                agree=agree,
                reason=request.reason,
                today=today_in_china(),
            )
        return org_pb2.DecideEventAttendanceResponse(attendance=reply)

    @requires("attendance:review")
    async def ReassignEventAttendance(self, request, context):
        """A59: a leader cannot attend; the office coordinates another city leader to attend instead."""
        snap = await self.directory.snapshot()
        async with transaction(self.sessions) as session:
            reply = await attendance.reassign_attendance(
                session,
                current_actor(),
                snap,
                request.attendance_id,
                leader_user_id=request.leader_user_id,
                reason=request.reason,
                today=today_in_china(),
            )
        return org_pb2.ReassignEventAttendanceResponse(attendance=reply)

    @requires("attendance:review")
    async def RecordAttendanceOutcome(self, request, context):
        """A31, A54: once the day has come, the office records whether the leader attended."""
        attended = OUTCOME_FROM_PROTO.get(request.outcome)
        async with transaction(self.sessions) as session:
            reply = await attendance.record_outcome(
                session,
                current_actor(),
                request.attendance_id,
                attended=attended,
                note=request.note,
                today=today_in_china(),
            )
        return org_pb2.RecordAttendanceOutcomeResponse(attendance=reply)

    @staticmethod
    def _sees_every_organisation(actor) -> bool:
        # The office and the leaders see every request; a county or department only its own.
        return actor.may("attendance:review") or actor.may("attendance:decide")

    @requires("attendance:read")
    async def GetEventAttendance(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await attendance_store.get_attendance(session, request.attendance_id)
            own = row.requesting_organisation_code == actor.organisation_code
            if not (own or self._sees_every_organisation(actor)):
                raise NotFound(f"event attendance request {request.attendance_id}")
            reply = attendance_to_proto(row, await audit.history(session, f"attendance/{row.id}"))
        return org_pb2.GetEventAttendanceResponse(attendance=reply)

    @requires("attendance:read")
    async def ListEventAttendances(self, request, context):
        actor = current_actor()
        organisation = request.requesting_organisation_code
        if not self._sees_every_organisation(actor):
            if not actor.organisation_code or organisation not in ("", actor.organisation_code):
                raise Forbidden(
                    "a county or department sees only its own requests", reason="OTHER_ORGANISATION"
                )
            organisation = actor.organisation_code
        page = Page.of(request.page)
        after = decode_day_cursor(request.page.page_token)
        state = ATTENDANCE_STATE_FROM_PROTO[request.state].value if request.state else ""
        async with transaction(self.sessions) as session:
            rows = await attendance_store.list_attendances(
                session,
                organisation_code=organisation,
                leader_user_id=request.leader_user_id,
                state=state,
                from_day=date_from_proto(request.from_day, "from_day", required=False),
                to_day=date_from_proto(request.to_day, "to_day", required=False),
                after=after,
                limit=page.fetch,
            )
        rows, token = page.cut(rows, lambda r: (r.event_day.isoformat(), str(r.id)))
        return org_pb2.ListEventAttendancesResponse(
            attendances=[attendance_to_proto(r) for r in rows],
            page=common_pb2.PageResponse(next_page_token=token),
        )
