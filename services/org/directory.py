"""Positions, holders and organisations as Keycloak knows them (the security office keeps them there).

Read through the admin API with the org service's own service account, and cached
briefly: holders change rarely, and every "who may act" question needs them.

A snapshot older than the TTL is reloaded in the background while callers keep getting the
previous one (for at most one more TTL): a reload asks Keycloak some forty questions, and calls
must not queue behind it. Older than twice the TTL (Keycloak was unreachable), callers wait for
a fresh one; with a TTL of 0 every call reads Keycloak.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

log = logging.getLogger(__name__)

# Realm roles Keycloak makes on its own; they are not positions.
NOT_POSITIONS = {"offline_access", "uma_authorization"}


@dataclass(frozen=True)
class Person:
    user_id: str
    username: str
    display_name: str
    organisation_code: str = ""


@dataclass
class Snapshot:
    """What the directory looked like at `taken_at`."""

    positions: dict[str, str] = field(default_factory=dict)  # code -> Chinese title
    holders: dict[str, list[Person]] = field(default_factory=dict)  # position -> people
    organisations: dict[str, dict] = field(default_factory=dict)  # code -> {name, kind}
    # never taken: older than any TTL. (0.0 was "the machine's boot", younger than a TTL longer
    # than the uptime, and such a directory answered from an empty snapshot.)
    taken_at: float = float("-inf")

    def positions_of(self, user_id: str) -> frozenset[str]:
        return frozenset(p for p, people in self.holders.items() if any(x.user_id == user_id for x in people))

    def holders_of(self, position: str) -> list[Person]:
        return self.holders.get(position, [])

    def person(self, user_id: str) -> Person | None:
        for people in self.holders.values():
            for p in people:
                if p.user_id == user_id:
                    return p
        return None


def _display_name(user: dict) -> str:
    # Chinese names: family name first, no space (张 + 三 = 张三).
    name = f"{user.get('lastName', '')}{user.get('firstName', '')}".strip()
    return name or user.get("username", "")


class KeycloakDirectory:
    def __init__(
        self, server_url: str, realm: str, client_id: str, client_secret: str, ttl_seconds: float = 30.0
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
        self._snapshot = Snapshot()
        self._lock = asyncio.Lock()
        self._reloading: asyncio.Task | None = None

    async def snapshot(self) -> Snapshot:
        age = time.monotonic() - self._snapshot.taken_at
        if age < self._ttl:
            return self._snapshot
        if age < 2 * self._ttl:
            self._reload_in_background()
            return self._snapshot
        async with self._lock:
            if time.monotonic() - self._snapshot.taken_at >= self._ttl:
                self._snapshot = await self._load()
        return self._snapshot

    def _reload_in_background(self) -> None:
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.create_task(self._reload(), name="directory-reload")

    async def _reload(self) -> None:
        try:
            async with self._lock:
                if time.monotonic() - self._snapshot.taken_at >= self._ttl:
                    self._snapshot = await self._load()
        except Exception:  # callers keep the previous snapshot; once it is too old they reload themselves
            log.warning("reloading positions and holders from Keycloak failed", exc_info=True)

    async def _load(self) -> Snapshot:
        groups = await self._admin.a_get_groups({"briefRepresentation": "false"})
        organisations = {
            g["name"]: {
                "name": (g.get("attributes", {}).get("title") or [g["name"]])[0],
                "kind": (g.get("attributes", {}).get("kind") or [""])[0],
            }
            for g in groups
        }
        member_org: dict[str, str] = {}
        for g in groups:
            for member in await self._admin.a_get_group_members(g["id"], {"briefRepresentation": "true"}):
                member_org.setdefault(member["id"], g["name"])
        positions: dict[str, str] = {}
        holders: dict[str, list[Person]] = {}
        for role in await self._admin.a_get_realm_roles(brief_representation=False):
            name = role["name"]
            if name in NOT_POSITIONS or name.startswith("default-roles-"):
                continue
            positions[name] = role.get("description") or name
            members = await self._admin.a_get_realm_role_members(name, {"briefRepresentation": "true"})
            holders[name] = [
                Person(u["id"], u["username"], _display_name(u), member_org.get(u["id"], ""))
                for u in members
                if u.get("enabled", True) and not u["username"].startswith("service-account-")
            ]
        return Snapshot(positions, holders, organisations, time.monotonic())
