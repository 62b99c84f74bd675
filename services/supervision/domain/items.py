"""Pure rules of supervision items (督查事项), no I/O: the articles as code (docs/rules.md).

- A60: one lead body (牵头) whose head is the first responsible person; co-bodies (协办) help;
  only the lead body claims completion, and only with every co-body's opinion.
- A61: limited reports (限期报告), verification and re-check (核查复核), rectification orders
  (督促整改), third-party evaluation; the state machine below.
- A62: leaders' instructions and meeting decisions are followed; default limits for an
  instruction without a date.
- A68: a finding of audit, the supervisory commission or the courts names who found it.
- A76: work is done, not passed on by meetings and documents: a completion whose only evidence
  is a meeting held or a document issued is refused.
- A29: the item of an adopted major decision closes only with an assessment of its effect, what
  the public and the parties say, and proposals to adjust it.
- The escalation ladder (预警, 提醒, 黄灯, 红灯催办, 分管领导, 市长, 问责): `Step`, its days in
  domain/escalation.py (`due_steps`).

Refusals are RuleViolation naming the rule id; bad input is InvalidInput naming the field.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from shared.workdays import Deadline, WorkingCalendar


class Kind(enum.Enum):
    MEETING_DECISION = "meeting_decision"  # 会议议定事项
    LEADER_INSTRUCTION = "leader_instruction"  # 领导批示
    OVERDUE_ESCALATION = "overdue_escalation"  # 逾期督办
    KEY_TASK = "key_task"  # 重点工作
    SPECIAL_INSPECTION = "special_inspection"  # 专项督查
    RECTIFICATION = "rectification"  # 问题整改 (A68)
    MAJOR_DECISION = "major_decision"  # 重大决策 (A29)


# What the office may open by hand; the others come from other services' events.
HAND_KINDS = frozenset(
    {Kind.KEY_TASK, Kind.SPECIAL_INSPECTION, Kind.RECTIFICATION, Kind.LEADER_INSTRUCTION, Kind.MAJOR_DECISION}
)


class State(enum.Enum):
    REGISTERED = "registered"  # 立项
    ASSIGNED = "assigned"  # 已交办
    ACKNOWLEDGED = "acknowledged"  # 办理中
    OBJECTED = "objected"  # 有异议
    COMPLETION_CLAIMED = "completion_claimed"  # 申请办结
    RECTIFYING = "rectifying"  # 督促整改
    CLOSED = "closed"  # 销号
    WITHDRAWN = "withdrawn"  # 撤销


class Urgency(enum.Enum):
    URGENT = "urgent"
    ORDINARY = "ordinary"
    COMPLEX = "complex"


class Cadence(enum.Enum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    NONE = "none"


class Colour(enum.Enum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class FindingSource(enum.Enum):
    AUDIT = "audit"
    SUPERVISORY_COMMISSION = "supervisory_commission"
    COURT = "court"
    OTHER = "other"


class EvidenceKind(enum.Enum):
    MEETING_HELD = "meeting_held"
    DOCUMENT_ISSUED = "document_issued"
    WORK_DONE = "work_done"
    MEASURED_RESULT = "measured_result"
    SITE_CHECK = "site_check"


# A76: 以会议贯彻会议、以文件落实文件 — passing the work on is not doing it.
PASSING_ON = frozenset({EvidenceKind.MEETING_HELD, EvidenceKind.DOCUMENT_ISSUED})


class Outcome(enum.Enum):
    CLOSE = "close"
    RETURN = "return"
    RECTIFY = "rectify"


class RecheckOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    RECTIFY = "rectify"


class Step(enum.Enum):
    """The escalation ladder, in the order the sweep takes the steps."""

    WARNED = "warned"
    REMINDED = "reminded"
    REPORT_MISSED = "report_missed"
    URGED = "urged"
    TO_SUPERVISING_LEADER = "to_supervising_leader"
    TO_MAYOR = "to_mayor"
    ACCOUNTABILITY_PROPOSED = "accountability_proposed"


@dataclass(frozen=True)
class Limits:
    """Every limit of an item, in working days unless said otherwise; the defaults are the issue's
    numbers (政府督查工作条例 and the provincial rules), each an operator setting (config.py)."""

    acknowledge_days: int = 5
    verify_days: int = 10
    urgent_days: int = 5
    ordinary_days: int = 15
    complex_days: int = 30
    first_report_on_decision_days: int = 20
    report_day_of_month: int = 5  # calendar day of the month a periodic report is due by
    warn_days_before: int = 5
    remind_days_before: int = 1
    to_leader_days_after: int = 5
    to_mayor_days_after: int = 10
    accountability_days_after: int = 20

    def default_days(self, urgency: Urgency) -> int:
        return {
            Urgency.URGENT: self.urgent_days,
            Urgency.ORDINARY: self.ordinary_days,
            Urgency.COMPLEX: self.complex_days,
        }[urgency]


# ---- the state machine ---------------------------------------------------------------------------

WORKING = frozenset({State.ACKNOWLEDGED, State.RECTIFYING})
OPEN = frozenset(
    {
        State.REGISTERED,
        State.ASSIGNED,
        State.ACKNOWLEDGED,
        State.OBJECTED,
        State.COMPLETION_CLAIMED,
        State.RECTIFYING,
    }
)
# Items the escalation ladder walks: the lead body owes work.
RUNNING = frozenset({State.ASSIGNED, State.ACKNOWLEDGED, State.RECTIFYING})

# act → the states it may start from (A61: 立项, 交办, 报告, 核查, 复核, 整改).
TRANSITIONS: dict[str, frozenset[State]] = {
    "assign": frozenset({State.REGISTERED, State.OBJECTED}),
    "acknowledge": frozenset({State.ASSIGNED}),
    "object": frozenset({State.ASSIGNED}),
    "report": WORKING,
    "co-opinion": WORKING,
    "claim": WORKING,
    "request-extension": RUNNING,
    "decide-extension": RUNNING,
    "verify": frozenset({State.COMPLETION_CLAIMED}),
    "recheck": frozenset({State.CLOSED}),
    "evaluate": frozenset({State.CLOSED, State.COMPLETION_CLAIMED, State.ACKNOWLEDGED, State.RECTIFYING}),
    "move": OPEN | {State.CLOSED},
    "withdraw": OPEN,
}


def check_transition(act: str, state: State) -> None:
    if state not in TRANSITIONS[act]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[act]))
        raise RuleViolation(
            "A61.state", f"an item that is {state.value} cannot be {act}ed now (only when {allowed})"
        )


# ---- registration ---------------------------------------------------------------------------------


def item_number(year: int, sequence: int) -> str:
    """督〔2026〕12号: the office's number, gapless per year like document numbers."""
    return f"督〔{year}〕{sequence}号"


