"""The meetings service's gRPC surface: resolve input, call the rules and the store, map the result.

Each RPC states the permission (a client role of the `meetings` client in Keycloak) it needs;
which positions hold it is configured in Keycloak. The rules then check the position that the
act needs (the mayor, the secretary-general, the convener …), asking `org` who acts for an
absent holder (A10, A59); an act done in the mayor's place records both names.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from zgov.common.v1 import common_pb2
from zgov.meetings.v1 import events_pb2, meetings_pb2, meetings_pb2_grpc

from services.meetings import calendar_feed, domain, models, store
from services.meetings.domain import MeetingKind, MeetingState, Person, TopicState
from shared import audit
from shared.convert import (
    date_from_proto,
    date_to_proto,
    decode_page_token,
    encode_page_token,
    page_limit,
    today_in_china,
)
from shared.db import transaction
from shared.errors import Forbidden, InvalidInput
from shared.grpc_server import current_actor, requires
from shared.identity import Actor
from shared.org_client import OrgClient
from shared.outbox import add_event
from shared.workdays import WorkingCalendar

pb = meetings_pb2


def _enum_map(enum, proto_enum, prefix: str) -> dict:
    return {member: proto_enum.Value(f"{prefix}_{member.name}") for member in enum}


KIND_TO_PROTO = _enum_map(MeetingKind, pb.MeetingKind, "MEETING_KIND")
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}
MEETING_STATE_TO_PROTO = _enum_map(MeetingState, pb.MeetingState, "MEETING_STATE")
MEETING_STATE_FROM_PROTO = {v: k for k, v in MEETING_STATE_TO_PROTO.items()}
ROUTE_TO_PROTO = _enum_map(domain.TopicRoute, pb.TopicRoute, "TOPIC_ROUTE")
ROUTE_FROM_PROTO = {v: k for k, v in ROUTE_TO_PROTO.items()}
TOPIC_STATE_TO_PROTO = _enum_map(TopicState, pb.TopicState, "TOPIC_STATE")
TOPIC_STATE_FROM_PROTO = {v: k for k, v in TOPIC_STATE_TO_PROTO.items()}
OUTCOME_TO_PROTO = _enum_map(domain.TopicOutcome, pb.TopicOutcome, "TOPIC_OUTCOME")
OUTCOME_FROM_PROTO = {v: k for k, v in OUTCOME_TO_PROTO.items()}
LEAVE_STATE_TO_PROTO = _enum_map(domain.LeaveState, pb.MeetingLeaveState, "MEETING_LEAVE_STATE")
MINUTES_STATE_TO_PROTO = _enum_map(domain.MinutesState, pb.MinutesState, "MINUTES_STATE")
CATEGORY_TO_PROTO = _enum_map(domain.MatterCategory, pb.MatterCategory, "MATTER_CATEGORY")
CATEGORY_FROM_PROTO = {v: k for k, v in CATEGORY_TO_PROTO.items()}
FORMAT_TO_PROTO = _enum_map(domain.MeetingFormat, pb.MeetingFormat, "MEETING_FORMAT")
FORMAT_FROM_PROTO = {v: k for k, v in FORMAT_TO_PROTO.items()}
DEPARTMENT_STATE_TO_PROTO = _enum_map(
    domain.DepartmentMeetingState, pb.DepartmentMeetingState, "DEPARTMENT_MEETING_STATE"
)
AGENDA_TO_PROTO = _enum_map(domain.AgendaItemKind, pb.AgendaItemKind, "AGENDA_ITEM_KIND")

# At most this many meetings in one calendar feed (a year of a busy leader is far fewer).
CALENDAR_LIMIT = 2000
# Positions a chair may hold, the highest first: the one org is asked about when the chair is away.
CHAIR_POSITIONS = (
    domain.MAYOR,
    domain.EXECUTIVE_VICE_MAYOR,
    domain.VICE_MAYOR,
    domain.SECRETARY_GENERAL,
    domain.DEPUTY_SECRETARY_GENERAL,
)


# ---- proto conversions ---------------------------------------------------------------------------


def _history(rows) -> list[common_pb2.AuditRecord]:
    return [audit.to_proto(r) for r in rows]


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def meeting_to_proto(row: models.Meeting, history=()) -> pb.Meeting:
    return pb.Meeting(
        id=str(row.id),
        kind=KIND_TO_PROTO[MeetingKind(row.kind)],
        title=row.title,
        convener_user_id=row.convener_user_id,
        convener_organisation_code=row.convener_organisation_code,
        chair_user_id=row.chair_user_id,
        delegated_by_user_id=row.delegated_by_user_id,
        day=date_to_proto(row.day),
        start_time=_hhmm(row.start_minute),
        duration_minutes=row.duration_minutes,
        location=row.location,
        emergency=row.emergency,
        emergency_reason=row.emergency_reason,
        state=MEETING_STATE_TO_PROTO[MeetingState(row.state)],
        member_user_ids=row.member_user_ids,
        invitee_user_ids=row.invitee_user_ids,
        attending_organisation_codes=row.attending_organisation_codes,
        present_user_ids=row.present_user_ids,
        fixed_agenda=[
            pb.AgendaItem(kind=AGENDA_TO_PROTO[domain.AgendaItemKind(k)], title=t)
            for k, t in row.fixed_agenda
        ],
        history=_history(history),
    )


def topic_to_proto(row: models.Topic, history=(), *, with_documents: bool = True) -> pb.Topic:
    return pb.Topic(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        title=row.title,
        summary=row.summary,
        owning_organisation_code=row.owning_organisation_code,
        route=ROUTE_TO_PROTO[domain.TopicRoute(row.route)],
        proposed_by_user_id=row.proposed_by_user_id,
        filed_by_user_id=row.filed_by_user_id,
        approval_form_filed_on=date_to_proto(row.approval_form_filed_on),
        documents=[pb.TopicDocument(name=d["name"], ref=d["ref"]) for d in row.documents]
        if with_documents
        else [],
        state=TOPIC_STATE_TO_PROTO[TopicState(row.state)],
        ad_hoc=row.ad_hoc,
        ad_hoc_consent_id=row.ad_hoc_consent_id,
        decidable_within_portfolio=row.decidable_within_portfolio,
        decision_reason=row.decision_reason,
        outcome=OUTCOME_TO_PROTO[domain.TopicOutcome(row.outcome)] if row.outcome else 0,
        matter_ref=row.matter_ref,
        history=_history(history),
        materials_release_time=_timestamp(row.materials_released_at),
    )


def _timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def leave_to_proto(row: models.MeetingLeave, history=()) -> pb.MeetingLeave:
    return pb.MeetingLeave(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        user_id=row.user_id,
        reason=row.reason,
        leader=row.leader,
        state=LEAVE_STATE_TO_PROTO[domain.LeaveState(row.state)],
        history=_history(history),
    )


def item_to_proto(item: dict) -> pb.DecisionItem:
    return pb.DecisionItem(
        topic_id=item["topic_id"],
        text=item["text"],
        owner_organisation_code=item["owner_organisation_code"],
        due=date_to_proto(date.fromisoformat(item["due"])),
        category=CATEGORY_TO_PROTO[domain.MatterCategory(item["category"])],
        matter_ref=item["matter_ref"],
    )


def minutes_to_proto(row: models.Minutes, decision_ids=(), history=()) -> pb.Minutes:
    reply = pb.Minutes(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        state=MINUTES_STATE_TO_PROTO[domain.MinutesState(row.state)],
        text=row.text,
        decisions=[item_to_proto(i) for i in row.decisions],
        drafted_by_user_id=row.drafted_by_user_id,
        drafted_by_organisation_code=row.drafted_by_organisation_code,
        signed_by_user_id=row.signed_by_user_id,
        corrects_minutes_id=str(row.corrects_minutes_id) if row.corrects_minutes_id else "",
        decision_ids=[str(i) for i in decision_ids],
        history=_history(history),
    )
    if row.signed_at:
        reply.signed_at.FromDatetime(row.signed_at)
    return reply


def decision_to_proto(row: models.Decision) -> pb.Decision:
    return pb.Decision(
        id=str(row.id),
        series=KIND_TO_PROTO[MeetingKind(row.series)],
        year=row.year,
        number=row.number,
        reference=row.reference,
        meeting_id=str(row.meeting_id),
        minutes_id=str(row.minutes_id),
        topic_id=row.topic_id,
        text=row.text,
        owner_organisation_code=row.owner_organisation_code,
        due=date_to_proto(row.due),
        category=CATEGORY_TO_PROTO[domain.MatterCategory(row.category)],
        matter_ref=row.matter_ref,
        decided_on=date_to_proto(row.decided_on),
        superseded_by_minutes_id=str(row.superseded_by_minutes_id or ""),
        superseded_by_decision_id=str(row.superseded_by_decision_id or ""),
        superseded_on=date_to_proto(row.superseded_on) if row.superseded_on else None,
    )


def department_meeting_to_proto(row: models.DepartmentMeeting, history=()) -> pb.DepartmentMeeting:
    return pb.DepartmentMeeting(
        id=str(row.id),
        organisation_code=row.organisation_code,
        title=row.title,
        day=date_to_proto(row.day),
        city_wide=row.city_wide,
        invites_county_heads=row.invites_county_heads,
        leader_user_ids=row.leader_user_ids,
        format=FORMAT_TO_PROTO[domain.MeetingFormat(row.format)],
        in_person_reason=row.in_person_reason,
        exception_reason=row.exception_reason,
        state=DEPARTMENT_STATE_TO_PROTO[domain.DepartmentMeetingState(row.state)],
        decision_reason=row.decision_reason,
        history=_history(history),
    )


def _cursor(token: str, parse):
    """The keyset position of a page token, parsed; a token not issued here is bad input."""
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        return parse(position)
    except (ValueError, IndexError, TypeError):
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None


def _required(value: str, field: str, what: str) -> str:
    if not value.strip():
        raise InvalidInput({field: f"{what} is required"})
    return value.strip()


class MeetingsServicer(meetings_pb2_grpc.MeetingsServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        org: OrgClient,
        calendar: WorkingCalendar,
        today=today_in_china,
        feed_base_url: str = "",
    ):
        self.sessions = sessions
        self.org = org
        self.calendar = calendar
        self.today = today
        # Where calendar apps reach feed_http (ZGOV_FEED_BASE_URL, or the bound HTTP port).
        self.feed_base_url = feed_base_url

    # ---- who acts --------------------------------------------------------------------------------

    async def _as_person(self, user_id: str, day: date, positions: frozenset[str] | None = None) -> Person:
        """A person with his or her positions (from org unless given) and whether he or she acts as
        mayor on `day` (A10: org's answer for the mayor's position)."""
        if positions is None:
            positions = (await self.org.directory()).positions_of(user_id)
        if domain.MAYOR in positions:
            return Person(user_id, positions)
        acting = await self.org.who_may_act(domain.MAYOR, day=day)
        return Person(
            user_id, positions, acts_as_mayor=acting.holder_away and acting.acting_user_id == user_id
        )

    async def _recorded_actor(self, actor: Actor, person: Person) -> Actor:
        """The actor as recorded: in the mayor's place when acting for the mayor (both names kept)."""
        if person.acts_as_mayor and domain.MAYOR not in person.positions:
            mayors = (await self.org.directory()).holders.get(domain.MAYOR, [])
            return actor.acting_for(mayors[0] if mayors else "", domain.MAYOR)
        return actor

    async def _person_or_bad_input(self, user_id: str, field: str) -> Person | None:
        if not user_id:
            return None
        directory = await self.org.directory()
        if not directory.known(user_id):
            raise InvalidInput({field: f"no position holder with user id {user_id}"})
        return Person(user_id, directory.positions_of(user_id))

    # ---- meetings --------------------------------------------------------------------------------

    @requires("meeting:convene")
    async def ScheduleMeeting(self, request, context):
        actor = current_actor()
        kind = KIND_FROM_PROTO.get(request.kind)
        if kind is None:
            raise InvalidInput({"kind": "plenary, executive, mayor's office or special-topic"})
        title = _required(request.title, "title", "the meeting's title")
        day = date_from_proto(request.day, "day")
        start = domain.parse_start_time(request.start_time)
        duration = request.duration_minutes or domain.DEFAULT_MINUTES[kind]
        domain.check_duration(duration)
        domain.check_meeting_day(
            day,
            today=self.today(),
            working_day=self.calendar.is_working_day(day),
            emergency=request.emergency,
            emergency_reason=request.emergency_reason,
        )
        directory = await self.org.directory()
        convener = await self._as_person(actor.user_id, day, actor.positions)
        chair = await self._person_or_bad_input(request.chair_user_id, "chair_user_id")
        delegated_by = await self._person_or_bad_input(request.delegated_by_user_id, "delegated_by_user_id")
        for field in ("member_user_ids", "invitee_user_ids"):
            unknown = [u for u in getattr(request, field) if not directory.known(u)]
            if unknown:
                raise InvalidInput({field: f"no position holder with user id {', '.join(unknown)}"})
        convening = domain.check_convening(kind, convener=convener, chair=chair, delegated_by=delegated_by)
        members = domain.members_for(
            kind, directory.holders, convener_user_id=actor.user_id, named_members=request.member_user_ids
        )
        invitees = domain.invitees_for(kind, directory.holders, request.invitee_user_ids, members)
        recorded = await self._recorded_actor(actor, convener)
        row = models.Meeting(
            kind=kind.value,
            title=title,
            convener_user_id=actor.user_id,
            convener_organisation_code=actor.organisation_code,
            chair_user_id=convening.chair_user_id,
            delegated_by_user_id=convening.delegated_by_user_id,
            day=day,
            start_minute=start,
            duration_minutes=duration,
            location=request.location.strip(),
            emergency=request.emergency,
            emergency_reason=request.emergency_reason.strip(),
            state=MeetingState.SCHEDULED.value,
            member_user_ids=members,
            invitee_user_ids=invitees,
            attending_organisation_codes=list(domain.ATTENDING_ORGANISATIONS[kind]),
            present_user_ids=[],
            fixed_agenda=[[k.value, t] for k, t in domain.fixed_agenda(kind)],
        )
        async with transaction(self.sessions) as session:
            await store.lock_bookings(session)
            candidate = domain.Booking("", title, day, start, start + duration, frozenset(row.participants))
            domain.check_double_booking(candidate, await store.bookings_on(session, day))
            await store.add(session, row)
            ref = f"meeting/{row.id}"
            await audit.record_act(
                session, ref, "meeting.scheduled", recorded, request.emergency_reason.strip()
            )
            reply = meeting_to_proto(row, await audit.history(session, ref))
            await add_event(
                session,
                "meetings.meeting.scheduled",
                events_pb2.MeetingScheduled(meeting=reply),
                ref,
                recorded,
            )
        return reply

    @requires("meeting:read")
    async def GetMeeting(self, request, context):
        async with transaction(self.sessions) as session:
            row = await store.get_meeting(session, request.meeting_id)
            return meeting_to_proto(row, await audit.history(session, f"meeting/{row.id}"))

    @requires("meeting:read")
    async def ListMeetings(self, request, context):
        limit = page_limit(request.page)
        after = _cursor(request.page.page_token, lambda c: (date.fromisoformat(c[0]), str(uuid.UUID(c[1]))))
        async with transaction(self.sessions) as session:
            rows = await store.list_meetings(
                session,
                kind=KIND_FROM_PROTO[request.kind].value if request.kind else "",
                state=MEETING_STATE_FROM_PROTO[request.state].value if request.state else "",
                from_day=date_from_proto(request.from_day, "from_day", required=False),
                to_day=date_from_proto(request.to_day, "to_day", required=False),
                participant=request.participant_user_id,
                title_contains=request.title_contains.strip(),
                after=after,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        token = encode_page_token(rows[-1].day.isoformat(), str(rows[-1].id)) if more else ""
        return pb.ListMeetingsResponse(
            meetings=[meeting_to_proto(r) for r in rows], page=common_pb2.PageResponse(next_page_token=token)
        )

    async def _chair_today(self, row: models.Meeting) -> tuple[str, str]:
        """The chair, or whoever acts for the chair on the meeting's day (A10, A59)."""
        positions = (await self.org.directory()).positions_of(row.chair_user_id)
        position = next((p for p in CHAIR_POSITIONS if p in positions), None)
        if position is None:
            return row.chair_user_id, ""
        acting = await self.org.who_may_act(position, day=row.day, holder_user_id=row.chair_user_id)
        return domain.effective_chair(row.chair_user_id, acting.holder_away, acting.acting_user_id)

    async def _seats(self, row: models.Meeting) -> list[domain.Seat]:
        """A42: each member's seat with whoever acts for the member on the meeting's day (org)."""
        directory = await self.org.directory()
        kind_positions = domain.MEMBER_POSITIONS[MeetingKind(row.kind)]

        async def seat(user_id: str) -> domain.Seat:
            held = directory.positions_of(user_id)
            position = next((p for p in kind_positions if p in held), "")
            if not position:  # no longer holds a member position: counted as a plain seat
                return domain.Seat("", user_id)
            acting = await self.org.who_may_act(position, day=row.day, holder_user_id=user_id)
            return domain.Seat(position, user_id, acting.acting_user_id, acting.holder_away)

        return list(await asyncio.gather(*(seat(u) for u in row.member_user_ids)))

    def _require_runner(self, actor: Actor, row: models.Meeting, chair_today: str) -> None:
        if actor.user_id not in {row.convener_user_id, row.chair_user_id, chair_today}:
            raise Forbidden(
                "the meeting is opened and closed by its convener or chair (or the chair's stand-in)"
            )

    @requires("meeting:convene")
    async def StartMeeting(self, request, context):
        """A42: opened only with more than half of the members present, acting holders counted."""
        actor = current_actor()
        present = list(dict.fromkeys(u for u in request.present_user_ids if u))
        if not present:
            raise InvalidInput({"present_user_ids": "who is present is required"})
        async with transaction(self.sessions) as session:
            row = await store.get_meeting(session, request.meeting_id, for_update=True)
            domain.check_start(MeetingState(row.state))
            kind = MeetingKind(row.kind)
            chair, basis = await self._chair_today(row)
            self._require_runner(actor, row, chair)
            quorum = (
                domain.count_quorum(await self._seats(row), present)
                if kind is MeetingKind.EXECUTIVE
                else None
            )
            if quorum is not None:
                domain.check_quorum(kind, quorum)
            previous_chair = row.chair_user_id
            row.chair_user_id = chair
            row.present_user_ids = present
            row.state = MeetingState.IN_PROGRESS.value
            await session.flush()
            ref = f"meeting/{row.id}"
            reason = f"{quorum.present} of {quorum.members} members present" if quorum else ""
            if quorum and quorum.acting:
                reason += "; acting: " + ", ".join(f"{a} for {h}" for h, a in quorum.acting.items())
            if basis:
                # A10, A59: the chair is away on the meeting's day; the acting holder chairs.
                reason += f"; chair {chair} {basis}"
                await audit.record_act(
                    session,
                    ref,
                    "meeting.chair-acting",
                    actor,
                    f"{chair} chairs, {basis} ({previous_chair} away)",
                )
            await audit.record_act(session, ref, "meeting.started", actor, reason.strip("; "))
            reply = meeting_to_proto(row, await audit.history(session, ref))
            await add_event(
                session, "meetings.meeting.started", events_pb2.MeetingStarted(meeting=reply), ref, actor
            )
        return reply

    @requires("meeting:convene")
    async def CloseMeeting(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_meeting(session, request.meeting_id, for_update=True)
            self._require_runner(actor, row, row.chair_user_id)
            topics = await store.topics_of(session, row.id)
            domain.check_close(MeetingState(row.state), {str(t.id): TopicState(t.state) for t in topics})
            row.state = MeetingState.CLOSED.value
            await session.flush()
            ref = f"meeting/{row.id}"
            await audit.record_act(session, ref, "meeting.closed", actor)
            reply = meeting_to_proto(row, await audit.history(session, ref))
            await add_event(
                session, "meetings.meeting.closed", events_pb2.MeetingClosed(meeting=reply), ref, actor
            )
        return reply

    @requires("meeting:read")
    async def GetLeaderCalendar(self, request, context):
        """A leader's meetings as iCalendar text (RFC 5545), for the calendar he or she already uses."""
        actor = current_actor()
        user_id = request.user_id or actor.user_id
        if user_id != actor.user_id and not (actor.may("minutes:write") or actor.is_service):
            raise Forbidden("a person reads his or her own calendar; the general office reads anyone's")
        from_day = date_from_proto(request.from_day, "from_day", required=False) or self.today() - timedelta(
            days=30
        )
        to_day = date_from_proto(request.to_day, "to_day", required=False) or from_day + timedelta(days=366)
        if to_day < from_day:
            raise InvalidInput({"to_day": f"before from_day {from_day}"})
        async with transaction(self.sessions) as session:
            rows = await store.list_meetings(
                session, participant=user_id, from_day=from_day, to_day=to_day, limit=CALENDAR_LIMIT
            )
        feed = calendar_feed.feed_meetings(rows, user_id)
        name = _calendar_name(actor) if user_id == actor.user_id else "会议日程"
        ics = calendar_feed.ics_for(feed, calendar_name=name, stamp=datetime.now(UTC))
        return pb.GetLeaderCalendarResponse(ics=ics, meeting_count=len(feed))

    @requires("meeting:read")
    async def IssueCalendarSubscription(self, request, context):
        """The caller's own feed address for a calendar app; replaces (and so revokes) the last one."""
        actor = current_actor()
        if actor.is_service:
            raise Forbidden("a calendar feed belongs to a person; a service account has no meetings")
        secret = calendar_feed.new_feed_secret()
        async with transaction(self.sessions) as session:
            row = await store.replace_calendar_subscription(
                session, actor.user_id, calendar_feed.feed_secret_digest(secret), _calendar_name(actor)
            )
            await audit.record_act(session, f"calendar-feed/{actor.user_id}", "calendar-feed.issued", actor)
        reply = pb.CalendarSubscription(url=calendar_feed.feed_url(self.feed_base_url, secret))
        reply.issue_time.FromDatetime(row.issued_at)
        return reply

    @requires("meeting:read")
    async def RevokeCalendarSubscription(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            revoked = await store.delete_calendar_subscription(session, actor.user_id)
            if revoked:
                await audit.record_act(session, f"calendar-feed/{actor.user_id}", "calendar-feed.revoked", actor)
        return pb.RevokeCalendarSubscriptionResponse(revoked=revoked)

    @requires("meeting:read")
    async def CheckMeetingRhythm(self, request, context):
        """A41, A42: the office sees when a regular meeting is overdue."""
        today = self.today()
        rhythms = []
        async with transaction(self.sessions) as session:
            for kind in domain.REGULAR_RHYTHM:
                last = await store.last_meeting_day(session, kind.value)
                due_by, overdue = domain.rhythm(kind, last, today)
                item = pb.MeetingRhythm(kind=KIND_TO_PROTO[kind], overdue=overdue)
                if last:
                    item.last_day.CopyFrom(date_to_proto(last))
                if due_by:
                    item.due_by.CopyFrom(date_to_proto(due_by))
                rhythms.append(item)
        return pb.CheckMeetingRhythmResponse(rhythms=rhythms)

    # ---- topics (A42) ----------------------------------------------------------------------------

    @requires("topic:file")
    async def FileTopic(self, request, context):
        """A42: the owning department files documents and approval form; the 10-working-day cut-off."""
        actor = current_actor()
        title = _required(request.title, "title", "the topic's title")
        route = ROUTE_FROM_PROTO.get(request.route)
        documents = [{"name": d.name.strip(), "ref": d.ref.strip()} for d in request.documents]
        if not documents or any(not d["name"] for d in documents):
            raise InvalidInput(
                {"documents": "the topic's documents and approval form (议题审批表), each named"}
            )
        proposer = await self._person_or_bad_input(request.proposed_by_user_id, "proposed_by_user_id")
        domain.check_topic_route(route, proposer or Person(""))
        filed_on = self.today()
        async with transaction(self.sessions) as session:
            meeting = await store.get_meeting(session, request.meeting_id, for_update=True)
            consent_row = None
            if request.ad_hoc_consent_id:
                consent_row = await store.get_consent(session, request.ad_hoc_consent_id, for_update=True)
            consent = (
                domain.Consent(
                    str(consent_row.id),
                    str(consent_row.meeting_id),
                    consent_row.organisation_code,
                    consent_row.topic_id,
                )
                if consent_row
                else None
            )
            ad_hoc = domain.check_topic_filing(
                kind=MeetingKind(meeting.kind),
                meeting_id=str(meeting.id),
                meeting_state=MeetingState(meeting.state),
                meeting_day=meeting.day,
                filed_on=filed_on,
                organisation_code=actor.organisation_code,
                calendar=self.calendar,
                consent=consent,
            )
            row = await store.add(
                session,
                models.Topic(
                    meeting_id=meeting.id,
                    title=title,
                    summary=request.summary.strip(),
                    owning_organisation_code=actor.organisation_code,
                    route=route.value,
                    proposed_by_user_id=request.proposed_by_user_id,
                    filed_by_user_id=actor.user_id,
                    approval_form_filed_on=filed_on,
                    documents=documents,
                    state=TopicState.FILED.value,
                    ad_hoc=ad_hoc,
                    ad_hoc_consent_id=str(consent_row.id) if ad_hoc and consent_row else "",
                    decidable_within_portfolio=request.decidable_within_portfolio,
                    matter_ref=request.matter_ref.strip(),
                ),
            )
            if ad_hoc and consent_row:
                consent_row.topic_id = str(row.id)
            ref = f"topic/{row.id}"
            await audit.record_act(
                session, ref, "topic.filed", actor, "ad hoc, with the mayor's consent" if ad_hoc else ""
            )
            reply = topic_to_proto(row, await audit.history(session, ref))
        return reply

    @requires("topic:approve")
    async def GrantAdHocConsent(self, request, context):
        """A42: no topic at short notice without the mayor's consent; the consent is a recorded act."""
        actor = current_actor()
        organisation = _required(request.organisation_code, "organisation_code", "the department")
        title = _required(request.title, "title", "the topic's title")
        reason = _required(request.reason, "reason", "the reason for the short notice")
        giver = await self._as_person(actor.user_id, self.today(), actor.positions)
        domain.check_ad_hoc_consent_giver(giver)
        recorded = await self._recorded_actor(actor, giver)
        async with transaction(self.sessions) as session:
            meeting = await store.get_meeting(session, request.meeting_id)
            if meeting.state != MeetingState.SCHEDULED.value:
                raise InvalidInput({"meeting_id": f"the meeting is {meeting.state}"})
            row = await store.add(
                session,
                models.AdHocConsent(
                    meeting_id=meeting.id,
                    organisation_code=organisation,
                    title=title,
                    reason=reason,
                    granted_by_user_id=actor.user_id,
                    topic_id="",
                ),
            )
            await audit.record_act(
                session,
                f"meeting/{meeting.id}",
                "topic.ad-hoc-consent",
                recorded,
                f"{organisation}: {title} — {reason}",
            )
        return pb.AdHocConsent(
            id=str(row.id),
            meeting_id=str(meeting.id),
            organisation_code=organisation,
            title=title,
            reason=reason,
            granted_by_user_id=actor.user_id,
        )

    @requires("topic:approve")
    async def DecideTopic(self, request, context):
        """A42: the mayor decides whether a topic goes on the agenda."""
        actor = current_actor()
        if request.verdict not in (pb.TOPIC_VERDICT_ACCEPT, pb.TOPIC_VERDICT_REFUSE):
            raise InvalidInput({"verdict": "accept or refuse"})
        accept = request.verdict == pb.TOPIC_VERDICT_ACCEPT
        if not accept and not request.reason.strip():
            raise InvalidInput({"reason": "a refused topic states why"})
        decider = await self._as_person(actor.user_id, self.today(), actor.positions)
        domain.check_topic_decider(decider)
        recorded = await self._recorded_actor(actor, decider)
        async with transaction(self.sessions) as session:
            row = await store.get_topic(session, request.topic_id, for_update=True)
            domain.check_topic_decision(TopicState(row.state))
            domain.check_within_portfolio(accept, row.decidable_within_portfolio, request.reason)
            meeting = await store.get_meeting(session, str(row.meeting_id))
            if meeting.state == MeetingState.CLOSED.value:
                raise InvalidInput({"topic_id": "the meeting is closed"})
            row.state = (TopicState.ACCEPTED if accept else TopicState.REFUSED).value
            row.decision_reason = request.reason.strip()
            await session.flush()
            ref = f"topic/{row.id}"
            await audit.record_act(session, ref, f"topic.{row.state}", recorded, row.decision_reason)
            reply = topic_to_proto(row, await audit.history(session, ref))
            if accept:
                await add_event(
                    session, "meetings.topic.accepted", events_pb2.TopicAccepted(topic=reply), ref, recorded
                )
            else:
                await add_event(
                    session, "meetings.topic.refused", events_pb2.TopicRefused(topic=reply), ref, recorded
                )
        return reply

    @requires("minutes:write")
    async def RecordTopicOutcome(self, request, context):
        actor = current_actor()
        outcome = OUTCOME_FROM_PROTO.get(request.outcome)
        if outcome is None:
            raise InvalidInput({"outcome": "adopted, adopted with changes, not adopted or deferred"})
        async with transaction(self.sessions) as session:
            row = await store.get_topic(session, request.topic_id, for_update=True)
            meeting = await store.get_meeting(session, str(row.meeting_id))
            domain.check_topic_outcome(TopicState(row.state), MeetingState(meeting.state))
            row.state = TopicState.DECIDED.value
            row.outcome = outcome.value
            await session.flush()
            ref = f"topic/{row.id}"
            await audit.record_act(
                session, ref, "topic.decided", actor, f"{outcome.value} {request.note}".strip()
            )
            return topic_to_proto(row, await audit.history(session, ref))

    def _may_see_documents(self, actor: Actor, topic: models.Topic, meeting: models.Meeting) -> bool:
        """A42: materials go to the meeting's participants once released, and only to them."""
        office = actor.may("minutes:write") or actor.may("topic:approve") or actor.is_service
        return domain.check_participant_may_read(
            actor.user_id,
            meeting.participants,
            office=office,
            owner=actor.organisation_code == topic.owning_organisation_code,
            released=topic.materials_released_at is not None,
        )

    @requires("minutes:write")
    async def ReleaseMaterials(self, request, context):
        """A42: the office sends the accepted topics' materials to the attendees before the meeting."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            meeting = await store.get_meeting(session, request.meeting_id, for_update=True)
            topics = [
                t
                for t in await store.topics_of(session, meeting.id)
                if t.state == TopicState.ACCEPTED.value and t.materials_released_at is None
            ]
            domain.check_materials_release(MeetingState(meeting.state), len(topics))
            now = datetime.now(UTC)
            for topic in topics:
                topic.materials_released_at = now
                await audit.record_act(
                    session, f"topic/{topic.id}", "topic.materials-released", actor,
                    f"to {len(meeting.participants)} attendees",
                )
            await session.flush()
            reply = pb.ReleaseMaterialsResponse(
                topic_ids=[str(t.id) for t in topics], recipient_user_ids=meeting.participants
            )
            await add_event(
                session,
                "meetings.materials.released",
                events_pb2.MaterialsReleased(
                    meeting_id=str(meeting.id), topic_ids=reply.topic_ids, recipient_user_ids=reply.recipient_user_ids
                ),
                f"meeting/{meeting.id}",
                actor,
            )
        return reply

    @requires("meeting:read")
    async def GetTopic(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_topic(session, request.topic_id)
            meeting = await store.get_meeting(session, str(row.meeting_id))
            return topic_to_proto(
                row,
                await audit.history(session, f"topic/{row.id}"),
                with_documents=self._may_see_documents(actor, row, meeting),
            )

    @requires("meeting:read")
    async def ListTopics(self, request, context):
        actor = current_actor()
        limit = page_limit(request.page)
        after = _cursor(
            request.page.page_token, lambda c: (date.fromisoformat(c[0]).isoformat(), str(uuid.UUID(c[1])))
        )
        async with transaction(self.sessions) as session:
            rows = await store.list_topics(
                session,
                meeting_id=request.meeting_id,
                state=TOPIC_STATE_FROM_PROTO[request.state].value if request.state else "",
                organisation_code=request.owning_organisation_code,
                text_contains=request.text_contains.strip(),
                after=after,
                limit=limit + 1,
            )
            more = len(rows) > limit
            rows = rows[:limit]
            meetings = {}
            topics = []
            for r in rows:
                if r.meeting_id not in meetings:
                    meetings[r.meeting_id] = await store.get_meeting(session, str(r.meeting_id))
                topics.append(
                    topic_to_proto(
                        r, with_documents=self._may_see_documents(actor, r, meetings[r.meeting_id])
                    )
                )
        token = (
            encode_page_token(rows[-1].approval_form_filed_on.isoformat(), str(rows[-1].id)) if more else ""
        )
        return pb.ListTopicsResponse(topics=topics, page=common_pb2.PageResponse(next_page_token=token))

    # ---- leave from a meeting (A43) --------------------------------------------------------------

    @requires("meeting-leave:request")
    async def RequestMeetingLeave(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            meeting = await store.get_meeting(session, request.meeting_id, for_update=True)
            earlier = await store.leaves_of_meeting(session, meeting.id)
            leader = domain.check_leave_request(
                kind=MeetingKind(meeting.kind),
                meeting_state=MeetingState(meeting.state),
                applicant=Person(actor.user_id, actor.positions),
                participants=meeting.participants,
                reason=request.reason,
                already_asked=any(
                    x.user_id == actor.user_id and x.state != domain.LeaveState.REFUSED.value for x in earlier
                ),
            )
            row = await store.add(
                session,
                models.MeetingLeave(
                    meeting_id=meeting.id,
                    user_id=actor.user_id,
                    reason=request.reason.strip(),
                    leader=leader,
                    state=domain.LeaveState.REQUESTED.value,
                ),
            )
            ref = f"meeting-leave/{row.id}"
            await audit.record_act(session, ref, "meeting-leave.requested", actor, row.reason)
            return leave_to_proto(row, await audit.history(session, ref))

    @requires("meeting-leave:check")
    async def CheckMeetingLeave(self, request, context):
        """A43: the secretary-general checks (核) an attendee's leave before the mayor approves."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_leave(session, request.leave_id, for_update=True)
            domain.check_leave_check(
                domain.LeaveState(row.state),
                leader=row.leader,
                checker=Person(actor.user_id, actor.positions),
            )
            row.state = domain.LeaveState.CHECKED.value
            await session.flush()
            ref = f"meeting-leave/{row.id}"
            await audit.record_act(session, ref, "meeting-leave.checked", actor, request.opinion.strip())
            return leave_to_proto(row, await audit.history(session, ref))

    @requires("meeting-leave:approve")
    async def DecideMeetingLeave(self, request, context):
        """A43: the mayor approves (or refuses) leave from a plenary or executive meeting."""
        actor = current_actor()
        if not request.approve and not request.reason.strip():
            raise InvalidInput({"reason": "a refusal states its reason"})
        decider = await self._as_person(actor.user_id, self.today(), actor.positions)
        recorded = await self._recorded_actor(actor, decider)
        async with transaction(self.sessions) as session:
            row = await store.get_leave(session, request.leave_id, for_update=True)
            domain.check_leave_decision(domain.LeaveState(row.state), leader=row.leader, decider=decider)
            row.state = (domain.LeaveState.APPROVED if request.approve else domain.LeaveState.REFUSED).value
            await session.flush()
            ref = f"meeting-leave/{row.id}"
            await audit.record_act(
                session, ref, f"meeting-leave.{row.state}", recorded, request.reason.strip()
            )
            return leave_to_proto(row, await audit.history(session, ref))

    @requires("meeting:read")
    async def ListMeetingLeaves(self, request, context):
        async with transaction(self.sessions) as session:
            meeting = await store.get_meeting(session, request.meeting_id)
            rows = await store.leaves_of_meeting(session, meeting.id)
        return pb.ListMeetingLeavesResponse(leaves=[leave_to_proto(r) for r in rows])

    # ---- minutes and decisions (A43, A45, A26) ---------------------------------------------------

    @staticmethod
    def _decision_items(request) -> list[domain.DecisionDraft]:
        items = []
        for i, item in enumerate(request.decisions):
            category = CATEGORY_FROM_PROTO.get(item.category, domain.MatterCategory.OTHER)
            items.append(
                domain.DecisionDraft(
                    topic_id=item.topic_id,
                    text=item.text.strip(),
                    owner_organisation_code=item.owner_organisation_code,
                    due=date_from_proto(item.due, f"decisions[{i}].due", required=False),
                    category=category,
                    matter_ref=item.matter_ref.strip(),
                )
            )
        return items

    @requires("minutes:write")
    async def DraftMinutes(self, request, context):
        actor = current_actor()
        text = _required(request.text, "text", "the minutes' text")
        items = self._decision_items(request)
        async with transaction(self.sessions) as session:
            meeting = await store.get_meeting(session, request.meeting_id)
            kind = MeetingKind(meeting.kind)
            domain.check_minutes_meeting(MeetingState(meeting.state))
            domain.check_minutes_drafter(
                kind,
                drafter_organisation=actor.organisation_code,
                convener_organisation=meeting.convener_organisation_code,
            )
            topics = await store.topics_of(session, meeting.id)
            domain.check_decision_items(items, meeting_day=meeting.day, topic_ids=[str(t.id) for t in topics])
            stored_items = [
                {
                    "topic_id": i.topic_id,
                    "text": i.text,
                    "owner_organisation_code": i.owner_organisation_code,
                    "due": i.due.isoformat(),
                    "category": i.category.value,
                    "matter_ref": i.matter_ref,
                }
                for i in items
            ]
            if request.minutes_id:
                row = await store.get_minutes(session, request.minutes_id, for_update=True)
                if row.meeting_id != meeting.id:
                    raise InvalidInput({"minutes_id": "the minutes belong to another meeting"})
                domain.check_minutes_editable(domain.MinutesState(row.state))
                row.text, row.decisions = text, stored_items
                row.drafted_by_user_id, row.drafted_by_organisation_code = (
                    actor.user_id,
                    actor.organisation_code,
                )
                await session.flush()
                act = "minutes.revised"
            else:
                corrects = None
                if request.corrects_minutes_id:
                    target = await store.get_minutes(session, request.corrects_minutes_id)
                    domain.check_correction_target(
                        domain.MinutesState(target.state), same_meeting=target.meeting_id == meeting.id
                    )
                    corrects = target.id
                row = await store.add(
                    session,
                    models.Minutes(
                        meeting_id=meeting.id,
                        state=domain.MinutesState.DRAFT.value,
                        text=text,
                        decisions=stored_items,
                        drafted_by_user_id=actor.user_id,
                        drafted_by_organisation_code=actor.organisation_code,
                        signed_by_user_id="",
                        corrects_minutes_id=corrects,
                    ),
                )
                act = "minutes.drafted"
                if corrects:
                    act = "minutes.correction-drafted"
                    # The corrected minutes keep their text; their history names the correction.
                    await audit.record_act(
                        session, f"minutes/{corrects}", "minutes.corrected-by", actor, str(row.id)
                    )
            ref = f"minutes/{row.id}"
            await audit.record_act(session, ref, act, actor)
            return minutes_to_proto(row, (), await audit.history(session, ref))

    @requires("minutes:sign")
    async def SignMinutes(self, request, context):
        """A43, A45: signed off by the mayor / the delegated chair / the convener or delegating leader.
        Each decision gets the next number of its series and year, and is published for supervision."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_minutes(session, request.minutes_id, for_update=True)
            domain.check_minutes_editable(domain.MinutesState(row.state))
            meeting = await store.get_meeting(session, str(row.meeting_id))
            kind = MeetingKind(meeting.kind)
            signer = Person(actor.user_id, actor.positions)
            if kind is not MeetingKind.SPECIAL_TOPIC and domain.MAYOR not in actor.positions:
                signer = await self._as_person(actor.user_id, self.today(), actor.positions)
            domain.check_minutes_signer(
                kind,
                signer=signer,
                convener_user_id=meeting.convener_user_id,
                chair_user_id=meeting.chair_user_id,
                delegated_by_user_id=meeting.delegated_by_user_id,
            )
            recorded = await self._recorded_actor(actor, signer)
            row.state = domain.MinutesState.SIGNED.value
            row.signed_by_user_id = actor.user_id
            row.signed_at = datetime.now(UTC)
            await session.flush()
            ref = f"minutes/{row.id}"
            decisions = []
            for item in row.decisions:
                number = await store.next_decision_number(session, kind.value, meeting.day.year)
                decisions.append(
                    await store.add(
                        session,
                        models.Decision(
                            series=kind.value,
                            year=meeting.day.year,
                            number=number,
                            reference=domain.decision_reference(kind, meeting.day.year, number),
                            meeting_id=meeting.id,
                            minutes_id=row.id,
                            topic_id=item["topic_id"],
                            text=item["text"],
                            owner_organisation_code=item["owner_organisation_code"],
                            due=date.fromisoformat(item["due"]),
                            category=item["category"],
                            matter_ref=item["matter_ref"],
                            decided_on=meeting.day,
                        ),
                    )
                )
            await audit.record_act(
                session, ref, "minutes.signed", recorded, ", ".join(d.reference for d in decisions)
            )
            reply = minutes_to_proto(row, [d.id for d in decisions], await audit.history(session, ref))
            await add_event(
                session, "meetings.minutes.signed", events_pb2.MinutesSigned(minutes=reply), ref, recorded
            )
            for decision in decisions:
                await add_event(
                    session,
                    "meetings.decision.recorded",
                    events_pb2.DecisionRecorded(decision=decision_to_proto(decision)),
                    f"decision/{decision.id}",
                    recorded,
                )
            if row.corrects_minutes_id:
                await self._supersede(session, row, decisions, recorded)
        return reply

    async def _supersede(self, session, correction: models.Minutes, restated: list, actor) -> None:
        """A26: the decisions of the corrected minutes that still stood are superseded, each by
        its restatement in the correction or withdrawn; supervision learns it by event."""
        standing = [
            d for d in await store.decisions_of_minutes(session, correction.corrects_minutes_id)
            if d.superseded_by_minutes_id is None
        ]

        def key(d: models.Decision) -> domain.DecisionKey:
            return domain.DecisionKey(str(d.id), d.topic_id, d.owner_organisation_code, d.matter_ref)

        replaced = domain.superseded_decisions(map(key, standing), map(key, restated))
        for old in standing:
            old.superseded_by_minutes_id = correction.id
            old.superseded_by_decision_id = uuid.UUID(replaced[str(old.id)]) if replaced[str(old.id)] else None
            old.superseded_on = self.today()
        await session.flush()
        for old in standing:
            by = next((d.reference for d in restated if d.id == old.superseded_by_decision_id), "withdrawn")
            ref = f"decision/{old.id}"
            await audit.record_act(session, ref, "decision.superseded", actor, f"{old.reference} → {by}")
            await add_event(
                session,
                "meetings.decision.superseded",
                events_pb2.DecisionSuperseded(decision=decision_to_proto(old)),
                ref,
                actor,
            )

    @requires("minutes:read")
    async def GetMinutes(self, request, context):
        async with transaction(self.sessions) as session:
            row = await store.get_minutes(session, request.minutes_id)
            decisions = await store.decisions_of_minutes(session, row.id)
            return minutes_to_proto(
                row, [d.id for d in decisions], await audit.history(session, f"minutes/{row.id}")
            )

    @requires("decision:read")
    async def ListDecisions(self, request, context):
        limit = page_limit(request.page)
        after = _cursor(request.page.page_token, lambda c: (int(c[0]), c[1], int(c[2])))
        if request.year and not 2000 <= request.year <= 2100:
            raise InvalidInput({"year": "a year between 2000 and 2100"})
        async with transaction(self.sessions) as session:
            rows = await store.list_decisions(
                session,
                series=KIND_FROM_PROTO[request.series].value if request.series else "",
                year=request.year,
                meeting_id=request.meeting_id,
                after=after,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        token = encode_page_token(str(rows[-1].year), rows[-1].series, str(rows[-1].number)) if more else ""
        return pb.ListDecisionsResponse(
            decisions=[decision_to_proto(r) for r in rows],
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires("decision:read")
    async def FindCollectiveDecision(self, request, context):
        """A7, A28: was the matter decided by a plenary or executive meeting, when, with which minutes."""
        matter = _required(request.matter_ref, "matter_ref", "the matter's reference")
        async with transaction(self.sessions) as session:
            rows = await store.collective_decisions_on(session, matter)
        return pb.FindCollectiveDecisionResponse(
            decided=any(r.superseded_by_minutes_id is None for r in rows),
            decisions=[decision_to_proto(r) for r in rows],
        )

    # ---- department meetings (A46) ------------------------------------------------------------------

    @requires("department-meeting:request")
    async def RequestDepartmentMeeting(self, request, context):
        """A46: a department asks the city government to approve a city-wide meeting, county heads'
        attendance or city leaders' attendance."""
        actor = current_actor()
        fmt = FORMAT_FROM_PROTO.get(request.format, domain.MeetingFormat.VIDEO)
        candidate = domain.DepartmentMeetingRequest(
            organisation_code=actor.organisation_code,
            title=request.title,
            day=date_from_proto(request.day, "day", required=False),
            city_wide=request.city_wide,
            invites_county_heads=request.invites_county_heads,
            leader_user_ids=tuple(dict.fromkeys(request.leader_user_ids)),
            format=fmt,
            in_person_reason=request.in_person_reason,
            exception_reason=request.exception_reason,
            in_city_government_name=request.in_city_government_name,
        )
        directory = await self.org.directory()
        leaders = [u for p in domain.CITY_LEADERS for u in directory.holders.get(p, [])]
        async with transaction(self.sessions) as session:
            await store.lock_department(session, actor.organisation_code)
            year = candidate.day.year if candidate.day else self.today().year
            domain.check_department_meeting(
                candidate,
                today=self.today(),
                leaders=leaders,
                city_wide_this_year=await store.city_wide_meetings_in_year(
                    session, actor.organisation_code, year
                ),
            )
            row = await store.add(
                session,
                models.DepartmentMeeting(
                    organisation_code=actor.organisation_code,
                    requested_by_user_id=actor.user_id,
                    title=candidate.title.strip(),
                    day=candidate.day,
                    city_wide=candidate.city_wide,
                    invites_county_heads=candidate.invites_county_heads,
                    leader_user_ids=list(candidate.leader_user_ids),
                    format=fmt.value,
                    in_person_reason=candidate.in_person_reason.strip(),
                    exception_reason=candidate.exception_reason.strip(),
                    state=domain.DepartmentMeetingState.REQUESTED.value,
                ),
            )
            ref = f"department-meeting/{row.id}"
            await audit.record_act(session, ref, "department-meeting.requested", actor, row.exception_reason)
            return department_meeting_to_proto(row, await audit.history(session, ref))

    @requires("department-meeting:approve")
    async def DecideDepartmentMeeting(self, request, context):
        """A46: the mayor (市政府主要领导) approves or refuses."""
        actor = current_actor()
        if not request.approve and not request.reason.strip():
            raise InvalidInput({"reason": "a refusal states its reason"})
        decider = await self._as_person(actor.user_id, self.today(), actor.positions)
        recorded = await self._recorded_actor(actor, decider)
        async with transaction(self.sessions) as session:
            row = await store.get_department_meeting(session, request.department_meeting_id, for_update=True)
            domain.check_department_meeting_decision(domain.DepartmentMeetingState(row.state), decider)
            state = (
                domain.DepartmentMeetingState.APPROVED
                if request.approve
                else domain.DepartmentMeetingState.REFUSED
            )
            row.state = state.value
            row.decision_reason = request.reason.strip()
            await session.flush()
            ref = f"department-meeting/{row.id}"
            await audit.record_act(
                session, ref, f"department-meeting.{state.value}", recorded, row.decision_reason
            )
            return department_meeting_to_proto(row, await audit.history(session, ref))

    @requires("meeting:read")
    async def ListDepartmentMeetings(self, request, context):
        actor = current_actor()
        organisation = request.organisation_code
        if not (actor.may("department-meeting:approve") or actor.may("minutes:write")):
            # A department sees its own requests; the office and the mayor see all.
            if organisation not in ("", actor.organisation_code):
                raise Forbidden("a department sees only its own requests")
            organisation = actor.organisation_code
        if request.year and not 2000 <= request.year <= 2100:
            raise InvalidInput({"year": "a year between 2000 and 2100"})
        async with transaction(self.sessions) as session:
            rows = await store.list_department_meetings(
                session, organisation_code=organisation, year=request.year
            )
        return pb.ListDepartmentMeetingsResponse(
            department_meetings=[department_meeting_to_proto(r) for r in rows]
        )


def _calendar_name(actor: Actor) -> str:
    return f"{actor.display_name or actor.username}的会议"
