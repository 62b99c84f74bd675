"""Pure rules of accountability cases (问责, A72, A76), no I/O.

The service proposes, people decide: a case is proposed (by the ladder 20 working days past due, or
by the office for a neglected item) → referred to the discipline bodies → their outcome recorded; or
exempted under 容错纠错 (fault tolerance) — only with its reason. Nothing is deleted.
"""

from __future__ import annotations

import enum

from shared.errors import InvalidInput, RuleViolation


class Ground(enum.Enum):
    OVERDUE = "overdue"  # 逾期未办结
    NEGLECTED = "neglected"  # 推诿、拖延


class CaseState(enum.Enum):
    PROPOSED = "proposed"
    REFERRED = "referred"
    DECIDED = "decided"
    EXEMPTED = "exempted"


TRANSITIONS = {
    "refer": frozenset({CaseState.PROPOSED}),
    "decide": frozenset({CaseState.REFERRED}),
    "exempt": frozenset({CaseState.PROPOSED, CaseState.REFERRED}),
}


def check_case_transition(act: str, state: CaseState) -> None:
    if state not in TRANSITIONS[act]:
        raise RuleViolation("A72.state", f"a case that is {state.value} cannot be {act}ed")


def check_exemption(reason: str) -> str:
    """A72: 容错纠错 needs its reason (what was tried, why it failed through no neglect)."""
    if not reason.strip():
        raise RuleViolation("A72.exemption-reason", "an exemption under 容错纠错 states its reason")
    return reason.strip()


def required(field: str, value: str) -> str:
    if not value.strip():
        raise InvalidInput({field: "required"})
    return value.strip()
