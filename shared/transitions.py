"""Transition tables of state machines: the states from which an act is allowed, written once per
act beside the rules, and one clear error for the wrong state (INVALID_ARGUMENT on the aggregate's
id field, naming the state it is in and the states the act needs).

    FILE = Transition("document_id", "document", "is filed", frozenset({State.DRAFT}))
    FILE.check(State(row.state))  # "the document is signed; only a draft document is filed"

Used by documents, meetings, petitions and disclosure; the states are any Enum whose values are
their names in the error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from shared.errors import InvalidInput


@dataclass(frozen=True)
class Transition:
    """An act allowed only from `allowed`; `field` is the id field an error names (e.g.
    "document_id"), `subject` what the aggregate is called ("document"), `act` the act as the
    error says it ("is filed", "starts")."""

    field: str
    subject: str
    act: str
    allowed: frozenset[Enum] = field(default_factory=frozenset)

    def allows(self, state: Enum) -> bool:
        return state in self.allowed

    def check(self, state: Enum) -> None:
        if state not in self.allowed:
            allowed = " or ".join(sorted(s.value for s in self.allowed))
            article = "an" if allowed[:1] in ("a", "e", "i", "o", "u") else "a"
            raise InvalidInput(
                {
                    self.field: f"the {self.subject} is {state.value}; only {article} {allowed} {self.subject} {self.act}"
                }
            )
