"""The acts of the documents service (公文事务), one module per aggregate: drafting and filing
(drafting.py), the general office's check and routing (review.py), countersign (countersign.py),
sign-off (sign_off.py), numbering and issue (issue.py), normative documents and government rules
(normative.py).

An act is one function: `await act(session, actor, input, env)`. It checks the rules (domain/),
changes the rows (store/), records the act (shared.audit) and adds the event (shared.outbox), all
in the caller's transaction: it never commits. RPCs (api.py) call acts, and so does the countersign
clock (events.py) for what happens because a day passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from shared.identity import Actor
from shared.org_client import OrgClient
from shared.workdays import WorkingCalendar


@dataclass(frozen=True)
class Env:
    """What an act consults besides the database: org (organisations, positions, portfolios, who
    acts for an absent holder), the working calendar (A49, A53 deadlines) and today's date in China."""

    org: OrgClient
    calendar: WorkingCalendar
    today: Callable[[], date]


# Who records what the clock does (a deemed agreement, a reminder, an expiry): the platform itself,
# by the rule.
COUNTERSIGN_CLOCK = Actor(
    user_id="service-account-documents",
    username="service-account-documents",
    display_name="公文系统（A49 逾期视为无不同意见）",
    is_service=True,
    client_id="documents",
)
