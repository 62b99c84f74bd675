"""Hardened identity on a real Keycloak: the password policy, reserved usernames at registration and in
the admin API, no password grant for the CLI client (device sign-in instead), brute-force protection
of the master realm, and a service told from a person by its token, never by its name."""

from __future__ import annotations

import concurrent.futures
import json
import re
import uuid

import httpx
import pytest
from keycloak.exceptions import KeycloakError

from deploy.local.keycloak import CLI_CLIENT, LOCAL_TOKENS_CLIENT, MASTER_BRUTE_FORCE, admin_client
from shared.identity import TokenVerifier

pytestmark = pytest.mark.integration


def new_person(admin, username: str, password: str) -> str:
    return admin.create_user(
        {
            "username": username,
            "enabled": True,
            "firstName": "新",
            "lastName": "同志",
            "email": f"{username}@ziyang.example",
            "emailVerified": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )


@pytest.mark.parametrize("weak", ["Short1a", "alllowercase12345", "NoDigitsAtAllHere", "ALLUPPER12345678"])
def test_password_policy_refuses_a_weak_password(keycloak, weak):
    admin = admin_client(keycloak.server)
    user_id = new_person(admin, f"weak-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex}Aa1")
    try:
        with pytest.raises(KeycloakError) as refused:
            admin.set_user_password(user_id, weak, temporary=False)
        assert refused.value.response_code == 400
        assert "invalidPassword" in refused.value.error_message.decode()
    finally:
        admin.delete_user(user_id)


@pytest.mark.parametrize("name", ["service-account-newsroom", "service_account_org", "documents", "portal"])
def test_the_admin_api_refuses_a_username_that_imitates_a_service(keycloak, name):
    with pytest.raises(KeycloakError) as refused:
        new_person(admin_client(keycloak.server), name, f"{uuid.uuid4().hex}Aa1")
    assert refused.value.response_code == 400


async def test_registration_refuses_a_username_that_imitates_a_service_account(keycloak):
    """The portal's /register sends citizens to Keycloak's registration form: the realm refuses there."""
    name = "service-account-evil"
    async with httpx.AsyncClient(timeout=60) as browser:
        form = await browser.get(
            f"{keycloak.issuer}/protocol/openid-connect/registrations",
            params={
                "client_id": "portal",
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": "http://127.0.0.1:8000/auth/callback",
                "code_challenge_method": "S256",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            },
        )
        action = re.search(r'action="([^"]+)"', form.text).group(1).replace("&amp;", "&")
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
        answer = await browser.post(
            action,
            headers={"cookie": cookies},
            data={
                "username": name,
                "email": "fake@ziyang.example",
                "firstName": "假",
                "lastName": "服务",
                "password": "Registr4tionPassw0rd",
                "password-confirm": "Registr4tionPassw0rd",
            },
        )
    assert answer.status_code == 200 and "系统保留" in answer.text
    assert admin_client(keycloak.server).get_user_id(name) is None


def test_the_cli_client_takes_no_password_and_offers_device_sign_in(keycloak):
    grant = httpx.post(
        keycloak.token_url,
        data={
            "grant_type": "password",
            "client_id": CLI_CLIENT,
            "scope": "openid",
            "username": "mayor",
            "password": keycloak.password_of("mayor"),
        },
    )
    assert grant.status_code in (400, 401) and grant.json()["error"] == "unauthorized_client"
    device = httpx.post(
        f"{keycloak.issuer}/protocol/openid-connect/auth/device",
        data={"client_id": CLI_CLIENT, "scope": "openid"},
    )
    assert device.status_code == 200 and device.json()["user_code"]


def test_the_local_realm_keeps_one_named_client_for_test_tokens(keycloak):
    """Keycloak's own admin-cli included: the realm turns its password grant off too."""
    clients = {c["clientId"]: c for c in admin_client(keycloak.server).get_clients()}
    password_clients = [c for c, rep in clients.items() if rep.get("directAccessGrantsEnabled")]
    assert password_clients == [LOCAL_TOKENS_CLIENT]
    assert "LOCAL ONLY" in clients[LOCAL_TOKENS_CLIENT]["name"]


def test_the_master_realm_is_protected_against_brute_force(keycloak):
    master = admin_client(keycloak.server).get_realm("master")
    assert {k: master[k] for k in MASTER_BRUTE_FORCE} == MASTER_BRUTE_FORCE


async def test_a_person_named_like_a_service_account_is_no_service(keycloak):
    """Made by an administrator who bypasses the user profile (an imported user): still a person."""
    admin = admin_client(keycloak.server)
    password = f"{uuid.uuid4().hex}Aa1"
    imported = admin.connection.raw_post(
        f"admin/realms/{keycloak.realm}/partialImport",
        data=json.dumps(
            {
                "ifResourceExists": "SKIP",
                "users": [
                    {
                        "username": "service-account-supervision2",
                        "enabled": True,
                        "firstName": "假",
                        "lastName": "服务",
                        "email": "sa2@ziyang.example",
                        "emailVerified": True,
                        "realmRoles": ["office-staff"],
                        "credentials": [{"type": "password", "value": password, "temporary": False}],
                    }
                ],
            }
        ),
    )
    assert imported.status_code == 200, imported.text
    user_id = admin.get_user_id("service-account-supervision2")
    try:
        token = keycloak.token_for("service-account-supervision2", password)
        actor = await TokenVerifier(keycloak.issuer, "org").verify(token)
        assert actor.username == "service-account-supervision2" and not actor.is_service
        service = await TokenVerifier(keycloak.issuer, "org").verify(keycloak.service_token("documents"))
        assert service.is_service and service.client_id == "documents"
    finally:
        if user_id:
            admin.delete_user(user_id)


def test_concurrent_sign_ins_of_one_person_are_not_taken_for_an_attack(keycloak):
    """Several processes sign the same demo officer in at once (two test workers, the demo and the
    services): Keycloak 26 refused all but one as "user_temporarily_disabled" with brute-force
    protection on, unless told to allow concurrent requests (deploy/local/keycloak.py)."""

    def sign_in(_: int) -> int:
        return httpx.post(
            keycloak.token_url,
            data={
                "grant_type": "password",
                "client_id": LOCAL_TOKENS_CLIENT,
                "username": "security-officer",
                "password": keycloak.password_of("security-officer"),
            },
            timeout=30,
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(sign_in, range(6)))
    assert statuses == [200] * 6
