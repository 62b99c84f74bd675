"""The working rules the `petitions` service owns, as plain functions (no I/O).

A71  letters and visits (信访) are registered, routed, handled within limits and answered;
     leaders read important letters, receive visitors and follow major cases; the
     petitioner's identity and the petition are never disclosed to the person or body
     complained about. Procedure and limits follow the national 信访工作条例 (2022):
       - triage by the petition bureau within 15 days of receipt (accept and assign,
         transfer, or tell the legal route);
       - the assigned body acknowledges in writing within 15 days, or objects with
         reasons within 5 working days;
       - handled within 60 days of acceptance, extendable once by at most 30 days with
         the head's approval and notice of the reason to the petitioner;
       - review (复查) asked within 30 days of the reply and answered within 30 days;
         re-review (复核) the same, one level further; after re-review the same facts
         and reasons are not accepted again;
       - a visit by several people names representatives, at most 5.
A80  protected records are seen by role and need; every read is recorded.

Limits of the regulation are in calendar days (日): the start day is not counted, and a
limit whose last day is a rest day or public holiday ends on the next working day (the
general rule for periods, as in the Civil Code's article 203). Only the objection limit is
in working days (工作日), counted by shared.workdays.

Rule ids: "A71" plus a tag, e.g. "A71.no-third-time", so an error names the exact rule.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from shared.errors import InvalidInput, RuleViolation
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
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",), TEXT: (".txt",), DOCX: (".docx",),
              OFD: (".ofd",)}
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
CLOSED_STATES = frozenset({
    CaseState.TRANSFERRED, CaseState.LEGAL_ROUTE, CaseState.NOT_ACCEPTED, CaseState.LINKED,
    CaseState.RE_REVIEWED,
})


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
    state: CaseState, *, triage_due: date | None = None, acknowledgement_due: date | None = None,
    handling_due: date | None = None, review_due: date | None = None,
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

@dataclass(frozen=True)
class Petitioner:
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    representative: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file as sent at intake: its bytes, and optionally the size and SHA-256 the sender expects."""

    file_name: str
    media_type: str
    content: bytes
    declared_size: int = 0
    declared_sha256: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class StoredAttachment:
    """What the case keeps of a file (and shows to readers who see it in full); the bytes are in
    their own table (models.PetitionAttachment)."""

    id: str
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Intake:
    channel: Channel | None
    received_on: date | None
    category: Category | None
    title: str
    content: str
    petitioners: Sequence[Petitioner]
    group_visit: bool = False
    group_size: int = 0
    body_complained_about: str = ""
    person_complained_about: str = ""
    attachments: Sequence[Attachment] = field(default_factory=tuple)
    hotline_ref: str = ""


def check_intake(intake: Intake, today: date) -> None:
    """Every problem of the form at once (INVALID_ARGUMENT), then the representatives rule.

    Messages never repeat a petitioner's data: errors end up in traces.
    """
    bad: list[tuple[str, str]] = []
    if intake.channel is None:
        bad.append(("intake.channel", "letter, visit, online, phone or hotline transfer"))
    if intake.category is None:
        bad.append(("intake.category", "suggestion, complaint or report, or request or appeal"))
    if intake.received_on is not None and intake.received_on > today:
        bad.append(("intake.received_on", "cannot be in the future"))
    if not intake.title.strip():
        bad.append(("intake.title", "a short title is required"))
    elif len(intake.title) > MAX_TITLE:
        bad.append(("intake.title", f"at most {MAX_TITLE} characters"))
    if not intake.content.strip():
        bad.append(("intake.content", "the petition's content is required"))
    elif len(intake.content) > MAX_CONTENT:
        bad.append(("intake.content", f"at most {MAX_CONTENT} characters"))
    bad += _petitioner_problems(intake)
    bad += _attachment_problems(intake.attachments)
    if intake.body_complained_about and not ORGANISATION_CODE.match(intake.body_complained_about):
        bad.append(("intake.body_complained_about", "an organisation code such as 'education-bureau'"))
    if len(intake.person_complained_about) > 200:
        bad.append(("intake.person_complained_about", "at most 200 characters"))
    if intake.channel is Channel.HOTLINE_TRANSFER and not intake.hotline_ref.strip():
        bad.append(("intake.hotline_ref", "a hotline transfer names its 12345 ticket"))
    if len(intake.hotline_ref) > 64:
        bad.append(("intake.hotline_ref", "at most 64 characters"))
    if bad:
        raise InvalidInput(bad)
    check_representatives(intake)


