"""Events the documents service writes because a day passed, not because of a call.

A49: a countersign still unanswered after its last working day counts as no objection
(逾期不回复的视为无不同意见). The countersign clock records that once per countersign: the row
moves from requested to deemed_agreed in the same transaction as its audit record and its
`documents.countersign.deemed-agreed` event, so a second round (or a second replica, thanks to
SKIP LOCKED) finds nothing left to do.

The clock finds the rows (store/) and calls one act per row (acts/countersign.py,
acts/drafting.py, acts/normative.py), each in the round's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.documents import store
from services.documents.acts import COUNTERSIGN_CLOCK
from services.documents.acts.countersign import (
    deem_countersign_agreed,
    recompute_countersign_due,
    remind_countersign_due,
)
from services.documents.acts.drafting import announce_overdue, recompute_handling_due
from services.documents.acts.normative import record_expiry
from shared.db import transaction
from shared.sweep import SweepLeader, run_every
from shared.workdays import WorkingCalendar

log = structlog.get_logger(__name__)


async def remind_countersigns_due(session: AsyncSession, today: date) -> int:
    """A49: on its last day, an unanswered countersign is announced once (documents.countersign.due)."""
    rows = await store.countersigns_due_unreminded(session, today)
    for countersign in rows:
        await remind_countersign_due(session, COUNTERSIGN_CLOCK, countersign, today)
    return len(rows)


async def deem_overdue_countersigns(session: AsyncSession, today: date) -> int:
    """Record every countersign overdue on `today` as no objection; returns how many."""
    rows = await store.countersigns_overdue(session, today)
    for countersign in rows:
        await deem_countersign_agreed(session, COUNTERSIGN_CLOCK, countersign, today)
    return len(rows)


async def record_expired_documents(session: AsyncSession, today: date) -> int:
    """A25: issued rules and normative documents past their validity, recorded once each with
    `documents.normative.expired` (the clean-up: revise, repeal or continue)."""
    rows = await store.documents_expired_unrecorded(session, today)
    for row in rows:
        await record_expiry(session, COUNTERSIGN_CLOCK, row, today)
    return len(rows)


async def announce_overdue_documents(session: AsyncSession, today: date) -> int:
    """A53: filed documents past their handling limit, announced once each with
    `documents.document.overdue` (supervision makes an overdue item of it)."""
    rows = await store.documents_overdue_unannounced(session, today)
    for row in rows:
        await announce_overdue(session, COUNTERSIGN_CLOCK, row, today)
    return len(rows)


async def recompute_provisional_deadlines(
    session: AsyncSession, cal: WorkingCalendar, batch: int = 1000
) -> int:
    """docs/design.md "Time": a deadline computed into a year whose official schedule was not known
    is recomputed once the schedule is loaded (`shared.workdays.watch_schedules`). Each changed
    day is a recorded act, so the history says why a countersign is due on another day."""
    changed = 0
    for countersign in await store.countersigns_with_provisional_due(session, cal.first_unknown_day, batch):
        changed += await recompute_countersign_due(session, COUNTERSIGN_CLOCK, countersign, cal)
    for row in await store.documents_with_provisional_handling_due(session, cal.first_unknown_day, batch):
        changed += await recompute_handling_due(session, COUNTERSIGN_CLOCK, row, cal)
    await session.flush()
    return changed


async def run_countersign_clock(
    sessions: async_sessionmaker[AsyncSession],
    today: Callable[[], date],
    interval: float = 60.0,
    cal: WorkingCalendar | None = None,
) -> None:
    """Every `interval` seconds, put official days on provisional deadlines whose year became
    known, then record the countersigns that fell due unanswered."""

    async def one_round() -> int:
        if cal is not None:
            async with transaction(sessions) as session:
                moved = await recompute_provisional_deadlines(session, cal)
            if moved:
                log.info("provisional deadlines recomputed", count=moved)
        async with transaction(sessions) as session:
            written = await remind_countersigns_due(session, today())
            written += await deem_overdue_countersigns(session, today())
            written += await record_expired_documents(session, today())
            written += await announce_overdue_documents(session, today())
        if written:
            log.info("countersign reminders, deemed agreements and expiries written", count=written)
        return written

    # run_every keeps the clock alive through a database outage
    await run_every(
        interval,
        one_round,
        name="countersign clock",
        leader=SweepLeader.of(sessions, "documents.countersign-clock"),
    )
