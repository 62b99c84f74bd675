"""Acts on yearly inspection plans (A63): submit, approve (city departments), file (counties), and the
one-by-one approval of an inspection outside the plan (一事一报)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts.people import People
from services.supervision.domain import plans as domain
from services.supervision.domain.plans import Inspection, PlanState
from services.supervision.models import InspectionPlan
from services.supervision.store import plans as store
from shared.audit import record_act
from shared.errors import InvalidInput


@dataclass
class PlanContext:
    today: date
    limits: domain.PlanLimits
    people: People
    offices: tuple[str, str]  # the performance office and the supervision office


def ref_of(plan: InspectionPlan) -> str:
    return f"plan/{plan.id}"


async def _in_force_count(session: AsyncSession, year: int) -> int:
    await store.lock_year(session, year)
    return sum(len(p.inspections) for p in await store.in_force(session, year))


async def submit(
    session: AsyncSession, actor, year: int, inspections: list[Inspection], ctx: PlanContext
) -> InspectionPlan:
    """The caller's organisation submits (or, before approval, resubmits) its plan of `year`."""
    if not ctx.today.year <= year <= ctx.today.year + 1:
        raise InvalidInput({"year": f"this year or the next ({ctx.today.year}, {ctx.today.year + 1})"})
    organiser = actor.organisation_code
    kind = await ctx.people.organisation_kind(organiser)
    domain.check_inspections(inspections, await ctx.people.organisation_codes())
    domain.check_department_targets(kind, inspections, await ctx.people.counties())
    domain.check_comprehensive_cap(inspections, ctx.limits)
    rows = [i.as_row() for i in inspections]
    plan = await store.plan_of(session, organiser, year)
    if plan is None:
        plan = await store.add_plan(
            session,
            organiser_code=organiser,
            organiser_kind=kind,
            year=year,
            state=PlanState.SUBMITTED.value,
            inspections=rows,
            filed_with=[],
        )
    else:
        domain.check_plan_transition("submit", PlanState(plan.state), kind)
        plan.inspections = rows
        await session.flush()
    await record_act(session, ref_of(plan), "plan.submitted", actor, f"{year}: {len(rows)} inspections")
    return plan


async def approve(
    session: AsyncSession, actor, plan: InspectionPlan, opinion: str, ctx: PlanContext
) -> InspectionPlan:
    domain.check_plan_transition("approve", PlanState(plan.state), plan.organiser_kind)
    domain.check_total(await _in_force_count(session, plan.year), len(plan.inspections), ctx.limits)
    plan.state = PlanState.APPROVED.value
    plan.approved_by_user_id = actor.user_id
    await session.flush()
    await record_act(session, ref_of(plan), "plan.approved", actor, opinion.strip())
    return plan


async def file(session: AsyncSession, actor, plan: InspectionPlan, ctx: PlanContext) -> InspectionPlan:
    """A county's plan filed with the performance office and the supervision office (备案)."""
    if actor.organisation_code != plan.organiser_code:
        raise InvalidInput({"plan_id": "a county files its own plan"})
    domain.check_plan_transition("file", PlanState(plan.state), plan.organiser_kind)
    domain.check_total(await _in_force_count(session, plan.year), len(plan.inspections), ctx.limits)
    plan.state = PlanState.FILED.value
    plan.filed_with = list(ctx.offices)
    await session.flush()
    await record_act(session, ref_of(plan), "plan.filed", actor, ", ".join(ctx.offices))
    return plan


async def approve_unplanned(
    session: AsyncSession, actor, plan: InspectionPlan, inspection: Inspection, reason: str, ctx: PlanContext
) -> InspectionPlan:
    """一事一报: one inspection outside the plan, approved on its own, with its reason."""
    if not reason.strip():
        raise InvalidInput({"reason": "required: why this inspection cannot wait for next year's plan"})
    domain.check_plan_transition("unplanned", PlanState(plan.state), plan.organiser_kind)
    domain.check_inspections([inspection], await ctx.people.organisation_codes(), field="inspection")
    approved = Inspection(
        inspection.title,
        inspection.kind,
        inspection.target_codes,
        inspection.month,
        unplanned=True,
        approval_reason=reason.strip(),
        approved_by_user_id=actor.user_id,
    )
    domain.check_comprehensive_cap([*map(domain.inspection_of, plan.inspections), approved], ctx.limits)
    domain.check_total(await _in_force_count(session, plan.year), 1, ctx.limits)
    plan.inspections = [*plan.inspections, approved.as_row()]
    await session.flush()
    await record_act(session, ref_of(plan), "plan.unplanned-approved", actor, f"{inspection.title}: {reason}")
    return plan
