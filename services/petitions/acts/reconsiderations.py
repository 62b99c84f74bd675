"""Acts on administrative reconsiderations (行政复议, A69): apply, accept or refuse, the respondent's
answer, the one extension, the decision, and the escalation of an overdue step.

Each act takes the caller's session, checks the rules (domain/reconsiderations.py), changes the row,
records the act (shared.audit) and adds its event (petitions.reconsideration.<event>) — all in the
caller's transaction; an act never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions.domain import reconsiderations as domain
from services.petitions.protos import reconsiderations as wire
from services.petitions.store import reconsiderations as store
from services.petitions.domain.reconsiderations import (
    Application,
    DecisionKind,
    ReconsiderationLimits,
    SimplifiedGround,
    State,
    Step,
)
from services.petitions.models import Reconsideration
from shared.audit import record_act
from shared.errors import Forbidden
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.petitions.v1 import reconsideration_events_pb2 as events_pb


# The events of this aggregate, petitions.reconsideration.<name> (deploy/nats/streams.yaml lists them).
EVENTS = {
    **dict.fromkeys(
        ("applied", "accepted", "refused", "answered", "extended", "decided"),
        events_pb.ReconsiderationStepTaken,
    ),
    "overdue": events_pb.ReconsiderationOverdue,
}


@dataclass(frozen=True)
class Context:
    calendar: WorkingCalendar
    limits: ReconsiderationLimits
    today: date
    # The reconsideration office (行政复议机构: the justice bureau for the city government).
    office_code: str


def ref_of(row: Reconsideration) -> str:
    return f"reconsideration/{row.id}"


async def _record(session: AsyncSession, row: Reconsideration, event: str, actor, reason: str = "") -> None:
    act = f"reconsideration.{event}"
    await record_act(session, ref_of(row), act, actor, reason)
    await add_event(
        session, f"petitions.reconsideration.{event}", wire.step_taken(row, act), ref_of(row), actor
    )


async def apply(
    session: AsyncSession, actor, application: Application, known_bodies: set[str], ctx: Context
) -> tuple[Reconsideration, str]:
    """An application registered (登记): by the applicant's own account, or by the office from a letter
    or a visit. Returns the row and the query code (shown once)."""
    domain.check_application(application, known_bodies, ctx.today)
    code = domain.new_query_code()
    due = domain.acceptance_due(application.received_on, ctx.limits, ctx.calendar)
    row = await store.add(
        session,
        applicant_name=application.applicant_name.strip(),
        applicant_user_id="" if actor.may("reconsideration:register") else actor.user_id,
        contested_act=application.contested_act.strip(),
        respondent_body_code=application.respondent_body_code,
        request=application.request.strip(),
        query_code_hash=domain.query_code_hash(code),
        state=State.APPLIED.value,
        received_on=application.received_on,
        acceptance_due=due.day,
    )
    await _record(session, row, "applied", actor, f"received {application.received_on.isoformat()}")
    return row, code


def _set_limits_from_acceptance(row: Reconsideration, ctx: Context) -> None:
    simplified = bool(row.simplified_ground)
    row.answer_due = domain.answer_due(row.accepted_on, simplified, ctx.limits, ctx.calendar).day
    decision = domain.decision_due(row.accepted_on, simplified, row.extension_days, ctx.limits, ctx.calendar)
    row.decision_due, row.decision_due_moved = decision.day, decision.moved


async def accept(
    session: AsyncSession,
    actor,
    row: Reconsideration,
    day: date,
    ground: SimplifiedGround | None,
    amount_yuan: int,
    ctx: Context,
) -> Reconsideration:
    """受理: the copy goes to the respondent body with it (art. 48), so its answer runs from today."""
    domain.check_state(State(row.state), "accepted", State.APPLIED)
    domain.check_simplified(ground, amount_yuan, ctx.limits)
    row.accepted_on, row.deemed_accepted = domain.acceptance_day(
        day, row.received_on, domain.Due(row.acceptance_due)
    )
    row.simplified_ground = ground.value if ground else ""
    row.state = State.ACCEPTED.value
    _set_limits_from_acceptance(row, ctx)
    await session.flush()
    how = "deemed accepted (art. 30)" if row.deemed_accepted else "accepted"
    procedure = f"simplified procedure: {ground.value}" if ground else "ordinary procedure"
    await _record(session, row, "accepted", actor, f"{how} on {row.accepted_on.isoformat()}, {procedure}")
    return row


async def refuse(
    session: AsyncSession, actor, row: Reconsideration, day: date, reason: str, ctx: Context
) -> Reconsideration:
    domain.check_state(State(row.state), "refused", State.APPLIED)
    domain.check_refusal_in_time(day, domain.Due(row.acceptance_due), reason)
    row.state, row.refusal_reason = State.REFUSED.value, reason.strip()
    await session.flush()
    await _record(session, row, "refused", actor, reason.strip())
    return row


async def answer(
    session: AsyncSession, actor, row: Reconsideration, text: str, day: date, ctx: Context
) -> Reconsideration:
    """The respondent body's written answer (书面答复), given by that body only."""
    if actor.organisation_code != row.respondent_body_code:
        raise Forbidden(
            "the written answer is given by the body whose act is contested", reason="NOT_RESPONDENT_BODY"
        )
    domain.check_state(State(row.state), "answered", State.ACCEPTED)
    if row.answered_on is not None:
        raise domain.RuleViolation(f"{domain.RULE}.answered", "the respondent body has answered already")
    domain.check_answer(text, day, row.accepted_on)
    row.answer, row.answered_on = text.strip(), day
    await session.flush()
    late = " (after its limit)" if day > row.answer_due else ""
    await _record(session, row, "answered", actor, f"answered on {day.isoformat()}{late}")
    return row


