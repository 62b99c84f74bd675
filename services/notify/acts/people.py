"""Who is told (通知对象): a target (a person or a body) → the people to reach, with their addresses.

A person is told in person, or — when a city leader is away today — whoever acts for them (A10: the
executive vice mayor for the absent mayor; A59: the A/B partner), asked of `org`. A body is told
through its designated contact (the group attribute `contact` in Keycloak), else its head (the
holder of department-head or county-head in it).
"""

from __future__ import annotations

from datetime import date

from services.notify.contacts import KeycloakContacts
from services.notify.domain.notices import Recipient, Target
from shared.org_client import OrgClient
from shared.positions import COUNTY_HEAD, DEPARTMENT_HEAD, EXECUTIVE_VICE_MAYOR, MAYOR, VICE_MAYOR

# Positions whose duties pass to an acting holder while away (A10 mayor, A59 A/B pairs).
ACTING_POSITIONS = (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR)
HEAD_POSITIONS = (DEPARTMENT_HEAD, COUNTY_HEAD)


class People:
    def __init__(self, org: OrgClient, contacts: KeycloakContacts):
        self.org = org
        self.contacts = contacts

    async def stand_in(self, user_id: str, day: date) -> tuple[str, str]:
        """(who is told, for whom): the person, or whoever acts for them today."""
        positions = (await self.org.directory()).positions_of(user_id)
        for position in (p for p in ACTING_POSITIONS if p in positions):
            acting = await self.org.who_may_act(position, day=day, holder_user_id=user_id)
            if acting.holder_away and acting.acting_user_id:
                return acting.acting_user_id, user_id
        return user_id, ""

    async def head_of(self, body: str) -> str:
        directory = await self.org.directory()
        for position in HEAD_POSITIONS:
            for user in directory.holders.get(position, []):
                if directory.organisation_of.get(user) == body:
                    return user
        return ""

    async def recipient(
        self, user_id: str, day: date, body_code: str = "", in_person: bool = False
    ) -> Recipient:
        told, acting_for = (user_id, "") if in_person else await self.stand_in(user_id, day)
        contact = await self.contacts.person(told)
        absent_name = (await self.contacts.person(acting_for)).name if acting_for else ""
        return Recipient(told, contact.name, acting_for, absent_name, body_code, dict(contact.addresses))

    async def recipients(self, target: Target, day: date) -> list[Recipient]:
        """Nobody when the target names nobody the directory knows (the event is still processed)."""
        if target.user_id:
            return [await self.recipient(target.user_id, day, in_person=target.in_person)]
        contact = await self.contacts.body_contact(target.body_code) or await self.head_of(target.body_code)
        return [await self.recipient(contact, day, target.body_code)] if contact else []
