"""Leave from a plenary or executive meeting (请假, A43): leaders ask the mayor; others apply to the
office, the secretary-general checks, the mayor approves."""

from __future__ import annotations

from collections.abc import Iterable

from services.meetings.domain.common import (
    CITY_LEADERS,
    MAYOR,
    SECRETARY_GENERAL,
    LeaveState,
    MeetingKind,
    MeetingState,
    Person,
    _holds_any,
)
from shared.errors import InvalidInput, RuleViolation
from shared.transitions import Transition

# ---- leave from a meeting (A43) ------------------------------------------------------------------


def check_leave_request(
    *,
    kind: MeetingKind,
    meeting_state: MeetingState,
    applicant: Person,
    participants: Iterable[str],
    reason: str,
    already_asked: bool,
) -> bool:
    """A43: who asks for leave from which meeting. Returns True when the applicant is a city leader
    (asks the mayor directly)."""
    if kind not in (MeetingKind.PLENARY, MeetingKind.EXECUTIVE):
        raise InvalidInput(
            {
                "meeting_id": "A43 leave is asked from plenary and executive meetings; for other "
                "meetings tell the convener"
            }
        )
    if meeting_state is not MeetingState.SCHEDULED:
        raise InvalidInput({"meeting_id": f"the meeting is {meeting_state.value}; leave is asked before it"})
    if not reason.strip():
        raise InvalidInput({"reason": "a reason is required"})
    if MAYOR in applicant.positions:
        raise InvalidInput(
            {"meeting_id": "the mayor convenes and chairs; he delegates instead of asking leave"}
        )
    if applicant.user_id not in set(participants):
        raise InvalidInput({"meeting_id": "the applicant is neither a member nor an attendee of the meeting"})
    if already_asked:
        raise InvalidInput({"meeting_id": "the applicant has asked leave from this meeting already"})
    return _holds_any(applicant, CITY_LEADERS)


# The secretary-general checks (核) a leave only while it is requested (shared.transitions).
CHECK = Transition("leave_id", "leave", "is checked", frozenset({LeaveState.REQUESTED}))


def check_leave_check(state: LeaveState, *, leader: bool, checker: Person) -> None:
    """A43: the secretary-general checks (核) the leave of an attendee who is not a city leader."""
    if SECRETARY_GENERAL not in checker.positions:
        raise RuleViolation("A43.leave-chain", "the secretary-general checks leave from the meeting")
    if leader:
        raise RuleViolation(
            "A43.leave-chain", "a city leader asks the mayor directly; there is nothing to check"
        )
    CHECK.check(state)


def check_leave_decision(state: LeaveState, *, leader: bool, decider: Person) -> None:
    """A43: the mayor approves a leader's request at once, others' once the secretary-general checked."""
    if not decider.has_mayors_authority:
        raise RuleViolation(
            "A43.leave-chain", "leave from a plenary or executive meeting is approved by the mayor"
        )
    if state in (LeaveState.APPROVED, LeaveState.REFUSED):
        raise InvalidInput({"leave_id": f"the leave is {state.value} already"})
    if not leader and state is not LeaveState.CHECKED:
        raise RuleViolation(
            "A43.leave-chain",
            "the office's applicants are checked by the secretary-general before the mayor approves",
        )
