"""Background sweeps (定时巡检): do a round of work every so often for as long as the service runs.

The acting clock, the countersign clock, the petitions' overdue sweep and disclosure's lapse and
concern sweeps all have the same shape; each keeps its own round (transactions and log lines) and
leaves the repeating to `run_every`:

    async def one_round() -> int:
        async with transaction(sessions) as session:
            written = await emit_overdue_events(session, today(), bureau_code, batch)
        if written:
            log.info("overdue events written", count=written)
        return written

    await run_every(interval, one_round, name="overdue sweep", batch=batch)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

__all__ = ["run_every"]

log = structlog.get_logger(__name__)


async def run_every(
    interval: float, round: Callable[[], Awaitable[int]], *, name: str, batch: int | None = None
) -> None:
    """Run `round` again and again, `interval` seconds apart, until the task is cancelled.

    `round` does one round's work and returns how many items it handled. With `batch`, a round
    that handled at least `batch` items is followed at once by the next one, so a backlog drains
    without waiting `interval` between full batches.

    A round that raises is logged as "<name> round failed; retrying next round" and the next round
    runs after `interval`: a sweep keeps going through a database or Keycloak outage instead of
    dying silently in the background. Cancelling the task (the server's drain at shutdown) ends the
    loop: asyncio.CancelledError is not an Exception and propagates.
    """
    while True:
        handled = 0
        try:
            handled = await round()
        except Exception:  # keep the sweep alive; the next round may find the database back
            log.exception(f"{name} round failed; retrying next round")
        if batch is None or handled < batch:
            await asyncio.sleep(interval)
