"""The acts of the meetings service (会议事务), one module per aggregate: meetings, topics, leave,
minutes (and the decisions they record), department meetings, calendar feeds.

An act is one function: `await act(session, actor, input, env)`. It checks the rules (domain/),
changes the rows (store/), records the act (shared.audit) and adds the event (shared.outbox), all
in the caller's transaction: it never commits. RPCs (api.py) call acts; so would an event consumer
or a sweep. Who holds which position and who acts for whom is asked of `org` through `env.org`
before the first statement, so no database connection waits on org.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from shared.org_client import OrgClient
from shared.workdays import WorkingCalendar


@dataclass(frozen=True)
class Env:
    """What an act consults besides the database: org (positions, holders, acting holders), the
    working calendar (A42's 10 working days) and today's date in China."""

    org: OrgClient
    calendar: WorkingCalendar
    today: Callable[[], date]