async def extend(
    session: AsyncSession, actor, row: Reconsideration, days: int, reason: str, ctx: Context
) -> Reconsideration:
    """Art. 62: once, with the reason, approved by the office's head (the holder of the permission)."""
    domain.check_state(State(row.state), "extended", State.ACCEPTED)
    domain.check_extension(
        simplified=bool(row.simplified_ground),
        extended_before=row.extension_days,
        days=days,
        reason=reason,
        limits=ctx.limits,
    )
    row.extension_days, row.extension_reason = days, reason.strip()
    _set_limits_from_acceptance(row, ctx)
    if Step.DECISION.value in row.overdue_notified:  # the new limit may be escalated again
        row.overdue_notified = [s for s in row.overdue_notified if s != Step.DECISION.value]
    await session.flush()
    await _record(
        session, row, "extended", actor, f"{days} days to {row.decision_due.isoformat()}: {reason.strip()}"
    )
    return row


async def decide(
    session: AsyncSession,
    actor,
    row: Reconsideration,
    kind: DecisionKind | None,
    reasons: str,
    remedy: str,
    day: date,
    ctx: Context,
) -> Reconsideration:
    domain.check_state(State(row.state), "decided", State.ACCEPTED)
    domain.check_decision(kind, reasons, remedy, day, row.accepted_on)
    row.decision, row.decision_reasons, row.remedy = kind.value, reasons.strip(), remedy.strip()
    row.decided_on, row.state = day, State.DECIDED.value
    await session.flush()
    late = f", after the limit of {row.decision_due.isoformat()}" if day > row.decision_due else ""
    await _record(session, row, "decided", actor, f"{kind.value} on {day.isoformat()}{late}")
    return row


async def escalate_overdue(session: AsyncSession, row: Reconsideration, ctx: Context) -> int:
    """Write `petitions.reconsideration.overdue` once for each step past its limit; returns how many."""
    steps = domain.overdue_steps(
        state=State(row.state),
        today=ctx.today,
        acceptance=row.acceptance_due,
        answer=row.answer_due,
        answered=row.answered_on is not None,
        decision=row.decision_due,
        notified=set(row.overdue_notified),
    )
    for step, due in steps:
        responsible = row.respondent_body_code if step is Step.ANSWER else ctx.office_code
        await add_event(
            session,
            "petitions.reconsideration.overdue",
            wire.overdue(row, step, due, responsible),
            ref_of(row),
        )
        await record_act(
            session,
            ref_of(row),
            "reconsideration.overdue",
            _SWEEP,
            f"{step.value} due {due.isoformat()}, escalated",
        )
    if steps:
        row.overdue_notified = [*row.overdue_notified, *(s.value for s, _ in steps)]
        await session.flush()
    return len(steps)


async def record_read(session: AsyncSession, actor, row: Reconsideration, how: str) -> None:
    await record_act(session, ref_of(row), "reconsideration.read", actor, how)


@dataclass(frozen=True)
class _Sweep:
    """The overdue sweep as the actor of its records (no person acts)."""

    user_id: str = "petitions-sweep"
    username: str = "petitions-sweep"
    display_name: str = "逾期巡检"
    positions: frozenset = frozenset()
    organisation_code: str = ""
    on_behalf_of_user_id: str | None = None
    on_behalf_of_position: str | None = None


_SWEEP = _Sweep()
