"""Pure rules of administrative reconsideration (行政复议, A69), no I/O.

The Administrative Reconsideration Law of the PRC (中华人民共和国行政复议法, revised 2023-09-01, in
force 2024-01-01) gives the numbers; they are data (`ReconsiderationLimits`, loaded from a JSON file an
operator edits, services/petitions/README.md), because the law is revised and a province may shorten
a limit:

- art. 30: the application is checked for acceptance within 5 days of receipt (受理审查); when the
  office lets the limit pass without refusing, the application is deemed accepted (视为受理) from
  the limit's last day.
- art. 48: the copy of the application goes to the respondent body (被申请人) within 7 days of
  acceptance, and the body answers in writing within 10 days of receiving it. Here the copy leaves
  with the act of acceptance, so the answer is due 10 days after acceptance.
- art. 53, 54: the simplified procedure (简易程序) for an act made on the spot, a warning or public
  criticism, an amount of at most 3,000 yuan, a government-information case, or when the parties
  agree; the copy within 3 days, the answer within 5.
- art. 62: decided within 60 days of acceptance; a complicated case extended once, with the approval
  of the office's head and notice to the parties, by at most 30 days; a simplified case within 30
  days (no extension: art. 55 turns it into the ordinary procedure instead).
- art. 63–69: the decisions — changed, revoked, confirmed unlawful, ordered to act, confirmed void,
  upheld, request dismissed.
- art. 88: the "3, 5, 7 and 10 days" of the law are working days (工作日, statutory holidays not
  counted); the other limits (60, 30 days) are calendar days and, as the Civil Procedure Law says
  of every period, a limit whose last day is a rest day ends on the next working day.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, fields
from datetime import date, timedelta
from enum import Enum
from pathlib import Path

from shared.errors import InvalidInput, RuleViolation
from shared.workdays import WorkingCalendar

RULE = "A69"


class State(str, Enum):
    APPLIED = "applied"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    DECIDED = "decided"


class SimplifiedGround(str, Enum):
    """Art. 53: when the simplified procedure (简易程序) applies."""

    ON_THE_SPOT = "on_the_spot"  # 当场作出
    WARNING = "warning"  # 警告或者通报批评
    SMALL_AMOUNT = "small_amount"  # 款额三千元以下
    INFORMATION_DISCLOSURE = "information_disclosure"  # 政府信息公开案件
    PARTIES_AGREE = "parties_agree"  # 当事人各方同意


class DecisionKind(str, Enum):
    """Art. 63–69."""

    UPHELD = "upheld"  # 维持 (68)
    CHANGED = "changed"  # 变更 (63)
    REVOKED = "revoked"  # 撤销 (64)
    CONFIRMED_UNLAWFUL = "confirmed_unlawful"  # 确认违法 (65)
    ORDERED_TO_ACT = "ordered_to_act"  # 责令履行 (66)
    CONFIRMED_VOID = "confirmed_void"  # 确认无效 (67)
    REQUEST_DISMISSED = "request_dismissed"  # 驳回行政复议请求 (69)


# A decision that changes the act or orders the body to act says what the act becomes or what to do.
NEEDS_REMEDY = frozenset({DecisionKind.CHANGED, DecisionKind.ORDERED_TO_ACT})


class Step(str, Enum):
    ACCEPTANCE = "acceptance"
    ANSWER = "answer"
    DECISION = "decision"


@dataclass(frozen=True)
class ReconsiderationLimits:
    """The statutory numbers (article of the 2023 law in the comment)."""

    acceptance_working_days: int = 5  # art. 30, working days by art. 88
    answer_working_days: int = 10  # art. 48, working days by art. 88
    simplified_answer_working_days: int = 5  # art. 54, working days by art. 88
    decision_days: int = 60  # art. 62 para. 1, calendar days
    max_extension_days: int = 30  # art. 62 para. 1: once, at most this many
    simplified_decision_days: int = 30  # art. 62 para. 2
    small_amount_yuan: int = 3000  # art. 53 para. 1 (3)

    @classmethod
    def from_mapping(cls, data: dict) -> ReconsiderationLimits:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown reconsideration limits: {', '.join(unknown)}")
        limits = cls(**{k: int(v) for k, v in data.items()})
        if any(getattr(limits, name) <= 0 for name in known):
            raise ValueError("every reconsideration limit is a positive number")
        return limits

    @classmethod
    def from_file(cls, path: str | Path) -> ReconsiderationLimits:
        """An operator's file (JSON object of the field names above); a missing field keeps the law's."""
        return cls.from_mapping(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Due:
    """The last day of a limit; `moved` when a calendar-day count fell on a rest day."""

    day: date
    moved: bool = False
    provisional: bool = False


def calendar_days_after(start: date, days: int, cal: WorkingCalendar) -> Due:
    """`days` calendar days after `start` (not counted); a rest day or holiday carries the limit to
    the next working day (a weekend made a working day, 调休上班, counts as working)."""
    plain = start + timedelta(days=days)
    day = plain
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return Due(day, day != plain, not cal.schedule_known(plain.year) or not cal.schedule_known(day.year))


def working_days_after(start: date, days: int, cal: WorkingCalendar) -> Due:
    deadline = cal.add_working_days(start, days)
    return Due(deadline.due, False, deadline.provisional)


def acceptance_due(received_on: date, limits: ReconsiderationLimits, cal: WorkingCalendar) -> Due:
    return working_days_after(received_on, limits.acceptance_working_days, cal)


def answer_due(
    accepted_on: date, simplified: bool, limits: ReconsiderationLimits, cal: WorkingCalendar
) -> Due:
    days = limits.simplified_answer_working_days if simplified else limits.answer_working_days
    return working_days_after(accepted_on, days, cal)


def decision_due(
    accepted_on: date,
    simplified: bool,
    extension_days: int,
    limits: ReconsiderationLimits,
    cal: WorkingCalendar,
) -> Due:
    """Art. 62: the extension adds to the limit, and the rest-day rule applies to the end of the whole."""
    days = limits.simplified_decision_days if simplified else limits.decision_days
    return calendar_days_after(accepted_on, days + extension_days, cal)


@dataclass(frozen=True)
class Application:
    applicant_name: str
    contested_act: str
    respondent_body_code: str
    request: str
    received_on: date


def check_application(application: Application, known_bodies: set[str], today: date) -> None:
    problems: list[tuple[str, str]] = []
    if not application.applicant_name.strip():
        problems.append(("applicant_name", "required: who applies (行政复议申请人)"))
    if not application.contested_act.strip():
        problems.append(("contested_act", "required: the act contested (被申请行政复议的行政行为)"))
    if not application.request.strip():
        problems.append(("request", "required: what the applicant asks (行政复议请求)"))
    if application.respondent_body_code not in known_bodies:
        problems.append(
            ("respondent_body_code", f"no organisation with code {application.respondent_body_code!r}")
        )
    if application.received_on > today:
        problems.append(("received_on", "not after today"))
    elif application.received_on < today - timedelta(days=366):
        problems.append(
            ("received_on", "within the last year: an application is made within 60 days (art. 20)")
        )
    if problems:
        raise InvalidInput(problems)


def check_state(state: State, act: str, *allowed: State) -> None:
    if state not in allowed:
        raise RuleViolation(f"{RULE}.state", f"the application is {state.value}; it cannot be {act}")


def acceptance_day(day: date, received_on: date, due: Due) -> tuple[date, bool]:
    """Art. 30: accepted on `day`, or — when the check came after the limit — deemed accepted on the
    limit's last day. Returns (the day of acceptance, deemed)."""
    if day < received_on:
        raise InvalidInput({"accepted_on": "not before the application was received"})
    if day > due.day:
        return due.day, True
    return day, False


