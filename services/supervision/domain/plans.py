"""Pure rules of the yearly inspection plan (A63), no I/O.

统筹规范督查检查考核: every inspection, check or assessment of the year is in a plan approved by the
city government (a city department's) or filed with the performance office and the supervision office
(a county's); at most `comprehensive_per_organiser` comprehensive inspections per organiser a year, and
at most `total_per_year` inspections in the whole year; a city department sets up no inspection of the
county governments in its plan; anything else goes one by one (一事一报) with its own approval.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.errors import InvalidInput, RuleViolation


class InspectionKind(enum.Enum):
    COMPREHENSIVE = "comprehensive"  # 综合性督查
    SPECIAL = "special"  # 专项督查
    CHECK = "check"  # 检查
    ASSESSMENT = "assessment"  # 考核


class PlanState(enum.Enum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    FILED = "filed"


@dataclass(frozen=True)
class PlanLimits:
    comprehensive_per_organiser: int = 1
    total_per_year: int = 60


@dataclass(frozen=True)
class Inspection:
    title: str
    kind: InspectionKind | None
    target_codes: tuple[str, ...]
    month: int
    unplanned: bool = False
    approval_reason: str = ""
    approved_by_user_id: str = ""

    def as_row(self) -> dict:
        return {
            "title": self.title.strip(),
            "kind": self.kind.value,
            "target_codes": list(self.target_codes),
            "month": self.month,
            "unplanned": self.unplanned,
            "approval_reason": self.approval_reason,
            "approved_by_user_id": self.approved_by_user_id,
        }


def inspection_of(row: dict) -> Inspection:
    return Inspection(
        row["title"],
        InspectionKind(row["kind"]),
        tuple(row["target_codes"]),
        row["month"],
        row["unplanned"],
        row["approval_reason"],
        row["approved_by_user_id"],
    )


def check_inspections(inspections: Sequence[Inspection], known: set[str], field: str = "inspections") -> None:
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(inspections):
        where = f"{field}[{i}]"
        if not item.title.strip():
            problems.append((f"{where}.title", "required"))
        if item.kind is None:
            problems.append((f"{where}.kind", "required"))
        if not 1 <= item.month <= 12:
            problems.append((f"{where}.month", "1 to 12"))
        if not item.target_codes:
            problems.append((f"{where}.target_codes", "at least one organisation inspected"))
        for code in item.target_codes:
            if code not in known:
                problems.append((f"{where}.target_codes", f"no organisation with code {code!r}"))
    if problems:
        raise InvalidInput(problems)


def check_department_targets(
    organiser_kind: str, inspections: Iterable[Inspection], counties: set[str]
) -> None:
    """A63: a city department's plan sets up no inspection of the county governments."""
    if organiser_kind != "department":
        return
    for item in inspections:
        reached = sorted(set(item.target_codes) & counties)
        if reached and not item.unplanned:
            raise RuleViolation(
                "A63.department-county",
                f"{item.title}: a city department does not set up its own inspection of "
                f"{', '.join(reached)}; ask for it one by one (一事一报)",
            )


def check_comprehensive_cap(inspections: Iterable[Inspection], limits: PlanLimits) -> None:
    count = sum(1 for i in inspections if i.kind is InspectionKind.COMPREHENSIVE)
    if count > limits.comprehensive_per_organiser:
        raise RuleViolation(
            "A63.comprehensive-cap",
            f"{count} comprehensive inspections; at most "
            f"{limits.comprehensive_per_organiser} a year per organiser",
        )


def check_total(in_force: int, adding: int, limits: PlanLimits) -> None:
    if in_force + adding > limits.total_per_year:
        raise RuleViolation(
            "A63.total-cap",
            f"{in_force} inspections are planned this year; {adding} more "
            f"would pass the cap of {limits.total_per_year}",
        )


def check_plan_transition(act: str, state: PlanState, organiser_kind: str) -> None:
    if state is not PlanState.SUBMITTED and act in ("submit", "approve", "file"):
        raise RuleViolation(
            "A63.plan-fixed", f"the plan is {state.value}: further inspections go one by one (一事一报)"
        )
    if act == "approve" and organiser_kind == "county":
        raise RuleViolation(
            "A63.county-files",
            "a county's plan is filed with the performance office and "
            "the supervision office, not approved by the city",
        )
    if act == "file" and organiser_kind != "county":
        raise RuleViolation(
            "A63.department-approval", "a city department's plan is approved by the city government"
        )
    if act == "unplanned" and state is PlanState.SUBMITTED:
        raise RuleViolation("A63.plan-fixed", "approve or file the plan first")


def burden(plans: Iterable[Sequence[dict]], counties: set[str]) -> dict[str, int]:
    """How many inspections reach each county, over the plans in force."""
    counts = dict.fromkeys(sorted(counties), 0)
    for inspections in plans:
        for row in inspections:
            for code in row["target_codes"]:
                if code in counts:
                    counts[code] += 1
    return counts
