"""Events the documents service writes because a day passed, not because of a call.

A49: a countersign still unanswered after its last working day counts as no objection
(逾期不回复的视为无不同意见). The countersign clock records that once per countersign: the row
moves from requested to deemed_agreed in the same transaction as its audit record and its
`documents.countersign.deemed-agreed` event, so a second round (or a second replica, thanks to
SKIP LOCKED) finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.documents import domain, store
from services.documents.protos import countersign_to_proto, document_to_proto
from shared.audit import actor_record, record_act
from shared.db import transaction
from shared.identity import Actor
from shared.outbox import add_event
from shared.sweep import run_every
from shared.workdays import WorkingCalendar
from zgov.documents.v1 import events_pb2

log = structlog.get_logger(__name__)

# Who records a deemed agreement: the platform itself, by the rule.
COUNTERSIGN_CLOCK = Actor(user_id="service-account-documents", username="service-account-documents",
                          display_name="公文系统（A49 逾期视为无不同意见）", is_service=True, client_id="documents")
DEEMED_REASONS = "逾期不回复，视为无不同意见 (A49)"


async def remind_countersigns_due(session: AsyncSession, today: date) -> int:
    """A49: on its last day, an unanswered countersign is announced once (documents.countersign.due)."""
    rows = await store.countersigns_due_unreminded(session, today)
    for countersign in rows:
        countersign.due_reminded_on = today
        await session.flush()
        await add_event(session, "documents.countersign.due",
                        events_pb2.CountersignDue(document_id=str(countersign.document_id),
                                                  countersign=countersign_to_proto(countersign)),
                        f"document/{countersign.document_id}", COUNTERSIGN_CLOCK)
    return len(rows)


async def deem_overdue_countersigns(session: AsyncSession, today: date) -> int:
    """Record every countersign overdue on `today` as no objection; returns how many."""
    rows = await store.countersigns_overdue(session, today)
    for countersign in rows:
        if not domain.is_countersign_overdue(countersign.due, today):
            continue
        countersign.state = domain.CountersignState.DEEMED_AGREED.value
        countersign.reasons = DEEMED_REASONS
        countersign.answered_by = actor_record(COUNTERSIGN_CLOCK)
        countersign.answered_on = today
        await session.flush()
        ref = f"document/{countersign.document_id}"
        await record_act(session, ref, "countersign.deemed-agreed", COUNTERSIGN_CLOCK,
                         f"{countersign.organisation_code}: no answer by {countersign.due.isoformat()}")
        await add_event(session, "documents.countersign.deemed-agreed",
                        events_pb2.CountersignDeemedAgreed(document_id=str(countersign.document_id),
                                                           countersign=countersign_to_proto(countersign)),
                        ref, COUNTERSIGN_CLOCK)
    return len(rows)


async def record_expired_documents(session: AsyncSession, today: date) -> int:
    """A25: issued rules and normative documents past their validity, recorded once each with
    `documents.normative.expired` (the clean-up: revise, repeal or continue)."""
    rows = await store.documents_expired_unrecorded(session, today)
    for row in rows:
        row.expiry_recorded_on = today
        await session.flush()
        ref = f"document/{row.id}"
        await record_act(session, ref, "document.expired", COUNTERSIGN_CLOCK,
                         f"valid until {row.valid_until.isoformat()}: revise, repeal or continue (A25)")
        await add_event(session, "documents.normative.expired",
                        events_pb2.NormativeExpired(document=document_to_proto(row, today=today)), ref,
                        COUNTERSIGN_CLOCK)
    return len(rows)


async def recompute_provisional_deadlines(session: AsyncSession, cal: WorkingCalendar, batch: int = 1000) -> int:
    """docs/design.md "Time": a deadline computed into a year whose official schedule was not known
    is recomputed once the schedule is loaded (`shared.workdays.watch_schedules`). Each changed
    day is a recorded act, so the history says why a countersign is due on another day."""
    changed = 0
    for countersign in await store.countersigns_with_provisional_due(session, cal.first_unknown_day, batch):
        deadline = cal.add_working_days(countersign.requested_on, countersign.working_days)
        old, countersign.due, countersign.provisional = countersign.due, deadline.due, deadline.provisional
        if old != deadline.due:
            changed += 1
            await record_act(session, f"document/{countersign.document_id}", "countersign.due-recomputed",
                             COUNTERSIGN_CLOCK, f"{countersign.organisation_code}: {old} → {deadline.due} "
                                                f"(official schedule of {old.year} loaded)")
    for row in await store.documents_with_provisional_handling_due(session, cal.first_unknown_day, batch):
        deadline = cal.add_working_days(row.filed_on, row.handling_working_days)
        old, row.handling_due, row.handling_provisional = row.handling_due, deadline.due, deadline.provisional
        if old != deadline.due:
            changed += 1
            await record_act(session, f"document/{row.id}", "document.handling-due-recomputed", COUNTERSIGN_CLOCK,
                             f"{old} → {deadline.due} (official schedule of {old.year} loaded)")
    await session.flush()
    return changed


async def run_countersign_clock(sessions: async_sessionmaker[AsyncSession], today: Callable[[], date],
                                interval: float = 60.0, cal: WorkingCalendar | None = None) -> None:
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
        if written:
            log.info("countersign reminders, deemed agreements and expiries written", count=written)
        return written

    # run_every keeps the clock alive through a database outage
    await run_every(interval, one_round, name="countersign clock")
