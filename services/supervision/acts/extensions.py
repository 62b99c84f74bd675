"""The acts on a supervision item's extension (延期, A61): the lead body asks before the due date, the
instructing leader (else the supervising leader) or whoever acts for that leader today decides (A10,
A59). In the caller's transaction, like every act (acts/items.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import events
from services.supervision.acts.items import Context, body_of, required, reschedule
from services.supervision.domain import items as domain
from services.supervision.domain.items import State
from services.supervision.models import SupervisionItem
from shared.audit import record_act
from shared.errors import RuleViolation


def _pending_extension(row: SupervisionItem) -> dict | None:
    return next((e for e in row.extensions if not e["decided"]), None)


async def request_extension(
    session: AsyncSession, actor, row: SupervisionItem, requested_due: date | None, reason: str, ctx: Context
) -> SupervisionItem:
    domain.check_transition("request-extension", State(row.state))
    domain.check_lead_body(body_of(actor), row.lead_body_code, "ask for an extension")
    reason = required("reason", reason)
    domain.check_extension_request(ctx.today, row.due, requested_due, _pending_extension(row) is not None)
    row.extensions = [
        *row.extensions,
        {
            "requested_on": ctx.today.isoformat(),
            "requested_due": requested_due.isoformat(),
            "reason": reason,
            "decided": False,
            "approved": False,
            "decided_by_user_id": "",
            "decided_for_user_id": "",
            "opinion": "",
        },
    ]
    await session.flush()
    await record_act(
        session, events.ref_of(row), "item.extension-requested", actor, f"to {requested_due}: {reason}"
    )
    return row


def deciding_leader(row: SupervisionItem) -> str:
    """The instructing leader decides an extension; without one (a meeting decision, a key task)
    the supervising leader does."""
    return row.instructing_leader_user_id or row.supervising_leader_user_id


async def decide_extension(
    session: AsyncSession, actor, row: SupervisionItem, approve: bool, opinion: str, ctx: Context
) -> SupervisionItem:
    """Decided by the instructing leader, or whoever acts for that leader today (A10, A59)."""
    domain.check_transition("decide-extension", State(row.state))
    pending = _pending_extension(row)
    if pending is None:
        raise RuleViolation("A61.extension", "no extension request is waiting for a decision")
    leader = deciding_leader(row)
    stand_in = await ctx.people.may_decide_for(actor.user_id, leader, ctx.today)
    if stand_in is None:
        raise RuleViolation(
            "A61.extension-decider",
            "an extension is decided by the instructing leader "
            "or whoever acts for that leader today (A10, A59)",
        )
    deciding = actor.acting_for(leader, stand_in.acting_position) if stand_in.acting_for_user_id else actor
    decided = {
        **pending,
        "decided": True,
        "approved": approve,
        "decided_by_user_id": actor.user_id,
        "decided_for_user_id": stand_in.acting_for_user_id,
        "opinion": opinion.strip(),
    }
    row.extensions = [decided if e is pending else e for e in row.extensions]
    if approve:
        row.due = date.fromisoformat(pending["requested_due"])
        row.due_provisional = ctx.cal.provisional_between(ctx.today, row.due)
    await reschedule(session, row, ctx)
    await record_act(
        session,
        events.ref_of(row),
        "item.extension-decided",
        deciding,
        f"{'approved' if approve else 'refused'}: due {row.due}; {opinion.strip()}",
    )
    await events.publish(session, "extension-decided", row, deciding, approved=approve)
    return row
