"""The acts on a supervision item: one function per act, in the caller's transaction.

Each act takes the session, the actor and its typed input, checks the rules (domain/items.py),
changes the row, records the act (A20, A26: who, when, why, and in whose place) and writes the
event. RPCs (api.py), event consumers (consumers/) and the sweep (sweep.py) all call these.
The extension of an item's due date is in acts/extensions.py, an item following its restated or
withdrawn source in acts/restatements.py, the escalation ladder in acts/escalation.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import events
from services.supervision.acts.people import People
from services.supervision.domain import escalation as ladder
from services.supervision.domain import items as domain
from services.supervision.domain.items import State
from services.supervision.models import SupervisionItem
from services.supervision.store import items as store
from shared.audit import record_act
from shared.convert import date_to_proto
from shared.errors import InvalidInput
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2

# The recorded actor of what the service does by itself (items from events, the sweep).
SYSTEM_ACTOR = common_pb2.Actor(
    user_id="supervision", username="service-account-supervision", display_name="督查督办系统"
)


@dataclass
class Context:
    """What every act needs besides the session and the actor."""

    cal: WorkingCalendar
    today: date
    limits: domain.Limits
    people: People


def body_of(actor) -> str:
    return actor.organisation_code


def required(field: str, value: str) -> str:
    if not value.strip():
        raise InvalidInput({field: "required"})
    return value.strip()


async def taken_steps(session: AsyncSession, row: SupervisionItem) -> list[str]:
    return [f"{s.step}:{s.against_due.isoformat()}" for s in await store.steps_of(session, row.id)]


async def reschedule(session: AsyncSession, row: SupervisionItem, ctx: Context) -> None:
    """The item's colour and the next day the sweep must look at it, after any change."""
    state = State(row.state)
    if state in domain.RUNNING:
        row.colour = ladder.colour(ctx.today, row.due, row.next_report_due).value
        taken = await taken_steps(session, row)
        if ladder.due_steps(ctx.today, row.due, row.next_report_due, taken, ctx.cal, ctx.limits):
            row.next_check_on = ctx.today  # something is due already: the next round takes it
        else:
            row.next_check_on = ladder.next_check_day(
                ctx.today, row.due, row.next_report_due, taken, ctx.cal, ctx.limits
            )
    else:
        row.next_check_on = None
    await session.flush()


# ---- registration and assignment ------------------------------------------------------------------


async def register(
    session: AsyncSession, actor, new: domain.NewItem, ctx: Context, *, by_hand: bool
) -> SupervisionItem | None:
    """立项: a new item with its number; None when its source already made one (a redelivered or
    replayed event, or the same finding entered twice)."""
    domain.check_new_item(new, ctx.today, by_hand=by_hand)
    for code in (new.lead_body_code, *new.co_body_codes):
        if code and not await ctx.people.known_body(code):
            raise InvalidInput(
                {
                    "lead_body_code"
                    if code == new.lead_body_code
                    else "co_body_codes": f"no organisation with code {code!r}"
                }
            )
    item_id = uuid.uuid4()
    # The source first: its primary key makes a second delivery wait for the first and then do nothing.
    if not await store.claim_source(session, new.source_service, new.source_ref, item_id):
        return None
    due, provisional = new.due, False
    if due is None and new.kind not in (domain.Kind.MEETING_DECISION, domain.Kind.MAJOR_DECISION):
        due, provisional = domain.default_due(ctx.cal, ctx.today, new.urgency, ctx.limits)
    elif due is not None:
        provisional = ctx.cal.provisional_between(ctx.today, due)
    year = ctx.today.year
    sequence = await store.next_number(session, year)
    row = await store.add_item(
        session,
        id=item_id,
        year=year,
        sequence=sequence,
        number=domain.item_number(year, sequence),
        kind=new.kind.value,
        state=State.REGISTERED.value,
        colour=domain.Colour.GREEN.value,
        source_service=new.source_service,
        source_ref=new.source_ref,
        source_reference=new.source_reference,
        earlier_sources=[],
        title=new.title.strip(),
        requirement=new.requirement.strip(),
        urgency=new.urgency.value,
        cadence=new.cadence.value,
        finding_source=new.finding_source.value if new.finding_source else "",
        instructing_leader_user_id=new.instructing_leader_user_id,
        instructed_by_acting_user_id=new.instructed_by_acting_user_id,
        co_body_codes=[],
        registered_on=ctx.today,
        due=due,
        due_provisional=provisional,
        reports=[],
        objections=[],
        co_opinions=[],
        completion={},
        verifications=[],
        extensions=[],
        rechecks=[],
        evaluations=[],
    )
    await record_act(
        session,
        events.ref_of(row),
        "item.registered",
        actor,
        f"{row.number} {new.kind.value} from {new.source_service} {new.source_reference or new.source_ref}",
    )
    await events.publish(session, "registered", row, actor)
    if new.lead_body_code:
        await assign(
            session, actor, row, new.lead_body_code, new.co_body_codes, None, "assigned on registration", ctx
        )
    return row


