"""Keycloak's admin events reach org's audit record (A20, A26): a position granted through Keycloak's
own admin API (as in its console, around the security office's CLI) becomes a recorded act of org,
once, however often org polls; the acts stay in org's hash chain."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from deploy.local.keycloak import admin_client
from services.org.keycloak_events import AdminEventRecorder, keycloak_admin
from shared import audit_chain
from shared.db import create_engine, session_factory
from tests.fixtures.org import org_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def granted(keycloak):
    """A person made vice mayor by an administrator straight in Keycloak."""
    admin = admin_client(keycloak.server)
    user_id = admin.create_user(
        {
            "username": f"console-{uuid.uuid4().hex[:8]}",
            "enabled": True,
            "firstName": "控",
            "lastName": "台",
            "email": f"c{uuid.uuid4().hex[:8]}@ziyang.example",
            "emailVerified": True,
        }
    )
    admin.assign_realm_roles(user_id, [admin.get_realm_role("vice-mayor")])
    yield user_id
    admin.delete_user(user_id)


async def test_A20_a_role_granted_in_keycloak_is_a_recorded_act_of_org(keycloak, service_database, granted):
    database = await service_database("org")
    engine = create_engine(database)
    settings = org_settings(keycloak, database, "nats://127.0.0.1:1")
    recorder = AdminEventRecorder(keycloak_admin(settings), session_factory(engine))
    try:
        assert await recorder.poll_once() >= 2  # at least the user's creation and the role mapping
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text("SELECT act, reason FROM audit_record WHERE subject_ref = :ref"),
                    {"ref": f"keycloak/users/{granted}/role-mappings/realm"},
                )
            ).all()
        assert [r.act for r in rows] == ["keycloak.realm_role_mapping.create"]
        assert "vice-mayor" in rows[0].reason
        assert await recorder.poll_once() == 0  # seen again: recorded once only
        count, broken = await audit_chain.verify_database(database)
        assert count >= 2 and broken is None
    finally:
        await engine.dispose()
