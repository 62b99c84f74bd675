"""What the supervision benches share: a PostgreSQL migrated with the supervision schema, and org's
answers from a fixed directory.

org stands in locally: in production its answers (the head of a body, the portfolio holder, who acts
for an absent leader) come from OrgClient's cache (ZGOV_ORG_CACHE_SECONDS), so a round of the sweep or
a consumed event costs no org call in the steady state either; the benches measure NATS, the consumer,
the acts and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

from services.supervision.acts.people import People, StandIn

BODIES = (
    "education-bureau",
    "transport-bureau",
    "health-commission",
    "anyue-county",
    "lezhi-county",
    "yanjiang-district",
    "general-office",
)


class DirectoryPeople(People):
    """org's answers for a fixed directory: every body known, its head, one supervising vice mayor."""

    def __init__(self):
        super().__init__(org=None)

    async def known_body(self, code: str) -> bool:
        return code in BODIES

    async def organisation_kind(self, code: str) -> str:
        return "county" if code.endswith(("county", "district")) else "department"

    async def organisation_codes(self) -> set[str]:
        return set(BODIES)

    async def head_of(self, body: str) -> str:
        return f"head-of-{body}"

    async def mayor(self) -> str:
        return "mayor-1"

    async def supervising_leader(self, body: str) -> str:
        return "vice-mayor-1"

    async def leader_positions(self, user_id: str) -> list[str]:
        return []

    async def stand_in(self, leader: str, day: date) -> StandIn:
        return StandIn(leader)
