"""The disclosure service's sweeps (run in the background by __main__): the art. 30 lapse of
applications and the provisional limits put on their official day (run_lapse_sweep), and the
overdue announcements of public concerns (run_concern_sweep, A70). Each round is one transaction
around acts; run_every keeps a sweep alive through a database outage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import acts
from services.disclosure.acts import applications, concerns, publications
from shared.db import transaction
from shared.logging import get_logger
from shared.sweep import SweepLeader, run_every
from shared.workdays import WorkingCalendar, calendar

log = get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def run_lapse_sweep(
    sessions: async_sessionmaker[AsyncSession],
    today=None,
    interval: float = 300.0,
    batch: int = 500,
    cal: WorkingCalendar | None = None,
) -> None:
    """Art. 30 in the background: every `interval` seconds, lapse the applications whose period to
    complete has ended (each once: rows are locked and skipped by a concurrent sweep or read); and
    recompute provisional limits (reply limits, and the article 26 limits of queued publications)
    whose year's schedule became known."""
    today = today or (lambda: acts.today_in_china())

    async def one_round() -> int:
        async with transaction(sessions) as session:
            lapsed = await applications.lapse_due(session, today(), batch)
        if lapsed:
            log.info("applications lapsed (art. 30)", count=lapsed)
        async with transaction(sessions) as session:
            moved = await applications.recompute_provisional(session, cal or calendar(), batch)
        if moved:
            log.info("provisional reply limits recomputed", count=moved)
        async with transaction(sessions) as session:
            moved = await publications.recompute_provisional_limits(session, cal or calendar(), batch)
        if moved:
            log.info("provisional article 26 limits recomputed", count=moved)
        return lapsed  # only a full batch of lapses goes on at once

    await run_every(
        interval,
        one_round,
        name="lapse sweep",
        batch=batch,
        leader=SweepLeader.of(sessions, "disclosure.lapse"),
    )


async def run_concern_sweep(
    sessions: async_sessionmaker[AsyncSession],
    interval: float = 60.0,
    batch: int = 500,
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """In the background: every `interval` seconds, announce the concerns past a limit (A70)."""

    async def one_round() -> int:
        async with transaction(sessions) as session:
            written = await concerns.announce_overdue(session, clock(), batch)
        if written:
            log.info("public concerns overdue announced (A70)", count=written)
        return written

    await run_every(
        interval,
        one_round,
        name="concern sweep",
        batch=batch,
        leader=SweepLeader.of(sessions, "disclosure.concerns"),
    )
