"""The petitions service's limits, sizes, states and deadlines (A71: the regulation's limits in calendar
days, the objection limit in working days)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from shared.workdays import Deadline, WorkingCalendar


TRIAGE_DAYS = 15
ACKNOWLEDGEMENT_DAYS = 15
OBJECTION_WORKING_DAYS = 5
HANDLING_DAYS = 60
MAX_EXTENSION_DAYS = 30
REVIEW_REQUEST_DAYS = 30
REVIEW_ANSWER_DAYS = 30
MAX_REPRESENTATIVES = 5

# Safe-on-the-internet limits of the intake form (sizes in characters and bytes).
MAX_TITLE = 200
MAX_CONTENT = 20_000
MAX_PETITIONERS = 50
MAX_GROUP_SIZE = 10_000
MIB = 1024 * 1024
# Attachments (附件) are kept in the service's own database with the case: bounded so one case stays
# one reasonable gRPC message and one reasonable transaction (the portal refuses bigger uploads first).
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * MIB
MAX_ATTACHMENTS_TOTAL_BYTES = 20 * MIB
MAX_FILE_NAME = 255
PDF, JPEG, PNG, TEXT = "application/pdf", "image/jpeg", "image/png", "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OFD = "application/ofd"  # 国家版式文档 (GB/T 33190)
# What a petitioner sends: scans and photos, letters as PDF, Word or OFD, plain text. Not the old
# binary Word (.doc: OLE containers carry macros unseen), not archives, not executables, not audio
# or video (too big for a case; the bureau records a visit's recording outside the platform).
ATTACHMENT_MEDIA_TYPES = (PDF, JPEG, PNG, TEXT, DOCX, OFD)
# The extension a file of each checked type must carry: the name decides what a reader's computer
# does with a download, so a script (.hta .vbs .bat .cmd .js .html .ps1 .exe .scr …) whose bytes pass
# as plain text is refused by its name, whatever type was declared.
EXTENSIONS = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    TEXT: (".txt",),
    DOCX: (".docx",),
    OFD: (".ofd",),
}
# Control characters and the bidirectional embeddings, overrides and isolates that make "gpj.exe"
# read as "exe.jpg".
UNSAFE_NAME_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ORGANISATION_CODE = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
ID_NUMBER = re.compile(r"^[0-9A-Za-z]{5,32}$")


class Channel(str, Enum):
    LETTER = "letter"  # 来信
    VISIT = "visit"  # 来访
    ONLINE = "online"  # 网上信访
    PHONE = "phone"  # 来电
    HOTLINE_TRANSFER = "hotline_transfer"  # 12345 热线转办


class Category(str, Enum):
    SUGGESTION = "suggestion"  # 建议意见
    COMPLAINT_REPORT = "complaint_report"  # 检举控告
    REQUEST_APPEAL = "request_appeal"  # 申诉求决


class CaseState(str, Enum):
    REGISTERED = "registered"
    ASSIGNED = "assigned"
    IN_HANDLING = "in_handling"
    REPLIED = "replied"
    UNDER_REVIEW = "under_review"
    REVIEWED = "reviewed"
    UNDER_RE_REVIEW = "under_re_review"
    RE_REVIEWED = "re_reviewed"
    TRANSFERRED = "transferred"
    LEGAL_ROUTE = "legal_route"
    NOT_ACCEPTED = "not_accepted"
    LINKED = "linked"


# States in which nothing more happens to the case here.
CLOSED_STATES = frozenset(
    {
        CaseState.TRANSFERRED,
        CaseState.LEGAL_ROUTE,
        CaseState.NOT_ACCEPTED,
        CaseState.LINKED,
        CaseState.RE_REVIEWED,
    }
)


class TriageOutcome(str, Enum):
    ACCEPT_AND_ASSIGN = "accept_and_assign"
    TRANSFER = "transfer"
    LEGAL_ROUTE = "legal_route"
    NOT_ACCEPT = "not_accept"


class LegalRoute(str, Enum):
    LITIGATION = "litigation"  # 诉讼
    ARBITRATION = "arbitration"  # 仲裁
    ADMINISTRATIVE_REVIEW = "administrative_review"  # 行政复议


class ReviewLevel(str, Enum):
    REVIEW = "review"  # 复查
    RE_REVIEW = "re_review"  # 复核


class Satisfaction(str, Enum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


class Stage(str, Enum):
    TRIAGE = "triage"
    ACKNOWLEDGEMENT = "acknowledgement"
    HANDLING = "handling"
    REVIEW = "review"
    RE_REVIEW = "re_review"


# ---- deadlines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDeadline:
    """A limit of `days` calendar days from `start` (not counted), ending on `due`."""

    start: date
    days: int
    due: date
    # The plain count ended on a rest day or holiday and was carried to the next working day.
    moved_to_working_day: bool
    provisional: bool


def calendar_day_deadline(start: date, days: int, cal: WorkingCalendar) -> CalendarDeadline:
    """A71: N days (日) after `start`; when that day is a rest day or public holiday, the next
    working day (a weekend day made into a working day, 调休上班, counts as working)."""
    plain = start + timedelta(days=days)
    due = plain
    while not cal.is_working_day(due):
        due += timedelta(days=1)
    provisional = not cal.schedule_known(plain.year) or not cal.schedule_known(due.year)
    return CalendarDeadline(start, days, due, due != plain, provisional)


def triage_deadline(received_on: date, cal: WorkingCalendar) -> CalendarDeadline:
    return calendar_day_deadline(received_on, TRIAGE_DAYS, cal)


def acknowledgement_deadline(assigned_on: date, cal: WorkingCalendar) -> CalendarDeadline:
    return calendar_day_deadline(assigned_on, ACKNOWLEDGEMENT_DAYS, cal)


def objection_deadline(assigned_on: date, cal: WorkingCalendar) -> Deadline:
    """A71: an objection to an assignment is made within 5 working days of receiving it."""
    return cal.add_working_days(assigned_on, OBJECTION_WORKING_DAYS)


def handling_deadline(accepted_on: date, cal: WorkingCalendar, extension_days: int = 0) -> CalendarDeadline:
    """A71: 60 days from acceptance, plus the one extension (the extension adds to the 60 days,
    and the rest-day rule applies once, to the end of the whole period)."""
    return calendar_day_deadline(accepted_on, HANDLING_DAYS + extension_days, cal)


def review_request_deadline(answered_on: date, cal: WorkingCalendar) -> CalendarDeadline:
    """A71: review or re-review is asked within 30 days of receiving the written answer."""
    return calendar_day_deadline(answered_on, REVIEW_REQUEST_DAYS, cal)


def review_answer_deadline(requested_on: date, cal: WorkingCalendar) -> CalendarDeadline:
    return calendar_day_deadline(requested_on, REVIEW_ANSWER_DAYS, cal)


def current_limit(
    state: CaseState,
    *,
    triage_due: date | None = None,
    acknowledgement_due: date | None = None,
    handling_due: date | None = None,
    review_due: date | None = None,
) -> tuple[Stage, date] | None:
    """The limit a case in `state` is measured against, or None when no limit runs."""
    by_state = {
        CaseState.REGISTERED: (Stage.TRIAGE, triage_due),
        CaseState.ASSIGNED: (Stage.ACKNOWLEDGEMENT, acknowledgement_due),
        CaseState.IN_HANDLING: (Stage.HANDLING, handling_due),
        CaseState.UNDER_REVIEW: (Stage.REVIEW, review_due),
        CaseState.UNDER_RE_REVIEW: (Stage.RE_REVIEW, review_due),
    }
    stage, due = by_state.get(state, (None, None))
    if stage is None or due is None:
        return None
    return stage, due


def is_overdue(due: date | None, today: date) -> bool:
    """A limit ends at the end of its last day: overdue from the next day on."""
    return due is not None and today > due


# ---- intake ---------------------------------------------------------------------------------------
