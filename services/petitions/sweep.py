"""The petitions service's sweep (run in the background by __main__): provisional limits put on
their official day once a year's schedule is known (limits.py), then the overdue events of the cases
past their limit (acts/overdue.py). Each step is its own transaction; run_every keeps the sweep
alive through a database outage."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.petitions.acts.overdue import emit_overdue_events
from services.petitions.limits import recompute_provisional_limits
from shared.db import transaction
from shared.sweep import SweepLeader, run_every
from shared.workdays import WorkingCalendar

log = structlog.get_logger(__name__)


async def run_overdue_sweep(
    sessions: async_sessionmaker[AsyncSession],
    today,
    bureau_code: str,
    interval: float = 300.0,
    batch: int = 1000,
    cal: WorkingCalendar | None = None,
) -> None:
    """Every `interval` seconds, put official days on provisional limits whose year became known, then
    escalate the cases that passed their limit; a full batch goes on at once."""

    async def one_round() -> int:
        if cal is not None:
            async with transaction(sessions) as session:
                moved = await recompute_provisional_limits(session, cal, batch)
            if moved:
                log.info("provisional limits recomputed", count=moved)
        async with transaction(sessions) as session:
            written = await emit_overdue_events(session, today(), bureau_code, batch)
        if written:
            log.info("overdue events written", count=written)
        return written  # only a full batch of escalations goes on at once

    await run_every(
        interval,
        one_round,
        name="overdue sweep",
        batch=batch,
        leader=SweepLeader.of(sessions, "petitions.overdue"),
    )
