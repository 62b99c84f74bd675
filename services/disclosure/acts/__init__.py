"""The acts of the disclosure service, one module per aggregate: applications.py and replies.py
(依申请公开: intake, completion, withdrawal, the art. 30 lapse; consultation, more time, the reply,
reviews and lawsuits), annual_report.py (the yearly report), publications.py (主动公开),
concerns.py (回应关切).

An act is one function taking the session, the actor and its typed input (and `env`, what it
consults besides the database). It checks the rules (domain/), changes the rows (store/), records
the act (shared.audit) and adds the event (shared.outbox), all in the caller's transaction: it
never commits. RPCs (api_*.py), event consumers (events*.py) and sweeps (sweep.py) call acts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from shared.convert import today_in_china as _today_in_china
from shared.workdays import WorkingCalendar


def today_in_china() -> date:
    """The service's day (China Standard Time); tests set it by replacing this function."""
    return _today_in_china()


@dataclass(frozen=True)
class Env:
    """What an act consults besides the database: the working calendar (reply limits, art. 26) and
    the service's day."""

    calendar: WorkingCalendar
    today: Callable[[], date]
