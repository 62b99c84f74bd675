"""The overdue events (like org's acting clock): `petitions.case.overdue` once per case and stage
when a limit has passed; supervision tracks those cases. The row's overdue_notified_stage marks
that it was written, in the same transaction as the outbox row."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions import domain
from services.petitions.store import cases as store
from services.petitions.acts import publish
from services.petitions.models import PetitionCase
from services.petitions.protos.cases import STAGE_TO_PROTO
from shared.convert import date_to_proto


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
        await publish(
            session,
            "overdue",
            row,
            stage=STAGE_TO_PROTO[stage],
            due=date_to_proto(row.current_due),
            responsible_body_code=responsible_body(row, stage, bureau_code),
        )
        row.overdue_notified_stage = row.current_stage
        written += 1
    await session.flush()
    return written
