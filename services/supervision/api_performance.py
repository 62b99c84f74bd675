"""Performance management's gRPC surface (目标绩效, A64–A66): permission, parse, one act, reply.

performance:read     the sets, assessments and results (the office, city leaders, department and county
                     heads: A64 assesses openly — 公开、公平、公正)
performance:manage   set the indicators, decompose them into targets, score, compute the measured
                     indicators, approve the results with the meeting's decision (the supervision office)
performance:report   report progress on one's own body's targets (department and county heads)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.acts import performance as acts
from services.supervision.acts.people import People
from services.supervision.domain import performance as domain
from services.supervision.domain.performance import AssessedKind, Indicator, Measure, SetState
from services.supervision.models import Assessment, IndicatorSet
from services.supervision.store import performance as store
from shared import audit
from shared.convert import date_to_proto, today_in_china
from shared.db import transaction
from shared.errors import InvalidInput
from shared.rpc_auth import current_actor, requires
from zgov.supervision.v1 import performance_pb2 as pb
from zgov.supervision.v1 import performance_pb2_grpc

KIND_FROM_PROTO = {v: k for k, v in acts.KIND_TO_PROTO.items()}
MEASURE_TO_PROTO = {m: pb.Measure.Value(f"MEASURE_{m.name}") for m in Measure}
MEASURE_FROM_PROTO = {v: k for k, v in MEASURE_TO_PROTO.items()}
STATE_TO_PROTO = {s: pb.SetState.Value(f"SET_STATE_{s.name}") for s in SetState}


def indicator_from_proto(message: pb.Indicator) -> Indicator:
    return Indicator(
        message.code, message.name, message.dimension, message.weight, MEASURE_FROM_PROTO.get(message.measure)
    )


def set_to_proto(row: IndicatorSet, history=()) -> pb.IndicatorSet:
    return pb.IndicatorSet(
        id=str(row.id),
        year=row.year,
        kind=acts.KIND_TO_PROTO[AssessedKind(row.kind)],
        state=STATE_TO_PROTO[SetState(row.state)],
        decision_id=row.decision_id,
        decision_reference=row.decision_reference,
        history=[audit.to_proto(h) for h in history],
        indicators=[
            pb.Indicator(
                code=i["code"],
                name=i["name"],
                dimension=i["dimension"],
                weight=i["weight"],
                measure=MEASURE_TO_PROTO[Measure(i["measure"])],
            )
            for i in row.indicators
        ],
    )


def assessment_to_proto(
    row: Assessment, indicator_set: IndicatorSet, grades: domain.GradeLimits
) -> pb.Assessment:
    indicators = acts.indicators_of(indicator_set)
    grade = domain.grade(indicators, row.scores, grades)
    return pb.Assessment(
        id=str(row.id),
        set_id=str(row.set_id),
        year=row.year,
        body_code=row.body_code,
        targets=[pb.Target(indicator_code=c, target=t) for c, t in row.targets.items()],
        progress=[
            pb.Progress(
                indicator_code=p["indicator_code"],
                text=p["text"],
                reported_on=date_to_proto(date.fromisoformat(p["reported_on"])),
            )
            for p in row.progress
        ],
        scores=[
            pb.Score(
                indicator_code=c,
                centipoints=s["centipoints"],
                evidence=s["evidence"],
                computed=s["computed"],
                scored_by_user_id=s["scored_by_user_id"],
            )
            for c, s in row.scores.items()
        ],
        total_centipoints=domain.total(row.scores),
        grade=acts.GRADE_TO_PROTO[grade] if grade else 0,
        final=SetState(indicator_set.state) is SetState.APPROVED,
    )


class PerformanceServicer(performance_pb2_grpc.PerformanceServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        people: People,
        grades: domain.GradeLimits,
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.people = people
        self.grades = grades
        self.today = today

    def context(self) -> acts.PerformanceContext:
        return acts.PerformanceContext(self.today(), self.people, self.grades)

    async def set_reply(self, session: AsyncSession, row: IndicatorSet) -> pb.IndicatorSet:
        return set_to_proto(row, await audit.history(session, acts.ref_of(row)))

    async def on_assessment(self, assessment_id: str, act) -> pb.Assessment:
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            row = await store.get_assessment(session, assessment_id, for_update=True)
            indicator_set = await store.get_set(session, str(row.set_id))
            row = await act(session, actor, indicator_set, row, ctx)
            return assessment_to_proto(row, indicator_set, self.grades)

    @requires("performance:manage")
    async def SetIndicators(self, request, context):
        kind = KIND_FROM_PROTO.get(request.kind)
        indicators = [indicator_from_proto(i) for i in request.indicators]
        async with transaction(self.sessions) as session:
            row = await acts.set_indicators(
                session, current_actor(), request.year, kind, indicators, self.context()
            )
            return await self.set_reply(session, row)

    @requires("performance:manage")
    async def SetTargets(self, request, context):
        targets: dict[str, str] = {}
        for target in request.targets:
            if target.indicator_code in targets:
                raise InvalidInput({"targets": f"{target.indicator_code} given twice"})
            targets[target.indicator_code] = target.target.strip()
        async with transaction(self.sessions) as session:
            indicator_set = await store.get_set(session, request.set_id, for_update=True)
            row = await acts.set_targets(
                session, current_actor(), indicator_set, request.body_code.strip(), targets, self.context()
            )
            return assessment_to_proto(row, indicator_set, self.grades)

    @requires("performance:report")
    async def ReportTargetProgress(self, request, context):
        return await self.on_assessment(
            request.assessment_id,
            lambda s, a, st, row, ctx: acts.report_progress(
                s, a, st, row, request.indicator_code, request.text, ctx
            ),
        )

    @requires("performance:manage")
    async def ScoreIndicator(self, request, context):
        return await self.on_assessment(
            request.assessment_id,
            lambda s, a, st, row, ctx: acts.score(
                s, a, st, row, request.indicator_code, request.centipoints, request.evidence, ctx
            ),
        )

    @requires("performance:manage")
    async def ComputeMeasuredIndicators(self, request, context):
        return await self.on_assessment(request.assessment_id, acts.compute_measured)

    @requires("performance:manage")
    async def ApproveResults(self, request, context):
        async with transaction(self.sessions) as session:
            row = await store.get_set(session, request.set_id, for_update=True)
            row = await acts.approve_results(
                session, current_actor(), row, request.decision_id, self.context()
            )
            return await self.set_reply(session, row)

    @requires("performance:read")
    async def GetIndicatorSet(self, request, context):
        async with transaction(self.sessions) as session:
            return await self.set_reply(session, await store.get_set(session, request.set_id))

    @requires("performance:read")
    async def GetAssessment(self, request, context):
        async with transaction(self.sessions) as session:
            row = await store.get_assessment(session, request.assessment_id)
            return assessment_to_proto(row, await store.get_set(session, str(row.set_id)), self.grades)

    @requires("performance:read")
    async def ListAssessments(self, request, context):
        async with transaction(self.sessions) as session:
            indicator_set = await store.get_set(session, request.set_id)
            rows = await store.assessments_of(session, indicator_set.id)
            return pb.ListAssessmentsResponse(
                assessments=[assessment_to_proto(r, indicator_set, self.grades) for r in rows]
            )
