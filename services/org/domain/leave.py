"""Leave (请假, 销假, A82) and who acts for an absent holder (代行, A10, A59), with the gaps a leave
leaves uncovered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from shared.errors import InvalidInput, RuleViolation
from shared.people import person
from services.org.domain.common import (
    EXECUTIVE_VICE_MAYOR,
    MAYOR,
    PORTFOLIO_POSITIONS,
)


class LeaveKind(str, Enum):
    ABROAD = "abroad"  # 出国（境）
    STUDY = "study"  # 脱产学习
    LEAVE = "leave"  # 请假 / 休假
    BUSINESS_TRIP = "business_trip"  # 出差


class LeaveState(str, Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    ENDED = "ended"


# A10 names these three absences; a business trip leaves the mayor reachable.
A10_ABSENCES = frozenset({LeaveKind.ABROAD, LeaveKind.STUDY, LeaveKind.LEAVE})
# Leaves that still take the holder away (or will).
LIVE_STATES = frozenset({LeaveState.REQUESTED, LeaveState.APPROVED})


@dataclass(frozen=True)
class Absence:
    """A leave as the rules see it: who is away, in which position, which days."""

    leave_id: str
    user_id: str
    position: str
    kind: LeaveKind
    first_day: date
    last_day: date
    state: LeaveState
    acting_user_id: str = ""

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def overlaps(self, first_day: date, last_day: date) -> bool:
        return self.first_day <= last_day and first_day <= self.last_day

    @property
    def takes_holder_away(self) -> bool:
        return self.state is LeaveState.APPROVED


def check_leave_request(
    *,
    user_positions: Iterable[str],
    position: str,
    kind: LeaveKind | None,
    first_day: date | None,
    last_day: date | None,
    reason: str,
    own_leaves: Iterable[Absence],
) -> None:
    """Bad input and overlapping requests are refused before anything is written."""
    problems: dict[str, str] = {}
    if first_day is None:
        problems["first_day"] = "the first day of absence is required"
    if last_day is None:
        problems["last_day"] = "the last day of absence is required"
    if first_day and last_day and last_day < first_day:
        problems["last_day"] = f"the leave ends ({last_day}) before it starts ({first_day})"
    if kind is None:
        problems["kind"] = "the kind of absence is required: abroad, study, leave or business trip"
    if not reason.strip():
        problems["reason"] = "a reason is required"
    if position not in set(user_positions):
        problems["position"] = f"the requester does not hold the position '{position}'"
    if problems:
        raise InvalidInput(problems)
    assert first_day and last_day
    for other in own_leaves:
        if other.state in LIVE_STATES and other.overlaps(first_day, last_day):
            raise RuleViolation(
                "A82.overlap",
                f"this leave overlaps leave {other.leave_id} ({other.first_day} to {other.last_day}, "
                f"{other.state.value}); end or change that one first",
            )


def leave_end_outcome(
    *, state: LeaveState, first_day: date, last_day: date, new_last_day: date, today: date
) -> LeaveState:
    """销假 (A82) without rewriting the record (A20, A26): the state a leave takes when it is ended.

    A leave ends from a day not before today: the days a leader was already away stay recorded,
    because an acting holder may have signed under them (A10, A59). So a new last day before
    yesterday is refused, and so is ending an approved leave that has begun with a last day before
    its first day (it would become a leave that "never took the holder away"). A requested leave,
    or an approved one that has not begun, is withdrawn: ENDED, never counted as an absence.
    """
    if new_last_day > last_day:
        raise InvalidInput({"last_day": f"after the leave's last day {last_day}; request a new leave"})
    if state is LeaveState.REQUESTED:
        return LeaveState.ENDED
    if first_day > today:  # not begun: nobody acted under it yet
        return LeaveState.ENDED if new_last_day < first_day else state
    earliest = max(first_day, today - timedelta(days=1))
    if new_last_day < earliest:
        raise RuleViolation(
            "A26.leave-taken",
            f"the leave began on {first_day} and ends from today at the earliest: the days already away "
            f"stay recorded (an acting holder may have signed under them); the last day away is {earliest} or later",
            subject="last_day",
        )
    return state


def both_top_leaders_away(candidate: Absence, approved: Iterable[Absence]) -> Absence | None:
    """A82: the approved absence of the other top leader that overlaps the candidate, if any.

    The candidate is a leave of the mayor or of the executive vice mayor; the other top
    leader's approved absences are checked for a shared day.
    """
    other_position = {MAYOR: EXECUTIVE_VICE_MAYOR, EXECUTIVE_VICE_MAYOR: MAYOR}.get(candidate.position)
    if other_position is None:
        return None
    for absence in approved:
        if (
            absence.position == other_position
            and absence.takes_holder_away
            and absence.overlaps(candidate.first_day, candidate.last_day)
        ):
            return absence
    return None


def check_both_away(candidate: Absence, approved: Iterable[Absence], override_reason: str) -> None:
    """A82: refuse to let the mayor and the executive vice mayor be away together, unless overridden."""
    clash = both_top_leaders_away(candidate, approved)
    if clash and not override_reason.strip():
        raise RuleViolation(
            "A82",
            f"the {clash.position} is away from {clash.first_day} to {clash.last_day} (leave "
            f"{clash.leave_id}); the mayor and the executive vice mayor are not away at the same time "
            "unless an override with a reason is given",
        )


@dataclass(frozen=True)
class ActingAnswer:
    """Who may exercise a position's authority on a day, and on what basis."""

    position: str
    holder_user_id: str
    acting_user_id: str
    holder_away: bool
    basis: str
    leave_id: str = ""


