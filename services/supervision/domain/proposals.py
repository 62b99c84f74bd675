"""Pure rules of people's congress suggestions and CPPCC proposals (A67), no I/O.

人大代表建议 (a deputy's suggestion) and 政协提案 (a CPPCC member's proposal) sent to the city government
are registered with their proposers (contact details private, A80), assigned to one lead body (主办)
with co-bodies (协办) and a limit (3 months from assignment; with approval at most 6), replied by the
lead body with the reply's class (A: resolved or adopted, B: being resolved or planned, C: explained),
and rated by the proposer (满意 / 基本满意 / 不满意): a first "not satisfied" reopens it once (重新办理),
the second rating closes it whatever it is. Every city leader personally leads (领办) at least one
suggestion and one proposal a year (`uncovered`).
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation

MAX_TEXT = 50_000
MAX_SHORT = 200
MAX_NUMBER = 32
# The city leaders who lead (领办) suggestions and proposals (shared/positions.py).
LEADING_POSITIONS = ("mayor", "executive-vice-mayor", "vice-mayor")


class ProposalKind(enum.Enum):
    NPC_SUGGESTION = "npc_suggestion"  # 人大代表建议
    CPPCC_PROPOSAL = "cppcc_proposal"  # 政协提案


class ProposalState(enum.Enum):
    REGISTERED = "registered"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    REOPENED = "reopened"
    CLOSED = "closed"


HANDLING = (ProposalState.ASSIGNED, ProposalState.REOPENED)


class ReplyClass(enum.Enum):
    A = "a"  # 已解决或采纳
    B = "b"  # 正在解决或列入计划
    C = "c"  # 留作参考、作出说明


class Rating(enum.Enum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    NOT_SATISFIED = "not_satisfied"  # 不满意


@dataclass(frozen=True)
class ProposalLimits:
    """The limits are settings (config.py); these are the provincial rules' defaults."""

    handle_months: int = 3
    max_months: int = 6
    reopen_months: int = 1
    warn_days: int = 10  # working days before the limit when it is announced


@dataclass(frozen=True)
class Proposer:
    name: str
    phone: str = ""
    address: str = ""
    work_unit: str = ""

    def contact(self) -> dict:
        return {
            "phone": self.phone.strip(),
            "address": self.address.strip(),
            "work_unit": self.work_unit.strip(),
        }


@dataclass(frozen=True)
class NewProposal:
    kind: ProposalKind | None
    session: str
    number: str
    title: str
    content: str
    proposers: tuple[Proposer, ...]


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (31 Aug + 3 = 30 Nov)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_new(new: NewProposal) -> None:
    problems: list[tuple[str, str]] = []
    if new.kind is None:
        problems.append(("kind", "a people's congress suggestion or a CPPCC proposal"))
    for field, most in (("session", MAX_SHORT), ("number", MAX_NUMBER), ("title", MAX_SHORT)):
        value = getattr(new, field).strip()
        if not value:
            problems.append((field, "required"))
        elif len(value) > most:
            problems.append((field, f"at most {most} characters"))
    if not new.content.strip():
        problems.append(("content", "required"))
    elif len(new.content) > MAX_TEXT:
        problems.append(("content", f"at most {MAX_TEXT} characters"))
    if not new.proposers:
        problems.append(("proposers", "at least the lead proposer (领衔人)"))
    for i, proposer in enumerate(new.proposers):
        if not proposer.name.strip():
            problems.append((f"proposers[{i}].name", "required"))
        for name, value in (("name", proposer.name), *proposer.contact().items()):
            if len(value) > MAX_SHORT:
                problems.append((f"proposers[{i}].{name}", f"at most {MAX_SHORT} characters"))
    if problems:
        raise InvalidInput(problems)


def check_state(act: str, state: ProposalState, allowed: Iterable[ProposalState]) -> None:
    allowed = tuple(allowed)
    if state not in allowed:
        raise RuleViolation(
            "A67.state",
            f"cannot {act} a proposal that is {state.value} "
            f"(only when {' or '.join(s.value for s in allowed)})",
        )


def check_bodies(lead: str, co_bodies: Sequence[str], known: set[str]) -> None:
    problems: list[tuple[str, str]] = []
    if not lead:
        problems.append(("lead_body_code", "required: one lead body (主办)"))
    elif lead not in known:
        problems.append(("lead_body_code", f"no organisation with code {lead!r}"))
    for code in co_bodies:
        if code == lead:
            problems.append(("co_body_codes", f"{code!r} is the lead body"))
        elif code not in known:
            problems.append(("co_body_codes", f"no organisation with code {code!r}"))
    if len(set(co_bodies)) != len(co_bodies):
        problems.append(("co_body_codes", "a co-body is named twice"))
    if problems:
        raise InvalidInput(problems)


