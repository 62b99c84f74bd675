"""The clocks: events the org service publishes that are due to the calendar, not to a call (the acts
are in acts/acting.py and acts/trips.py).

Trips abroad (A57, A58): the trip clock announces a report or a gift's hand-over past its limit once
each (`org.trip.overdue`, acts/trips.py `announce_overdue`), which supervision makes an item of.

An approved leave hands the holder's duties to a stand-in on its first day (A10, A59)
and takes them back the day after its last day. The acting clock writes
`org.acting.started` / `org.acting.ended` once each, through the outbox: the row's
acting_started_at / acting_ended_at mark that it was written, in the same transaction.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.org.acts import trips as trip_acts
from services.org.acts.acting import emit_due_acting_events
from services.org.directory import KeycloakDirectory
from shared.db import transaction
from shared.sweep import SweepLeader, run_every

log = structlog.get_logger(__name__)


async def run_acting_clock(
    sessions: async_sessionmaker[AsyncSession], directory: KeycloakDirectory, today, interval: float = 60.0
) -> None:
    """Every `interval` seconds, write the acting events that fell due (a leave began or ended)."""

    async def one_round() -> int:
        async with transaction(sessions) as session:
            written = await emit_due_acting_events(session, today(), await directory.snapshot())
        if written:
            log.info("acting events written", count=written)
        return written

    # run_every keeps the clock alive through a database or Keycloak outage
    await run_every(
        interval, one_round, name="acting clock", leader=SweepLeader.of(sessions, "org.acting-clock")
    )


async def run_trip_clock(
    sessions: async_sessionmaker[AsyncSession], today, interval: float = 300.0, batch: int = 200
) -> None:
    """Every `interval` seconds, announce the trips' reports and gift hand-overs past their limits."""

    async def one_round() -> int:
        async with transaction(sessions) as session:
            looked, written = await trip_acts.announce_all_overdue(session, today(), batch)
        if written:
            log.info("overdue trip steps announced", trips=looked, events=written)
        return looked

    await run_every(
        interval, one_round, name="trip clock", batch=batch, leader=SweepLeader.of(sessions, "org.trip-clock")
    )
