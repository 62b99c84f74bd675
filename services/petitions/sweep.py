"""The petitions service's sweeps (run in the background by __main__):

- cases: provisional limits put on their official day once a year's schedule is known (limits.py),
  then the overdue events of the cases past their limit (acts/overdue.py);
- reconsiderations (A69): each step past its limit (acceptance, the respondent's answer, the
  decision) is escalated once by `petitions.reconsideration.overdue`, which supervision tracks.

Each step is its own transaction; run_every keeps a sweep alive through a database outage."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.petitions.acts import reconsiderations
from services.petitions.acts.overdue import emit_overdue_events
from services.petitions.limits import recompute_provisional_limits
from services.petitions.store import reconsiderations as reconsideration_store
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


async def reconsideration_sweep_once(
    session: AsyncSession, ctx: reconsiderations.Context, batch: int
) -> tuple[int, int]:
    """One round in the caller's transaction: (applications looked at, overdue events written)."""
    rows = await reconsideration_store.open_past_a_limit(session, ctx.today, batch)
    written = 0
    for row in rows:
        written += await reconsiderations.escalate_overdue(session, row, ctx)
    return len(rows), written


async def run_reconsideration_sweep(
    sessions: async_sessionmaker[AsyncSession],
    context: Callable[[], reconsiderations.Context],
    interval: float,
    batch: int,
) -> None:
    async def one_round() -> int:
        async with transaction(sessions) as session:
            looked, written = await reconsideration_sweep_once(session, context(), batch)
        if written:
            log.info("overdue reconsideration steps escalated", applications=looked, events=written)
        return looked

    await run_every(
        interval,
        one_round,
        name="reconsideration overdue sweep",
        batch=batch,
        leader=SweepLeader.of(sessions, "petitions.reconsideration-overdue"),
    )
