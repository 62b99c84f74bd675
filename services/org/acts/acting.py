"""The acting clock's acts (A10, A59): an approved leave hands the holder's duties to a stand-in on its
first day and takes them back the day after its last day. `org.acting.started` / `org.acting.ended`
are written once each, through the outbox: the row's acting_started_at / acting_ended_at mark that
it was written, in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.org import domain
from services.org.directory import Snapshot
from services.org.store import acting as store
from services.org.store import leave as leave_store
from services.org.store import portfolios as portfolio_store
from shared.convert import date_to_proto
from shared.outbox import add_event
from zgov.org.v1 import events_pb2


async def emit_due_acting_events(session: AsyncSession, today: date, snapshot: Snapshot) -> int:
    """Write the acting events that are due on `today`; returns how many."""
    written = 0
    pairs = await portfolio_store.ab_pairs(session)
    evm = snapshot.holders_of(domain.EXECUTIVE_VICE_MAYOR)
    for row in await store.leaves_due_to_start_acting(session, today):
        absence = leave_store.as_absence(row)
        stand_in, basis = domain.stand_in_for(
            absence,
            executive_vice_mayor_id=evm[0].user_id if evm else None,
            ab_partner_id=domain.ab_partner(row.user_id, pairs),
        )
        event = events_pb2.ActingStarted(
            position=row.position,
            holder_user_id=row.user_id,
            acting_user_id=stand_in,
            basis=basis,
            leave_id=str(row.id),
            first_day=date_to_proto(row.first_day),
            last_day=date_to_proto(row.last_day),
        )
        await add_event(session, "org.acting.started", event, f"leave/{row.id}")
        row.acting_started_at = datetime.now(UTC)
        row.acting_user_id = row.acting_user_id or stand_in
        written += 1
    for row in await store.leaves_due_to_end_acting(session, today):
        event = events_pb2.ActingEnded(
            position=row.position,
            holder_user_id=row.user_id,
            acting_user_id=row.acting_user_id,
            leave_id=str(row.id),
        )
        await add_event(session, "org.acting.ended", event, f"leave/{row.id}")
        row.acting_ended_at = datetime.now(UTC)
        written += 1
    await session.flush()
    return written