async def assign(
    session: AsyncSession,
    actor,
    row: SupervisionItem,
    lead: str,
    co_bodies,
    due: date | None,
    reason: str,
    ctx: Context,
) -> SupervisionItem:
    """交办: one lead body whose head is first responsible (A60), co-bodies, the supervising leader."""
    domain.check_transition("assign", State(row.state))
    co_bodies = [c.strip() for c in co_bodies if c.strip()]
    domain.check_assignment(lead, co_bodies)
    for code in (lead, *co_bodies):
        if not await ctx.people.known_body(code):
            raise InvalidInput(
                {"lead_body_code" if code == lead else "co_body_codes": f"no organisation with code {code!r}"}
            )
    if due is not None:
        if due <= ctx.today:
            raise InvalidInput({"due": "must be after today"})
        row.due, row.due_provisional = due, ctx.cal.provisional_between(ctx.today, due)
    row.lead_body_code = lead
    row.co_body_codes = co_bodies
    row.first_responsible_user_id = await ctx.people.head_of(lead)
    row.supervising_leader_user_id = await ctx.people.supervising_leader(lead)
    row.assigned_on = ctx.today
    row.acknowledge_due = ctx.cal.add_working_days(ctx.today, ctx.limits.acknowledge_days).due
    row.next_report_due = domain.first_report_due(
        domain.Kind(row.kind), ctx.today, domain.Cadence(row.cadence), ctx.cal, ctx.limits
    )
    row.co_opinions = []
    row.state = State.ASSIGNED.value
    await reschedule(session, row, ctx)
    await record_act(
        session,
        events.ref_of(row),
        "item.assigned",
        actor,
        f"lead {lead}, first responsible {row.first_responsible_user_id or 'vacant'}, "
        f"co-bodies {', '.join(co_bodies) or 'none'}; {reason}".strip(),
    )
    await events.publish(
        session,
        "assigned",
        row,
        actor,
        first_responsible_user_id=row.first_responsible_user_id,
        acknowledge_due=date_to_proto(row.acknowledge_due),
    )
    return row


# ---- the lead body and its co-bodies --------------------------------------------------------------


async def acknowledge(
    session: AsyncSession, actor, row: SupervisionItem, note: str, ctx: Context
) -> SupervisionItem:
    domain.check_transition("acknowledge", State(row.state))
    domain.check_lead_body(body_of(actor), row.lead_body_code, "acknowledge the assignment")
    row.state = State.ACKNOWLEDGED.value
    await reschedule(session, row, ctx)
    await record_act(session, events.ref_of(row), "item.acknowledged", actor, note.strip())
    await events.publish(session, "acknowledged", row, actor)
    return row


