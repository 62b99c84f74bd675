"""Who reads what in supervision (A60, A67; A80 where contact details are concerned), no I/O.

The supervision office (or whoever holds the permission the office's work needs), the mayor and the
secretary-general read everything; another city leader reads what he or she supervises, instructed
or leads; a body reads what it leads or helps with.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.identity import Actor
from shared.positions import CITY_LEADERS, MAYOR, SECRETARY_GENERAL

# City leaders who oversee the whole government's follow-up, not one portfolio.
CITY_WIDE_LEADERS = (MAYOR, SECRETARY_GENERAL)


@dataclass(frozen=True)
class Scope:
    """What a reader sees: everything, a leader's own, or a body's own."""

    everything: bool = False
    leader_user_id: str = ""
    body_code: str = ""


def reader_scope(actor: Actor, office_code: str, office_permission: str) -> Scope:
    if actor.organisation_code == office_code or actor.may(office_permission):
        return Scope(everything=True)
    if any(actor.holds(p) for p in CITY_WIDE_LEADERS):
        return Scope(everything=True)
    if any(actor.holds(p) for p in CITY_LEADERS):
        return Scope(leader_user_id=actor.user_id)
    return Scope(body_code=actor.organisation_code)
