"""The working rules the `petitions` service owns, as plain functions (no I/O), by part: common.py
(limits, sizes, states, deadlines), intake.py, handling.py, privacy.py. Everything is re-exported
here: `from services.petitions import domain`. The rules of administrative reconsideration (A69) are a
module of their own, imported as such: `from services.petitions.domain import reconsiderations`.

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

from services.petitions.domain.common import (  # noqa: F401
    TRIAGE_DAYS,
    ACKNOWLEDGEMENT_DAYS,
    OBJECTION_WORKING_DAYS,
    HANDLING_DAYS,
    MAX_EXTENSION_DAYS,
    REVIEW_REQUEST_DAYS,
    REVIEW_ANSWER_DAYS,
    MAX_REPRESENTATIVES,
    MAX_TITLE,
    MAX_CONTENT,
    MAX_PETITIONERS,
    MAX_GROUP_SIZE,
    MIB,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_TOTAL_BYTES,
    MAX_FILE_NAME,
    PDF,
    JPEG,
    PNG,
    TEXT,
    DOCX,
    OFD,
    ATTACHMENT_MEDIA_TYPES,
    EXTENSIONS,
    UNSAFE_NAME_CHARACTERS,
    ORGANISATION_CODE,
    PHONE,
    ID_NUMBER,
    Channel,
    Category,
    CaseState,
    CLOSED_STATES,
    TriageOutcome,
    LegalRoute,
    ReviewLevel,
    Satisfaction,
    Stage,
    CalendarDeadline,
    calendar_day_deadline,
    triage_deadline,
    acknowledgement_deadline,
    objection_deadline,
    handling_deadline,
    review_request_deadline,
    review_answer_deadline,
    current_limit,
    is_overdue,
)
from services.petitions.domain.intake import (  # noqa: F401
    Petitioner,
    Attachment,
    StoredAttachment,
    Intake,
    check_intake,
    normal_media_type,
    sniffed_media_type,
    extension_fits,
    check_representatives,
    person_keys,
    EarlierCase,
    same_matter,
    find_same_matter,
    links_as_repeat,
)
from services.petitions.domain.handling import (  # noqa: F401
    Triage,
    TRIAGE,
    ACKNOWLEDGE,
    OBJECT,
    check_triage,
    check_acknowledgement,
    check_objection,
    check_extension,
    check_reply,
    next_review_level,
    check_review_request,
    check_review_decision,
    check_instruction,
    RATEABLE_STATES,
    check_rating,
)
from services.petitions.domain.privacy import (  # noqa: F401
    View,
    Reader,
    case_view,
    routed_above,
    redacted_view_shows_report,
    MASK,
    ADDRESS_PART,
    address_parts,
    personal_terms,
    term_pattern,
    mask_personal,
    redacted_searchable_text,
)
