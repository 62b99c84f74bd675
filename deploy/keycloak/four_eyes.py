"""Four eyes (双人复核) on the city's leaders: a change waits for a second security officer.

Granting or removing a leader position (mayor, vice mayors, secretary-general: shared.positions.
CITY_LEADERS), and resetting a leader's credentials, are not applied by the officer who asks: the
CLI files a request, and a different security officer approves it, which applies it.

Where a request is kept: as an attribute of the user it concerns in Keycloak (`four-eyes.<id>`,
JSON), not in a table of our own. Keycloak is where the change is applied and the security office
has no database; the request sits beside the person, is seen in the console, and its filing and
approval are themselves admin events of Keycloak, so they reach org's audit record like the change
(org.keycloak_events). The realm's user profile lets administrators keep such attributes
(unmanagedAttributePolicy ADMIN_EDIT); people cannot see or edit them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from shared.positions import CITY_LEADERS

ATTRIBUTE_PREFIX = "four-eyes."
# What a request may ask for.
GRANT, REVOKE, RESET = "grant-position", "revoke-position", "reset-credentials"


class SameOfficer(Exception):
    """The approver is the officer who asked: four eyes need two people."""


def needs_second_officer(action: str, position: str | None, positions_held: set[str]) -> bool:
    """A leader's position granted or removed, or a leader's credentials reset."""
    if action in (GRANT, REVOKE):
        return position in CITY_LEADERS
    if action == RESET:
        return bool(positions_held & CITY_LEADERS)
    return False


@dataclass(frozen=True)
class Request:
    """One change waiting for the second officer."""

    id: str
    action: str
    username: str
    position: str
    requested_by: str
    requested_at: str

    @classmethod
    def new(cls, action: str, username: str, position: str, requested_by: str) -> Request:
        return cls(
            uuid.uuid4().hex[:12],
            action,
            username,
            position or "",
            requested_by,
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )

    @property
    def attribute(self) -> str:
        return f"{ATTRIBUTE_PREFIX}{self.id}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    def check_approver(self, approver: str) -> None:
        if approver == self.requested_by:
            raise SameOfficer(
                f"request {self.id} was filed by {approver}: a second, different security officer approves it"
            )


def requests_of(user: dict) -> list[Request]:
    """The pending requests kept on one user's representation (its attributes)."""
    found = []
    for name, values in (user.get("attributes") or {}).items():
        if name.startswith(ATTRIBUTE_PREFIX) and values:
            try:
                found.append(Request(**json.loads(values[0])))
            except (ValueError, TypeError):
                continue  # not ours: left alone
    return found
