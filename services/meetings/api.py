"""The meetings service's gRPC surface: each RPC states its permission, turns the request into the
typed input of an act (protos.py), calls the act in one transaction (acts/) and returns its reply;
reads go to the store and back through protos.py.

Each permission is a client role of the `meetings` client in Keycloak; which positions hold it is
configured in Keycloak. The acts then check the position that the act needs (the mayor, the
secretary-general, the convener …), asking `org` who acts for an absent holder (A10, A59); an act
done in the mayor's place records both names.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from zgov.common.v1 import common_pb2
from zgov.meetings.v1 import meetings_pb2_grpc

from services.meetings import calendar_feed, domain, models, protos, store
from services.meetings.acts import Env, calendar, department_meetings, leave, meetings, minutes, topics
from services.meetings.protos import (
    KIND_FROM_PROTO,
    KIND_TO_PROTO,
    MEETING_STATE_FROM_PROTO,
    TOPIC_STATE_FROM_PROTO,
    decision_to_proto,
    department_meeting_to_proto,
    leave_to_proto,
    meeting_to_proto,
    minutes_to_proto,
    pb,
    topic_to_proto,
)
from shared import audit
from shared.convert import Page, date_from_proto, date_to_proto, today_in_china
from shared.db import transaction
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from shared.org_client import OrgClient
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar

# At most this many meetings in one calendar feed (a year of a busy leader is far fewer).
CALENDAR_LIMIT = 2000


def _year(value: int) -> int:
    if value and not 2000 <= value <= 2100:
        raise InvalidInput({"year": "a year between 2000 and 2100"})
    return value


def _may_see_documents(actor: Actor, topic: models.Topic, meeting: models.Meeting) -> bool:
    """A42: materials go to the meeting's participants once released, and only to them."""
    office = actor.may("minutes:write") or actor.may("topic:approve") or actor.is_service
    return domain.check_participant_may_read(
        actor.user_id,
        meeting.participants,
        office=office,
        owner=actor.organisation_code == topic.owning_organisation_code,
        released=topic.materials_released_at is not None,
    )


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
        self.env = Env(org=org, calendar=calendar, today=today)
        self.today = today
        # Where calendar apps reach feed_http (ZGOV_FEED_BASE_URL, or the bound HTTP port).
        self.feed_base_url = feed_base_url
        # Leaders' calendars polled again and again: the text is rebuilt only when its rows changed.
        self.built_feeds = calendar_feed.BuiltFeeds()

    # ---- meetings --------------------------------------------------------------------------------

    @requires("meeting:convene")
    async def ScheduleMeeting(self, request, context):
        new = protos.new_meeting(request)
        async with transaction(self.sessions) as session:
            return await meetings.schedule_meeting(session, current_actor(), new, self.env)

    @requires("meeting:read")
    async def GetMeeting(self, request, context):
        async with transaction(self.sessions) as session:
            row = await store.get_meeting(session, request.meeting_id)
            return meeting_to_proto(row, await audit.history(session, f"meeting/{row.id}"))

    @requires("meeting:read")
    async def ListMeetings(self, request, context):
        page = Page.of(request.page)
        after = protos.cursor(
            request.page.page_token, lambda c: (date.fromisoformat(c[0]), str(uuid.UUID(c[1])))
        )
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
                limit=page.fetch,
            )
        rows, token = page.cut(rows, lambda r: (r.day.isoformat(), str(r.id)))
        return pb.ListMeetingsResponse(
            meetings=[meeting_to_proto(r) for r in rows], page=common_pb2.PageResponse(next_page_token=token)
        )

    @requires("meeting:convene")
    async def StartMeeting(self, request, context):
        """A42: opened only with more than half of the members present, acting holders counted."""
        present = protos.present_user_ids(request)
        async with transaction(self.sessions) as session:
            return await meetings.start_meeting(
                session, current_actor(), request.meeting_id, present, self.env
            )

    @requires("meeting:convene")
    async def CloseMeeting(self, request, context):
        async with transaction(self.sessions) as session:
            return await meetings.close_meeting(session, current_actor(), request.meeting_id)

    @requires("meeting:read")
    async def GetLeaderCalendar(self, request, context):
        """A leader's meetings as iCalendar text (RFC 5545), for the calendar he or she already uses."""
        actor = current_actor()
        user_id = request.user_id or actor.user_id
        if user_id != actor.user_id and not (actor.may("minutes:write") or actor.is_service):
            raise Forbidden(
                "a person reads his or her own calendar; the general office reads anyone's",
                reason="NOT_OWN_CALENDAR",
            )
        from_day = date_from_proto(request.from_day, "from_day", required=False) or self.today() - timedelta(
            days=30
        )
        to_day = date_from_proto(request.to_day, "to_day", required=False) or from_day + timedelta(days=366)
        if to_day < from_day:
            raise InvalidInput({"to_day": f"before from_day {from_day}"})
        async with transaction(self.sessions) as session:
            rows = await store.calendar_meetings(session, user_id, from_day, to_day, CALENDAR_LIMIT)
        name = calendar.calendar_name(actor) if user_id == actor.user_id else "会议日程"
        ics = self.built_feeds.text(
            (user_id, from_day, to_day, name),
            rows,
            lambda: calendar_feed.ics_for(
                calendar_feed.feed_meetings(rows, user_id), calendar_name=name, stamp=datetime.now(UTC)
            ),
        )
        return pb.GetLeaderCalendarResponse(ics=ics, meeting_count=len(rows))

    @requires("meeting:read")
    async def IssueCalendarSubscription(self, request, context):
        """The caller's own feed address for a calendar app; replaces (and so revokes) the last one."""
        async with transaction(self.sessions) as session:
            return await calendar.issue_subscription(session, current_actor(), self.feed_base_url)

    @requires("meeting:read")
    async def RevokeCalendarSubscription(self, request, context):
        async with transaction(self.sessions) as session:
            revoked = await calendar.revoke_subscription(session, current_actor())
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
        new = protos.new_topic(request)
        async with transaction(self.sessions) as session:
            return await topics.file_topic(session, current_actor(), new, self.env)

    @requires("topic:approve")
    async def GrantAdHocConsent(self, request, context):
        """A42: no topic at short notice without the mayor's consent; the consent is a recorded act."""
        new = protos.new_consent(request)
        async with transaction(self.sessions) as session:
            return await topics.grant_ad_hoc_consent(session, current_actor(), new, self.env)

    @requires("topic:file")
    async def ProposeTopic(self, request, context):
        """A42: a vice mayor or the secretary-general proposes a department's topic in writing."""
        new = protos.new_proposal(request)
        async with transaction(self.sessions) as session:
            return await topics.propose_topic(session, current_actor(), new, self.env)

    @requires("topic:approve")
    async def DecideTopic(self, request, context):
        """A42: the mayor decides whether a topic goes on the agenda."""
        verdict = protos.topic_verdict(request)
        async with transaction(self.sessions) as session:
            return await topics.decide_topic(session, current_actor(), verdict, self.env)

    @requires("minutes:write")
    async def RecordTopicOutcome(self, request, context):
        outcome = protos.topic_outcome(request)
        async with transaction(self.sessions) as session:
            return await topics.record_topic_outcome(
                session, current_actor(), request.topic_id, outcome, request.note
            )

    @requires("minutes:write")
    async def ReleaseMaterials(self, request, context):
        """A42: the office sends the accepted topics' materials to the attendees before the meeting."""
        async with transaction(self.sessions) as session:
            return await topics.release_materials(session, current_actor(), request.meeting_id)

    @requires("meeting:read")
    async def GetTopic(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_topic(session, request.topic_id)
            meeting = await store.get_meeting(session, str(row.meeting_id))
            return topic_to_proto(
                row,
                await audit.history(session, f"topic/{row.id}"),
                with_documents=_may_see_documents(actor, row, meeting),
            )

    @requires("meeting:read")
    async def ListTopics(self, request, context):
        actor = current_actor()
        page = Page.of(request.page)
        after = protos.cursor(
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
                limit=page.fetch,
            )
            rows, token = page.cut(rows, lambda r: (r.approval_form_filed_on.isoformat(), str(r.id)))
            meetings_of = {}
            found = []
            for r in rows:
                if r.meeting_id not in meetings_of:
                    meetings_of[r.meeting_id] = await store.get_meeting(session, str(r.meeting_id))
                found.append(
                    topic_to_proto(r, with_documents=_may_see_documents(actor, r, meetings_of[r.meeting_id]))
                )
        return pb.ListTopicsResponse(topics=found, page=common_pb2.PageResponse(next_page_token=token))

    # ---- leave from a meeting (A43) --------------------------------------------------------------

    @requires("meeting-leave:request")
    async def RequestMeetingLeave(self, request, context):
        async with transaction(self.sessions) as session:
            return await leave.request_leave(session, current_actor(), request.meeting_id, request.reason)

    @requires("meeting-leave:check")
    async def CheckMeetingLeave(self, request, context):
        """A43: the secretary-general checks (核) an attendee's leave before the mayor approves."""
        async with transaction(self.sessions) as session:
            return await leave.check_leave(session, current_actor(), request.leave_id, request.opinion)

    @requires("meeting-leave:approve")
    async def DecideMeetingLeave(self, request, context):
        """A43: the mayor approves (or refuses) leave from a plenary or executive meeting."""
        verdict = protos.approval(request.leave_id, request.approve, request.reason)
        async with transaction(self.sessions) as session:
            return await leave.decide_leave(session, current_actor(), verdict, self.env)

    @requires("meeting:read")
    async def ListMeetingLeaves(self, request, context):
        async with transaction(self.sessions) as session:
            meeting = await store.get_meeting(session, request.meeting_id)
            rows = await store.leaves_of_meeting(session, meeting.id)
        return pb.ListMeetingLeavesResponse(leaves=[leave_to_proto(r) for r in rows])

    # ---- minutes and decisions (A43, A45, A26) ---------------------------------------------------

    @requires("minutes:write")
    async def DraftMinutes(self, request, context):
        draft = protos.minutes_text(request)
        async with transaction(self.sessions) as session:
            return await minutes.draft_minutes(session, current_actor(), draft)

    @requires("minutes:sign")
    async def SignMinutes(self, request, context):
        """A43, A45: signed off by the mayor / the delegated chair / the convener or delegating leader.
        Each decision gets the next number of its series and year, and is published for supervision."""
        async with transaction(self.sessions) as session:
            return await minutes.sign_minutes(session, current_actor(), request.minutes_id, self.env)

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
        page = Page.of(request.page)
        after = protos.cursor(request.page.page_token, lambda c: (int(c[0]), c[1], int(c[2])))
        year = _year(request.year)
        async with transaction(self.sessions) as session:
            rows = await store.list_decisions(
                session,
                series=KIND_FROM_PROTO[request.series].value if request.series else "",
                year=year,
                meeting_id=request.meeting_id,
                after=after,
                limit=page.fetch,
            )
        rows, token = page.cut(rows, lambda r: (str(r.year), r.series, str(r.number)))
        return pb.ListDecisionsResponse(
            decisions=[decision_to_proto(r) for r in rows],
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires("decision:read")
    async def FindCollectiveDecision(self, request, context):
        """A7, A28: was the matter decided by a plenary or executive meeting, when, with which minutes."""
        matter = protos.required(request.matter_ref, "matter_ref", "the matter's reference")
        async with transaction(self.sessions) as session:
            rows = await store.collective_decisions_on(session, matter)
        return pb.FindCollectiveDecisionResponse(
            decided=any(r.superseded_by_minutes_id is None for r in rows),
            decisions=[decision_to_proto(r) for r in rows],
        )

    # ---- department meetings (A46) ---------------------------------------------------------------

    @requires("department-meeting:request")
    async def RequestDepartmentMeeting(self, request, context):
        """A46: a department asks the city government to approve a city-wide meeting, county heads'
        attendance or city leaders' attendance."""
        actor = current_actor()
        candidate = protos.department_meeting_request(request, actor.organisation_code)
        async with transaction(self.sessions) as session:
            return await department_meetings.request_department_meeting(session, actor, candidate, self.env)

    @requires("department-meeting:approve")
    async def DecideDepartmentMeeting(self, request, context):
        """A46: the mayor (市政府主要领导) approves or refuses."""
        verdict = protos.approval(request.department_meeting_id, request.approve, request.reason)
        async with transaction(self.sessions) as session:
            return await department_meetings.decide_department_meeting(
                session, current_actor(), verdict, self.env
            )

    @requires("meeting:read")
    async def ListDepartmentMeetings(self, request, context):
        actor = current_actor()
        organisation = request.organisation_code
        if not (actor.may("department-meeting:approve") or actor.may("minutes:write")):
            # A department sees its own requests; the office and the mayor see all.
            if organisation not in ("", actor.organisation_code):
                raise Forbidden("a department sees only its own requests", reason="OTHER_ORGANISATION")
            organisation = actor.organisation_code
        year = _year(request.year)
        async with transaction(self.sessions) as session:
            rows = await store.list_department_meetings(session, organisation_code=organisation, year=year)
        return pb.ListDepartmentMeetingsResponse(
            department_meetings=[department_meeting_to_proto(r) for r in rows]
        )