def _petitioner_problems(intake: Intake) -> list[tuple[str, str]]:
    bad = []
    if not intake.petitioners:
        bad.append(("intake.petitioners", "at least one petitioner (信访人)"))
    if len(intake.petitioners) > MAX_PETITIONERS:
        bad.append(("intake.petitioners", f"at most {MAX_PETITIONERS}; a group lists its representatives"))
    for i, p in enumerate(intake.petitioners[:MAX_PETITIONERS]):
        where = f"intake.petitioners[{i}]"
        if not p.name.strip() or len(p.name) > 100:
            bad.append((f"{where}.name", "a name of 1 to 100 characters"))
        if p.id_number and not ID_NUMBER.match(p.id_number):
            bad.append((f"{where}.id_number", "5 to 32 letters or digits"))
        if p.phone and not PHONE.match(p.phone):
            bad.append((f"{where}.phone", "digits, spaces or '-', optionally after '+', 5 to 20 characters"))
        if len(p.address) > 300:
            bad.append((f"{where}.address", "at most 300 characters"))
    if intake.group_visit:
        if intake.channel is not Channel.VISIT:
            bad.append(("intake.group_visit", "only a visit (来访) is a group visit"))
        if intake.group_size < 2 or intake.group_size > MAX_GROUP_SIZE:
            bad.append(("intake.group_size", f"a group visit is of 2 to {MAX_GROUP_SIZE} people"))
        elif intake.group_size < len(intake.petitioners):
            bad.append(("intake.group_size", "smaller than the number of petitioners listed"))
    elif intake.group_size not in (0, 1) and intake.group_size != len(intake.petitioners):
        bad.append(("intake.group_size", "set only for a group visit"))
    return bad


def normal_media_type(declared: str) -> str:
    """'Image/JPEG; charset=x' → 'image/jpeg'; the common aliases browsers send → the standard names."""
    kind = declared.split(";", 1)[0].strip().lower()
    return {"image/jpg": JPEG, "image/pjpeg": JPEG, "image/x-png": PNG, "application/x-pdf": PDF}.get(kind, kind)


def _zip_names(content: bytes) -> set[str] | None:
    """The member names of a ZIP container (read from its directory, nothing decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def _is_text(content: bytes) -> bool:
    """Plain text in UTF-8 (with or without BOM) or GB18030 (Chinese Windows' Notepad), without
    control characters other than tab, line and page breaks."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(ord(c) < 32 and c not in "\t\n\r\f" or c == "\x7f" for c in text)
    return False


def sniffed_media_type(content: bytes) -> str:
    """The type the content's first bytes (magic numbers) show, '' when none allowed.

    A declared type is never trusted alone: a renamed executable claiming image/png is refused.
    """
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"PK\x03\x04"):
        names = _zip_names(content) or set()
        if "word/document.xml" in names and "[Content_Types].xml" in names \
                and not any(n.lower().endswith("vbaproject.bin") for n in names):
            return DOCX
        if "OFD.xml" in names:
            return OFD
        return ""
    if _is_text(content):
        return TEXT
    return ""


def extension_fits(name: str, media_type: str) -> bool:
    """Whether the name ends with an extension of the checked type (a name ending in a dot or a space,
    which Windows drops, never fits)."""
    return name == name.rstrip(". ") and name.lower().endswith(EXTENSIONS.get(media_type, ()))