@dataclass(frozen=True)
class NewItem:
    """What an item is registered with, from the office's form or another service's event."""

    kind: Kind
    title: str
    requirement: str
    source_service: str
    source_ref: str
    source_reference: str = ""
    due: date | None = None
    urgency: Urgency = Urgency.ORDINARY
    cadence: Cadence = Cadence.MONTHLY
    instructing_leader_user_id: str = ""
    instructed_by_acting_user_id: str = ""
    finding_source: FindingSource | None = None
    lead_body_code: str = ""
    co_body_codes: tuple[str, ...] = ()


def check_new_item(item: NewItem, today: date, *, by_hand: bool) -> None:
    problems: list[tuple[str, str]] = []
    if not item.title.strip():
        problems.append(("title", "required"))
    elif len(item.title) > 200:
        problems.append(("title", "at most 200 characters"))
    if not item.requirement.strip():
        problems.append(("requirement", "required: what must be done (督办要求)"))
    if by_hand and item.kind not in HAND_KINDS:
        problems.append(
            ("kind", "meeting decisions and overdue escalations come from their services' events")
        )
    # An event may arrive late (a consumer down for a while): its item is then overdue at once.
    if by_hand and item.due is not None and item.due < today:
        problems.append(("due", "must not be in the past"))
    problems += body_problems(item.lead_body_code, item.co_body_codes)
    if problems:
        raise InvalidInput(problems)
    if item.kind is Kind.RECTIFICATION and item.finding_source is None:
        raise RuleViolation(
            "A68",
            "a rectification item names who found the problem: audit, the "
            "supervisory commission or the courts (A68)",
        )


def body_problems(lead: str, co_bodies: Sequence[str]) -> list[tuple[str, str]]:
    problems = []
    if lead and lead in co_bodies:
        problems.append(("co_body_codes", "the lead body is not also a co-body (A60: one lead body)"))
    if len(set(co_bodies)) != len(co_bodies):
        problems.append(("co_body_codes", "each co-body once"))
    return problems


def check_assignment(lead: str, co_bodies: Sequence[str]) -> None:
    """A60: exactly one lead body, distinct from its co-bodies."""
    problems = [("lead_body_code", "required: the one lead body (牵头单位, A60)")] if not lead else []
    problems += body_problems(lead, co_bodies)
    if problems:
        raise InvalidInput(problems)


def default_due(cal: WorkingCalendar, start: date, urgency: Urgency, limits: Limits) -> Deadline:
    """A62: an instruction without a date is due 5 / 15 / 30 working days after it was given."""
    return cal.add_working_days(start, limits.default_days(urgency))


def month_day(year: int, month: int, day: int) -> date:
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, min(day, 28) if day > 28 else day)


