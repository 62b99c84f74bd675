"""What the petitions service tells other services, and the overdue sweep.

Privacy (A71, A80): an event carries only `CaseSummary` and the facts of the act — never the
petitioner's identity or contacts, the content, the attachments, or the person or body
complained about. Every event is built here, from these few fields, so nothing else can slip in.

The overdue sweep (like org's acting clock) writes `petitions.case.overdue` once per case and
stage when a limit has passed; supervision tracks those cases. The row's
overdue_notified_stage marks that it was written, in the same transaction as the outbox row.
"""

from __future__ import annotations

from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.petitions import domain, store
from services.petitions.limits import recompute_provisional_limits
from services.petitions.models import PetitionCase
from shared.convert import date_to_proto
from shared.db import transaction
from shared.outbox import add_event
from shared.sweep import SweepLeader, run_every
from shared.workdays import WorkingCalendar
from zgov.petitions.v1 import events_pb2, petitions_pb2

log = structlog.get_logger(__name__)

CHANNEL_TO_PROTO = {c: petitions_pb2.Channel.Value(f"CHANNEL_{c.name}") for c in domain.Channel}
CATEGORY_TO_PROTO = {c: petitions_pb2.Category.Value(f"CATEGORY_{c.name}") for c in domain.Category}
STATE_TO_PROTO = {s: petitions_pb2.CaseState.Value(f"CASE_STATE_{s.name}") for s in domain.CaseState}
STAGE_TO_PROTO = {s: petitions_pb2.Stage.Value(f"STAGE_{s.name}") for s in domain.Stage}


# petitions.case.<name> → its message (deploy/nats/streams.yaml lists the same).
MESSAGE_TYPES = {
    "registered": events_pb2.CaseRegistered, "linked": events_pb2.CaseLinked,
    "assigned": events_pb2.CaseAssigned, "transferred": events_pb2.CaseTransferred,
    "legal-route": events_pb2.CaseLegalRouteNotified, "not-accepted": events_pb2.CaseNotAccepted,
    "objected": events_pb2.CaseObjected, "accepted": events_pb2.CaseAccepted,
    "extended": events_pb2.CaseExtended, "replied": events_pb2.CaseReplied,
    "review-requested": events_pb2.CaseReviewRequested, "reviewed": events_pb2.CaseReviewed,
    "leader-marked": events_pb2.CaseLeaderMarked, "leader-instructed": events_pb2.CaseLeaderInstructed,
    "rated": events_pb2.CaseRated, "overdue": events_pb2.CaseOverdue,
}


def summary(row: PetitionCase) -> events_pb2.CaseSummary:
    return events_pb2.CaseSummary(
        case_id=str(row.id), number=row.number, channel=CHANNEL_TO_PROTO[domain.Channel(row.channel)],
        category=CATEGORY_TO_PROTO[domain.Category(row.category)],
        state=STATE_TO_PROTO[domain.CaseState(row.state)], received_on=date_to_proto(row.received_on),
        handling_body_code=row.handling_body_code,
    )


def aggregate_ref(row: PetitionCase) -> str:
    return f"case/{row.id}"


async def publish(session: AsyncSession, event: str, row: PetitionCase, actor=None, **facts) -> None:
    """Write `petitions.case.<event>`: the summary plus the act's facts, in the caller's transaction.

    `actor` is None for a petitioner's own acts, so the envelope does not name him or her.
    """
    payload = MESSAGE_TYPES[event](case=summary(row), **facts)
    await add_event(session, f"petitions.case.{event}", payload, aggregate_ref(row), actor)


def responsible_body(row: PetitionCase, stage: domain.Stage, bureau_code: str) -> str:
    if stage is domain.Stage.TRIAGE:
        return bureau_code
    if stage in (domain.Stage.REVIEW, domain.Stage.RE_REVIEW) and row.reviewing_body_codes:
        return row.reviewing_body_codes[-1]
    return row.handling_body_code


async def emit_overdue_events(session: AsyncSession, today: date, bureau_code: str, batch: int = 1000) -> int:
    """Write the overdue events that fell due by `today` (at most `batch`); returns how many."""
    written = 0
    for row in await store.cases_past_their_limit(session, today, batch):
        stage = domain.Stage(row.current_stage)
        await publish(session, "overdue", row, stage=STAGE_TO_PROTO[stage],
                      due=date_to_proto(row.current_due),
                      responsible_body_code=responsible_body(row, stage, bureau_code))
        row.overdue_notified_stage = row.current_stage
        written += 1
    await session.flush()
    return written


async def run_overdue_sweep(sessions: async_sessionmaker[AsyncSession], today, bureau_code: str,
                            interval: float = 300.0, batch: int = 1000,
                            cal: WorkingCalendar | None = None) -> None:
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

    # run_every keeps the sweep alive through a database outage
    await run_every(interval, one_round, name="overdue sweep", batch=batch,
                    leader=SweepLeader.of(sessions, "petitions.overdue"))