def _attachment_problems(attachments: Sequence[Attachment]) -> list[tuple[str, str]]:
    """Every file: a plain name, an allowed type that its bytes confirm, not empty, within the caps;
    size and SHA-256 when the sender gave them must be those of the bytes received."""
    bad = []
    if len(attachments) > MAX_ATTACHMENTS:
        return [("intake.attachments", f"at most {MAX_ATTACHMENTS} files")]
    seen: set[str] = set()
    for i, a in enumerate(attachments):
        where = f"intake.attachments[{i}]"
        name = a.file_name
        if not name.strip() or len(name) > MAX_FILE_NAME or any(c in name for c in "/\\") \
                or UNSAFE_NAME_CHARACTERS.search(name):
            bad.append((f"{where}.file_name", f"a plain file name of 1 to {MAX_FILE_NAME} characters, no folders"))
        media_type = normal_media_type(a.media_type)
        if media_type in ATTACHMENT_MEDIA_TYPES and not extension_fits(name, media_type):
            bad.append((f"{where}.file_name", f"a {media_type} file is named {' or '.join(EXTENSIONS[media_type])}"))
        size = len(a.content)
        if media_type not in ATTACHMENT_MEDIA_TYPES:
            bad.append((f"{where}.media_type", "PDF, JPEG, PNG, plain text, Word (.docx) or OFD: one of "
                        + ", ".join(ATTACHMENT_MEDIA_TYPES)))
        if size == 0:
            bad.append((f"{where}.content", "the file is empty"))
        elif size > MAX_ATTACHMENT_BYTES:
            bad.append((f"{where}.content", f"at most {MAX_ATTACHMENT_BYTES // MIB} MiB a file"))
        elif media_type in ATTACHMENT_MEDIA_TYPES and sniffed_media_type(a.content) != media_type:
            bad.append((f"{where}.content", f"the content is not a {media_type} file"))
        if a.declared_size and a.declared_size != size:
            bad.append((f"{where}.size_bytes", "not the size of the content received"))
        digest = a.sha256 if size else ""
        if a.declared_sha256 and a.declared_sha256 != digest:
            bad.append((f"{where}.sha256", "not the SHA-256 of the content received"))
        if digest and digest in seen:
            bad.append((f"{where}.content", "the same file is attached twice"))
        seen.add(digest)
    if sum(len(a.content) for a in attachments) > MAX_ATTACHMENTS_TOTAL_BYTES:
        bad.append(("intake.attachments", f"at most {MAX_ATTACHMENTS_TOTAL_BYTES // MIB} MiB in all"))
    return bad


def check_representatives(intake: Intake) -> None:
    """A71: several people visiting together on a common matter name representatives, at most 5."""
    if not intake.group_visit:
        return
    representatives = sum(1 for p in intake.petitioners if p.representative)
    if representatives == 0:
        raise RuleViolation("A71.representatives", "a group visit names its representatives (推选代表)")
    if representatives > MAX_REPRESENTATIVES:
        raise RuleViolation(
            "A71.representatives", f"a group visit has at most {MAX_REPRESENTATIVES} representatives, not "
            f"{representatives}",
        )


# ---- repeat petitions -----------------------------------------------------------------------------

def person_keys(petitioners: Iterable[Petitioner], secret: bytes) -> list[str]:
    """Keys that recognise the same person in a later petition, without keeping who it is.

    The identity document number when given, otherwise name and phone together; each is a
    keyed hash (HMAC-SHA256), so the index itself discloses nobody (an ID number alone has
    too little entropy for a plain hash).
    """
    keys = []
    for p in petitioners:
        if p.id_number.strip():
            raw = "id:" + p.id_number.strip().upper()
        elif p.name.strip() and p.phone.strip():
            raw = "np:" + "".join(p.name.split()) + "|" + re.sub(r"\D", "", p.phone)
        else:
            continue
        keys.append(hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest())
    return sorted(set(keys))


@dataclass(frozen=True)
class EarlierCase:
    """What the repeat rules need of an earlier case."""

    case_id: str
    state: CaseState
    category: Category
    body_complained_about: str
    person_keys: frozenset[str]
    repeat_of_case_id: str = ""


def same_matter(earlier: EarlierCase, keys: Iterable[str], category: Category, body: str) -> bool:
    return bool(earlier.person_keys & set(keys)) and earlier.category is category \
        and earlier.body_complained_about == body


def find_same_matter(
    earlier: Iterable[EarlierCase], keys: Iterable[str], category: Category, body: str
) -> EarlierCase | None:
    """The first case (not itself a repeat) of the same person on the same matter: the same
    category and the same body complained about. Open cases first, then re-reviewed ones (for
    the no-third-time rule); other closed ones do not bind a new petition."""
    keys = set(keys)
    if not keys:
        return None
    firsts = [e for e in earlier if not e.repeat_of_case_id and same_matter(e, keys, category, body)]
    for wanted in (lambda e: e.state not in CLOSED_STATES, lambda e: e.state is CaseState.RE_REVIEWED):
        for e in firsts:
            if wanted(e):
                return e
    return None


