"""The acts on a supervision item whose source changed: the decision it follows restated by corrected
minutes (A26: the item follows the new decision) or withdrawn (the item is withdrawn). Called by the
consumer of meetings.decision.superseded and .recorded (consumers/items.py), in the caller's transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import events
from services.supervision.acts.items import Context, assign, reschedule
from services.supervision.domain import items as domain
from services.supervision.domain.items import State
from services.supervision.models import SupervisionItem
from shared.audit import record_act
from zgov.supervision.v1 import supervision_pb2 as pb


async def move_to_source(
    session: AsyncSession,
    actor,
    row: SupervisionItem,
    service: str,
    ref: str,
    reference: str,
    ctx: Context,
    *,
    text: str = "",
    due: date | None = None,
    lead: str = "",
) -> SupervisionItem:
    """The decision the item follows was restated (A26): the item follows the new one."""
    domain.check_transition("move", State(row.state))
    earlier = {"service": row.source_service, "ref": row.source_ref, "reference": row.source_reference}
    row.earlier_sources = [*row.earlier_sources, earlier]
    row.source_service, row.source_ref, row.source_reference = service, ref, reference
    if text:
        row.requirement = text
    if due is not None and due != row.due:
        row.due, row.due_provisional = due, ctx.cal.provisional_between(ctx.today, due)
    await reschedule(session, row, ctx)
    await record_act(
        session,
        events.ref_of(row),
        "item.moved",
        actor,
        f"{earlier['reference'] or earlier['ref']} → {reference or ref}",
    )
    await events.publish(session, "moved", row, actor, from_source=pb.Source(**earlier))
    if lead and lead != row.lead_body_code and State(row.state) in (State.REGISTERED,):
        await assign(
            session, actor, row, lead, row.co_body_codes, None, "lead body of the restated decision", ctx
        )
    return row


async def restate(
    session: AsyncSession,
    actor,
    row: SupervisionItem,
    reference: str,
    text: str,
    due: date | None,
    ctx: Context,
) -> SupervisionItem:
    """The restating decision's own words and date, once they arrive after the item moved to it."""
    row.source_reference = reference
    if text:
        row.requirement = text
    if due is not None and due >= ctx.today and due != row.due:
        row.due, row.due_provisional = due, ctx.cal.provisional_between(ctx.today, due)
    await reschedule(session, row, ctx)
    await record_act(session, events.ref_of(row), "item.restated", actor, f"now follows {reference}")
    return row


async def withdraw(
    session: AsyncSession, actor, row: SupervisionItem, reason: str, ctx: Context
) -> SupervisionItem:
    domain.check_transition("withdraw", State(row.state))
    row.state = State.WITHDRAWN.value
    await reschedule(session, row, ctx)
    await record_act(session, events.ref_of(row), "item.withdrawn", actor, reason)
    await events.publish(session, "withdrawn", row, actor, reason=reason)
