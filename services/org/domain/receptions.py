"""Pure rules of official receptions (公务接待, A56), no I/O.

The working rules (A56) ask for frugal official activities: a reception follows an approval (接待审批),
a list of what was served and who attended (接待清单), and the standards set by the province and the
city. The national rule behind them, 党政机关国内公务接待管理规定 (中办发〔2013〕22号), says: no
reception without the visiting unit's letter (公函) naming the task; meals at the standard; at most 3
hosts accompany up to 10 guests, above that at most a third of the guests (第十条). The amounts are
the province's and the city's, so they are data the office loads (SetReceptionStandards), never code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from shared.errors import InvalidInput, RuleViolation


# Ten million yuan: far above any reception, and the sum of a list's items stays within a bigint.
MAX_COST_FEN = 1_000_000_000


class ReceptionState(str, Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    CLOSED = "closed"


@dataclass(frozen=True)
class Standards:
    meal_per_head_fen: int
    receivable_guest_kinds: tuple[str, ...]
    small_group_size: int = 10
    small_group_accompanying: int = 3
    accompanying_ratio: int = 3
    source: str = ""

    def as_row(self) -> dict:
        return {
            "meal_per_head_fen": self.meal_per_head_fen,
            "receivable_guest_kinds": list(self.receivable_guest_kinds),
            "small_group_size": self.small_group_size,
            "small_group_accompanying": self.small_group_accompanying,
            "accompanying_ratio": self.accompanying_ratio,
            "source": self.source,
        }


def standards_of(row: dict) -> Standards:
    return Standards(
        row["meal_per_head_fen"],
        tuple(row["receivable_guest_kinds"]),
        row["small_group_size"],
        row["small_group_accompanying"],
        row["accompanying_ratio"],
        row.get("source", ""),
    )


def check_standards(s: Standards) -> None:
    problems = []
    if s.meal_per_head_fen <= 0:
        problems.append(("standards.meal_per_head_fen", "a positive amount in fen"))
    if not [k for k in s.receivable_guest_kinds if k.strip()]:
        problems.append(
            ("standards.receivable_guest_kinds", "at least one kind of guest who may be received")
        )
    for name in ("small_group_size", "small_group_accompanying", "accompanying_ratio"):
        if getattr(s, name) <= 0:
            problems.append((f"standards.{name}", "a positive number"))
    if not s.source.strip():
        problems.append(("standards.source", "the documents the standards come from"))
    if problems:
        raise InvalidInput(problems)


@dataclass(frozen=True)
class ReceptionPlan:
    guest_unit: str
    guest_kind: str
    guests: int
    accompanying: int
    meals: int
    planned_cost_fen: int
    day: date | None
    letter_ref: str


def check_plan(plan: ReceptionPlan, today: date) -> None:
    problems = []
    if not plan.guest_unit.strip():
        problems.append(("guest_unit", "required: the visiting unit"))
    if not plan.letter_ref.strip():
        problems.append(("letter_ref", "required: the visiting unit's letter (公函) naming the task"))
    if plan.guests <= 0:
        problems.append(("guests", "at least one guest"))
    if plan.accompanying < 0 or plan.meals < 0 or not 0 <= plan.planned_cost_fen <= MAX_COST_FEN:
        problems.append(("planned_cost_fen", f"counts not negative, a cost from 0 to {MAX_COST_FEN} fen"))
    if plan.day is None:
        problems.append(("day", "required"))
    elif plan.day < today:
        problems.append(("day", "a reception is approved before it happens: not a past day"))
    if problems:
        raise InvalidInput(problems)


def accompanying_cap(guests: int, s: Standards) -> int:
    """第十条: up to `small_group_size` guests, `small_group_accompanying` hosts; beyond, a share."""
    if guests <= s.small_group_size:
        return s.small_group_accompanying
    return guests // s.accompanying_ratio


def per_head_per_meal_fen(cost_fen: int, heads: int, meals: int) -> float:
    return cost_fen / (heads * meals) if heads and meals else 0.0


def over_standard(meal_cost_fen: int, heads: int, meals: int, s: Standards) -> bool:
    return meals > 0 and meal_cost_fen > s.meal_per_head_fen * heads * meals


def check_request(plan: ReceptionPlan, s: Standards) -> None:
    """A request is refused when the guests may not be received, too many accompany, or the planned
    meals are over the standard."""
    if plan.guest_kind not in s.receivable_guest_kinds:
        raise RuleViolation(
            "A56.guest",
            f"guests of kind {plan.guest_kind!r} are not received at public "
            f"expense (receivable: {', '.join(s.receivable_guest_kinds)})",
        )
    cap = accompanying_cap(plan.guests, s)
    if plan.accompanying > cap:
        raise RuleViolation(
            "A56.accompanying", f"{plan.accompanying} hosts accompany {plan.guests} guests; at most {cap}"
        )
    heads = plan.guests + plan.accompanying
    if over_standard(plan.planned_cost_fen, heads, plan.meals, s):
        raise RuleViolation(
            "A56.over-standard",
            f"{per_head_per_meal_fen(plan.planned_cost_fen, heads, plan.meals) / 100:.2f} yuan per "
            f"head and meal; the standard is {s.meal_per_head_fen / 100:.2f}",
        )


def check_approval_day(day: date, today: date) -> None:
    if today > day:
        raise RuleViolation(
            "A56.approval-before", f"the reception was on {day.isoformat()}: approval comes before it happens"
        )


@dataclass(frozen=True)
class Attendee:
    name: str
    unit: str
    guest: bool


@dataclass(frozen=True)
class Item:
    what: str
    cost_fen: int
    meal: bool


def check_list(attendees: list[Attendee], items: list[Item]) -> None:
    problems = []
    if not any(a.guest for a in attendees):
        problems.append(("attendees", "the list names the guests received"))
    for i, a in enumerate(attendees):
        if not a.name.strip() or not a.unit.strip():
            problems.append((f"attendees[{i}]", "name and unit"))
    if not items:
        problems.append(("items", "what was served or provided, with its cost"))
    for i, item in enumerate(items):
        if not item.what.strip() or not 0 <= item.cost_fen <= MAX_COST_FEN:
            problems.append((f"items[{i}]", f"what, and a cost from 0 to {MAX_COST_FEN} fen"))
    if problems:
        raise InvalidInput(problems)


def flags_on_close(
    *, approved: bool, attendees: list[Attendee], items: list[Item], meals: int, s: Standards
) -> list[dict]:
    """What the auditors must see on the list: never approved, over the standard, too many hosts."""
    flags = []
    if not approved:
        flags.append({"rule_id": "A56.without-approval", "reason": "held without approval (接待审批)"})
    guests = sum(a.guest for a in attendees)
    hosts = len(attendees) - guests
    meal_cost = sum(i.cost_fen for i in items if i.meal)
    if over_standard(meal_cost, len(attendees), meals, s):
        flags.append(
            {
                "rule_id": "A56.over-standard",
                "reason": f"{per_head_per_meal_fen(meal_cost, len(attendees), meals) / 100:.2f} yuan per head "
                f"and meal; the standard is {s.meal_per_head_fen / 100:.2f}",
            }
        )
    cap = accompanying_cap(guests, s)
    if hosts > cap:
        flags.append(
            {
                "rule_id": "A56.accompanying",
                "reason": f"{hosts} hosts accompanied {guests} guests; at most {cap}",
            }
        )
    return flags