def check_refusal_in_time(day: date, due: Due, reason: str) -> None:
    if not reason.strip():
        raise InvalidInput({"reason": "required: why the application is not accepted (不予受理的理由)"})
    if day > due.day:
        raise RuleViolation(
            f"{RULE}.acceptance-days",
            f"the acceptance check ended on {due.day.isoformat()}; the application is deemed "
            "accepted (art. 30) and is decided on its merits",
        )


def check_simplified(
    ground: SimplifiedGround | None, amount_yuan: int, limits: ReconsiderationLimits
) -> None:
    if ground is SimplifiedGround.SMALL_AMOUNT and not 0 < amount_yuan <= limits.small_amount_yuan:
        raise RuleViolation(
            f"{RULE}.simplified",
            f"the simplified procedure for an amount needs at most {limits.small_amount_yuan} "
            f"yuan at stake (art. 53), not {amount_yuan}",
        )


def check_extension(
    *, simplified: bool, extended_before: int, days: int, reason: str, limits: ReconsiderationLimits
) -> None:
    if not reason.strip():
        raise InvalidInput({"reason": "required: why the case cannot be decided in time (情况复杂)"})
    if days <= 0:
        raise InvalidInput({"days": "a positive number of days"})
    if simplified:
        raise RuleViolation(
            f"{RULE}.simplified-no-extension",
            "a case in the simplified procedure is decided within "
            f"{limits.simplified_decision_days} days, without extension (art. 62)",
        )
    if extended_before:
        raise RuleViolation(f"{RULE}.one-extension", "the decision limit is extended once only (art. 62)")
    if days > limits.max_extension_days:
        raise RuleViolation(
            f"{RULE}.extension-days",
            f"an extension is at most {limits.max_extension_days} days (art. 62), not {days}",
        )


