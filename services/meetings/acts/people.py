"""Who the people of an act are, as the rules see them (domain.Person), asked of `org`: the positions
a person holds, whether he or she acts for the absent mayor (A10), who acts for an absent chair or
member on the meeting's day (A10, A59), and how an act done in the mayor's place is recorded."""

from __future__ import annotations

import asyncio
from datetime import date

from services.meetings import domain, models
from services.meetings.acts import Env
from services.meetings.domain import MeetingKind, Person
from shared.errors import InvalidInput
from shared.identity import Actor

# Positions a chair may hold, the highest first: the one org is asked about when the chair is away.
CHAIR_POSITIONS = (
    domain.MAYOR,
    domain.EXECUTIVE_VICE_MAYOR,
    domain.VICE_MAYOR,
    domain.SECRETARY_GENERAL,
    domain.DEPUTY_SECRETARY_GENERAL,
)


async def as_person(env: Env, user_id: str, day: date, positions: frozenset[str] | None = None) -> Person:
    """A person with his or her positions (from org unless given) and whether he or she acts as
    mayor on `day` (A10: org's answer for the mayor's position)."""
    if positions is None:
        positions = (await env.org.directory()).positions_of(user_id)
    if domain.MAYOR in positions:
        return Person(user_id, positions)
    acting = await env.org.who_may_act(domain.MAYOR, day=day)
    return Person(user_id, positions, acts_as_mayor=acting.holder_away and acting.acting_user_id == user_id)


async def recorded_actor(env: Env, actor: Actor, person: Person) -> Actor:
    """The actor as recorded: in the mayor's place when acting for the mayor (both names kept)."""
    if person.acts_as_mayor and domain.MAYOR not in person.positions:
        mayors = (await env.org.directory()).holders.get(domain.MAYOR, [])
        return actor.acting_for(mayors[0] if mayors else "", domain.MAYOR)
    return actor


async def person_or_bad_input(env: Env, user_id: str, field: str) -> Person | None:
    if not user_id:
        return None
    directory = await env.org.directory()
    if not directory.known(user_id):
        raise InvalidInput({field: f"no position holder with user id {user_id}"})
    return Person(user_id, directory.positions_of(user_id), name=directory.names.get(user_id, ""))


async def chair_today(env: Env, row: models.Meeting) -> tuple[str, str]:
    """The chair, or whoever acts for the chair on the meeting's day (A10, A59)."""
    positions = (await env.org.directory()).positions_of(row.chair_user_id)
    position = next((p for p in CHAIR_POSITIONS if p in positions), None)
    if position is None:
        return row.chair_user_id, ""
    acting = await env.org.who_may_act(position, day=row.day, holder_user_id=row.chair_user_id)
    return domain.effective_chair(row.chair_user_id, acting.holder_away, acting.acting_user_id)


async def seats(env: Env, row: models.Meeting) -> list[domain.Seat]:
    """A42: each member's seat with whoever acts for the member on the meeting's day (org)."""
    directory = await env.org.directory()
    kind_positions = domain.MEMBER_POSITIONS[MeetingKind(row.kind)]

    async def seat(user_id: str) -> domain.Seat:
        held = directory.positions_of(user_id)
        position = next((p for p in kind_positions if p in held), "")
        if not position:  # no longer holds a member position: counted as a plain seat
            return domain.Seat("", user_id)
        acting = await env.org.who_may_act(position, day=row.day, holder_user_id=user_id)
        return domain.Seat(position, user_id, acting.acting_user_id, acting.holder_away)

    return list(await asyncio.gather(*(seat(u) for u in row.member_user_ids)))