def due_on_assignment(assigned_on: date, limits: ProposalLimits) -> date:
    return add_months(assigned_on, limits.handle_months)


def check_extension(
    today: date, assigned_on: date, due: date, new_due: date | None, reason: str, limits: ProposalLimits
) -> None:
    """A later limit, asked before the limit passed, at most `max_months` after assignment, with a reason."""
    problems = {}
    if new_due is None:
        problems["due"] = "required"
    elif new_due <= due:
        problems["due"] = f"later than the present limit {due.isoformat()}"
    if not reason.strip():
        problems["reason"] = "why it needs longer (kept in the recorded act)"
    if problems:
        raise InvalidInput(problems)
    if today > due:
        raise RuleViolation(
            "A67.extension-before-due",
            f"the limit passed on {due.isoformat()}: an extension is approved before it passes",
        )
    latest = add_months(assigned_on, limits.max_months)
    if new_due > latest:
        raise RuleViolation(
            "A67.limit",
            f"at most {limits.max_months} months after assignment: {latest.isoformat()} at the latest",
        )


def check_reply(reply_class: ReplyClass | None, text: str, document_number: str) -> None:
    problems = {}
    if reply_class is None:
        problems["reply_class"] = "A (resolved or adopted), B (being resolved or planned) or C (explained)"
    if not text.strip():
        problems["text"] = "the reply is published (A67): it cannot be empty"
    elif len(text) > MAX_TEXT:
        problems["text"] = f"at most {MAX_TEXT} characters"
    if len(document_number) > 64:
        problems["document_number"] = "at most 64 characters"
    if problems:
        raise InvalidInput(problems)


def check_lead_body(caller_body: str, lead_body: str) -> None:
    if caller_body != lead_body:
        raise RuleViolation("A67.lead-body", f"the lead body {lead_body} replies, not {caller_body or 'you'}")


def after_rating(rating: Rating, round_: int) -> ProposalState:
    """A first 'not satisfied' reopens the proposal once; any other rating, or a second one, closes it."""
    if rating is Rating.NOT_SATISFIED and round_ == 1:
        return ProposalState.REOPENED
    return ProposalState.CLOSED


@dataclass(frozen=True)
class Led:
    """One proposal led by a leader in the year."""

    leader_user_id: str
    kind: ProposalKind


def coverage(leaders: Sequence[str], led: Iterable[Led]) -> dict[str, tuple[int, int]]:
    """leader → (suggestions led, proposals led), for every leader (zero when none)."""
    counts = {leader: [0, 0] for leader in leaders}
    for row in led:
        if row.leader_user_id in counts:
            counts[row.leader_user_id][0 if row.kind is ProposalKind.NPC_SUGGESTION else 1] += 1
    return {leader: (s, p) for leader, (s, p) in counts.items()}


def uncovered(counts: dict[str, tuple[int, int]]) -> list[str]:
    """A67: the leaders who do not yet lead one suggestion and one proposal."""
    return [leader for leader, (suggestions, proposals) in counts.items() if not (suggestions and proposals)]


def limit_step(today: date, due: date | None, warn_from: date | None) -> str | None:
    """A67 handled within its limit: "overdue" once the limit passed, "due_soon" from `warn_from` (the
    working day ZGOV_PROPOSAL_WARN_DAYS before the limit), else nothing."""
    if due is None:
        return None
    if today > due:
        return "overdue"
    if warn_from is not None and today >= warn_from:
        return "due_soon"
    return None


def check_co_body(caller_body: str, co_bodies: Sequence[str]) -> None:
    if caller_body not in co_bodies:
        raise RuleViolation(
            "A67.co-body", f"only a co-body ({', '.join(co_bodies) or 'none'}) gives a co-opinion"
        )


def check_co_opinions(co_bodies: Sequence[str], opinions: Iterable[dict], round_: int) -> None:
    """A60, A67: the lead body replies with every co-body's opinion of this round (协办意见)."""
    given = {o["body_code"] for o in opinions if o["round"] == round_}
    missing = [b for b in co_bodies if b not in given]
    if missing:
        raise RuleViolation("A67.co-opinions", f"waiting for the opinion of {', '.join(missing)}")
