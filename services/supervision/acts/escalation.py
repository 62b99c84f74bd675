"""The escalation act (督办升级): the steps of the ladder an item has reached, each taken once.

5 working days before the due date the lead body is warned, 1 day before reminded; a missed
report turns the item yellow; past due it is red and a reminder (催办) goes to the lead body's
head; 5 working days past due it goes to the supervising leader or whoever acts for that leader
today (A10, A59); 10 days to the mayor (or the acting mayor) and into the next circular; 20 days
an accountability case is proposed (A72, A76) — naming the body and the person who held its
head's position that day. A step is a row of `escalation` with a unique (item, step, due date):
a second round or a second replica finds it there and does nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import accountability, events
from services.supervision.acts.items import SYSTEM_ACTOR, Context, reschedule, taken_steps
from services.supervision.acts.people import StandIn
from services.supervision.domain import escalation as ladder
from services.supervision.domain import items as domain
from services.supervision.domain.accountability import Ground
from services.supervision.domain.items import State, Step
from services.supervision.models import SupervisionItem
from services.supervision.store import items as store
from shared.audit import record_act
from shared.convert import date_to_proto
from zgov.supervision.v1 import supervision_pb2 as pb

# Steps addressed to the lead body only; the others name a person as well.
TO_BODY = frozenset({Step.WARNED, Step.REMINDED, Step.REPORT_MISSED})


async def recipient(row: SupervisionItem, step: Step, ctx: Context) -> tuple[str, StandIn]:
    """(body, person) the step goes to, as things stand today."""
    if step in TO_BODY:
        return row.lead_body_code, StandIn("")
    if step is Step.URGED or step is Step.ACCOUNTABILITY_PROPOSED:
        # the head today: the one who held the responsible position when the item was neglected
        return row.lead_body_code, StandIn(await ctx.people.head_of(row.lead_body_code))
    if step is Step.TO_SUPERVISING_LEADER:
        leader = row.supervising_leader_user_id or await ctx.people.mayor()
        return "", await ctx.people.stand_in(leader, ctx.today)
    return "", await ctx.people.stand_in(await ctx.people.mayor(), ctx.today)


async def escalate(session: AsyncSession, row: SupervisionItem, ctx: Context) -> int:
    """Take the steps due by today that were not taken yet; returns how many were taken."""
    if State(row.state) not in domain.RUNNING:
        await reschedule(session, row, ctx)
        return 0
    taken = 0
    for due_step in ladder.due_steps(
        ctx.today, row.due, row.next_report_due, await taken_steps(session, row), ctx.cal, ctx.limits
    ):
        body, person = await recipient(row, due_step.step, ctx)
        if not await store.record_step(
            session,
            row.id,
            due_step.step.value,
            due_step.against,
            ctx.today,
            recipient_body_code=body,
            recipient_user_id=person.user_id,
            recipient_acting_for_user_id=person.acting_for_user_id,
        ):
            continue
        taken += 1
        acting = f" acting for {person.acting_for_user_id}" if person.acting_for_user_id else ""
        await record_act(
            session,
            events.ref_of(row),
            f"item.escalated.{due_step.step.value}",
            SYSTEM_ACTOR,
            f"due {due_step.against}: to {body or '-'} {person.user_id or ''}{acting}".strip(),
        )
        escalation = pb.Escalation(
            step=events.STEP_TO_PROTO[due_step.step],
            on=date_to_proto(ctx.today),
            recipient_body_code=body,
            recipient_user_id=person.user_id,
            recipient_acting_for_user_id=person.acting_for_user_id,
            against_due=date_to_proto(due_step.against),
        )
        row.colour = ladder.colour(ctx.today, row.due, row.next_report_due).value
        await events.publish(session, "escalated", row, SYSTEM_ACTOR, escalation=escalation)
        if due_step.step is Step.ACCOUNTABILITY_PROPOSED:
            days = ctx.limits.accountability_days_after
            reason = f"{days} working days past the due date {due_step.against}"
            await accountability.propose(
                session,
                SYSTEM_ACTOR,
                row,
                Ground.OVERDUE,
                reason,
                person.user_id,
                ctx,
                acting_for=person.acting_for_user_id,
            )
    await reschedule(session, row, ctx)
    return taken