def stand_in_for(
    absence: Absence, *, executive_vice_mayor_id: str | None, ab_partner_id: str | None
) -> tuple[str, str]:
    """The stand-in the rules name for an absence, and the basis: (user id, basis)."""
    if absence.position == MAYOR and absence.kind in A10_ABSENCES and executive_vice_mayor_id:
        return executive_vice_mayor_id, "A10"
    if absence.position in PORTFOLIO_POSITIONS and ab_partner_id:
        return ab_partner_id, "A59"
    if absence.acting_user_id:
        return absence.acting_user_id, "named in leave"
    return "", "no stand-in named"


def who_may_act(
    *,
    position: str,
    holder_user_id: str,
    day: date,
    absences: Iterable[Absence],
    executive_vice_mayor_id: str | None,
    ab_partner_id: str | None,
) -> ActingAnswer:
    """A10, A59: the holder acts, unless away on an approved leave; then the stand-in, if present."""
    absences = list(absences)
    away = next(
        (a for a in absences if a.user_id == holder_user_id and a.takes_holder_away and a.covers(day)),
        None,
    )
    if away is None:
        return ActingAnswer(position, holder_user_id, holder_user_id, False, "holder present")
    stand_in, basis = stand_in_for(
        away, executive_vice_mayor_id=executive_vice_mayor_id, ab_partner_id=ab_partner_id
    )
    stand_in_away = any(a.user_id == stand_in and a.takes_holder_away and a.covers(day) for a in absences)
    if stand_in and stand_in_away:
        return ActingAnswer(position, holder_user_id, "", True, f"{basis}: stand-in also away", away.leave_id)
    return ActingAnswer(position, holder_user_id, stand_in, True, basis, away.leave_id)


@dataclass(frozen=True)
class StandInGap:
    """Days on which a position's holder is away and nobody acts for him or her (A10, A59).

    Flagged when a leave is requested and approved, so the office arranges a stand-in (or a
    leave named in the request) before a signature fails, not after.
    """

    position: str
    holder_user_id: str
    leave_id: str
    first_day: date
    last_day: date
    reason: str


def _overlap(a: Absence, b: Absence) -> tuple[date, date] | None:
    first, last = max(a.first_day, b.first_day), min(a.last_day, b.last_day)
    return (first, last) if first <= last else None


def stand_in_gaps(
    leave: Absence,
    approved: Iterable[Absence],
    stand_in_of: Callable[[Absence], tuple[str, str]],
    names: Mapping[str, str] | None = None,
) -> list[StandInGap]:
    """A10, A59: the gaps a leave opens, were it approved alongside the `approved` absences.

    Its own position when the rules name no stand-in (e.g. the mayor's business trip, not an A10
    absence) or the stand-in is away on some of its days; and any position whose absent holder
    counts on this leave's holder as stand-in on shared days. `stand_in_of` is stand_in_for with
    the executive vice mayor and the A/B pairs bound.
    """
    names = names or {}

    def who(user_id: str) -> str:
        return person(user_id, names.get(user_id, ""))

    others = [a for a in approved if a.leave_id != leave.leave_id and a.takes_holder_away]
    gaps = []
    stand_in, basis = stand_in_of(leave)
    if not stand_in:
        gaps.append(
            StandInGap(
                leave.position,
                leave.user_id,
                leave.leave_id,
                leave.first_day,
                leave.last_day,
                f"nobody acts for {who(leave.user_id)} as {leave.position}: the rules name no stand-in for "
                f"this absence ({leave.kind.value}) and the request names none",
            )
        )
    for other in others:
        days = _overlap(leave, other)
        if days is None:
            continue
        if stand_in and other.user_id == stand_in:
            gaps.append(
                StandInGap(
                    leave.position,
                    leave.user_id,
                    leave.leave_id,
                    *days,
                    f"the stand-in {who(stand_in)} ({basis}) is away too (leave {other.leave_id})",
                )
            )
        other_stand_in, other_basis = stand_in_of(other)
        if other_stand_in and other_stand_in == leave.user_id:
            gaps.append(
                StandInGap(
                    other.position,
                    other.user_id,
                    other.leave_id,
                    *days,
                    f"{who(other.user_id)} is away and {who(leave.user_id)} stands in ({other_basis}), "
                    f"but this leave takes {who(leave.user_id)} away too",
                )
            )
    return gaps
