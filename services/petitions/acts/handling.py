"""A case handled: the bureau's triage (受理, transfer, the legal route, not accepted), the assigned
body's acts (accept and tell the plan, object to the assignment, extend once, reply), and review and
re-review (复查, 复核) by the body one level up."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions import domain
from services.petitions.store import cases as store
from services.petitions.acts import Env, ReadRefused, aggregate_ref, publish, reader
from services.petitions.acts.reads import reply_of
from services.petitions.limits import last_answer_on, set_limit, triage_start
from services.petitions.models import PetitionCase
from services.petitions.protos.cases import LEVEL_TO_PROTO, ROUTE_TO_PROTO
from shared import audit
from shared.convert import date_to_proto, today_in_china
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from zgov.petitions.v1 import petitions_pb2


async def case_for_bureau_act(session: AsyncSession, case_id: str, actor: Actor) -> PetitionCase:
    """The case, for an act of the bureau (or of a reviewing body); refused, saying nothing of the
    case's state, when the caller's organisation is the body complained about (A71)."""
    row = await store.get_case(session, case_id, for_update=True)
    if actor.organisation_code and actor.organisation_code == row.body_complained_about:
        raise ReadRefused(case_id, "case.act.denied")
    return row


async def handled_case(session: AsyncSession, case_id: str, actor: Actor) -> PetitionCase:
    """The case, for an act of the body it is assigned to (the bureau does not act in its place)."""
    row = await store.get_case(session, case_id, for_update=True)
    if not actor.organisation_code or actor.organisation_code != row.handling_body_code:
        raise Forbidden("only the body the case is assigned to acts on it", reason="NOT_ASSIGNED_BODY")
    return row


async def _changed(
    session: AsyncSession, env: Env, row: PetitionCase, act: str, actor: Actor, reason: str = ""
) -> None:
    """The limit that now runs put on the row, flushed, the act recorded."""
    set_limit(row, env.calendar)
    await session.flush()
    await audit.record_act(session, aggregate_ref(row), act, actor, reason)


# ---- triage by the bureau ----------------------------------------------------------------------


async def triage(
    session: AsyncSession, actor: Actor, env: Env, case_id: str, decision: domain.Triage, on: date
) -> petitions_pb2.Case:
    row = await case_for_bureau_act(session, case_id, actor)
    earlier_state = None
    if row.repeat_of_case_id:
        first = await store.get_case(session, str(row.repeat_of_case_id))
        earlier_state = domain.CaseState(first.state)
    domain.check_triage(
        decision,
        state=domain.CaseState(row.state),
        body_complained_about=row.body_complained_about,
        earlier_state=earlier_state,
        triaged_on=on,
        received_on=triage_start(row),
        today=today_in_china(),
    )
    row.triaged_on = on
    row.triage_notice = decision.notice
    row.new_facts_and_reasons = decision.new_facts_and_reasons
    outcome = decision.outcome
    if outcome is domain.TriageOutcome.ACCEPT_AND_ASSIGN:
        row.state = domain.CaseState.ASSIGNED.value
        row.handling_body_code = decision.handling_body_code
        row.assigned_on = on
    elif outcome is domain.TriageOutcome.TRANSFER:
        row.state = domain.CaseState.TRANSFERRED.value
        row.transferred_to = decision.transfer_to
    elif outcome is domain.TriageOutcome.LEGAL_ROUTE:
        row.state = domain.CaseState.LEGAL_ROUTE.value
        row.legal_route = decision.legal_route.value
    else:
        row.state = domain.CaseState.NOT_ACCEPTED.value
    await _changed(
        session, env, row, f"case.{outcome.value}", actor, decision.notice or decision.handling_body_code
    )
    if outcome is domain.TriageOutcome.ACCEPT_AND_ASSIGN:
        await publish(session, "assigned", row, actor, acknowledgement_due=date_to_proto(row.current_due))
    elif outcome is domain.TriageOutcome.TRANSFER:
        await publish(session, "transferred", row, actor, transferred_to=row.transferred_to)
    elif outcome is domain.TriageOutcome.LEGAL_ROUTE:
        await publish(session, "legal-route", row, actor, legal_route=ROUTE_TO_PROTO[decision.legal_route])
    else:
        rule = "A71.no-third-time" if earlier_state is domain.CaseState.RE_REVIEWED else ""
        await publish(session, "not-accepted", row, actor, rule_id=rule)
    return await reply_of(session, env, row, actor)


# ---- the assigned body -----------------------------------------------------------------------------


async def acknowledge(
    session: AsyncSession, actor: Actor, env: Env, case_id: str, *, on: date, handling_plan: str
) -> petitions_pb2.Case:
    """The body accepts (受理) and tells the petitioner how it will handle the case."""
    row = await handled_case(session, case_id, actor)
    domain.check_acknowledgement(
        state=domain.CaseState(row.state),
        assigned_on=row.assigned_on,
        acknowledged_on=on,
        today=today_in_china(),
        handling_plan=handling_plan,
    )
    row.state = domain.CaseState.IN_HANDLING.value
    row.accepted_on = on
    row.handling_plan = handling_plan.strip()
    await _changed(session, env, row, "case.accepted", actor, row.handling_plan)
    await publish(session, "accepted", row, actor, handling_due=date_to_proto(row.current_due))
    return await reply_of(session, env, row, actor)


async def object_to_assignment(
    session: AsyncSession, actor: Actor, env: Env, case_id: str, *, on: date, reason: str
) -> petitions_pb2.Case:
    row = await handled_case(session, case_id, actor)
    domain.check_objection(
        state=domain.CaseState(row.state),
        assigned_on=row.assigned_on,
        objected_on=on,
        today=today_in_china(),
        reason=reason,
        objection_due=domain.objection_deadline(row.assigned_on, env.calendar),
    )
    body = row.handling_body_code
    row.objections = [
        *row.objections,
        {"body_code": body, "reason": reason.strip(), "objected_on": on.isoformat()},
    ]
    row.state = domain.CaseState.REGISTERED.value
    row.handling_body_code = ""
    row.assigned_on = None
    await _changed(session, env, row, "case.objected", actor, reason.strip())
    await publish(session, "objected", row, actor, body_code=body)
    # The body is no longer assigned: from now on it sees no identity.
    return await reply_of(session, env, row, actor, domain.View.REDACTED)


async def extend(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    case_id: str,
    *,
    days: int,
    reason: str,
    notice: date | None,
) -> petitions_pb2.Case:
    """Approved by the handling body's head (who holds petition:extend), once, ≤ 30 days."""
    row = await handled_case(session, case_id, actor)
    handling_due = (
        domain.handling_deadline(row.accepted_on, env.calendar).due if row.accepted_on else today_in_china()
    )
    domain.check_extension(
        state=domain.CaseState(row.state),
        already_extended=row.extension_days > 0,
        days=days,
        reason=reason,
        notice_sent_on=notice,
        handling_due=handling_due,
        accepted_on=row.accepted_on or today_in_china(),
        today=today_in_china(),
    )
    row.extension_days = days
    row.extension_reason = reason.strip()
    row.extension_approved_by = actor.user_id
    row.extension_notice_on = notice
    await _changed(session, env, row, "case.extended", actor, row.extension_reason)
    await publish(session, "extended", row, actor, days=days, handling_due=date_to_proto(row.current_due))
    return await reply_of(session, env, row, actor)


