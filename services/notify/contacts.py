"""Contact details (联系方式) from Keycloak, read with the notify service's own service account.

A person's e-mail is Keycloak's `email`; the other addresses are user attributes the security office
keeps: `phone` (mobile number: SMS and the robots' @-mentions), `wecom_user_id` (企业微信 userid)
and `dingtalk_user_id` (钉钉 userid). A body's designated contact (单位联络人) is the group attribute
`contact`, a username. Both are cached for `ttl_seconds`: they change rarely, and every event
would otherwise ask Keycloak again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

from services.notify.domain.notices import Channel

ATTRIBUTES = {
    Channel.SMS: "phone",
    Channel.WECOM_ROBOT: "phone",
    Channel.DINGTALK_ROBOT: "phone",
    Channel.WECOM_APP: "wecom_user_id",
}


@dataclass(frozen=True)
class Contact:
    user_id: str
    name: str
    addresses: dict[Channel, str] = field(default_factory=dict)


def _first(attributes: dict, name: str) -> str:
    values = attributes.get(name) or [""]
    return str(values[0]).strip()


def contact_of(user: dict) -> Contact:
    """A Keycloak user representation → the person's name and addresses per channel."""
    attributes = user.get("attributes") or {}
    addresses = {channel: _first(attributes, name) for channel, name in ATTRIBUTES.items()}
    if user.get("email"):
        addresses[Channel.EMAIL] = user["email"]
    name = f"{user.get('lastName', '')}{user.get('firstName', '')}".strip() or user.get("username", "")
    return Contact(user["id"], name, {c: a for c, a in addresses.items() if a})


class KeycloakContacts:
    def __init__(
        self, server_url: str, realm: str, client_id: str, client_secret: str, ttl_seconds: float = 300.0
    ):
        connection = KeycloakOpenIDConnection(
            server_url=server_url,
            realm_name=realm,
            user_realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            grant_type="client_credentials",
        )
        self._admin = KeycloakAdmin(connection=connection)
        self._ttl = ttl_seconds
        self._people: dict[str, tuple[float, Contact]] = {}
        self._bodies: tuple[float, dict[str, str]] = (float("-inf"), {})

    async def person(self, user_id: str) -> Contact:
        taken, known = self._people.get(user_id, (float("-inf"), None))
        if known is None or time.monotonic() - taken >= self._ttl:
            known = contact_of(await self._admin.a_get_user(user_id))
            self._people[user_id] = (time.monotonic(), known)
        return known

    async def body_contact(self, body_code: str) -> str:
        """The user id of the body's designated contact; '' when it names none."""
        taken, contacts = self._bodies
        if time.monotonic() - taken >= self._ttl:
            contacts = await self._load_bodies()
            self._bodies = (time.monotonic(), contacts)
        return contacts.get(body_code, "")

    async def _load_bodies(self) -> dict[str, str]:
        found = {}
        for group in await self._admin.a_get_groups({"briefRepresentation": "false"}):
            username = _first(group.get("attributes") or {}, "contact")
            if not username:
                continue
            users = await self._admin.a_get_users({"username": username, "exact": "true"})
            if users:
                found[group["name"]] = users[0]["id"]
        return found
