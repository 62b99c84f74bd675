"""Applications for government information (依申请公开), as plain rules (no I/O), by part: kinds.py,
intake.py (art. 29, 31), limits.py (art. 30, 32–35), replies.py (art. 35–39, 41), notices.py (what
the applicant is told). Everything is re-exported here: `from services.disclosure.domain import
applications`.

The national Regulations on Open Government Information (政府信息公开条例, 2019), which the
working rules A35–A39 (openness the rule, secrecy the exception) bring into the city:

art. 27–29  a citizen, legal person or other organisation applies in writing (letter, data
            message) with name, identity proof and contact, a description of the information
            and the form in which to receive it;
art. 30     an unclear application gets ONE request to complete it (补正), made within 7 working
            days of receipt, naming what to complete and a reasonable period; the reply limit then
            runs from the day the completion is received; without it the application lapses
            (视为放弃申请);
art. 31     the day of receipt: in person the day submitted; by post the day the agency signs for
            it (an ordinary letter: the day the office confirms it with the applicant); online or
            by fax the day both sides confirm it;
art. 32/34  when disclosure may harm a third party, the third party is consulted in writing and
            has 15 working days to answer (another agency the same, art. 34); that time is not
            counted (art. 33 para. 2) — so at most 15 working days are left out per consultation;
art. 33     reply within 20 working days of receipt; extendable ONCE by at most 20 working days with
            the approval of the head of the disclosure office and notice to the applicant;
art. 35     a volume or frequency far beyond reason: the agency may ask for reasons, then refuse to
            handle (unreasonable) or fix a reasonable later date for the reply (reasonable);
art. 36–39  the kinds of reply (ReplyKind), each with what it must say (REQUIRED_FIELDS);
art. 14–16  the exemptions (Exemption);
art. 41     a citizen, legal person or organisation with evidence that a record the agency provided about
            them is inaccurate may ask for its correction: corrected and told; or transferred to, or
            the applicant referred to, the agency competent to correct it; or refused as not borne out;
art. 42     no fee by default (recorded, never charged here).

Every reply tells the applicant of the right to administrative review (60 days) and to sue
(6 months) — art. 51 with the laws on review and litigation (remedy_notice).

Rule ids are "OGI<article>.<tag>", e.g. "OGI33.extension-once".
"""

from services.disclosure.domain.applications.kinds import (  # noqa: F401
    REPLY_WORKING_DAYS,
    MAX_EXTENSION_WORKING_DAYS,
    COMPLETION_REQUEST_WORKING_DAYS,
    DEFAULT_COMPLETION_PERIOD,
    MAX_COMPLETION_PERIOD,
    CONSULTATION_WORKING_DAYS,
    REVIEW_DAYS,
    LAWSUIT_MONTHS,
    MAX_TEXT,
    MAX_SHORT,
    ApplicantKind,
    Channel,
    CONFIRMED_CHANNELS,
    DeliveryForm,
    State,
    OPEN_STATES,
    ReplyKind,
    RequestKind,
    CORRECTION_REPLIES,
    Exemption,
    EXEMPTION_ARTICLE,
    EXEMPTION_TEXT,
    ConsultedParty,
    RemedyKind,
    RemedyOutcome,
)
from services.disclosure.domain.applications.intake import (  # noqa: F401
    Applicant,
    Request,
    check_application,
    receipt_date,
    check_receipt,
    check_confirmation,
)
from services.disclosure.domain.applications.limits import (  # noqa: F401
    Consultation,
    Clock,
    ReplyDue,
    paused_working_days,
    reply_due,
    completion_request_due,
    check_completion_request,
    completion_due,
    check_completion,
    check_withdrawal,
    has_lapsed,
    check_consultation,
    check_opinion,
    check_extension,
    check_reasons_request,
    check_deferral,
    may_read,
    consent_of,
)
from services.disclosure.domain.applications.replies import (  # noqa: F401
    Withheld,
    Reply,
    REQUIRED_FIELDS,
    check_reply,
)
from services.disclosure.domain.applications.notices import (  # noqa: F401
    remedy_notice,
    DELIVERY_TEXT,
    reply_paragraphs,
    chinese_date,
    receipt_paragraphs,
    completion_paragraphs,
    extension_paragraphs,
    deferral_paragraphs,
)
