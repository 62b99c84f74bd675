"""The reconsiderations' overdue sweep: every so often, each step past its limit (acceptance, the
respondent's answer, the decision) is escalated once by `petitions.reconsideration.overdue`, which
supervision tracks (A69)."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.petitions import store_reconsiderations as store
from services.petitions.acts import reconsiderations as acts
from shared.db import transaction
from shared.sweep import SweepLeader, run_every

log = structlog.get_logger(__name__)


async def sweep_once(session: AsyncSession, ctx: acts.Context, batch: int) -> tuple[int, int]:
    """One round in the caller's transaction: (applications looked at, overdue events written)."""
    rows = await store.open_past_a_limit(session, ctx.today, batch)
    written = 0
    for row in rows:
        written += await acts.escalate_overdue(session, row, ctx)
    return len(rows), written


async def run_sweep(
    sessions: async_sessionmaker[AsyncSession],
    context: Callable[[], acts.Context],
    interval: float,
    batch: int,
) -> None:
    async def one_round() -> int:
        async with transaction(sessions) as session:
            looked, written = await sweep_once(session, context(), batch)
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