def periodic_report_due(after: date, cadence: Cadence, limits: Limits) -> date | None:
    """The next periodic report: by the 5th (limits.report_day_of_month) of the month after the
    month (or quarter) in which `after` falls."""
    if cadence is Cadence.NONE:
        return None
    if cadence is Cadence.MONTHLY:
        return month_day(after.year, after.month + 1, limits.report_day_of_month)
    quarter_end = ((after.month - 1) // 3 + 1) * 3
    return month_day(after.year, quarter_end + 1, limits.report_day_of_month)


def first_report_due(
    kind: Kind, assigned_on: date, cadence: Cadence, cal: WorkingCalendar, limits: Limits
) -> date | None:
    """A meeting decision's first report is due within 20 working days; others follow the cadence."""
    if kind in (Kind.MEETING_DECISION, Kind.MAJOR_DECISION):
        return cal.add_working_days(assigned_on, limits.first_report_on_decision_days).due
    return periodic_report_due(assigned_on, cadence, limits)


# ---- the lead body and its co-bodies (A60) --------------------------------------------------------


def check_lead_body(body: str, lead: str, act: str) -> None:
    if body != lead:
        raise RuleViolation(
            "A60.lead-body",
            f"only the lead body ({lead or 'none assigned'}) may {act}; {body or 'the caller'} is not it",
        )


def check_involved(body: str, lead: str, co_bodies: Sequence[str]) -> None:
    if body != lead and body not in co_bodies:
        raise RuleViolation("A60.involved", f"{body or 'the caller'} is neither the lead body nor a co-body")


def check_co_body(body: str, co_bodies: Sequence[str]) -> None:
    if body not in co_bodies:
        raise RuleViolation("A60.co-body", f"{body or 'the caller'} is not a co-body of this item")


def missing_co_opinions(co_bodies: Iterable[str], opinions: Iterable[str]) -> list[str]:
    given = set(opinions)
    return [b for b in co_bodies if b not in given]


def check_objection_in_time(today: date, acknowledge_due: date | None) -> None:
    """An objection to an assignment comes within 5 working days of it; later the item stands."""
    if acknowledge_due is not None and today > acknowledge_due:
        raise RuleViolation(
            "A61.objection-limit",
            f"objections were due by {acknowledge_due}: the assignment stands; ask the office instead",
        )


# ---- completion (A60, A76, A29) -------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    kind: EvidenceKind | None
    description: str
    ref: str = ""


@dataclass(frozen=True)
class Assessment:
    effect: str = ""
    public_opinion: str = ""
    adjustment_proposals: str = ""


@dataclass(frozen=True)
class Claim:
    summary: str
    evidence: tuple[Evidence, ...] = ()
    assessment: Assessment = field(default_factory=Assessment)


def check_claim(claim: Claim, kind: Kind, co_bodies: Sequence[str], opinions: Iterable[str]) -> None:
    problems: list[tuple[str, str]] = []
    if not claim.summary.strip():
        problems.append(("summary", "required: what was done"))
    if not claim.evidence:
        problems.append(("evidence", "at least one piece of evidence"))
    for i, piece in enumerate(claim.evidence):
        if piece.kind is None:
            problems.append((f"evidence[{i}].kind", "required"))
        if not piece.description.strip():
            problems.append((f"evidence[{i}].description", "required"))
    if problems:
        raise InvalidInput(problems)
    missing = missing_co_opinions(co_bodies, opinions)
    if missing:
        raise RuleViolation(
            "A60.co-opinions",
            f"completion is claimed with every co-body's opinion; missing: {', '.join(missing)}",
        )
    if all(piece.kind in PASSING_ON for piece in claim.evidence):
        raise RuleViolation(
            "A76",
            "a meeting held or a document issued passes the work on, it does not "
            "do it: show the work done, measured results or a site check (A76)",
        )
    if kind is Kind.MAJOR_DECISION:
        check_assessment(claim.assessment)


def check_assessment(assessment: Assessment) -> None:
    """A29: the effect assessed, the public's and the parties' views heard, adjustments proposed."""
    missing = [
        name
        for name, text in (
            ("effect", assessment.effect),
            ("public_opinion", assessment.public_opinion),
            ("adjustment_proposals", assessment.adjustment_proposals),
        )
        if not text.strip()
    ]
    if missing:
        raise RuleViolation(
            "A29",
            "a major decision's item closes with an assessment of its effect, "
            "of what the public and the parties concerned say, and proposals "
            f"to adjust it; missing: {', '.join(missing)}",
        )


# ---- extension ------------------------------------------------------------------------------------


def check_extension_request(today: date, due: date | None, requested_due: date | None, pending: bool) -> None:
    if requested_due is None:
        raise InvalidInput({"requested_due": "required"})
    if due is None:
        raise RuleViolation("A61.extension", "the item has no due date to extend")
    if requested_due <= due:
        raise InvalidInput({"requested_due": f"must be after the current due date {due}"})
    if today > due:
        raise RuleViolation(
            "A61.extension-before-due", f"an extension is asked before the due date ({due}); it has passed"
        )
    if pending:
        raise RuleViolation("A61.extension", "an extension request is already waiting for its decision")


# ---- verification ---------------------------------------------------------------------------------


def check_rectification(requirement: str, due: date | None, today: date) -> None:
    problems = []
    if not requirement.strip():
        problems.append(("rectification_requirement", "required: what must be rectified"))
    if due is None:
        problems.append(("rectification_due", "required"))
    elif due <= today:
        problems.append(("rectification_due", "must be after today"))
    if problems:
        raise InvalidInput(problems)