async def object_to(
    session: AsyncSession, actor, row: SupervisionItem, reason: str, ctx: Context
) -> SupervisionItem:
    """The lead body objects with reasons within the limit; the office reassigns."""
    domain.check_transition("object", State(row.state))
    domain.check_lead_body(body_of(actor), row.lead_body_code, "object to the assignment")
    reason = required("reason", reason)
    domain.check_objection_in_time(ctx.today, row.acknowledge_due)
    row.objections = [
        *row.objections,
        {"body_code": row.lead_body_code, "reason": reason, "objected_on": ctx.today.isoformat()},
    ]
    row.state = State.OBJECTED.value
    await reschedule(session, row, ctx)
    await record_act(session, events.ref_of(row), "item.objected", actor, reason)
    await events.publish(session, "objected", row, actor, reason=reason)
    return row


async def report(
    session: AsyncSession, actor, row: SupervisionItem, text: str, ctx: Context
) -> SupervisionItem:
    """限期报告: a progress report; the lead body's report answers the due report and sets the next."""
    domain.check_transition("report", State(row.state))
    body = body_of(actor)
    domain.check_involved(body, row.lead_body_code, row.co_body_codes)
    text = required("text", text)
    answered = row.next_report_due
    row.reports = [
        *row.reports,
        {
            "body_code": body,
            "text": text,
            "reported_on": ctx.today.isoformat(),
            "for_due": answered.isoformat() if answered else "",
            "reported_by_user_id": actor.user_id,
        },
    ]
    if body == row.lead_body_code:
        after = max(ctx.today, answered) if answered else ctx.today
        row.next_report_due = domain.periodic_report_due(after, domain.Cadence(row.cadence), ctx.limits)
    await reschedule(session, row, ctx)
    await record_act(session, events.ref_of(row), "item.reported", actor, text[:200])
    await events.publish(session, "reported", row, actor, body_code=body)
    return row


async def give_co_opinion(
    session: AsyncSession, actor, row: SupervisionItem, opinion: str, ctx: Context
) -> SupervisionItem:
    domain.check_transition("co-opinion", State(row.state))
    body = body_of(actor)
    domain.check_co_body(body, row.co_body_codes)
    opinion = required("opinion", opinion)
    kept = [o for o in row.co_opinions if o["body_code"] != body]
    row.co_opinions = [*kept, {"body_code": body, "opinion": opinion, "given_on": ctx.today.isoformat()}]
    await session.flush()
    await record_act(session, events.ref_of(row), "item.co-opinion", actor, opinion[:200])
    return row


async def claim_completion(
    session: AsyncSession, actor, row: SupervisionItem, claim: domain.Claim, ctx: Context
) -> SupervisionItem:
    """申请办结: by the lead body only (A60), with every co-body's opinion, evidence of work done
    (A76) and, for a major decision, the assessment of its effect (A29)."""
    domain.check_transition("claim", State(row.state))
    domain.check_lead_body(body_of(actor), row.lead_body_code, "claim completion")
    domain.check_claim(
        claim, domain.Kind(row.kind), row.co_body_codes, [o["body_code"] for o in row.co_opinions]
    )
    verify_due = ctx.cal.add_working_days(ctx.today, ctx.limits.verify_days).due
    row.completion = {
        "summary": claim.summary.strip(),
        "evidence": [
            {"kind": e.kind.value, "description": e.description.strip(), "ref": e.ref.strip()}
            for e in claim.evidence
        ],
        "assessment": {
            "effect": claim.assessment.effect.strip(),
            "public_opinion": claim.assessment.public_opinion.strip(),
            "adjustment_proposals": claim.assessment.adjustment_proposals.strip(),
        },
        "claimed_on": ctx.today.isoformat(),
        "verify_due": verify_due.isoformat(),
    }
    row.state = State.COMPLETION_CLAIMED.value
    await reschedule(session, row, ctx)
    await record_act(
        session, events.ref_of(row), "item.completion-claimed", actor, claim.summary.strip()[:200]
    )
    await events.publish(session, "completion-claimed", row, actor, verify_due=date_to_proto(verify_due))
    return row