def links_as_repeat(earlier_state: CaseState) -> bool:
    """A71: a petition on a matter still open is linked to it, not counted (nor handled) twice.
    After re-review it is registered on its own, and the no-third-time rule applies at triage."""
    return earlier_state not in CLOSED_STATES


# ---- triage ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Triage:
    outcome: TriageOutcome | None
    handling_body_code: str = ""
    transfer_to: str = ""
    legal_route: LegalRoute | None = None
    notice: str = ""
    new_facts_and_reasons: str = ""


def check_triage(
    triage: Triage, *, state: CaseState, body_complained_about: str, earlier_state: CaseState | None,
    triaged_on: date, received_on: date, today: date,
) -> None:
    if state is not CaseState.REGISTERED:
        raise InvalidInput({"case_id": f"the case is {state.value}; only a registered case is triaged"})
    bad = []
    if triage.outcome is None:
        bad.append(("outcome", "accept and assign, transfer, legal route or not accept"))
    if not received_on <= triaged_on <= today:
        bad.append(("triaged_on", "between the day received and today"))
    assigning = triage.outcome is TriageOutcome.ACCEPT_AND_ASSIGN
    if assigning and not ORGANISATION_CODE.match(triage.handling_body_code):
        bad.append(("handling_body_code", "the responsible body's organisation code"))
    if triage.outcome is TriageOutcome.TRANSFER and not triage.transfer_to.strip():
        bad.append(("transfer_to", "the body or authority that has the power"))
    if triage.outcome is TriageOutcome.LEGAL_ROUTE and triage.legal_route is None:
        bad.append(("legal_route", "litigation, arbitration or administrative review"))
    if triage.outcome not in (None, TriageOutcome.ACCEPT_AND_ASSIGN) and not triage.notice.strip():
        bad.append(("notice", "what the petitioner is told"))
    if bad:
        raise InvalidInput(bad)
    takes_up = triage.outcome in (TriageOutcome.ACCEPT_AND_ASSIGN, TriageOutcome.TRANSFER)
    if takes_up and earlier_state is CaseState.RE_REVIEWED and not triage.new_facts_and_reasons.strip():
        raise RuleViolation(
            "A71.no-third-time",
            "the matter was re-reviewed (复核); the same facts and reasons are not accepted again — "
            "state the new facts or reasons, or do not accept",
        )
    if triage.outcome is TriageOutcome.ACCEPT_AND_ASSIGN and body_complained_about \
            and triage.handling_body_code == body_complained_about:
        raise RuleViolation(
            "A71.complained-body",
            "a petition is never handed to the body it complains about (不得转交被反映单位)",
        )


# ---- the assigned body ----------------------------------------------------------------------------

def check_acknowledgement(*, state: CaseState, assigned_on: date, acknowledged_on: date, today: date,
                          handling_plan: str) -> None:
    """Acknowledging late is allowed (and shows as overdue); it cannot precede the assignment."""
    if state is not CaseState.ASSIGNED:
        raise InvalidInput({"case_id": f"the case is {state.value}; only an assigned case is acknowledged"})
    bad = []
    if not assigned_on <= acknowledged_on <= today:
        bad.append(("acknowledged_on", "between the day assigned and today"))
    if not handling_plan.strip():
        bad.append(("handling_plan", "how the body will handle it (told to the petitioner in writing)"))
    if bad:
        raise InvalidInput(bad)


def check_objection(*, state: CaseState, assigned_on: date, objected_on: date, today: date, reason: str,
                    objection_due: Deadline) -> None:
    """A71: an objection to an assignment is made with reasons within 5 working days."""
    if state is not CaseState.ASSIGNED:
        raise InvalidInput({"case_id": f"the case is {state.value}; only an assigned case is objected to"})
    bad = []
    if not assigned_on <= objected_on <= today:
        bad.append(("objected_on", "between the day assigned and today"))
    if not reason.strip():
        bad.append(("reason", "an objection states its reasons"))
    if bad:
        raise InvalidInput(bad)
    if objected_on > objection_due.due:
        raise RuleViolation(
            "A71.objection-5-working-days",
            f"an objection is made within {OBJECTION_WORKING_DAYS} working days of the assignment (by "
            f"{objection_due.due}); the body handles the case",
        )


