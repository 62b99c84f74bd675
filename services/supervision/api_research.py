"""Research's gRPC surface (调查研究, A31, A33, A34): permission, parse, one act, reply.

research:read   leaders' pace, topics, the coverage check (the office, city leaders, the research office)
research:write  record a visit, register a topic, file its report, link its outcome (city leaders and
                department heads for their own; the research office for any leader)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.acts import research as acts
from services.supervision.acts.people import People
from services.supervision.domain import research as domain
from services.supervision.domain.research import ReportingMeeting, Visit
from services.supervision.models import ResearchTopic
from services.supervision.store import research as store
from shared import audit
from shared.convert import date_from_proto, date_to_proto, today_in_china
from shared.db import transaction
from shared.errors import InvalidInput
from shared.positions import CITY_LEADERS
from shared.rpc_auth import current_actor, requires
from zgov.supervision.v1 import research_pb2 as pb
from zgov.supervision.v1 import research_pb2_grpc

MEETING_TO_PROTO = {m: pb.ReportingMeeting.Value(f"REPORTING_MEETING_{m.name}") for m in ReportingMeeting}
MEETING_FROM_PROTO = {v: k for k, v in MEETING_TO_PROTO.items()}


def visit_from_proto(request: pb.RecordResearchVisitRequest) -> Visit:
    started = date_from_proto(request.started_on, "started_on", required=False)
    return Visit(
        request.leader_user_id.strip(),
        started,
        request.days,
        request.place,
        tuple(c.strip() for c in request.county_codes if c.strip()),
        request.purpose,
        MEETING_FROM_PROTO.get(request.reporting_meeting),
    )


def visit_to_proto(recorded: acts.RecordedVisit) -> pb.ResearchVisit:
    row = recorded.row
    return pb.ResearchVisit(
        id=str(row.id),
        leader_user_id=row.leader_user_id,
        started_on=date_to_proto(row.started_on),
        days=row.days,
        place=row.place,
        county_codes=list(row.county_codes),
        purpose=row.purpose,
        reporting_meeting=MEETING_TO_PROTO[ReportingMeeting(row.reporting_meeting)],
        recorded_by_user_id=row.recorded_by_user_id,
        counted_days=recorded.counted_days,
        corroborates=[
            pb.Corroboration(
                visit_id=str(other.id),
                source_ref=other.source_ref or "",
                days=[date_to_proto(day) for day in days],
            )
            for other, days in recorded.corroborates
        ],
    )


def topic_to_proto(row: ResearchTopic, history=()) -> pb.ResearchTopic:
    message = pb.ResearchTopic(
        id=str(row.id),
        year=row.year,
        leader_user_id=row.leader_user_id,
        title=row.title,
        decision_id=row.decision_id,
        decision_reference=row.decision_reference,
        policy_reference=row.policy_reference,
        history=[audit.to_proto(h) for h in history],
    )
    if row.report:
        message.report.CopyFrom(
            pb.TopicReport(
                summary=row.report["summary"],
                document_reference=row.report["document_reference"],
                filed_on=date_to_proto(date.fromisoformat(row.report["filed_on"])),
            )
        )
    return message


class ResearchServicer(research_pb2_grpc.ResearchServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        people: People,
        target_days: int,
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.people = people
        self.target_days = target_days
        self.today = today

    def context(self) -> acts.ResearchContext:
        return acts.ResearchContext(self.today(), self.people, self.target_days)

    async def reply(self, session: AsyncSession, row: ResearchTopic) -> pb.ResearchTopic:
        return topic_to_proto(row, await audit.history(session, acts.ref_of(row)))

    async def on_topic(self, topic_id: str, act) -> pb.ResearchTopic:
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            row = await store.get_topic(session, topic_id, for_update=True)
            return await self.reply(session, await act(session, actor, row, ctx))

    @requires("research:write")
    async def RecordResearchVisit(self, request, context):
        visit = visit_from_proto(request)
        async with transaction(self.sessions) as session:
            return visit_to_proto(await acts.record_visit(session, current_actor(), visit, self.context()))

    @requires("research:read")
    async def GetResearchPace(self, request, context):
        today = self.today()
        year = request.year or today.year
        if not 2000 <= year <= today.year:
            raise InvalidInput({"year": f"2000 to {today.year}"})
        day = today if year == today.year else date(year, 12, 31)
        leaders = await self.people.holders_of(sorted(CITY_LEADERS))
        async with transaction(self.sessions) as session:
            days = await store.days_by_leader(session, year, day)
        paces = domain.pace(days, [u for u, _ in leaders], day, self.target_days)
        return pb.GetResearchPaceResponse(
            target_days=self.target_days,
            leaders=[
                pb.LeaderPace(
                    leader_user_id=u,
                    name=name,
                    days=paces[u][0],
                    expected_by_now=paces[u][1],
                    behind=paces[u][2],
                )
                for u, name in leaders
            ],
        )

    @requires("research:write")
    async def RegisterTopic(self, request, context):
        async with transaction(self.sessions) as session:
            row = await acts.register_topic(
                session,
                current_actor(),
                request.year or self.today().year,
                request.leader_user_id.strip(),
                request.title,
                self.context(),
            )
            return await self.reply(session, row)

    @requires("research:write")
    async def FileTopicReport(self, request, context):
        return await self.on_topic(
            request.topic_id,
            lambda s, a, row, ctx: acts.file_report(
                s, a, row, request.summary, request.document_reference, ctx
            ),
        )

    @requires("research:write")
    async def LinkTopicOutcome(self, request, context):
        return await self.on_topic(
            request.topic_id,
            lambda s, a, row, ctx: acts.link_outcome(
                s, a, row, request.decision_id, request.policy_reference, ctx
            ),
        )

    @requires("research:read")
    async def GetTopic(self, request, context):
        async with transaction(self.sessions) as session:
            return await self.reply(session, await store.get_topic(session, request.topic_id))

    @requires("research:read")
    async def GetTopicCoverage(self, request, context):
        year = request.year or self.today().year
        if not 2000 <= year <= self.today().year + 1:
            raise InvalidInput({"year": f"2000 to {self.today().year + 1}"})
        async with transaction(self.sessions) as session:
            missing = await acts.members_without_topic(session, year, self.context())
            topics = await store.topics_of(session, year)
        return pb.GetTopicCoverageResponse(
            without_topic=[pb.Member(user_id=u, name=n) for u, n in missing],
            topics_without_report=[str(t.id) for t in topics if not t.report],
            reports_without_outcome=[
                str(t.id) for t in topics if t.report and not (t.decision_id or t.policy_reference)
            ],
        )
