"""The org service's gRPC surface: resolve input, call the rules and the store, map the result.

Each RPC states the permission (a client role of the `org` client in Keycloak) it needs;
which positions hold that permission is configured in Keycloak, not here.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from services.org import domain, store
from services.org.directory import KeycloakDirectory, Snapshot
from services.org.events import emit_due_acting_events
from shared import audit
from shared.convert import (CHINA, date_from_proto, date_to_proto, decode_page_token, encode_page_token,
                            page_limit, today_in_china)
from shared.db import read, session_factory, transaction
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.grpc_server import current_actor, requires
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.org.v1 import events_pb2, org_pb2, org_pb2_grpc

KIND_TO_PROTO = {
    domain.LeaveKind.ABROAD: org_pb2.LEAVE_KIND_ABROAD,
    domain.LeaveKind.STUDY: org_pb2.LEAVE_KIND_STUDY,
    domain.LeaveKind.LEAVE: org_pb2.LEAVE_KIND_LEAVE,
    domain.LeaveKind.BUSINESS_TRIP: org_pb2.LEAVE_KIND_BUSINESS_TRIP,
}
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}
STATE_TO_PROTO = {
    domain.LeaveState.REQUESTED: org_pb2.LEAVE_STATE_REQUESTED,
    domain.LeaveState.APPROVED: org_pb2.LEAVE_STATE_APPROVED,
    domain.LeaveState.REJECTED: org_pb2.LEAVE_STATE_REJECTED,
    domain.LeaveState.ENDED: org_pb2.LEAVE_STATE_ENDED,
}
STATE_FROM_PROTO = {v: k for k, v in STATE_TO_PROTO.items()}
# Event attendance (A54, A55): the proto names are the domain names in upper case.
ACTIVITY_TO_PROTO = {k: org_pb2.ActivityKind.Value(f"ACTIVITY_KIND_{k.name}") for k in domain.ActivityKind}
ACTIVITY_FROM_PROTO = {v: k for k, v in ACTIVITY_TO_PROTO.items()}
ATTENDANCE_STATE_TO_PROTO = {
    s: org_pb2.AttendanceState.Value(f"ATTENDANCE_STATE_{s.name}") for s in domain.AttendanceState
}
ATTENDANCE_STATE_FROM_PROTO = {v: k for k, v in ATTENDANCE_STATE_TO_PROTO.items()}

def encode_cursor(day: date, row_id: str) -> str:
    """Keyset cursor of lists ordered by a day, then id."""
    return encode_page_token(day.isoformat(), row_id)


def decode_cursor(token: str) -> tuple[date, str] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        day, row_id = position
        return date.fromisoformat(day), str(uuid.UUID(row_id))
    except ValueError:
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None


def gap_to_proto(gap: domain.StandInGap) -> org_pb2.StandInGap:
    return org_pb2.StandInGap(
        position=gap.position, holder_user_id=gap.holder_user_id, leave_id=gap.leave_id,
        first_day=date_to_proto(gap.first_day), last_day=date_to_proto(gap.last_day), reason=gap.reason,
    )


def leave_to_proto(row, history=(), gaps=()) -> org_pb2.Leave:
    return org_pb2.Leave(
        id=str(row.id), user_id=row.user_id, position=row.position,
        kind=KIND_TO_PROTO[domain.LeaveKind(row.kind)],
        first_day=date_to_proto(row.first_day), last_day=date_to_proto(row.last_day), reason=row.reason,
        state=STATE_TO_PROTO[domain.LeaveState(row.state)], acting_user_id=row.acting_user_id,
        both_away_override_reason=row.both_away_override_reason,
        history=[audit.to_proto(h) for h in history],
        stand_in_gaps=[gap_to_proto(g) for g in gaps],
    )


def attendance_to_proto(row, history=()) -> org_pb2.EventAttendance:
    return org_pb2.EventAttendance(
        id=str(row.id), requesting_organisation_code=row.requesting_organisation_code,
        requested_by_user_id=row.requested_by_user_id, leader_user_id=row.leader_user_id,
        event_day=date_to_proto(row.event_day), title=row.title, venue=row.venue,
        activity_kind=ACTIVITY_TO_PROTO[domain.ActivityKind(row.activity_kind)], details=row.details,
        foreign_affairs=row.foreign_affairs, foreign_affairs_filing_ref=row.foreign_affairs_filing_ref,
        approval_ref=row.approval_ref, photo_session=row.photo_session,
        photo_approval_ref=row.photo_approval_ref, festivity_override_reason=row.festivity_override_reason,
        state=ATTENDANCE_STATE_TO_PROTO[domain.AttendanceState(row.state)], review_opinion=row.review_opinion,
        decision_reason=row.decision_reason, previous_leader_user_ids=row.previous_leader_user_ids,
        history=[audit.to_proto(h) for h in history],
    )


def require_state(row, *states: domain.AttendanceState, act: str) -> None:
    """A request moves only forward: requested → forwarded/returned → agreed/declined (→ reassigned)."""
    if row.state not in {s.value for s in states}:
        allowed = " or ".join(s.value for s in states)
        raise InvalidInput({"attendance_id": f"the request is {row.state}; {allowed} requests are {act}"})


def portfolio_to_proto(leader: str, codes: list[str], row) -> org_pb2.Portfolio:
    p = org_pb2.Portfolio(leader_user_id=leader, organisation_codes=codes, matters=row.matters)
    p.updated_at.FromDatetime(row.updated_at)
    by = row.updated_by or {}
    p.updated_by.CopyFrom(common_pb2.Actor(user_id=by.get("user_id", ""), username=by.get("username", "")))
    return p


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
        return org_pb2.ListPositionsResponse(positions=[
            org_pb2.PositionWithHolders(
                position=common_pb2.Position(code=code, title=title),
                holders=[org_pb2.PositionHolder(user_id=p.user_id, username=p.username,
                                                display_name=p.display_name, organisation_code=p.organisation_code)
                         for p in snap.holders_of(code)],
            )
            for code, title in sorted(snap.positions.items())
        ])

    @requires("positions:read")
    async def ListOrganisations(self, request, context):
        kinds = {"office": common_pb2.ORGANISATION_KIND_OFFICE, "department": common_pb2.ORGANISATION_KIND_DEPARTMENT,
                 "county": common_pb2.ORGANISATION_KIND_COUNTY}
        snap = await self.directory.snapshot()
        return org_pb2.ListOrganisationsResponse(organisations=[
            common_pb2.Organisation(code=code, name=o["name"], kind=kinds.get(o["kind"], 0))
            for code, o in sorted(snap.organisations.items())
        ])

    # ---- portfolios (A8) ----------------------------------------------------------------------------

    @requires("portfolio:write")
    async def SetPortfolio(self, request, context):
        actor = current_actor()
        snap = await self.directory.snapshot()
        codes, matters = list(request.organisation_codes), [m.strip() for m in request.matters if m.strip()]
        async with transaction(self.sessions) as session:
            current = await store.portfolios(session)
            domain.check_portfolio(
                leader_user_id=request.leader_user_id, leader_positions=snap.positions_of(request.leader_user_id),
                organisation_codes=codes, known_organisations=snap.organisations,
                other_portfolios={leader: c for leader, (c, _) in current.items()},
            )
            row = await store.replace_portfolio(session, request.leader_user_id, codes, matters, actor)
            await audit.record_act(session, f"portfolio/{request.leader_user_id}", "portfolio.set", actor,
                                   request.reason)
            reply = portfolio_to_proto(request.leader_user_id, sorted(codes), row)
            await add_event(session, "org.portfolio.changed", events_pb2.PortfolioChanged(portfolio=reply),
                            f"portfolio/{request.leader_user_id}", actor)
        return reply

    @requires("portfolio:read")
    async def GetPortfolio(self, request, context):
        current = await read(self.engine, store.portfolios)
        if request.leader_user_id not in current:
            raise NotFound(f"portfolio of {request.leader_user_id}")
        codes, row = current[request.leader_user_id]
        return portfolio_to_proto(request.leader_user_id, codes, row)

    @requires("portfolio:read")
    async def ListPortfolios(self, request, context):
        current = await read(self.engine, store.portfolios)
        return org_pb2.ListPortfoliosResponse(
            portfolios=[portfolio_to_proto(leader, codes, row) for leader, (codes, row) in current.items()]
        )

    @requires("portfolio:read")
    async def FindPortfolioHolder(self, request, context):
        if not (request.organisation_code or request.matter):
            raise InvalidInput({"organisation_code": "give an organisation code or a matter"})
        current = await read(self.engine, store.portfolios)
        leader = domain.portfolio_holder(
            {leader: (codes, row.matters) for leader, (codes, row) in current.items()},
            organisation_code=request.organisation_code, matter=request.matter,
        )
        if leader is None:
            return org_pb2.FindPortfolioHolderResponse()
        codes, row = current[leader]
        return org_pb2.FindPortfolioHolderResponse(leader_user_id=leader,
                                                   portfolio=portfolio_to_proto(leader, codes, row))

    # ---- A/B pairs (A59) ------------------------------------------------------------------------------

    @requires("abpair:write")
    async def SetAbPair(self, request, context):
        actor = current_actor()
        snap = await self.directory.snapshot()
        a, b = request.leader_a_user_id, request.leader_b_user_id
        domain.check_ab_pair(a, b, {u: snap.positions_of(u) for u in (a, b) if u})
        pair = org_pb2.AbPair(leader_a_user_id=a, leader_b_user_id=b)
        async with transaction(self.sessions) as session:
            await store.replace_ab_pair(session, a, b)
            await audit.record_act(session, f"abpair/{a}/{b}", "abpair.set", actor, request.reason)
            await add_event(session, "org.abpair.changed", events_pb2.AbPairChanged(pair=pair), f"abpair/{a}", actor)
        return pair

    @requires("portfolio:read")
    async def ListAbPairs(self, request, context):
        pairs = await read(self.engine, store.ab_pairs)
        return org_pb2.ListAbPairsResponse(
            pairs=[org_pb2.AbPair(leader_a_user_id=a, leader_b_user_id=b) for a, b in pairs]
        )

    # ---- leave (A82) and acting holders (A10, A59) ---------------------------------------------------

    @requires("leave:request")
    async def RequestLeave(self, request, context):
        actor = current_actor()
        user_id = request.user_id or actor.user_id
        if user_id != actor.user_id and not actor.may("leave:approve"):
            raise Forbidden("only those who approve leave may file a leave for someone else",
                            reason="NOT_LEAVE_APPROVER")
        snap = await self.directory.snapshot()
        first_day = date_from_proto(request.first_day, "first_day", required=False)
        last_day = date_from_proto(request.last_day, "last_day", required=False)
        kind = KIND_FROM_PROTO.get(request.kind)
        if request.acting_user_id and not snap.person(request.acting_user_id):
            raise InvalidInput({"acting_user_id": f"no position holder with user id {request.acting_user_id}"})
        async with transaction(self.sessions) as session:
            await store.lock_absences(session)
            domain.check_leave_request(
                user_positions=snap.positions_of(user_id), position=request.position, kind=kind,
                first_day=first_day, last_day=last_day, reason=request.reason,
                own_leaves=await store.leaves_of(session, [user_id]),
            )
            row = await store.add_leave(
                session, user_id=user_id, position=request.position, kind=kind.value, first_day=first_day,
                last_day=last_day, reason=request.reason.strip(), acting_user_id=request.acting_user_id,
            )
            gaps = await self._name_stand_in(session, row, snap)
            await audit.record_act(session, f"leave/{row.id}", "leave.requested", actor, request.reason)
            reply = leave_to_proto(row, await audit.history(session, f"leave/{row.id}"), gaps)
            await add_event(session, "org.leave.requested", events_pb2.LeaveRequested(leave=reply),
                            f"leave/{row.id}", actor)
        return reply

    @requires("leave:approve")
    async def ApproveLeave(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            await store.lock_absences(session)
            row = await store.get_leave(session, request.leave_id, for_update=True)
            if row.user_id == actor.user_id:
                raise Forbidden("a leave is approved by someone other than the person who is away",
                                reason="OWN_LEAVE")
            if row.state != domain.LeaveState.REQUESTED.value:
                raise InvalidInput({"leave_id": f"the leave is {row.state}; only a requested leave is approved"})
            candidate = store.as_absence(row)
            others = await store.approved_absences_of_positions(
                session, [domain.MAYOR, domain.EXECUTIVE_VICE_MAYOR]
            )
            domain.check_both_away(candidate, others, request.both_away_override_reason)
            if domain.both_top_leaders_away(candidate, others):
                row.both_away_override_reason = request.both_away_override_reason.strip()
            row.state = domain.LeaveState.APPROVED.value
            gaps = await self._name_stand_in(session, row, await self.directory.snapshot())
            await session.flush()
            await audit.record_act(session, f"leave/{row.id}", "leave.approved", actor,
                                   request.opinion or request.both_away_override_reason)
            reply = leave_to_proto(row, await audit.history(session, f"leave/{row.id}"), gaps)
            await add_event(session, "org.leave.approved", events_pb2.LeaveApproved(leave=reply),
                            f"leave/{row.id}", actor)
            # A leave that starts today hands over at once, in the same transaction.
            await emit_due_acting_events(session, today_in_china(), await self.directory.snapshot())
        return reply

    async def _name_stand_in(self, session, row, snap: Snapshot) -> list[domain.StandInGap]:
        """A10, A59: record on the leave the stand-in the rules name (else keep the one the request
        named), and return the gaps it opens: positions left with nobody to act on some days."""
        pairs = await store.ab_pairs(session)
        evm = snap.holders_of(domain.EXECUTIVE_VICE_MAYOR)

        def stand_in_of(absence: domain.Absence) -> tuple[str, str]:
            return domain.stand_in_for(absence, executive_vice_mayor_id=evm[0].user_id if evm else None,
                                       ab_partner_id=domain.ab_partner(absence.user_id, pairs))

        leave = store.as_absence(row)
        row.acting_user_id = stand_in_of(leave)[0]
        approved = await store.approved_absences_between(session, row.first_day, row.last_day)
        names = {p.user_id: p.display_name or p.username for people in snap.holders.values() for p in people}
        return domain.stand_in_gaps(leave, approved, stand_in_of, names)

    @requires("leave:approve")
    async def RejectLeave(self, request, context):
        actor = current_actor()
        if not request.reason.strip():
            raise InvalidInput({"reason": "a rejection states its reason"})
        async with transaction(self.sessions) as session:
            row = await store.get_leave(session, request.leave_id, for_update=True)
            if row.state != domain.LeaveState.REQUESTED.value:
                raise InvalidInput({"leave_id": f"the leave is {row.state}; only a requested leave is rejected"})
            row.state = domain.LeaveState.REJECTED.value
            await session.flush()
            await audit.record_act(session, f"leave/{row.id}", "leave.rejected", actor, request.reason)
            reply = leave_to_proto(row, await audit.history(session, f"leave/{row.id}"))
            await add_event(session, "org.leave.rejected", events_pb2.LeaveRejected(leave=reply),
                            f"leave/{row.id}", actor)
        return reply

    @requires("leave:request")
    async def EndLeave(self, request, context):
        """销假: the leader is back. Recorded by the leader or by whoever approves leave.

        A leave cut short keeps its state and gets its new last day; one withdrawn or cancelled
        before its first day becomes ENDED and never counted as an absence.
        """
        actor = current_actor()
        async with transaction(self.sessions) as session:
            await store.lock_absences(session)
            row = await store.get_leave(session, request.leave_id, for_update=True)
            if row.user_id != actor.user_id and not actor.may("leave:approve"):
                raise Forbidden("only the leader who is away, or whoever approves leave, ends a leave",
                                reason="NOT_LEAVE_HOLDER_OR_APPROVER")
            if row.state not in (domain.LeaveState.REQUESTED.value, domain.LeaveState.APPROVED.value):
                raise InvalidInput({"leave_id": f"the leave is {row.state} already"})
            last_day = date_from_proto(request.last_day, "last_day", required=False) or today_in_china() - timedelta(days=1)
            outcome = domain.leave_end_outcome(
                state=domain.LeaveState(row.state), first_day=row.first_day, last_day=row.last_day,
                new_last_day=last_day, today=today_in_china())
            if outcome is domain.LeaveState.ENDED:
                row.state = outcome.value
            else:
                row.last_day = last_day
            await session.flush()
            await audit.record_act(session, f"leave/{row.id}", "leave.ended", actor, f"last day away: {last_day}")
            reply = leave_to_proto(row, await audit.history(session, f"leave/{row.id}"))
            await add_event(session, "org.leave.ended", events_pb2.LeaveEnded(leave=reply), f"leave/{row.id}", actor)
            await emit_due_acting_events(session, today_in_china(), await self.directory.snapshot())
        return reply

    @requires("leave:read")
    async def GetLeave(self, request, context):
        row, history = await read(self.engine, store.leave_with_history, request.leave_id)
        return leave_to_proto(row, history)

    @requires("leave:read")
    async def ListLeaves(self, request, context):
        limit = page_limit(request.page)
        after = decode_cursor(request.page.page_token)
        state = STATE_FROM_PROTO[request.state].value if request.state else ""
        rows = await store.list_leaves(
            self.engine, user_id=request.user_id, state=state,
            from_day=date_from_proto(request.from_day, "from_day", required=False),
            to_day=date_from_proto(request.to_day, "to_day", required=False), after=after, limit=limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        token = encode_cursor(rows[-1].first_day, str(rows[-1].id)) if more else ""
        return org_pb2.ListLeavesResponse(leaves=[leave_to_proto(r) for r in rows],
                                          page=common_pb2.PageResponse(next_page_token=token))

    @requires("acting:read")
    async def WhoMayAct(self, request, context):
        snap = await self.directory.snapshot()
        if request.position not in snap.positions:
            raise InvalidInput({"position": f"unknown position '{request.position}'"})
        holder = self._holder(snap, request.position, request.holder_user_id)
        day = (request.at.ToDatetime(tzinfo=CHINA).date() if request.HasField("at") else today_in_china())
        absences, partner = await store.acting_facts(self.engine, day, holder)
        evm = snap.holders_of(domain.EXECUTIVE_VICE_MAYOR)
        answer = domain.who_may_act(
            position=request.position, holder_user_id=holder, day=day, absences=absences,
            executive_vice_mayor_id=evm[0].user_id if evm else None, ab_partner_id=partner,
        )
        return org_pb2.WhoMayActResponse(
            position=answer.position, holder_user_id=answer.holder_user_id, acting_user_id=answer.acting_user_id,
            holder_away=answer.holder_away, basis=answer.basis, leave_id=answer.leave_id,
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
            raise InvalidInput({"holder_user_id": f"'{position}' has {len(holders)} holders: say whose duties"})
        return holders[0]

    # ---- duty roster (A79) ---------------------------------------------------------------------------

    def _duty_days(self, year: int) -> dict[date, str]:
        return dict(self.calendar.statutory_holidays_on_weekdays(year))

    @requires("roster:write")
    async def SetDutyAssignment(self, request, context):
        actor = current_actor()
        day = date_from_proto(request.day, "day")
        snap = await self.directory.snapshot()
        duty_days = self._duty_days(day.year)
        async with transaction(self.sessions) as session:
            domain.check_duty_assignment(
                day=day, duty_days=duty_days, leader_positions=snap.positions_of(request.leader_user_id),
                leader_absences=await store.leaves_of(session, [request.leader_user_id]),
            )
            previous = await store.put_duty_assignment(session, day, request.leader_user_id, duty_days[day], actor)
            await audit.record_act(session, f"duty/{day}", "roster.assigned", actor, request.leader_user_id)
            reply = org_pb2.DutyAssignment(day=date_to_proto(day), leader_user_id=request.leader_user_id,
                                           holiday=duty_days[day])
            await add_event(session, "org.roster.changed",
                            events_pb2.DutyRosterChanged(assignment=reply, previous_leader_user_id=previous),
                            f"duty/{day}", actor)
        return reply

    @requires("roster:read")
    async def GetDutyRoster(self, request, context):
        year = self._year(request.year)
        rows = await read(self.engine, store.duty_assignments, year)
        return org_pb2.GetDutyRosterResponse(assignments=[
            org_pb2.DutyAssignment(day=date_to_proto(r.day), leader_user_id=r.leader_user_id, holiday=r.holiday)
            for r in rows
        ])

    @requires("roster:read")
    async def CheckDutyCoverage(self, request, context):
        year = self._year(request.year)
        rows = await read(self.engine, store.duty_assignments, year)
        missing = domain.uncovered_duty_days(self._duty_days(year), [r.day for r in rows])
        return org_pb2.CheckDutyCoverageResponse(
            uncovered_days=[date_to_proto(d) for d in missing], fully_covered=not missing,
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
            organisation_code=actor.organisation_code, organisation_kind=organisation.get("kind", ""),
            leader_user_id=request.leader_user_id,
            event_day=date_from_proto(request.event_day, "event_day", required=False),
            title=request.title, venue=request.venue, kind=ACTIVITY_FROM_PROTO.get(request.activity_kind),
            foreign_affairs=request.foreign_affairs,
            foreign_affairs_filing_ref=request.foreign_affairs_filing_ref.strip(),
            approval_ref=request.approval_ref.strip(), photo_session=request.photo_session,
            photo_approval_ref=request.photo_approval_ref.strip(),
            festivity_override_reason=request.festivity_override_reason.strip(),
        )
        domain.check_attendance_request(
            candidate, today=today_in_china(), leader_positions=snap.positions_of(request.leader_user_id)
        )
        assert candidate.kind and candidate.event_day
        async with transaction(self.sessions) as session:
            row = await store.add_attendance(
                session, requesting_organisation_code=candidate.organisation_code,
                requested_by_user_id=actor.user_id, leader_user_id=candidate.leader_user_id,
                event_day=candidate.event_day, title=candidate.title.strip(), venue=candidate.venue.strip(),
                activity_kind=candidate.kind.value, details=request.details.strip(),
                foreign_affairs=candidate.is_foreign_affairs,
                foreign_affairs_filing_ref=candidate.foreign_affairs_filing_ref,
                approval_ref=candidate.approval_ref, photo_session=candidate.photo_session,
                photo_approval_ref=candidate.photo_approval_ref,
                festivity_override_reason=candidate.festivity_override_reason,
            )
            ref = f"attendance/{row.id}"
            await audit.record_act(session, ref, "attendance.requested", actor,
                                   candidate.festivity_override_reason)
            reply = attendance_to_proto(row, await audit.history(session, ref))
            await add_event(session, "org.attendance.requested",
                            events_pb2.EventAttendanceRequested(attendance=reply), ref, actor)
        return org_pb2.RequestEventAttendanceResponse(attendance=reply)

    @requires("attendance:review")
    async def ReviewEventAttendance(self, request, context):
        """A54: the general office reviews (审核): forwards to the leader, or returns with a reason."""
        actor = current_actor()
        if request.outcome not in (org_pb2.REVIEW_OUTCOME_FORWARD, org_pb2.REVIEW_OUTCOME_RETURN):
            raise InvalidInput({"outcome": "forward to the leader or return to the requester"})
        forward = request.outcome == org_pb2.REVIEW_OUTCOME_FORWARD
        if not forward and not request.opinion.strip():
            raise InvalidInput({"opinion": "a returned request states its reason"})
        async with transaction(self.sessions) as session:
            row = await store.get_attendance(session, request.attendance_id, for_update=True)
            require_state(row, domain.AttendanceState.REQUESTED, act="reviewed")
            if request.foreign_affairs_filing_ref.strip():
                row.foreign_affairs_filing_ref = request.foreign_affairs_filing_ref.strip()
            if forward:
                domain.check_forward(
                    is_foreign_affairs=row.foreign_affairs,
                    foreign_affairs_filing_ref=row.foreign_affairs_filing_ref,
                    event_day=row.event_day, today=today_in_china(),
                )
            new_state = domain.AttendanceState.FORWARDED if forward else domain.AttendanceState.RETURNED
            row.state = new_state.value
            row.review_opinion = request.opinion.strip()
            await session.flush()
            ref = f"attendance/{row.id}"
            await audit.record_act(session, ref, f"attendance.{new_state.value}", actor, row.review_opinion)
            reply = attendance_to_proto(row, await audit.history(session, ref))
            await add_event(session, "org.attendance.reviewed",
                            events_pb2.EventAttendanceReviewed(attendance=reply), ref, actor)
        return org_pb2.ReviewEventAttendanceResponse(attendance=reply)

    @requires("attendance:decide")
    async def DecideEventAttendance(self, request, context):
        """A54: the leader asked decides (审定); while away on the event day, whoever acts for the leader
        (A10, A59) decides in his or her place, and the act records both names."""
        actor = current_actor()
        if request.decision not in (org_pb2.ATTENDANCE_DECISION_AGREE, org_pb2.ATTENDANCE_DECISION_DECLINE):
            raise InvalidInput({"decision": "agree or decline"})
        agree = request.decision == org_pb2.ATTENDANCE_DECISION_AGREE
        if not agree and not request.reason.strip():
            raise InvalidInput({"reason": "a leader who cannot attend says why (A59: another is asked)"})
        snap = await self.directory.snapshot()
        async with transaction(self.sessions) as session:
            row = await store.get_attendance(session, request.attendance_id, for_update=True)
            require_state(row, domain.AttendanceState.FORWARDED, act="decided")
            domain.check_not_passed(row.event_day, today_in_china())
            position = domain.check_city_leader(row.leader_user_id, snap.positions_of(row.leader_user_id))
            pairs = await store.ab_pairs(session)
            evm = snap.holders_of(domain.EXECUTIVE_VICE_MAYOR)
            acting = domain.who_may_act(
                position=position, holder_user_id=row.leader_user_id, day=row.event_day,
                absences=await store.approved_absences_on(session, row.event_day),
                executive_vice_mayor_id=evm[0].user_id if evm else None,
                ab_partner_id=domain.ab_partner(row.leader_user_id, pairs),
            )
            in_place = domain.attendance_decider(
                caller_user_id=actor.user_id, leader_user_id=row.leader_user_id, acting=acting
            )
            decider = actor.acting_for(row.leader_user_id, position) if in_place else actor
            new_state = domain.AttendanceState.AGREED if agree else domain.AttendanceState.DECLINED
            row.state = new_state.value
            row.decision_reason = request.reason.strip()
            await session.flush()
            ref = f"attendance/{row.id}"
            act = f"attendance.{new_state.value}"
            await audit.record_act(session, ref, act, decider, row.decision_reason)
            reply = attendance_to_proto(row, await audit.history(session, ref))
            await add_event(session, "org.attendance.decided",
                            events_pb2.EventAttendanceDecided(attendance=reply), ref, decider)
        return org_pb2.DecideEventAttendanceResponse(attendance=reply)

    @requires("attendance:review")
    async def ReassignEventAttendance(self, request, context):
        """A59: a leader cannot attend; the office coordinates another city leader to attend instead."""
        actor = current_actor()
        snap = await self.directory.snapshot()
        async with transaction(self.sessions) as session:
            row = await store.get_attendance(session, request.attendance_id, for_update=True)
            require_state(row, domain.AttendanceState.DECLINED, domain.AttendanceState.FORWARDED,
                          act="reassigned")
            domain.check_not_passed(row.event_day, today_in_china())
            domain.check_reassignment(
                new_leader_user_id=request.leader_user_id,
                new_leader_positions=snap.positions_of(request.leader_user_id),
                current_leader_user_id=row.leader_user_id,
                earlier_leader_user_ids=row.previous_leader_user_ids,
            )
            previous = row.leader_user_id
            row.previous_leader_user_ids = [*row.previous_leader_user_ids, previous]
            row.leader_user_id = request.leader_user_id
            row.state = domain.AttendanceState.FORWARDED.value
            row.decision_reason = ""
            await session.flush()
            ref = f"attendance/{row.id}"
            await audit.record_act(session, ref, "attendance.reassigned", actor,
                                   request.reason.strip() or f"in place of {previous}")
            reply = attendance_to_proto(row, await audit.history(session, ref))
            event = events_pb2.EventAttendanceReassigned(attendance=reply, previous_leader_user_id=previous)
            await add_event(session, "org.attendance.reassigned", event, ref, actor)
        return org_pb2.ReassignEventAttendanceResponse(attendance=reply)

    @staticmethod
    def _sees_every_organisation(actor) -> bool:
        # The office and the leaders see every request; a county or department only its own.
        return actor.may("attendance:review") or actor.may("attendance:decide")

    @requires("attendance:read")
    async def GetEventAttendance(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_attendance(session, request.attendance_id)
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
                raise Forbidden("a county or department sees only its own requests", reason="OTHER_ORGANISATION")
            organisation = actor.organisation_code
        limit = page_limit(request.page)
        after = decode_cursor(request.page.page_token)
        state = ATTENDANCE_STATE_FROM_PROTO[request.state].value if request.state else ""
        async with transaction(self.sessions) as session:
            rows = await store.list_attendances(
                session, organisation_code=organisation, leader_user_id=request.leader_user_id, state=state,
                from_day=date_from_proto(request.from_day, "from_day", required=False),
                to_day=date_from_proto(request.to_day, "to_day", required=False), after=after, limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        token = encode_cursor(rows[-1].event_day, str(rows[-1].id)) if more else ""
        return org_pb2.ListEventAttendancesResponse(attendances=[attendance_to_proto(r) for r in rows],
                                                    page=common_pb2.PageResponse(next_page_token=token))
