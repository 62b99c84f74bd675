"""Pure rules of performance management (目标绩效, A64–A66), no I/O.

A64: one indicator system per kind of body, scored openly and fairly, the results approved by the
executive meeting (市政府常务会议审定) and then the basis for accountability, appointments and rewards.
A65: a city department is assessed on carrying out major decisions, its duties, key work, efficiency,
service quality and its own building; A66: a county government on economic regulation, market
supervision, social management, public services, ecological protection, lawful administration and the
province's key work. So a set covers every area of its kind, with weights summing to 100; the indicators
the platform measures (supervision items closed on time) are computed from the items, never typed in;
every other score carries its evidence; nobody scores his own body.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation

TOTAL_WEIGHT = 100
CENTI = 100  # scores are kept in hundredths of a point
MAX_INDICATORS = 60
MAX_TEXT = 10_000


class AssessedKind(enum.Enum):
    DEPARTMENT = "department"  # 市政府部门 (A65)
    COUNTY = "county"  # 县（区）政府 (A66)


class Measure(enum.Enum):
    EVIDENCE = "evidence"  # scored by the office with evidence
    ITEMS_ON_TIME = "items_on_time"  # computed from the body's supervision items
    # computed from the facts other services' events report (MeasuredFact):
    PETITIONS_ON_TIME = "petitions_on_time"  # 信访事项按期答复 (petitions.case.replied)
    PETITIONS_SATISFIED = "petitions_satisfied"  # 信访群众满意 (petitions.case.rated)
    COUNTERSIGNS_ANSWERED = "countersigns_answered"  # 会签按期回复 (documents.countersign.*, A49)
    # 依申请公开按期答复 (disclosure.application.replied, OGI art. 33)
    DISCLOSURE_REPLIES_ON_TIME = "disclosure_replies_on_time"


# The measures counted from facts reported by other services' events, and how the evidence reads.
FED_MEASURES: dict[Measure, str] = {
    Measure.PETITIONS_ON_TIME: "信访事项按期答复",
    Measure.PETITIONS_SATISFIED: "信访答复满意（含基本满意）",
    Measure.COUNTERSIGNS_ANSWERED: "会签按期回复（未逾期视为同意）",
    Measure.DISCLOSURE_REPLIES_ON_TIME: "依申请公开按期答复",
}


@dataclass(frozen=True)
class Fact:
    """What one event of another service says about a body, for a computed indicator: good (a reply on
    time, a satisfied rating, a countersign answered) or not."""

    measure: Measure
    source_ref: str
    body_code: str
    good: bool
    happened_on: date


class SetState(enum.Enum):
    OPEN = "open"
    APPROVED = "approved"


class Grade(enum.Enum):
    EXCELLENT = "excellent"  # 优秀
    GOOD = "good"  # 良好
    PASS = "pass"  # 合格
    FAIL = "fail"  # 不合格


# A65 and A66: the areas a set of each kind must cover (an indicator's `dimension`).
DIMENSIONS: dict[AssessedKind, tuple[str, ...]] = {
    AssessedKind.DEPARTMENT: (
        "major-decisions",
        "duties",
        "key-work",
        "efficiency",
        "service-quality",
        "self-building",
    ),
    AssessedKind.COUNTY: (
        "economic-regulation",
        "market-supervision",
        "social-management",
        "public-services",
        "ecological-protection",
        "lawful-administration",
        "provincial-key-work",
    ),
}
RULE_OF_KIND = {AssessedKind.DEPARTMENT: "A65.dimensions", AssessedKind.COUNTY: "A66.dimensions"}


@dataclass(frozen=True)
class GradeLimits:
    """Grade thresholds in points (settings; the common 90 / 80 / 60 of the assessment rules)."""

    excellent: int = 90
    good: int = 80
    passing: int = 60


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    dimension: str
    weight: int
    measure: Measure | None

    def as_row(self) -> dict:
        return {
            "code": self.code.strip(),
            "name": self.name.strip(),
            "dimension": self.dimension.strip(),
            "weight": self.weight,
            "measure": self.measure.value,
        }


def indicator_of(row: Mapping) -> Indicator:
    return Indicator(row["code"], row["name"], row["dimension"], row["weight"], Measure(row["measure"]))


def check_indicators(kind: AssessedKind | None, indicators: Sequence[Indicator]) -> None:
    """Shape (INVALID_ARGUMENT), then A64 weights and A65/A66 areas (FAILED_PRECONDITION)."""
    problems: list[tuple[str, str]] = []
    if kind is None:
        problems.append(("kind", "required: department or county"))
    if not 0 < len(indicators) <= MAX_INDICATORS:
        problems.append(("indicators", f"1 to {MAX_INDICATORS} indicators"))
    seen: set[str] = set()
    for i, item in enumerate(indicators):
        where = f"indicators[{i}]"
        if not item.code.strip() or len(item.code) > 64:
            problems.append((f"{where}.code", "required, at most 64 characters"))
        elif item.code.strip() in seen:
            problems.append((f"{where}.code", f"{item.code!r} given twice"))
        seen.add(item.code.strip())
        if not item.name.strip():
            problems.append((f"{where}.name", "required"))
        if item.weight <= 0:
            problems.append((f"{where}.weight", "a positive number of points"))
        if item.measure is None:
            problems.append((f"{where}.measure", "required"))
        if kind is not None and item.dimension.strip() not in DIMENSIONS[kind]:
            problems.append((f"{where}.dimension", f"one of {', '.join(DIMENSIONS[kind])}"))
    if problems:
        raise InvalidInput(problems)
    total = sum(i.weight for i in indicators)
    if total != TOTAL_WEIGHT:
        raise RuleViolation("A64.weights", f"the weights sum to {total}, not {TOTAL_WEIGHT}")
    missing = [d for d in DIMENSIONS[kind] if d not in {i.dimension.strip() for i in indicators}]
    if missing:
        raise RuleViolation(RULE_OF_KIND[kind], f"no indicator assesses {', '.join(missing)}")


def check_open(state: SetState) -> None:
    if state is SetState.APPROVED:
        raise RuleViolation(
            "A64.final", "the results are approved by the executive meeting: the set is final"
        )


def check_replaceable(state: SetState, scored: bool) -> None:
    """A64 fairness: the indicators do not change under a body once scoring has begun."""
    check_open(state)
    if scored:
        raise RuleViolation("A64.fixed", "scores exist: the indicators no longer change this year")


def check_body_kind(kind: AssessedKind, body_kind: str) -> None:
    """A65 departments, A66 counties: a body is assessed in the set of its own kind."""
    if body_kind != kind.value:
        raise RuleViolation(
            RULE_OF_KIND[kind].replace("dimensions", "kind"),
            f"a {body_kind or 'unknown'} body is not assessed in the {kind.value} set",
        )


def check_targets(indicators: Sequence[Indicator], targets: Mapping[str, str]) -> None:
    """目标分解: a target for every indicator, and for no other."""
    codes = {i.code for i in indicators}
    problems = [("targets", f"no target for {code}") for code in sorted(codes - set(targets))]
    problems += [("targets", f"no indicator {code!r} in the set") for code in sorted(set(targets) - codes)]
    problems += [
        ("targets", f"{code}: the target is empty") for code, text in targets.items() if not text.strip()
    ]
    if problems:
        raise InvalidInput(problems)


def find(indicators: Iterable[Indicator], code: str, field: str = "indicator_code") -> Indicator:
    for indicator in indicators:
        if indicator.code == code:
            return indicator
    raise InvalidInput({field: f"no indicator {code!r} in the set"})


def check_own_body(caller_body: str, body: str) -> None:
    if caller_body != body:
        raise RuleViolation("A64.own-body", f"only {body} reports progress on its own targets")


def check_score(indicator: Indicator, centipoints: int, evidence: str, scorer_body: str, body: str) -> None:
    """A64: scored openly and fairly — by hand only what the platform does not measure, with its evidence,
    within the indicator's weight, never by the body assessed."""
    if scorer_body == body:
        raise RuleViolation("A64.self-scoring", f"{body} does not score itself")
    if indicator.measure is not Measure.EVIDENCE:
        raise RuleViolation(
            "A64.measured",
            f"{indicator.code} is computed from the supervision items or other services' events, "
            "not scored by hand",
        )
    if not 0 <= centipoints <= indicator.weight * CENTI:
        raise InvalidInput(
            {"centipoints": f"0 to {indicator.weight * CENTI} (the weight {indicator.weight})"}
        )
    if not evidence.strip():
        raise RuleViolation("A64.evidence", f"{indicator.code}: a score states its evidence")
    if len(evidence) > MAX_TEXT:
        raise InvalidInput({"evidence": f"at most {MAX_TEXT} characters"})