def check_extension(*, state: CaseState, already_extended: bool, days: int, reason: str,
                    notice_sent_on: date | None, handling_due: date, accepted_on: date, today: date) -> None:
    """A71: once, by at most 30 days, with the head's approval, and the petitioner told why —
    decided while the handling limit still runs."""
    if state is not CaseState.IN_HANDLING:
        raise InvalidInput({"case_id": f"the case is {state.value}; only a case being handled is extended"})
    bad = []
    if days < 1:
        bad.append(("days", "at least 1"))
    if not reason.strip():
        bad.append(("reason", "the reason, which the petitioner is told"))
    if notice_sent_on is None:
        bad.append(("notice_sent_on", "the day the petitioner was told of the extension"))
    elif not accepted_on <= notice_sent_on <= today:
        bad.append(("notice_sent_on", "between the day accepted and today"))
    if bad:
        raise InvalidInput(bad)
    if already_extended:
        raise RuleViolation("A71.extension-once", "the handling limit is extended once only")
    if days > MAX_EXTENSION_DAYS:
        raise RuleViolation("A71.extension-30-days",
                            f"an extension is of at most {MAX_EXTENSION_DAYS} days, not {days}")
    assert notice_sent_on is not None
    if notice_sent_on > handling_due or today > handling_due:
        raise RuleViolation("A71.extension-within-limit",
                            f"the handling limit ended on {handling_due}; an extension is decided before")


def check_reply(*, state: CaseState, accepted_on: date, replied_on: date, today: date, reply: str) -> None:
    if state is not CaseState.IN_HANDLING:
        raise InvalidInput({"case_id": f"the case is {state.value}; only a case being handled is replied to"})
    bad = []
    if not accepted_on <= replied_on <= today:
        bad.append(("replied_on", "between the day accepted and today"))
    if not reply.strip():
        bad.append(("reply", "the written reply (书面答复意见)"))
    elif len(reply) > MAX_CONTENT:
        bad.append(("reply", f"at most {MAX_CONTENT} characters"))
    if bad:
        raise InvalidInput(bad)


# ---- review and re-review -------------------------------------------------------------------------

def next_review_level(state: CaseState) -> ReviewLevel:
    """A71: review after the reply, re-review after the review, and nothing after re-review."""
    if state is CaseState.REPLIED:
        return ReviewLevel.REVIEW
    if state is CaseState.REVIEWED:
        return ReviewLevel.RE_REVIEW
    if state is CaseState.RE_REVIEWED:
        raise RuleViolation(
            "A71.no-third-time",
            "the matter was re-reviewed (复核); no further review is accepted on the same facts and reasons",
        )
    raise InvalidInput({"case_id": f"the case is {state.value}; review follows a reply or a review opinion"})


def check_review_request(*, state: CaseState, answered_on: date, requested_on: date, today: date,
                         reviewing_body_code: str, earlier_bodies: Iterable[str], body_complained_about: str,
                         cal: WorkingCalendar) -> ReviewLevel:
    """A71: asked within 30 days of the written answer (the reply, or the review opinion), of a
    body one level up: not one that already answered the matter."""
    level = next_review_level(state)
    bad = []
    if not answered_on <= requested_on <= today:
        bad.append(("requested_on", "between the day of the answer and today"))
    if not ORGANISATION_CODE.match(reviewing_body_code):
        bad.append(("reviewing_body_code", "the organisation code of the body one level up"))
    if bad:
        raise InvalidInput(bad)
    window = review_request_deadline(answered_on, cal)
    if requested_on > window.due:
        raise RuleViolation(
            "A71.review-30-days",
            f"{'review' if level is ReviewLevel.REVIEW else 're-review'} is asked within "
            f"{REVIEW_REQUEST_DAYS} days of the written answer (by {window.due})",
        )
    if reviewing_body_code in set(earlier_bodies):
        raise RuleViolation("A71.review-one-level-up",
                            "review goes to the body one level up, not to one that already answered")
    if body_complained_about and reviewing_body_code == body_complained_about:
        raise RuleViolation("A71.complained-body",
                            "a petition is never handed to the body it complains about")
    return level


