"""Entering what happened on paper (补录): the same rules for past and future days in every service.

An officer sometimes records an act that happened earlier outside the platform: a topic a department
handed in on paper, a countersign request sent on paper. The API takes the day it happened, and the
limits run from that day, not from the day it was entered. So that nobody passes a cut-off (such as
A42's ten working days) by back-dating:

- a day in the future is refused (INVALID_ARGUMENT): nothing is recorded before it happens;
- a day more than the service's window before today (30 calendar days unless configured) is refused
  (INVALID_ARGUMENT): older paper belongs in the archive, not in a running limit;
- entering a past day is a permission of the general office (`<aggregate>:enter-paper`), never of the
  body whose limit it is: anyone else gets PERMISSION_DENIED (PERMISSION_MISSING);
- the recorded act keeps both days: the day it happened (in its text) and the day it was entered (its
  own timestamp), and names who entered it.

docs/design.md ("Time conventions") states the same rules.
"""

from __future__ import annotations

from datetime import date, timedelta

from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor

PAPER_WINDOW_DAYS = 30


def day_it_happened(
    happened_on: date, *, today: date, field: str, window_days: int = PAPER_WINDOW_DAYS
) -> date:
    """The day an act happened on paper, if the platform may take it; else InvalidInput naming `field`."""
    if happened_on > today:
        raise InvalidInput(
            {field: f"{happened_on} is after today ({today}): only what has happened is recorded"}
        )
    earliest = today - timedelta(days=window_days)
    if happened_on < earliest:
        raise InvalidInput(
            {
                field: f"{happened_on} is more than {window_days} days ago (earliest {earliest}): "
                "older paper records are archived, not entered into running limits"
            }
        )
    return happened_on


def check_may_enter_paper(actor: Actor, permission: str, method: str) -> None:
    """Only holders of `permission` (the general office) enter a past day; refused otherwise."""
    if not actor.may(permission):
        raise Forbidden(
            f"{method}: entering a day in the past needs permission {permission} (the general office); "
            f"{actor.username or actor.user_id} does not hold it",
            reason="PERMISSION_MISSING",
            metadata={"permissions": permission, "method": method},
        )


def entered_note(happened_on: date, entered_on: date) -> str:
    """What the recorded act says of the two days, when they differ."""
    return f"happened on paper on {happened_on}, entered on {entered_on}" if happened_on != entered_on else ""
