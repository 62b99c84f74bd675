"""Realm `zgov` on a real Keycloak: positions → permissions in tokens, audiences, groups, service
accounts, and the security office's tool (only the security officer may change positions)."""

import json
import re
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from deploy.keycloak import iam
from deploy.local.keycloak import DEMO_USERS, LOCAL_TOKENS_CLIENT, REALM_FILE, SERVICE_CLIENTS, admin_client


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_realm_file_holds_no_secret_and_no_person():
    """Secrets are env placeholders filled at start; the only users are service accounts."""
    realm = json.loads(REALM_FILE.read_text())
    for client in realm["clients"]:
        if not client.get("publicClient"):
            assert re.fullmatch(r"\$\{ZGOV_[A-Z]+_CLIENT_SECRET\}", client["secret"]), client["clientId"]
    assert all(u["username"].startswith("service-account-") for u in realm["users"])
    assert {c["clientId"] for c in realm["clients"]} >= set(SERVICE_CLIENTS) | {"zgov-cli", "portal"}
    assert realm["registrationAllowed"] and realm["bruteForceProtected"]


@pytest.mark.integration
def test_token_is_signed_by_the_realm_with_the_exact_issuer(keycloak):
    token = keycloak.token_for("mayor")
    key = jwt.PyJWKClient(f"{keycloak.issuer}/protocol/openid-connect/certs").get_signing_key_from_jwt(token)
    verified = jwt.decode(token, key.key, algorithms=["RS256"], audience="org", issuer=keycloak.issuer)
    assert verified["typ"] == "Bearer"
    assert verified["azp"] == LOCAL_TOKENS_CLIENT


@pytest.mark.integration
def test_mayor_token_carries_position_permissions_audience_and_groups(keycloak):
    c = claims(keycloak.token_for("mayor"))
    assert "mayor" in c["realm_access"]["roles"]
    assert {"leave:approve", "leave:request", "acting:read", "positions:read", "roster:write"} <= set(
        c["resource_access"]["org"]["roles"]
    )
    assert "org" in c["aud"]
    assert c["groups"] == ["city-government"]  # group names, no leading slash
    assert c["preferred_username"] == "mayor"
    assert c["name"]


@pytest.mark.integration
def test_every_demo_user_holds_exactly_its_position_and_organisation(keycloak):
    for user in DEMO_USERS:
        c = claims(keycloak.token_for(user.username))
        positions = set(c["realm_access"]["roles"]) - {
            "offline_access",
            "uma_authorization",
            "default-roles-zgov",
        }
        assert positions == {user.position}, user.username
        assert c.get("groups", []) == ([user.group] if user.group else []), user.username


@pytest.mark.integration
def test_citizen_token_lacks_city_leader_permissions(keycloak):
    c = claims(keycloak.token_for("citizen"))
    assert "mayor" not in c["realm_access"]["roles"]
    assert "org" not in c.get("resource_access", {})
    assert "petition:submit" in c["resource_access"]["petitions"]["roles"]
    assert "groups" not in c or c["groups"] == []


@pytest.mark.integration
def test_vice_mayor_may_request_but_not_approve_leave(keycloak):
    org_roles = set(claims(keycloak.token_for("vice-mayor-2"))["resource_access"]["org"]["roles"])
    assert "leave:request" in org_roles
    assert "leave:approve" not in org_roles


@pytest.mark.integration
def test_documents_service_account_may_read_acting_holders_of_org(keycloak):
    c = claims(keycloak.service_token("documents"))
    assert c["azp"] == "documents"
    assert "org" in (c["aud"] if isinstance(c["aud"], list) else [c["aud"]])
    assert {"acting:read", "portfolio:read", "positions:read"} <= set(c["resource_access"]["org"]["roles"])
    assert "leave:approve" not in c["resource_access"]["org"]["roles"]


@pytest.mark.integration
def test_org_service_account_may_list_position_holders_through_admin_api(keycloak):
    headers = {"Authorization": f"Bearer {keycloak.service_token('org')}"}
    response = httpx.get(f"{keycloak.url}/admin/realms/zgov/roles/vice-mayor/users", headers=headers)
    assert response.status_code == 200
    assert {u["username"] for u in response.json()} == {"vice-mayor-1", "vice-mayor-2", "vice-mayor-3"}
    groups = httpx.get(
        f"{keycloak.url}/admin/realms/zgov/groups", headers=headers, params={"briefRepresentation": "false"}
    )
    assert groups.status_code == 200
    anyue = next(g for g in groups.json() if g["name"] == "anyue-county")
    assert anyue["attributes"] == {"title": ["安岳县"], "kind": ["county"], "contact": ["county-head"]}


@pytest.mark.integration
def test_wrong_client_secret_gets_no_token(keycloak):
    response = httpx.post(
        keycloak.token_url,
        data={"grant_type": "client_credentials", "client_id": "org", "client_secret": "not-the-secret"},
    )
    assert response.status_code == 401


