"""Who is who for an item, asked of `org` (shared/org_client.py): the head of a body (A60's first
responsible person), the supervising leader (the portfolio holder of the lead body, else the
mayor, A8), and who acts today for an absent leader (A10, A59)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.org_client import OrgClient
from shared.positions import (
    CITY_LEADERS,
    COUNTY_HEAD,
    DEPARTMENT_HEAD,
    EXECUTIVE_VICE_MAYOR,
    MAYOR,
    VICE_MAYOR,
)

# Positions whose duties pass to an acting holder while away (A10 mayor, A59 A/B pairs).
ACTING_POSITIONS = (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR)
# A4: the city government's members — the city leaders and the heads of its departments.
GOVERNMENT_MEMBERS = (*sorted(CITY_LEADERS), DEPARTMENT_HEAD)
# The head of a department or a county government: the body's first responsible person (A60).
HEAD_POSITIONS = (DEPARTMENT_HEAD, COUNTY_HEAD)


@dataclass(frozen=True)
class StandIn:
    """Who receives or decides for a leader today: the leader, or the acting holder (and for whom)."""

    user_id: str
    acting_for_user_id: str = ""
    acting_position: str = ""


class People:
    def __init__(self, org: OrgClient):
        self.org = org

    async def known_body(self, code: str) -> bool:
        return code in (await self.org.directory()).organisations

    async def organisation_kind(self, code: str) -> str:
        """ "office", "department" or "county" ('' when unknown)."""
        return (await self.org.directory()).organisations.get(code, ("", ""))[1]

    async def organisation_codes(self) -> set[str]:
        return set((await self.org.directory()).organisations)

    async def counties(self) -> set[str]:
        return {c for c, (_, kind) in (await self.org.directory()).organisations.items() if kind == "county"}

    async def head_of(self, body: str) -> str:
        directory = await self.org.directory()
        for position in HEAD_POSITIONS:
            for user in directory.holders.get(position, []):
                if directory.organisation_of.get(user) == body:
                    return user
        return ""

    async def mayor(self) -> str:
        return (await self.org.directory()).sole_holder(MAYOR)

    async def supervising_leader(self, body: str) -> str:
        """A8: the leader whose portfolio covers the lead body; the mayor when none does."""
        return await self.org.portfolio_holder(organisation_code=body) or await self.mayor()

    async def leader_positions(self, user_id: str) -> list[str]:
        positions = (await self.org.directory()).positions_of(user_id)
        return [p for p in ACTING_POSITIONS if p in positions]

    async def stand_in(self, leader: str, day: date) -> StandIn:
        """Whoever acts for `leader` on `day` (A10, A59): the leader when present."""
        for position in await self.leader_positions(leader):
            acting = await self.org.who_may_act(position, day=day, holder_user_id=leader)
            if acting.holder_away and acting.acting_user_id:
                return StandIn(acting.acting_user_id, leader, position)
        return StandIn(leader)

    async def may_decide_for(self, caller: str, leader: str, day: date) -> StandIn | None:
        """The caller as `leader`, or as the one acting for `leader` today; None otherwise."""
        if caller == leader:
            return StandIn(caller)
        stand_in = await self.stand_in(leader, day)
        return stand_in if stand_in.user_id == caller and stand_in.acting_for_user_id else None

    async def is_leader(self, user_id: str) -> bool:
        positions = (await self.org.directory()).positions_of(user_id)
        return any(p in CITY_LEADERS for p in positions)

    async def is_member(self, user_id: str) -> bool:
        """A member of the city government (A4): a city leader or the head of a department."""
        positions = (await self.org.directory()).positions_of(user_id)
        return any(p in GOVERNMENT_MEMBERS for p in positions)

    async def holders_of(self, positions) -> list[tuple[str, str]]:
        """(user id, display name) of everyone holding one of `positions`, in the positions' order."""
        directory = await self.org.directory()
        found: dict[str, str] = {}
        for position in positions:
            for user in directory.holders.get(position, []):
                found.setdefault(user, directory.names.get(user, ""))
        return list(found.items())
