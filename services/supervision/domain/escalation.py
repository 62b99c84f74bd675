"""Pure rules of the escalation ladder of a supervision item (预警, 提醒, 黄灯, 红灯催办, 分管领导, 市长, 问责,
A61), no I/O: the item's colour, the steps due by a day and the next day one falls due. The sweep
(acts/escalation.py) takes the steps; every act reschedules the item with them (acts/items.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.supervision.domain.items import Colour, Limits, Step
from shared.workdays import WorkingCalendar


def colour(today: date, due: date | None, next_report_due: date | None) -> Colour:
    if due is not None and today > due:
        return Colour.RED
    if next_report_due is not None and today > next_report_due:
        return Colour.YELLOW
    return Colour.GREEN


@dataclass(frozen=True)
class DueStep:
    step: Step
    against: date  # the due date (or report due date) the step is taken against

    @property
    def key(self) -> str:
        return f"{self.step.value}:{self.against.isoformat()}"


def step_day(step: Step, due: date, cal: WorkingCalendar, limits: Limits) -> date:
    """The first day on which `step` applies to an item due on `due`."""
    if step is Step.WARNED:
        return cal.add_working_days(due, -limits.warn_days_before).due
    if step is Step.REMINDED:
        return cal.add_working_days(due, -limits.remind_days_before).due
    if step is Step.URGED:
        return date.fromordinal(due.toordinal() + 1)
    after = {
        Step.TO_SUPERVISING_LEADER: limits.to_leader_days_after,
        Step.TO_MAYOR: limits.to_mayor_days_after,
        Step.ACCOUNTABILITY_PROPOSED: limits.accountability_days_after,
    }[step]
    return cal.add_working_days(due, after).due


DUE_LADDER = (
    Step.WARNED,
    Step.REMINDED,
    Step.URGED,
    Step.TO_SUPERVISING_LEADER,
    Step.TO_MAYOR,
    Step.ACCOUNTABILITY_PROPOSED,
)
# Warnings before the due date make no sense once it has passed (a late first sweep skips them).
BEFORE_DUE = frozenset({Step.WARNED, Step.REMINDED})


def due_steps(
    today: date,
    due: date | None,
    next_report_due: date | None,
    taken: Iterable[str],
    cal: WorkingCalendar,
    limits: Limits,
) -> list[DueStep]:
    """The steps of the ladder due by `today` and not yet taken, in ladder order."""
    done = set(taken)
    found: list[DueStep] = []
    if next_report_due is not None and today > next_report_due:
        found.append(DueStep(Step.REPORT_MISSED, next_report_due))
    if due is not None:
        for step in DUE_LADDER:
            if step in BEFORE_DUE and today > due:
                continue
            if today >= step_day(step, due, cal, limits):
                found.append(DueStep(step, due))
    order = {s: i for i, s in enumerate(Step)}
    return sorted((s for s in found if s.key not in done), key=lambda s: order[s.step])


def next_check_day(
    today: date,
    due: date | None,
    next_report_due: date | None,
    taken: Iterable[str],
    cal: WorkingCalendar,
    limits: Limits,
) -> date | None:
    """The first day after `today` on which a step not yet taken falls due (None: nothing left), so
    the sweep reads only the items that have something to do."""
    done = set(taken)
    days: list[date] = []
    if next_report_due is not None:
        days.append(date.fromordinal(next_report_due.toordinal() + 1))
    if due is not None:
        for step in DUE_LADDER:
            if DueStep(step, due).key in done:
                continue
            day = step_day(step, due, cal, limits)
            if step in BEFORE_DUE and day > due:
                continue
            days.append(day)
    later = [d for d in days if d > today]
    return min(later) if later else None
