"""Acts on accountability cases (A72, A76): propose (by the ladder or the office), refer, record the
outcome, exempt under 容错纠错. The case names the body and the person who held its head's position
that day (or acted for that person); its timeline is the item's recorded acts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts.items import Context
from services.supervision.domain import accountability as domain
from services.supervision.domain.accountability import CaseState, Ground
from services.supervision.models import AccountabilityCase, SupervisionItem
from services.supervision.protos import ACCOUNTABILITY_STATE_TO_PROTO as STATE_TO_PROTO
from services.supervision.protos import GROUND_TO_PROTO  # noqa: F401  (named as accountability.GROUND_TO_PROTO)
from services.supervision.store import accountability as store
from shared.audit import record_act
from shared.errors import RuleViolation
from shared.outbox import add_event
from zgov.supervision.v1 import events_pb2


def ref_of(case: AccountabilityCase) -> str:
    return f"accountability/{case.id}"


async def _publish(session: AsyncSession, case: AccountabilityCase, number: str, actor) -> None:
    state = CaseState(case.state)
    payload = events_pb2.AccountabilityChanged(
        case_id=str(case.id),
        item_id=str(case.item_id),
        item_number=number,
        state=STATE_TO_PROTO[state],
        body_code=case.body_code,
        responsible_user_id=case.responsible_user_id,
    )
    await add_event(session, f"supervision.accountability.{state.value}", payload, ref_of(case), actor)


async def propose(
    session: AsyncSession,
    actor,
    item: SupervisionItem,
    ground: Ground,
    reason: str,
    responsible_user_id: str,
    ctx: Context,
    *,
    acting_for: str = "",
) -> AccountabilityCase | None:
    """建议问责, once per item and due date (None when proposed before)."""
    against = item.due or ctx.today
    case = await store.add_case(
        session,
        item.id,
        against,
        ground=ground.value,
        state=CaseState.PROPOSED.value,
        body_code=item.lead_body_code,
        responsible_user_id=responsible_user_id,
        responsible_acting_for_user_id=acting_for,
        proposed_on=ctx.today,
        reason=reason,
    )
    if case is None:
        return None
    await record_act(
        session,
        ref_of(case),
        "accountability.proposed",
        actor,
        f"{item.number} {ground.value}: {item.lead_body_code} "
        f"{responsible_user_id or 'head vacant'}; {reason}",
    )
    await _publish(session, case, item.number, actor)
    return case


async def propose_for_neglect(
    session: AsyncSession, actor, item: SupervisionItem, reason: str, ctx: Context
) -> AccountabilityCase:
    """The office finds an item neglected (推诿、拖延, A76) and proposes a case."""
    reason = domain.required("reason", reason)
    if not item.lead_body_code:
        raise RuleViolation("A72", f"{item.number} has no lead body to hold to account")
    head = await ctx.people.head_of(item.lead_body_code)
    case = await propose(session, actor, item, Ground.NEGLECTED, reason, head, ctx)
    if case is None:
        raise RuleViolation(
            "A72.once", f"a case about {item.number} and its due date {item.due} exists already"
        )
    return case


async def refer(
    session: AsyncSession,
    actor,
    case: AccountabilityCase,
    referred_to: str,
    reason: str,
    number: str,
    ctx: Context,
) -> AccountabilityCase:
    domain.check_case_transition("refer", CaseState(case.state))
    case.referred_to = domain.required("referred_to", referred_to)
    case.referred_on = ctx.today
    case.state = CaseState.REFERRED.value
    await session.flush()
    await record_act(
        session, ref_of(case), "accountability.referred", actor, f"{case.referred_to}; {reason.strip()}"
    )
    await _publish(session, case, number, actor)
    return case


async def record_outcome(
    session: AsyncSession, actor, case: AccountabilityCase, outcome: str, number: str, ctx: Context
) -> AccountabilityCase:
    domain.check_case_transition("decide", CaseState(case.state))
    case.outcome = domain.required("outcome", outcome)
    case.decided_on = ctx.today
    case.state = CaseState.DECIDED.value
    await session.flush()
    await record_act(session, ref_of(case), "accountability.decided", actor, case.outcome)
    await _publish(session, case, number, actor)
    return case


async def exempt(
    session: AsyncSession, actor, case: AccountabilityCase, reason: str, number: str, ctx: Context
) -> AccountabilityCase:
    domain.check_case_transition("exempt", CaseState(case.state))
    case.exemption_reason = domain.check_exemption(reason)
    case.decided_on = ctx.today
    case.state = CaseState.EXEMPTED.value
    await session.flush()
    await record_act(session, ref_of(case), "accountability.exempted", actor, case.exemption_reason)
    await _publish(session, case, number, actor)
    return case
