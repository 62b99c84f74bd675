"""The dispatcher's loop (投递巡检): a round when a consumer committed new deliveries (woken), or every
`interval` seconds otherwise (messages held by quiet hours, the digest or a retry's backoff come
due by the clock). A full round is followed at once by the next, so a backlog drains; a failing
round (database away) is logged and tried again next interval, as shared/sweep.py does.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from services.notify.acts.dispatch import Dispatcher

log = structlog.get_logger(__name__)


class Wake:
    """Set by the consumers after a commit; the dispatcher's loop waits on it or on its interval."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def __call__(self) -> None:
        self.event.set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()


async def run_dispatcher(dispatcher: Dispatcher, wake: Wake, interval: float) -> None:
    while True:
        handled = 0
        try:
            handled = await dispatcher.round()
        except Exception:  # keep going: the next round may find the database or the channel back
            log.exception("dispatch round failed; retrying next round")
        if handled < dispatcher.batch:
            await wake.wait(interval)
