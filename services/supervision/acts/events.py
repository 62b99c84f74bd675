"""What the supervision service tells other services: item events on supervision.item.<event>.

An event carries the item's summary (numbers, bodies, leader, due date) and the act's facts, not
the texts of reports or opinions. Built here only, so every act publishes the same shape.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.models import SupervisionItem
from services.supervision.protos import (  # noqa: F401  (the maps acts name as events.X)
    ACCOUNTABILITY_EVENTS,
    CADENCE_TO_PROTO,
    COLOUR_TO_PROTO,
    EVIDENCE_TO_PROTO,
    FINDING_TO_PROTO,
    KIND_TO_PROTO,
    MESSAGE_TYPES,
    OUTCOME_TO_PROTO,
    RECHECK_TO_PROTO,
    STATE_TO_PROTO,
    STEP_TO_PROTO,
    URGENCY_TO_PROTO,
    source_of,
    summary,
)
from shared.outbox import add_event


def ref_of(row: SupervisionItem) -> str:
    return f"item/{row.id}"


async def publish(session: AsyncSession, event: str, row: SupervisionItem, actor, **facts) -> None:
    """Write supervision.item.<event> in the caller's transaction."""
    payload = MESSAGE_TYPES[event](item=summary(row), **facts)
    await add_event(session, f"supervision.item.{event}", payload, ref_of(row), actor)