@pytest.mark.integration
def test_keycloak_itself_refuses_user_changes_by_a_mayor(keycloak):
    headers = {"Authorization": f"Bearer {keycloak.token_for('mayor')}"}
    response = httpx.get(f"{keycloak.url}/admin/realms/zgov/users", headers=headers)
    assert response.status_code == 403


# ---------------------------------------------------------------- the security office's tool


@pytest.fixture
def newcomer(keycloak):
    """A fresh person without position, removed afterwards (demo users stay untouched)."""
    admin = admin_client(keycloak.server)
    username = f"newcomer-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex + "Aa1"
    user_id = admin.create_user(
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
    yield username, password
    admin.delete_user(user_id)


def run_iam(keycloak, tmp_path: Path, who: str, *args: str):
    result = CliRunner().invoke(
        iam.app,
        [
            "--url",
            keycloak.url,
            "--as",
            who,
            "--password",
            keycloak.password_of(who),
            "--run-dir",
            str(keycloak.server.state_dir.parent),
            "--audit-log",
            str(tmp_path / "audit.log"),
            *args,
        ],
    )
    audit = (
        [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
        if (tmp_path / "audit.log").exists()
        else []
    )
    return result, audit


@pytest.mark.integration
def test_security_officer_grants_and_revokes_a_position(keycloak, newcomer, tmp_path):
    """A position below the city's leaders: applied at once (a leader's waits for a second officer,
    tests/integration/test_security_office.py)."""
    username, password = newcomer
    result, audit = run_iam(
        keycloak, tmp_path, "security-officer", "grant-position", username, "department-head"
    )
    assert result.exit_code == 0, result.output
    c = claims(keycloak.token_for(username, password))
    assert "department-head" in c["realm_access"]["roles"]
    assert "leave:request" in c["resource_access"]["org"]["roles"]
    assert audit[-1] | {"at": None} == audit[-1] | {
        "at": None,
        "who": "security-officer",
        "action": "grant-position",
        "outcome": "done",
        "user": username,
        "position": "department-head",
    }

    result, audit = run_iam(
        keycloak, tmp_path, "security-officer", "set-organisation", username, "lezhi-county"
    )
    assert result.exit_code == 0, result.output
    assert claims(keycloak.token_for(username, password))["groups"] == ["lezhi-county"]

    result, audit = run_iam(
        keycloak, tmp_path, "security-officer", "revoke-position", username, "department-head"
    )
    assert result.exit_code == 0, result.output
    c = claims(keycloak.token_for(username, password))
    assert "department-head" not in c["realm_access"]["roles"]
    assert "org" not in c.get("resource_access", {})
    assert [a["action"] for a in audit] == ["grant-position", "set-organisation", "revoke-position"]


@pytest.mark.integration
def test_person_without_position_may_do_what_the_public_may(keycloak, newcomer):
    """A self-registered citizen holds no position, yet may file a petition (default role)."""
    c = claims(keycloak.token_for(*newcomer))
    assert "petition:submit" in c["resource_access"]["petitions"]["roles"]
    assert "org" not in c["resource_access"]
    assert "petitions" in c["aud"]


@pytest.mark.integration
def test_non_security_officer_is_refused_and_the_refusal_is_logged(keycloak, newcomer, tmp_path):
    username, password = newcomer
    result, audit = run_iam(keycloak, tmp_path, "mayor", "grant-position", username, "mayor")
    assert result.exit_code == 1
    assert "security-officer" in result.output
    assert audit[-1]["outcome"] == "refused" and audit[-1]["who"] == "mayor"
    assert "mayor" not in claims(keycloak.token_for(username, password))["realm_access"]["roles"]


@pytest.mark.integration
def test_unknown_position_is_refused(keycloak, newcomer, tmp_path):
    username, _ = newcomer
    result, audit = run_iam(keycloak, tmp_path, "security-officer", "grant-position", username, "emperor")
    assert result.exit_code == 1
    assert audit[-1]["outcome"] == "refused"


@pytest.mark.integration
def test_token_command_prints_a_demo_users_token(keycloak, tmp_path):
    result = CliRunner().invoke(
        iam.app, ["--url", keycloak.url, "--run-dir", str(keycloak.server.state_dir.parent), "token", "evm"]
    )
    assert result.exit_code == 0, result.output
    assert "executive-vice-mayor" in claims(result.output.strip())["realm_access"]["roles"]
    result = CliRunner().invoke(
        iam.app,
        [
            "--url",
            keycloak.url,
            "--run-dir",
            str(keycloak.server.state_dir.parent),
            "token",
            "--service",
            "meetings",
        ],
    )
    assert result.exit_code == 0, result.output
    assert claims(result.output.strip())["azp"] == "meetings"