def on_time_score(indicator: Indicator, due: int, on_time: int) -> int:
    """The share of the body's items due in the year that were finished by their due date, times the
    weight; a body with no item due scores the full weight (nothing was late). The same share scores the
    fed measures: good facts over all facts of the year, full weight when there is none."""
    if due == 0:
        return indicator.weight * CENTI
    return indicator.weight * CENTI * on_time // due


def total(scores: Mapping[str, Mapping]) -> int:
    return sum(s["centipoints"] for s in scores.values())


def grade(
    indicators: Sequence[Indicator], scores: Mapping[str, Mapping], limits: GradeLimits
) -> Grade | None:
    """The grade once every indicator is scored."""
    if any(i.code not in scores for i in indicators):
        return None
    points = total(scores)
    if points >= limits.excellent * CENTI:
        return Grade.EXCELLENT
    if points >= limits.good * CENTI:
        return Grade.GOOD
    if points >= limits.passing * CENTI:
        return Grade.PASS
    return Grade.FAIL


def check_complete(indicators: Sequence[Indicator], assessments: Mapping[str, Mapping[str, Mapping]]) -> None:
    """A64: results go to the executive meeting only when every body is scored on every indicator."""
    if not assessments:
        raise RuleViolation("A64.incomplete", "no body has targets in this set")
    for body, scores in sorted(assessments.items()):
        missing = [i.code for i in indicators if i.code not in scores]
        if missing:
            raise RuleViolation("A64.incomplete", f"{body} is not scored on {', '.join(missing)}")


def check_decision(decision_known: bool, decision_id: str) -> None:
    """A64: results are final only by the executive meeting's decision, recorded in meetings."""
    if not decision_id.strip():
        raise InvalidInput(
            {"decision_id": "required: the executive meeting's decision approving the results"}
        )
    if not decision_known:
        raise RuleViolation("A64.approval", f"no decision {decision_id} of a meeting is recorded")