async def reply(
    session: AsyncSession, actor: Actor, env: Env, case_id: str, *, on: date, text: str
) -> petitions_pb2.Case:
    row = await handled_case(session, case_id, actor)
    domain.check_reply(
        state=domain.CaseState(row.state),
        accepted_on=row.accepted_on or on,
        replied_on=on,
        today=today_in_china(),
        reply=text,
    )
    late = domain.is_overdue(row.current_due, on)
    row.state = domain.CaseState.REPLIED.value
    row.replied_on = on
    row.reply = text.strip()
    await _changed(session, env, row, "case.replied", actor)
    await publish(session, "replied", row, actor, replied_on=date_to_proto(on), late=late)
    return await reply_of(session, env, row, actor)


# ---- review and re-review --------------------------------------------------------------------------


async def request_review(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    case_id: str,
    *,
    on: date,
    reviewing_body_code: str,
    reason: str,
) -> petitions_pb2.Case:
    """The bureau records the petitioner's request and the body one level up that answers it."""
    body = reviewing_body_code
    row = await case_for_bureau_act(session, case_id, actor)
    level = domain.check_review_request(
        state=domain.CaseState(row.state),
        answered_on=last_answer_on(row) or on,
        requested_on=on,
        today=today_in_china(),
        reviewing_body_code=body,
        earlier_bodies=[row.handling_body_code, *row.reviewing_body_codes],
        body_complained_about=row.body_complained_about,
        cal=env.calendar,
    )
    row.reviews = [
        *row.reviews,
        {
            "level": level.value,
            "reviewing_body_code": body,
            "requested_on": on.isoformat(),
            "reason": reason.strip(),
        },
    ]
    row.reviewing_body_codes = [*row.reviewing_body_codes, body]
    row.state = (
        domain.CaseState.UNDER_REVIEW
        if level is domain.ReviewLevel.REVIEW
        else domain.CaseState.UNDER_RE_REVIEW
    ).value
    await _changed(session, env, row, f"case.{level.value}-requested", actor, reason.strip())
    await publish(
        session,
        "review-requested",
        row,
        actor,
        level=LEVEL_TO_PROTO[level],
        reviewing_body_code=body,
        answer_due=date_to_proto(row.current_due),
    )
    return await reply_of(session, env, row, actor)


async def decide_review(
    session: AsyncSession, actor: Actor, env: Env, case_id: str, *, on: date, opinion: str
) -> petitions_pb2.Case:
    """The reviewing body's opinion; the bureau may record one given by a body outside the city."""
    row = await case_for_bureau_act(session, case_id, actor)
    state = domain.CaseState(row.state)
    pending = row.reviews[-1] if row.reviews else None
    under_review = state in (domain.CaseState.UNDER_REVIEW, domain.CaseState.UNDER_RE_REVIEW)
    if pending is None or not under_review:
        raise InvalidInput({"case_id": f"the case is {state.value}; no review is pending"})
    if actor.organisation_code != pending["reviewing_body_code"] and not reader(env, actor).is_bureau:
        raise Forbidden("the body asked to review gives the opinion", reason="NOT_REVIEWING_BODY")
    domain.check_review_decision(
        state=state,
        requested_on=date.fromisoformat(pending["requested_on"]),
        decided_on=on,
        today=today_in_china(),
        opinion=opinion,
    )
    row.reviews = [*row.reviews[:-1], {**pending, "decided_on": on.isoformat(), "opinion": opinion.strip()}]
    level = domain.ReviewLevel(pending["level"])
    row.state = (
        domain.CaseState.REVIEWED if level is domain.ReviewLevel.REVIEW else domain.CaseState.RE_REVIEWED
    ).value
    await _changed(session, env, row, f"case.{level.value}ed", actor)
    await publish(
        session,
        "reviewed",
        row,
        actor,
        level=LEVEL_TO_PROTO[level],
        reviewing_body_code=pending["reviewing_body_code"],
    )
    return await reply_of(session, env, row, actor)
