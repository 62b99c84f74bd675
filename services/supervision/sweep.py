"""The escalation sweep (督办巡检): every so often, the items with a step due take it (acts/escalation).

Only items whose `next_check_on` has come are read (an index), locked with SKIP LOCKED, so
replicas share the work and a million open items cost one index range per round.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.acts.escalation import escalate
from services.supervision.acts.items import SYSTEM_ACTOR, Context
from services.supervision.acts.people import People
from services.supervision.acts.proposals import ProposalContext, warn_limits
from services.supervision.acts.research import ResearchContext, warn_behind_pace
from services.supervision.domain.items import Limits
from services.supervision.domain.proposals import ProposalLimits
from services.supervision.store import items as store
from shared.db import transaction
from shared.sweep import SweepLeader, run_every
from shared.workdays import WorkingCalendar

log = structlog.get_logger(__name__)


async def sweep_once(session: AsyncSession, ctx: Context, batch: int) -> tuple[int, int]:
    """One round in the caller's transaction: (items looked at, steps taken)."""
    rows = await store.items_to_check(session, ctx.today, batch)
    steps = 0
    for row in rows:
        steps += await escalate(session, row, ctx)
    return len(rows), steps


async def run_sweep(
    sessions: async_sessionmaker[AsyncSession],
    cal: WorkingCalendar,
    limits: Limits,
    people: People,
    today: Callable[[], date],
    interval: float,
    batch: int,
    research_days: int = 90,
    proposal_limits: ProposalLimits | None = None,
) -> None:
    proposal_limits = proposal_limits or ProposalLimits()

    async def one_round() -> int:
        ctx = Context(cal, today(), limits, people)
        async with transaction(sessions) as session:
            looked, steps = await sweep_once(session, ctx, batch)
        if steps:
            log.info("escalation steps taken", items=looked, steps=steps)
        async with transaction(sessions) as session:
            # A31: leaders behind the research pace, warned once a month
            warned = await warn_behind_pace(
                session, SYSTEM_ACTOR, ResearchContext(ctx.today, people, research_days)
            )
        if warned:
            log.info("leaders behind the research pace warned", leaders=warned)
        async with transaction(sessions) as session:
            # A67: suggestions and proposals near or past their limit, announced once each
            announced = await warn_limits(
                session,
                SYSTEM_ACTOR,
                ProposalContext(ctx.today, proposal_limits, people),
                cal,
                proposal_limits.warn_days,
            )
        if announced:
            log.info("suggestions and proposals near or past their limit announced", count=announced)
        return looked

    await run_every(
        interval,
        one_round,
        name="escalation sweep",
        batch=batch,
        leader=SweepLeader.of(sessions, "supervision.escalation"),
    )
