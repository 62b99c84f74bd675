"""The yearly inspection plan's gRPC surface (A63): permission, parse, one act, reply.

plan:read     read a plan and the burden count (the office, leaders, department and county heads)
plan:write    submit one's own organisation's plan, file a county plan (department and county heads)
plan:approve  approve a city department's plan and an inspection outside the plan (the mayor and the
              secretary-general)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.acts import plans as acts
from services.supervision.acts.people import People
from services.supervision.domain import plans as domain
from services.supervision.domain.plans import Inspection, InspectionKind, PlanState
from services.supervision.models import InspectionPlan
from services.supervision.store import plans as store
from shared import audit
from shared.convert import today_in_china
from shared.db import transaction
from shared.rpc_auth import current_actor, requires
from zgov.supervision.v1 import plans_pb2 as pb
from zgov.supervision.v1 import plans_pb2_grpc

KIND_TO_PROTO = {k: pb.InspectionKind.Value(f"INSPECTION_KIND_{k.name}") for k in InspectionKind}
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}
STATE_TO_PROTO = {s: pb.PlanState.Value(f"PLAN_STATE_{s.name}") for s in PlanState}


def inspection_from_proto(message: pb.Inspection) -> Inspection:
    return Inspection(
        message.title,
        KIND_FROM_PROTO.get(message.kind),
        tuple(c.strip() for c in message.target_codes if c.strip()),
        message.month,
    )


def plan_to_proto(plan: InspectionPlan, history=()) -> pb.InspectionPlan:
    return pb.InspectionPlan(
        id=str(plan.id),
        organiser_code=plan.organiser_code,
        year=plan.year,
        state=STATE_TO_PROTO[PlanState(plan.state)],
        approved_by_user_id=plan.approved_by_user_id,
        filed_with=list(plan.filed_with),
        history=[audit.to_proto(h) for h in history],
        inspections=[
            pb.Inspection(
                title=i["title"],
                kind=KIND_TO_PROTO[InspectionKind(i["kind"])],
                target_codes=i["target_codes"],
                month=i["month"],
                unplanned=i["unplanned"],
                approval_reason=i["approval_reason"],
                approved_by_user_id=i["approved_by_user_id"],
            )
            for i in plan.inspections
        ],
    )


class InspectionPlanServicer(plans_pb2_grpc.InspectionPlanServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        limits: domain.PlanLimits,
        people: People,
        offices: tuple[str, str],
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.limits = limits
        self.people = people
        self.offices = offices
        self.today = today

    def context(self) -> acts.PlanContext:
        return acts.PlanContext(self.today(), self.limits, self.people, self.offices)

    async def reply(self, session: AsyncSession, plan: InspectionPlan) -> pb.InspectionPlan:
        return plan_to_proto(plan, await audit.history(session, acts.ref_of(plan)))

    async def on_plan(self, plan_id: str, act) -> pb.InspectionPlan:
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            plan = await store.get_plan(session, plan_id, for_update=True)
            return await self.reply(session, await act(session, actor, plan, ctx))

    @requires("plan:write")
    async def SubmitPlan(self, request, context):
        actor = current_actor()
        inspections = [inspection_from_proto(i) for i in request.inspections]
        async with transaction(self.sessions) as session:
            plan = await acts.submit(session, actor, request.year, inspections, self.context())
            return await self.reply(session, plan)

    @requires("plan:approve")
    async def ApprovePlan(self, request, context):
        return await self.on_plan(
            request.plan_id, lambda s, a, plan, ctx: acts.approve(s, a, plan, request.opinion, ctx)
        )

    @requires("plan:write")
    async def FilePlan(self, request, context):
        return await self.on_plan(request.plan_id, lambda s, a, plan, ctx: acts.file(s, a, plan, ctx))

    @requires("plan:approve")
    async def ApproveUnplannedInspection(self, request, context):
        inspection = inspection_from_proto(request.inspection)
        return await self.on_plan(
            request.plan_id,
            lambda s, a, plan, ctx: acts.approve_unplanned(s, a, plan, inspection, request.reason, ctx),
        )

    @requires("plan:read")
    async def GetPlan(self, request, context):
        async with transaction(self.sessions) as session:
            return await self.reply(session, await store.get_plan(session, request.plan_id))

    @requires("plan:read")
    async def GetInspectionBurden(self, request, context):
        year = request.year or self.today().year
        counties = await self.people.counties()
        async with transaction(self.sessions) as session:
            plans = await store.in_force(session, year)
        counts = domain.burden([p.inspections for p in plans], counties)
        return pb.GetInspectionBurdenResponse(
            counties=[pb.CountyBurden(county_code=c, inspections=n) for c, n in counts.items()],
            total=sum(len(p.inspections) for p in plans),
            total_cap=self.limits.total_per_year,
        )
