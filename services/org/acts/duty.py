"""Acts on the holiday duty roster (节假日值班, A79): a city leader on duty for each statutory holiday
that falls on a weekday."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.org import domain
from services.org.directory import Snapshot
from services.org.store import duty as store
from services.org.store import leave as leave_store
from shared import audit
from shared.convert import date_to_proto
from shared.identity import Actor
from shared.outbox import add_event
from zgov.org.v1 import events_pb2, org_pb2


async def set_duty_assignment(
    session: AsyncSession,
    actor: Actor,
    snap: Snapshot,
    *,
    day: date,
    leader_user_id: str,
    duty_days: dict[date, str],
) -> org_pb2.DutyAssignment:
    domain.check_duty_assignment(
        day=day,
        duty_days=duty_days,
        leader_positions=snap.positions_of(leader_user_id),
        leader_absences=await leave_store.leaves_of(session, [leader_user_id]),
    )
    previous = await store.put_duty_assignment(session, day, leader_user_id, duty_days[day], actor)
    await audit.record_act(session, f"duty/{day}", "roster.assigned", actor, leader_user_id)
    reply = org_pb2.DutyAssignment(
        day=date_to_proto(day), leader_user_id=leader_user_id, holiday=duty_days[day]
    )
    await add_event(
        session,
        "org.roster.changed",
        events_pb2.DutyRosterChanged(assignment=reply, previous_leader_user_id=previous),
        f"duty/{day}",
        actor,
    )
    return reply
