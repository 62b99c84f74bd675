"""Pure rules of research (调查研究, A31, A33, A34), no I/O.

A31: leaders research at the grassroots at least 90 days a year (`pace`), a leader's calendar day counted
once whatever the visits recorded for it (`already_counted`); each member of the government
(the mayor, vice mayors, secretary-general and department heads, A4) leads at least one major research
topic a year (`without_topic`). A33: on research trips only the mayor may hold a working report meeting
for a whole county (全县（区）性工作汇报会); another leader hears the briefings of his portfolio. A34: a
research result is turned into decisions and policies — a topic's outcome links its report to the
decision or the policy it informed, and only once the report is filed.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation

MAX_TEXT = 20_000
MAX_VISIT_DAYS = 31


class ReportingMeeting(enum.Enum):
    NONE = "none"
    PORTFOLIO = "portfolio"  # 结合分管工作听取汇报
    COUNTY_WIDE = "county_wide"  # 全县（区）性工作汇报会


@dataclass(frozen=True)
class Visit:
    leader_user_id: str
    started_on: date | None
    days: int
    place: str
    county_codes: tuple[str, ...]
    purpose: str
    reporting_meeting: ReportingMeeting | None


def check_visit(visit: Visit, today: date, known: set[str]) -> None:
    problems: list[tuple[str, str]] = []
    if visit.started_on is None:
        problems.append(("started_on", "required"))
    elif visit.started_on > today:
        problems.append(("started_on", "a visit is recorded once made, not before"))
    if not 1 <= visit.days <= MAX_VISIT_DAYS:
        problems.append(("days", f"1 to {MAX_VISIT_DAYS}"))
    if not visit.place.strip():
        problems.append(("place", "required"))
    if not visit.purpose.strip() or len(visit.purpose) > MAX_TEXT:
        problems.append(("purpose", f"required, at most {MAX_TEXT} characters"))
    if visit.reporting_meeting is None:
        problems.append(("reporting_meeting", "required: none, portfolio or county-wide"))
    problems += [
        ("county_codes", f"no organisation with code {c!r}") for c in visit.county_codes if c not in known
    ]
    if problems:
        raise InvalidInput(problems)


def check_reporting_meeting(meeting: ReportingMeeting, leader_is_mayor: bool) -> None:
    """A33: a county-wide reporting meeting on a research trip is the mayor's alone."""
    if meeting is ReportingMeeting.COUNTY_WIDE and not leader_is_mayor:
        raise RuleViolation(
            "A33.county-meeting",
            "on research trips a leader other than the mayor holds no "
            "county-wide reporting meeting; hear the portfolio's briefings",
        )


def check_recorder(caller: str, leader: str, research_office: bool) -> None:
    """A leader records his own visits and topics; the research office records them for any leader."""
    if caller != leader and not research_office:
        raise RuleViolation("A31.own", "a leader records his own research; the research office for others")


def already_counted(covered: Iterable[tuple[str, date]]) -> dict[str, list[date]]:
    """A31: one research day per leader and calendar day, whatever its sources. `covered` is (the other
    visit, day) for each day of a new visit that another counting visit of the leader covers; the answer
    names, per other visit, the days the new one only corroborates (not counted again), each day once."""
    corroborated: dict[str, list[date]] = {}
    seen: set[date] = set()
    for visit, day in covered:
        if day not in seen:
            seen.add(day)
            corroborated.setdefault(visit, []).append(day)
    return corroborated


def expected_by(day: date, target: int) -> int:
    """The days a leader should have by `day` at an even pace towards `target` a year."""
    length = 366 if calendar.isleap(day.year) else 365
    return target * day.timetuple().tm_yday // length


def pace(
    days: Mapping[str, int], leaders: Iterable[str], day: date, target: int
) -> dict[str, tuple[int, int, bool]]:
    """leader → (days, expected by `day`, behind)."""
    expected = expected_by(day, target)
    return {leader: (days.get(leader, 0), expected, days.get(leader, 0) < expected) for leader in leaders}


def without_topic(members: Iterable[str], leading: set[str]) -> list[str]:
    """A31: the members of the government who lead no major topic of the year yet."""
    return [m for m in members if m not in leading]


def check_topic(title: str) -> None:
    if not title.strip() or len(title) > 500:
        raise InvalidInput({"title": "required, at most 500 characters"})


def check_report(summary: str, has_report: bool) -> None:
    if not summary.strip() or len(summary) > MAX_TEXT:
        raise InvalidInput({"summary": f"required, at most {MAX_TEXT} characters"})
    if has_report:
        raise RuleViolation("A34.reported", "the topic's report is filed; its outcome is linked next")


def check_outcome(has_report: bool, decision_id: str, policy_reference: str, decision_known: bool) -> None:
    """A34: a report filed first, then turned into a recorded decision or a named policy."""
    if bool(decision_id.strip()) == bool(policy_reference.strip()):
        raise InvalidInput({"decision_id": "give the decision the report informed, or the policy document"})
    if not has_report:
        raise RuleViolation("A34.report-first", "file the topic's report before linking what it informed")
    if decision_id.strip() and not decision_known:
        raise RuleViolation("A34.decision", f"no decision {decision_id} of a meeting is recorded")
