"""Keycloak's admin events in org's audit record (A20, A26): every change to people and positions.

Positions and organisations are kept in Keycloak (the security office changes them there, with its
CLI or in Keycloak's console); org owns positions for the platform, so org records each such change
as a recorded act of its own: who changed what (users, role and group memberships, roles,
credentials), when, and the change itself. Also what was done in the console by hand, around the
security office's four eyes (deploy/keycloak/four_eyes.py): the record shows it.

org polls the realm's admin events (`GET /admin/realms/<realm>/admin-events`, the realm keeps them
with `adminEventsEnabled`; org's service account holds realm-management's view-events) and records
each one once: the act's id is derived from the event's id (or, without one, from its time, path and
operation), and an event whose act exists is skipped, so a poll that sees an event again, or a
restart, records nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import audit

log = structlog.get_logger(__name__)

# Keycloak's resource types that are changes to people and positions.
RECORDED_TYPES = frozenset(
    {
        "USER",
        "REALM_ROLE",
        "REALM_ROLE_MAPPING",
        "CLIENT_ROLE",
        "CLIENT_ROLE_MAPPING",
        "GROUP",
        "GROUP_MEMBERSHIP",
        "USER_SESSION",
        "AUTH_FLOW",
        "AUTH_EXECUTION",
        "AUTHENTICATOR_CONFIG",
        "REQUIRED_ACTION",
        "CLIENT",
        "REALM",
    }
)
# Fixed namespace: the same event always becomes the same act id.
EVENTS_NAMESPACE = uuid.UUID("0b6a3a1e-6f1c-4d7e-9a51-6b0d2f8e4c11")
PAGE = 100
MAX_PAGES = 50


@dataclass(frozen=True)
class KeycloakActor:
    """Who made a change in Keycloak (an administrator, the security officer, a service)."""

    user_id: str
    username: str = ""
    display_name: str = ""
    positions: frozenset[str] = frozenset()
    organisation_code: str = ""
    on_behalf_of_user_id: str | None = None
    on_behalf_of_position: str | None = None


def keycloak_admin(settings) -> Any:
    """Keycloak's admin API as org's own service account (client credentials)."""
    from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

    secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
    return KeycloakAdmin(
        connection=KeycloakOpenIDConnection(
            server_url=settings.keycloak_url,
            realm_name=settings.keycloak_realm,
            user_realm_name=settings.keycloak_realm,
            client_id=settings.client_id,
            client_secret_key=secret,
            grant_type="client_credentials",
        )
    )


def act_id_of(event: dict[str, Any]) -> uuid.UUID:
    key = event.get("id") or "|".join(
        str(event.get(k, "")) for k in ("time", "resourcePath", "operationType", "resourceType")
    )
    return uuid.uuid5(EVENTS_NAMESPACE, key)


def act_of(event: dict[str, Any]) -> tuple[str, str, str]:
    """(subject_ref, act, reason) of one admin event, within the audit columns' lengths."""
    subject = f"keycloak/{event.get('resourcePath', '')}"[:128]
    act = f"keycloak.{event.get('resourceType', '').lower()}.{event.get('operationType', '').lower()}"[:64]
    at = datetime.fromtimestamp(event.get("time", 0) / 1000, tz=timezone.utc).isoformat(timespec="seconds")
    auth = event.get("authDetails") or {}
    reason = json.dumps(
        {
            "at": at,
            "client": auth.get("clientId", ""),
            "ip": auth.get("ipAddress", ""),
            "by_realm": auth.get("realmId", ""),
            "change": _representation(event),
        },
        ensure_ascii=False,
    )
    return subject, act, reason


def _representation(event: dict[str, Any]) -> Any:
    text = event.get("representation")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text[:2000]


def recorded(event: dict[str, Any]) -> bool:
    return event.get("resourceType") in RECORDED_TYPES


class AdminEventRecorder:
    """Polls one realm's admin events with org's Keycloak admin client; records each once."""

    def __init__(self, admin, sessions: async_sessionmaker[AsyncSession], *, lookback_days: int = 2):
        self._admin = admin
        self._sessions = sessions
        self._lookback = timedelta(days=lookback_days)
        self._names: dict[str, str] = {}

    async def poll_once(self) -> int:
        """Record the events not recorded yet; returns how many were recorded now."""
        since = (datetime.now(timezone.utc) - self._lookback).date().isoformat()
        count = 0
        for page in range(MAX_PAGES):
            events = await self._admin.a_get_admin_events(
                {"dateFrom": since, "first": page * PAGE, "max": PAGE}
            )
            for event in events:
                if recorded(event) and await self._record(event):
                    count += 1
            if len(events) < PAGE:
                break
        return count

    async def run(self, interval_seconds: float) -> None:
        while True:
            try:
                recorded_now = await self.poll_once()
                if recorded_now:
                    log.info("recorded Keycloak admin events", count=recorded_now)
            except Exception:  # Keycloak or the database away: the next poll catches up (idempotent)
                log.warning("reading Keycloak's admin events failed; retried at the next poll", exc_info=True)
            await asyncio.sleep(interval_seconds)

    async def _record(self, event: dict[str, Any]) -> bool:
        act_id = act_id_of(event)
        async with self._sessions() as session, session.begin():
            exists = await session.execute(select(audit.AUDIT.c.id).where(audit.AUDIT.c.id == act_id))
            if exists.first() is not None:
                return False
            subject, act, reason = act_of(event)
            actor = await self._actor(event)
            await audit.record_act(session, subject, act, actor, reason, act_id=act_id)
        return True

    async def _actor(self, event: dict[str, Any]) -> KeycloakActor:
        auth = event.get("authDetails") or {}
        user_id = auth.get("userId", "")
        if user_id and user_id not in self._names:
            try:
                user = await self._admin.a_get_user(user_id)
                self._names[user_id] = user.get("username", "")
            except Exception:  # noqa: BLE001 — an administrator of another realm (master): id only
                self._names[user_id] = ""
        return KeycloakActor(
            user_id=user_id,
            username=self._names.get(user_id, ""),
            display_name=f"Keycloak ({auth.get('clientId', '')})",
        )