# ---- verification, re-check, evaluation (A61) -----------------------------------------------------


async def verify(
    session: AsyncSession,
    actor,
    row: SupervisionItem,
    outcome: domain.Outcome,
    opinion: str,
    rectification: str,
    rectification_due: date | None,
    ctx: Context,
) -> SupervisionItem:
    """核查: close (销号), return to the lead body, or order rectification (督促整改)."""
    domain.check_transition("verify", State(row.state))
    opinion = required("opinion", opinion)
    if outcome is domain.Outcome.RECTIFY:
        domain.check_rectification(rectification, rectification_due, ctx.today)
    row.verifications = [
        *row.verifications,
        {
            "outcome": outcome.value,
            "opinion": opinion,
            "verified_on": ctx.today.isoformat(),
            "verified_by_user_id": actor.user_id,
            "rectification_requirement": rectification.strip(),
        },
    ]
    if outcome is domain.Outcome.CLOSE:
        row.state = State.CLOSED.value
    elif outcome is domain.Outcome.RETURN:
        row.state = State.ACKNOWLEDGED.value
        row.co_opinions = []  # the co-bodies give their opinion again on the next claim
    else:
        await _order_rectification(row, rectification_due, ctx)
    await reschedule(session, row, ctx)
    await record_act(session, events.ref_of(row), f"item.verified.{outcome.value}", actor, opinion)
    await events.publish(session, "verified", row, actor, outcome=events.OUTCOME_TO_PROTO[outcome])
    return row


async def _order_rectification(row: SupervisionItem, due: date, ctx: Context) -> None:
    row.state = State.RECTIFYING.value
    row.due, row.due_provisional = due, ctx.cal.provisional_between(ctx.today, due)
    row.co_opinions = []


async def recheck(
    session: AsyncSession,
    actor,
    row: SupervisionItem,
    outcome: domain.RecheckOutcome,
    opinion: str,
    rectification_due: date | None,
    ctx: Context,
) -> SupervisionItem:
    """复核 of a closed item; a result that did not hold is rectified."""
    domain.check_transition("recheck", State(row.state))
    opinion = required("opinion", opinion)
    if outcome is domain.RecheckOutcome.RECTIFY:
        domain.check_rectification(opinion, rectification_due, ctx.today)
        await _order_rectification(row, rectification_due, ctx)
    row.rechecks = [
        *row.rechecks,
        {"outcome": outcome.value, "opinion": opinion, "rechecked_on": ctx.today.isoformat()},
    ]
    await reschedule(session, row, ctx)
    await record_act(session, events.ref_of(row), f"item.rechecked.{outcome.value}", actor, opinion)
    await events.publish(session, "rechecked", row, actor, outcome=events.RECHECK_TO_PROTO[outcome])
    return row


async def attach_evaluation(
    session: AsyncSession,
    actor,
    row: SupervisionItem,
    evaluator: str,
    conclusion: str,
    rating: str,
    evaluated_on: date | None,
    ctx: Context,
) -> SupervisionItem:
    """第三方评估 (A61): an outside evaluator's conclusion kept with the item."""
    domain.check_transition("evaluate", State(row.state))
    evaluator, conclusion = required("evaluator", evaluator), required("conclusion", conclusion)
    day = evaluated_on or ctx.today
    if day > ctx.today:
        raise InvalidInput({"evaluated_on": "must not be in the future"})
    row.evaluations = [
        *row.evaluations,
        {
            "evaluator": evaluator,
            "conclusion": conclusion,
            "rating": rating.strip(),
            "evaluated_on": day.isoformat(),
        },
    ]
    await session.flush()
    await record_act(session, events.ref_of(row), "item.evaluated", actor, f"{evaluator}: {conclusion[:150]}")
    await events.publish(session, "evaluated", row, actor)
    return row