def check_review_decision(*, state: CaseState, requested_on: date, decided_on: date, today: date,
                          opinion: str) -> None:
    if state not in (CaseState.UNDER_REVIEW, CaseState.UNDER_RE_REVIEW):
        raise InvalidInput({"case_id": f"the case is {state.value}; no review is pending"})
    bad = []
    if not requested_on <= decided_on <= today:
        bad.append(("decided_on", "between the day requested and today"))
    if not opinion.strip():
        bad.append(("opinion", "the review opinion (复查/复核意见)"))
    if bad:
        raise InvalidInput(bad)


# ---- leaders and satisfaction ---------------------------------------------------------------------

def check_instruction(*, marked_leader_ids: Iterable[str], caller_user_id: str, instruction: str,
                      due: date | None, today: date) -> None:
    """A71: the leader the case was marked for records the instruction (批示)."""
    if caller_user_id not in set(marked_leader_ids):
        raise RuleViolation("A71.leader-marked",
                            "a leader instructs on a case the bureau marked for him or her")
    bad = []
    if not instruction.strip():
        bad.append(("instruction", "the instruction's text"))
    if due is not None and due < today:
        bad.append(("due", "not in the past"))
    if bad:
        raise InvalidInput(bad)


RATEABLE_STATES = frozenset({
    CaseState.REPLIED, CaseState.UNDER_REVIEW, CaseState.REVIEWED, CaseState.UNDER_RE_REVIEW,
    CaseState.RE_REVIEWED,
})


def check_rating(*, state: CaseState, already_rated: bool, satisfaction: Satisfaction | None) -> None:
    if satisfaction is None:
        raise InvalidInput({"satisfaction": "satisfied, basically satisfied or dissatisfied"})
    if state not in RATEABLE_STATES:
        raise InvalidInput({"case_id": "the handling is rated once the written reply was delivered"})
    if already_rated:
        raise InvalidInput({"case_id": "the case was rated already"})


# ---- who sees what (A71, A80) ---------------------------------------------------------------------

class View(str, Enum):
    FULL = "full"  # bureau, assigned or reviewing body
    PETITIONER = "petitioner"  # the petitioner's own case (no internal history)
    REDACTED = "redacted"  # leaders: no identity, contacts, person complained about, attachments
    NONE = "none"


@dataclass(frozen=True)
class Reader:
    organisation_code: str
    user_id: str
    is_bureau: bool  # the petition bureau's officers
    may_handle: bool
    may_review: bool
    oversees: bool  # leaders and the city's overview (petition:instruct or petition:stats)


def case_view(reader: Reader, *, body_complained_about: str, handling_body_code: str,
              reviewing_body_codes: Iterable[str], submitted_by_user_id: str) -> View:
    """A71: the body complained about never sees the case; identity only to the bureau and the
    body assigned to handle or review it; the petitioner sees his or her own case."""
    if submitted_by_user_id and reader.user_id == submitted_by_user_id:
        return View.PETITIONER
    own = reader.organisation_code
    if own and own == body_complained_about:
        # The bureau too: a petition about the bureau is handled above it (routed_above).
        return View.NONE
    if reader.is_bureau:
        return View.FULL
    if own and reader.may_handle and own == handling_body_code:
        return View.FULL
    if own and reader.may_review and own in set(reviewing_body_codes):
        return View.FULL
    if reader.oversees:
        return View.REDACTED
    return View.NONE


def routed_above(body_complained_about: str, routes: Mapping[str, str]) -> str:
    """回避 (A71): the body that handles a case about `body_complained_about` in place of the bureau,
    '' when the bureau triages it as usual. A petition about the bureau itself, or about a body that
    would handle or oversee it, goes to a body above (the general office by default, or as the operator
    configures): the body complained about never reads it, so it cannot triage it either."""
    return routes.get(body_complained_about, "") if body_complained_about else ""


