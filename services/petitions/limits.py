"""The limit that runs on a case now, kept on its row (current_stage, current_due) so lists and the
overdue sweep need no calendar, and recomputed when a year's official schedule arrives.

A limit that reaches into a year whose holiday schedule is not known yet is computed on weekends
only and marked provisional (shared.workdays); once the schedule is loaded (ZGOV_CALENDAR_DIR,
read within a minute by shared.workdays.watch_schedules, or the library's next release),
`recompute_provisional_limits` puts the right day on the row, keeping an overdue event already written for the same stage.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions import domain
from services.petitions.models import PetitionCase
from shared.workdays import WorkingCalendar


def triage_start(row: PetitionCase) -> date:
    """Triage runs from receipt, or from the last objection when a body sent the case back."""
    if row.objections:
        return date.fromisoformat(row.objections[-1]["objected_on"])
    return row.received_on


def review_answer_due(row: PetitionCase, cal: WorkingCalendar) -> domain.CalendarDeadline | None:
    if not row.reviews:
        return None
    return domain.review_answer_deadline(date.fromisoformat(row.reviews[-1]["requested_on"]), cal)


def last_answer_on(row: PetitionCase) -> date | None:
    """The day of the latest written answer: the reply, or the latest review opinion."""
    decided = [r["decided_on"] for r in row.reviews if r.get("decided_on")]
    if decided:
        return date.fromisoformat(decided[-1])
    return row.replied_on


def running_deadline(
    row: PetitionCase, cal: WorkingCalendar
) -> tuple[domain.Stage, domain.CalendarDeadline] | None:
    state = domain.CaseState(row.state)
    if state is domain.CaseState.REGISTERED:
        return domain.Stage.TRIAGE, domain.triage_deadline(triage_start(row), cal)
    if state is domain.CaseState.ASSIGNED:
        return domain.Stage.ACKNOWLEDGEMENT, domain.acknowledgement_deadline(row.assigned_on, cal)
    if state is domain.CaseState.IN_HANDLING:
        return domain.Stage.HANDLING, domain.handling_deadline(row.accepted_on, cal, row.extension_days)
    if state is domain.CaseState.UNDER_REVIEW and row.reviews:
        return domain.Stage.REVIEW, review_answer_due(row, cal)
    if state is domain.CaseState.UNDER_RE_REVIEW and row.reviews:
        return domain.Stage.RE_REVIEW, review_answer_due(row, cal)
    return None


def set_limit(row: PetitionCase, cal: WorkingCalendar) -> None:
    """After a change of state: the new limit, which may be escalated again when it passes."""
    limit = running_deadline(row, cal)
    row.current_stage = limit[0].value if limit else ""
    row.current_due = limit[1].due if limit else None
    row.current_due_provisional = bool(limit and limit[1].provisional)
    row.overdue_notified_stage = ""


async def recompute_provisional_limits(session: AsyncSession, cal: WorkingCalendar, batch: int = 1000) -> int:
    """Put the official day on rows whose limit was provisional and whose year is now known; returns
    how many rows changed their day. Locked with SKIP LOCKED, like the sweep."""
    rows = await session.scalars(
        select(PetitionCase)
        .where(
            PetitionCase.current_due_provisional.is_(True), PetitionCase.current_due < cal.first_unknown_day
        )
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    moved = 0
    for row in rows:
        stage, due, notified = row.current_stage, row.current_due, row.overdue_notified_stage
        set_limit(row, cal)
        if row.current_stage == stage:
            row.overdue_notified_stage = notified
        moved += row.current_due != due
    await session.flush()
    return moved
