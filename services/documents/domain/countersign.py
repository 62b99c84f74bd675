"""Countersign (会签): A49 — who is asked, the answer, the deadline, the coordination record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from services.documents.domain.common import (
    CountersignState,
)
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import Deadline, WorkingCalendar

# ---- A49 countersign ---------------------------------------------------------------------------------------

COUNTERSIGN_WORKING_DAYS = 7
MAX_COUNTERSIGN_WORKING_DAYS = 60


@dataclass(frozen=True)
class CountersignView:
    organisation_code: str
    state: CountersignState
    due: date
    reasons: str = ""


def countersign_deadline(
    calendar: WorkingCalendar, requested_on: date, working_days: int
) -> tuple[int, Deadline]:
    """A49: 7 working days (the request day not counted) unless the lead body set another limit."""
    if working_days < 0 or working_days > MAX_COUNTERSIGN_WORKING_DAYS:
        raise InvalidInput(
            {
                "working_days": f"0 (the rule's {COUNTERSIGN_WORKING_DAYS}) or 1 to "
                f"{MAX_COUNTERSIGN_WORKING_DAYS} working days"
            }
        )
    days = working_days or COUNTERSIGN_WORKING_DAYS
    return days, calendar.add_working_days(requested_on, days)


def check_countersign_request(
    lead_organisation: str, organisations: Sequence[str], known: Iterable[str], already: Iterable[str]
) -> None:
    problems = {}
    codes = list(organisations)
    if not codes:
        problems["organisation_codes"] = "name the bodies whose powers the document touches"
    elif len(set(codes)) != len(codes):
        problems["organisation_codes"] = "a body is named twice"
    elif lead_organisation in codes:
        problems["organisation_codes"] = "the lead body does not countersign its own document"
    else:
        unknown = sorted(set(codes) - set(known))
        asked = sorted(set(codes) & set(already))
        if unknown:
            problems["organisation_codes"] = "unknown organisations: " + ", ".join(unknown)
        elif asked:
            problems["organisation_codes"] = "already asked to countersign: " + ", ".join(asked)
    if problems:
        raise InvalidInput(problems)


def check_countersign_answer(state: CountersignState, objection: bool, reasons: str) -> None:
    if state is not CountersignState.REQUESTED:
        raise InvalidInput({"document_id": f"the countersign is {state.value} already; it is answered once"})
    if objection and not reasons.strip():
        raise InvalidInput({"reasons": "an objection states its reasons (列明理据)"})


def is_countersign_overdue(due: date, today: date) -> bool:
    """A49: the limit ends at the end of its last working day; from the next day it is overdue."""
    return today > due


def check_countersigns_settled(countersigns: Iterable[CountersignView], has_coordination: bool) -> None:
    """A49: a document goes forward once every countersign is answered (or deemed agreed), and
    objections still standing travel with the coordination record."""
    countersigns = list(countersigns)
    waiting = [c.organisation_code for c in countersigns if c.state is CountersignState.REQUESTED]
    if waiting:
        due = max(c.due for c in countersigns if c.state is CountersignState.REQUESTED)
        raise RuleViolation(
            "A49.countersign-open",
            f"waiting for the countersign of {', '.join(waiting)} (due by {due.isoformat()}; "
            "no answer by then counts as no objection)",
        )
    objecting = [c.organisation_code for c in countersigns if c.state is CountersignState.OBJECTED]
    if objecting and not has_coordination:
        raise RuleViolation(
            "A49.coordination",
            f"{', '.join(objecting)} objected: record the coordination, each side's reasons and the lead "
            "body's proposal (RecordCoordination) so the leaders can decide",
        )


def check_coordination(objections: Iterable[CountersignView], process: str, proposal: str) -> None:
    problems = {}
    if not process.strip():
        problems["process"] = "how the objections were coordinated (协调过程)"
    if not proposal.strip():
        problems["proposal"] = "the lead body's proposal (办理建议)"
    if problems:
        raise InvalidInput(problems)
    if not any(c.state is CountersignState.OBJECTED for c in objections):
        raise InvalidInput({"document_id": "no countersigning body objected: there is nothing to coordinate"})