def check_decision(
    kind: DecisionKind | None, reasons: str, remedy: str, day: date, accepted_on: date
) -> None:
    problems: list[tuple[str, str]] = []
    if kind is None:
        problems.append(("decision", "required: one of the kinds of art. 63–69"))
    if not reasons.strip():
        problems.append(("reasons", "required: the facts and the grounds of the decision"))
    if kind in NEEDS_REMEDY and not remedy.strip():
        problems.append(
            ("remedy", f"required for a decision {kind.value}: what the act becomes or what the body must do")
        )
    if day < accepted_on:
        problems.append(("decided_on", "not before the application was accepted"))
    if problems:
        raise InvalidInput(problems)


def check_answer(answer: str, day: date, accepted_on: date) -> None:
    problems: list[tuple[str, str]] = []
    if not answer.strip():
        problems.append(("answer", "required: the written answer (书面答复)"))
    if day < accepted_on:
        problems.append(("answered_on", "not before the application was accepted"))
    if problems:
        raise InvalidInput(problems)


def overdue_steps(
    *,
    state: State,
    today: date,
    acceptance: date | None,
    answer: date | None,
    answered: bool,
    decision: date | None,
    notified: set[str],
) -> list[tuple[Step, date]]:
    """The steps whose limit passed before `today` without the step and not yet escalated."""
    due: list[tuple[Step, date | None]] = []
    if state is State.APPLIED:
        due.append((Step.ACCEPTANCE, acceptance))
    if state is State.ACCEPTED:
        if not answered:
            due.append((Step.ANSWER, answer))
        due.append((Step.DECISION, decision))
    return [
        (step, day) for step, day in due if day is not None and day < today and step.value not in notified
    ]


# ---- the query code (查询码): given once, only its hash kept; the same form as a petition's ----------

QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_CODE_LENGTH = 16


def new_query_code() -> str:
    raw = "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, QUERY_CODE_LENGTH, 4))


def query_code_hash(code: str) -> str:
    """The code as typed (any case, with or without dashes and spaces) → the stored hash."""
    normal = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normal.encode()).hexdigest()
