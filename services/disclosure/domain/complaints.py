"""Openness complaints (政府信息公开投诉举报): working rules A38 (a supervision and guarantee mechanism of
openness) and OGI regulations art. 47, 51 — a citizen complains that an office failed its disclosure
duties; the disclosure office answers within a limit. Pure rules, no I/O.

The regulations set no limit for answering a complaint; ANSWER_WORKING_DAYS follows the reply limit of
an application (art. 33, 20 working days, the day filed not counted) — the lead's decision to confirm."""

from __future__ import annotations

import enum
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from shared.workdays import Deadline, WorkingCalendar

ANSWER_WORKING_DAYS = 20
MAX_OFFICE = 200
MAX_DESCRIPTION = 5000
MAX_ANSWER = 5000


class Matter(enum.Enum):
    NOT_PUBLISHED = "not_published"  # 应当主动公开而未公开
    APPLICATION_NOT_ANSWERED = "application_not_answered"  # 未按规定答复申请
    ANSWER_IMPROPER = "answer_improper"  # 答复或处理不符合规定
    OTHER = "other"


class State(enum.Enum):
    OPEN = "open"
    ANSWERED = "answered"


class Finding(enum.Enum):
    SUBSTANTIATED = "substantiated"
    PARTLY_SUBSTANTIATED = "partly_substantiated"
    NOT_SUBSTANTIATED = "not_substantiated"


def check_complaint(
    matter: Matter | None, office_name: str, description: str, name: str, phone: str, email: str
) -> None:
    """Every missing or too long part named as a field; a contact to send the answer to."""
    problems: dict[str, str] = {}
    if matter is None:
        problems["matter"] = "what the office failed to do"
    for field, value, maximum in (
        ("office_name", office_name, MAX_OFFICE),
        ("description", description, MAX_DESCRIPTION),
        ("complainant.name", name, 100),
    ):
        if not value.strip():
            problems[field] = "required"
        elif len(value) > maximum:
            problems[field] = f"at most {maximum} characters"
    if not (phone.strip() or email.strip()):
        problems["complainant.phone"] = "a telephone number or an e-mail address to answer to"
    if problems:
        raise InvalidInput(problems)


def answer_limit(calendar: WorkingCalendar, filed_on: date) -> Deadline:
    return calendar.add_working_days(filed_on, ANSWER_WORKING_DAYS)


def check_answer(state: State, finding: Finding | None, answer: str) -> None:
    """An answer once (A38.answered-once), with a finding and its reasons."""
    if state is State.ANSWERED:
        raise RuleViolation("A38.answered-once", "the complaint was answered already")
    problems = {}
    if finding is None:
        problems["finding"] = "substantiated, partly or not"
    if not answer.strip():
        problems["answer"] = "the answer to the complainant: what was found and done"
    elif len(answer) > MAX_ANSWER:
        problems["answer"] = f"at most {MAX_ANSWER} characters"
    if problems:
        raise InvalidInput(problems)


def is_late(due: date, today: date, answered_on: date | None) -> bool:
    return (answered_on or today) > due