def redacted_view_shows_report(category: Category, marked_leader_ids: Iterable[str],
                               reader_user_id: str) -> bool:
    """A71: in a redacted view the content and the body complained about of a complaint or report
    (检举控告) are shown only to a leader the bureau marked the case for; a suggestion or a
    request shows them."""
    return category is not Category.COMPLAINT_REPORT or reader_user_id in set(marked_leader_ids)


MASK = "＊＊"


# Parts of an address specific enough to identify a household: streets, numbers, buildings, villages.
# The province, city, district or county alone identify nobody and stay readable.
ADDRESS_PART = re.compile(
    r"[^省市县区镇乡路街巷道号栋幢楼单元室村组社区小院苑\s,，、]{1,12}"
    r"(?:路|街|巷|大道|道|号|栋|幢|楼|单元|室|村|组|社区|小区|院|苑|镇|乡)"
)
# Between two characters of a term, what a writer may put: spaces, punctuation, dashes (at most 2).
_GAP = r"[\s\W_]{0,2}"


def address_parts(address: str) -> set[str]:
    """The identifying parts of an address, each masked on its own: '岳阳镇', '和平路', '和平路12号',
    '和平路12号3栋'. A part that is only a number ('12号', '3栋') is kept with the street before it:
    alone it would mask dates ('9月12号') and counts in any text."""
    parts: set[str] = set()
    current = ""
    for part in ADDRESS_PART.findall(unicodedata.normalize("NFKC", address)):
        current = current + part if part[0].isdigit() and current else part
        if not current[0].isdigit():
            parts.add(current)
    return {part for part in parts if len(part) >= 2}


def personal_terms(petitioners: Iterable[dict], person_complained_about: str = "") -> list[str]:
    """What identifies the people of a case in free text: names, ID numbers, phones, addresses and the
    identifying parts of an address."""
    terms = {person_complained_about.strip()}
    for p in petitioners:
        terms |= {str(p.get(k, "")).strip() for k in ("name", "id_number", "phone", "address")}
        terms |= address_parts(str(p.get("address", "")))
    # Longest first, so a name inside an address is not masked before the address.
    return sorted((t for t in terms if len(_significant(t)) >= 2), key=len, reverse=True)


def _significant(term: str) -> list[str]:
    """The term's characters without spaces and punctuation, full-width forms made plain (NFKC)."""
    return [c for c in unicodedata.normalize("NFKC", term) if c.isalnum()]


def _character(c: str) -> str:
    """A class matching `c` as written in any width and, for Latin letters, either case."""
    forms = {c, c.upper(), c.lower()} if c.isascii() else {c}
    forms |= {chr(ord(f) + 0xFEE0) for f in list(forms) if f.isascii() and f.isalnum()}
    return "[" + "".join(re.escape(f) for f in sorted(forms)) + "]"


def term_pattern(term: str) -> re.Pattern | None:
    """The term as written with spaces or punctuation between its characters, full-width digits or
    letters, any case: '138 1234-5678', '１３８１２３４５６７８' and '王 建 国' all match."""
    chars = _significant(term)
    if len(chars) < 2:
        return None
    return re.compile(_GAP.join(_character(c) for c in chars))


def mask_personal(text: str, terms: Sequence[str]) -> str:
    """A71, A80: free text shown outside the bureau and the assigned body (a redacted view, an event)
    with the case's own names, numbers and addresses masked, however they were written (spacing,
    punctuation, full-width digits, a part of the address alone). Best effort: it knows only what
    the case recorded, so the structured fields stay the real protection."""
    for term in terms:
        pattern = term_pattern(term)
        if pattern is not None:
            text = pattern.sub(MASK, text)
    return text


def redacted_searchable_text(category: Category, title: str, content: str, petitioners: Iterable[dict],
                             person_complained_about: str = "") -> str:
    """A71: the words a redacted reader (a leader) may find a case by — only what every redacted view
    shows: the title and content masked (mask_personal), and nothing of a complaint or report
    (检举控告), whose text a redacted reader sees only when the case is marked for him or her.
    A search must never answer what the page would not show."""
    if category is Category.COMPLAINT_REPORT:
        return ""
    terms = personal_terms(petitioners, person_complained_about)
    return mask_personal(f"{title}\n{content}", terms)
