"""Filing a document with the city government (报送): A47, A48 filing rules, A24 normative filings,
A53 handling limits and the 6-month limit for implementing a provincial document.
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import date

from services.documents.domain.common import (
    HIGHER_LEVEL,
    NEVER_SENDERS,
    SKIPPING_SENDERS,
    Content,
    Kind,
    PersonalException,
    Sender,
    SenderCategory,
    State,
    Urgency,
    check_not_classified,
)
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import Deadline, WorkingCalendar

# ---- A47, A48 filing rules -----------------------------------------------------------------------------

# Phrases by which a report asks for a decision (报告夹带请示事项).
REQUEST_PHRASES = (
    "请批示",
    "请审批",
    "请批准",
    "请予批准",
    "请予审批",
    "请予支持",
    "妥否",
    "请市政府研究决定",
)


def check_filing(content: Content, sender: Sender) -> None:
    """A53, A47, A48, A74: whether the city government accepts a document for filing."""
    check_not_classified(content.classification)
    if content.speech_on_behalf and content.kind is not Kind.REQUEST:
        raise RuleViolation(
            "A74",
            "prior consent to a speech or article on the government's behalf is asked "
            "with a 请示 (one matter: the speech or article), its text attached",
        )
    if sender.category not in HIGHER_LEVEL:
        check_sender(content, sender)
        check_skip_level(content, sender)
        check_single_receiver(content)
    check_one_matter(content)
    check_report_has_no_request(content)
    check_personal_addressing(content)
    check_normative_filing(content, sender)


def check_normative_filing(content: Content, sender: Sender) -> None:
    """A24: the city government's departments file their normative documents with it (备案), each with
    its own number and its validity (A25); a county government files with its own standing committee."""
    if not content.normative_filing:
        return
    if sender.category is not SenderCategory.CITY_DEPARTMENT:
        raise RuleViolation(
            "A24.filing-body",
            "the city government takes the filings of its departments' "
            "normative documents; a county files with its own people's "
            "congress standing committee",
        )
    if not content.filed_document_number.strip():
        raise InvalidInput({"content.filed_document_number": "the filed document's own number"})
    if content.valid_until is None:
        raise RuleViolation(
            "A25.validity", "a normative document states its validity period (有效期): set valid_until"
        )


def check_sender(content: Content, sender: Sender) -> None:
    """A47: 议事协调机构及其办公室、部门管理机构、县（区）政府工作部门、乡（镇）不得向市政府报送公文.

    A body under a county government or a department may still skip its level in a major
    emergency (checked by check_skip_level); a coordination body never files: its business goes
    to its member units (A52).
    """
    label = sender.name or sender.organisation_code
    if sender.category in NEVER_SENDERS:
        raise RuleViolation(
            "A47.sender",
            f"{label} (议事协调机构或其办公室) may not send documents to the city government: it writes "
            "to its member units, or the department doing its daily work writes instead",
        )
    if sender.category in SKIPPING_SENDERS and not (content.major_emergency and content.skips_level):
        raise RuleViolation(
            "A47.sender",
            f"{label} may not send documents to the city government; it reports to the body above it "
            "(县区政府或主管部门), and only in a major emergency (较大及以上突发事件) may it skip that level "
            "and copy the body skipped",
        )


def check_skip_level(content: Content, sender: Sender) -> None:
    """A47: no skipping a level (越级行文) except in a major emergency, and then the skipped body is copied."""
    skips = content.skips_level or sender.category in SKIPPING_SENDERS
    if not skips:
        return
    if not content.major_emergency:
        raise RuleViolation(
            "A47.skip-level",
            "a document skips a level only in a major emergency (较大及以上突发事件); send it to the body "
            "directly above the sender",
        )
    skipped = content.skipped_body
    if skipped is None or not any(skipped.is_same(c) for c in content.copies):
        name = skipped.label if skipped else "the body skipped"
        raise RuleViolation(
            "A47.skip-level",
            f"a document that skips a level in an emergency is copied (抄送) to {name}: add it to the copies",
        )


def check_single_receiver(content: Content) -> None:
    """A47: 不得多头报文 — one main receiver; the others are copied."""
    if len(content.main_receivers) > 1:
        names = "、".join(b.label for b in content.main_receivers)
        raise RuleViolation(
            "A47.multiple-receivers",
            f"a document filed with the city government has one main receiver (主送), not {names}: "
            "copy (抄送) the others",
        )


def check_one_matter(content: Content) -> None:
    """A47: 请示应当一文一事."""
    if content.kind is not Kind.REQUEST:
        return
    matters = [m.strip() for m in content.matters if m.strip()]
    if not matters:
        raise InvalidInput({"content.matters": "a 请示 names the one matter it asks about"})
    if len(matters) > 1:
        raise RuleViolation(
            "A47.one-matter",
            f"a 请示 carries one matter (一文一事); this one carries {len(matters)}: "
            f"{'、'.join(matters)} — file one 请示 per matter",
        )


def check_report_has_no_request(content: Content) -> None:
    """A47: 报告不得夹带请示事项."""
    if content.kind is not Kind.REPORT:
        return
    phrase = next((p for p in REQUEST_PHRASES if p in content.body or p in content.title), None)
    if content.contains_request or phrase:
        found = f" (it says “{phrase}”)" if phrase else ""
        raise RuleViolation(
            "A47.report-no-request",
            f"a 报告 carries no request{found}: file the request as a 请示 of its own",
        )


def check_personal_addressing(content: Content) -> None:
    """A48: not to a leader personally, except the listed cases."""
    if not content.addressed_leader_user_id:
        return
    exception = content.personal_exception
    if exception is None:
        raise RuleViolation(
            "A48",
            "documents are not sent to a city leader personally: address the city government, or state "
            "the exception (领导交办、酝酿中的敏感事项、较大及以上突发事件、部分涉外事项) and why",
        )
    if exception is PersonalException.CLASSIFIED_DIRECT:
        raise RuleViolation(
            "A53.classified", "a classified matter that must go directly is sent off the platform (涉密渠道)"
        )
    if exception is PersonalException.MAJOR_EMERGENCY and not content.major_emergency:
        raise RuleViolation("A48", "the major-emergency exception needs a document about a major emergency")


# ---- A53 handling limits --------------------------------------------------------------------------------

# Working days to handle a filed document (限时办结). The rules fix no numbers; these are the
# platform's defaults, shorter for urgent documents (急事急办).
HANDLING_WORKING_DAYS = {Urgency.ORDINARY: 10, Urgency.URGENT: 3, Urgency.EXTRA_URGENT: 1}
PROVINCIAL_IMPLEMENTATION_MONTHS = 6


def handling_deadline(calendar: WorkingCalendar, filed_on: date, urgency: Urgency) -> tuple[int, Deadline]:
    """A53: the handling limit of a filed document: (working days, deadline)."""
    days = HANDLING_WORKING_DAYS[urgency]
    return days, calendar.add_working_days(filed_on, days)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def provincial_issue_due(received_on: date | None, plan_or_regulation: bool) -> date | None:
    """A53: a document implementing a provincial one (not a plan or regulation) is issued within 6 months."""
    if received_on is None or plan_or_regulation:
        return None
    return add_months(received_on, PROVINCIAL_IMPLEMENTATION_MONTHS)


def is_overdue(state: State, today: date, handling_due: date | None, issue_due: date | None) -> bool:
    """Past its limit and not finished: an incoming document not decided, an outgoing one not issued."""
    if state in (State.FILED, State.ROUTED) and handling_due and today > handling_due:
        return True
    return state not in (State.ISSUED, State.RETURNED) and issue_due is not None and today > issue_due
