"""The security office's CLI against a real Keycloak: a person's life in the realm (onboard, move,
offboard), four eyes on the city's leaders, and the access review ("who can sign today?")."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from deploy.keycloak.security_office import app
from deploy.local.keycloak import LOCAL_TOKENS_CLIENT, admin_client, otp_credential, totp_secret

pytestmark = pytest.mark.integration


class Office:
    """Runs the CLI as a given security officer; reads the audit log it writes."""

    def __init__(self, keycloak, tmp_path: Path):
        self.keycloak, self.log = keycloak, tmp_path / "audit.log"
        self.passwords = {"security-officer": keycloak.password_of("security-officer")}

    def run(self, who: str, *args: str):
        return CliRunner().invoke(
            app,
            [
                "--url",
                self.keycloak.url,
                "--as",
                who,
                "--password",
                self.passwords[who],
                "--run-dir",
                str(self.keycloak.server.state_dir.parent),
                "--audit-log",
                str(self.log),
                *args,
            ],
        )

    def audit(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def office(keycloak, tmp_path):
    """The demo security officer and a second one made for the test (removed afterwards)."""
    admin = admin_client(keycloak.server)
    office = Office(keycloak, tmp_path)
    second, password = f"so-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex}Aa1"
    user_id = admin.create_user(
        {
            "username": second,
            "enabled": True,
            "firstName": "复核",
            "lastName": "安",
            "emailVerified": True,
            "email": f"{second}@ziyang.example",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    admin.assign_realm_roles(user_id, [admin.get_realm_role("security-officer")])
    office.passwords[second], office.second = password, second
    made: list[str] = []
    office.made = made
    yield office
    for username in made:
        found = admin.get_user_id(username)
        if found:
            admin.delete_user(found)
    admin.delete_user(user_id)


def onboard(
    office: Office, username: str, position: str = "office-staff", organisation: str = "general-office"
):
    result = office.run(
        "security-officer",
        "onboard",
        username,
        "--last-name",
        "王",
        "--first-name",
        "新",
        "--email",
        f"{username}@ziyang.example",
        "--position",
        position,
        "--organisation",
        organisation,
    )
    if result.exit_code == 0:
        office.made.append(username)  # removed after the test; never a refused name (it may be real)
    return result


def test_onboarding_places_the_person_and_requires_totp_and_a_new_password(keycloak, office):
    username = f"wang-{uuid.uuid4().hex[:8]}"
    result = onboard(office, username)
    assert result.exit_code == 0, result.output
    admin = admin_client(keycloak.server)
    user = admin.get_user(admin.get_user_id(username))
    assert set(user["requiredActions"]) == {"CONFIGURE_TOTP", "UPDATE_PASSWORD"}
    assert [r["name"] for r in admin.get_realm_roles_of_user(user["id"]) if r["name"] == "office-staff"]
    assert [g["name"] for g in admin.get_user_groups(user["id"])] == ["general-office"]
    assert office.audit()[-1]["outcome"] == "done"


@pytest.mark.parametrize("name", ["service-account-org", "documents"])
def test_onboarding_refuses_a_username_that_imitates_a_service(keycloak, office, name):
    result = onboard(office, name)
    assert result.exit_code == 1 and "Refused" in result.output
    assert office.audit()[-1]["outcome"] == "refused"


def test_a_leader_position_waits_for_a_second_different_security_officer(keycloak, office):
    username = f"li-{uuid.uuid4().hex[:8]}"
    assert onboard(office, username).exit_code == 0
    filed = office.run("security-officer", "grant-position", username, "vice-mayor")
    assert filed.exit_code == 0 and "Request" in filed.output
    request_id = office.audit()[-1]["four_eyes_request"]
    admin = admin_client(keycloak.server)
    user_id = admin.get_user_id(username)

    def positions():
        return {r["name"] for r in admin.get_realm_roles_of_user(user_id)}

    assert "vice-mayor" not in positions()  # filed, not applied
    same = office.run("security-officer", "approve", request_id)
    assert same.exit_code == 1 and "second, different security officer" in " ".join(same.output.split())
    assert "vice-mayor" not in positions()
    approved = office.run(office.second, "approve", request_id)
    assert approved.exit_code == 0, approved.output
    assert "vice-mayor" in positions()
    assert office.audit()[-1] | {"at": None} == office.audit()[-1] | {
        "at": None,
        "who": office.second,
        "action": "approve",
        "outcome": "done",
        "request": request_id,
        "requested_by": "security-officer",
        "request_action": "grant-position",
        "user": username,
        "position": "vice-mayor",
    }
    # Removing it, and resetting a leader's credentials, wait likewise.
    for args in (("revoke-position", username, "vice-mayor"), ("reset-credentials", username)):
        assert office.run("security-officer", *args).exit_code == 0
        assert office.audit()[-1]["outcome"] == "requested"
    assert "vice-mayor" in positions()


def test_a_security_key_required_of_a_person_and_a_lost_second_factor_reset(keycloak, office):
    """`security-key --required` puts the marker role the realm's browser flow asks a key of (proven in
    a browser: tests/integration/portal/test_portal_webauthn.py); `reset-credentials` removes every
    second factor (a lost phone or key: TOTP and security keys) and asks the person to enrol again,
    a key when one is required of them."""
    admin = admin_client(keycloak.server)
    username = f"xu-{uuid.uuid4().hex[:8]}"
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "firstName": "钥",
            "lastName": "徐",
            "email": f"{username}@ziyang.example",
            "emailVerified": True,
            "credentials": [
                {"type": "password", "value": f"{uuid.uuid4().hex}Aa1", "temporary": False},
                otp_credential(totp_secret()),
            ],
        }
    )
    office.made.append(username)
    admin.assign_realm_roles(user_id, [admin.get_realm_role("office-staff")])
    cli = admin.get_client_id("zgov-cli")

    def markers() -> set[str]:
        return {r["name"] for r in admin.get_client_roles_of_user(user_id, cli)}

    required = office.run("security-officer", "security-key", username, "--required")
    assert required.exit_code == 0, required.output
    assert markers() == {"security-key"}
    reset = office.run("security-officer", "reset-credentials", username)
    assert reset.exit_code == 0, reset.output
    assert {c["type"] for c in admin.get_credentials(user_id)} & {"otp", "webauthn"} == set()
    assert set(admin.get_user(user_id)["requiredActions"]) == {"webauthn-register", "UPDATE_PASSWORD"}

    withdrawn = office.run("security-officer", "security-key", username, "--not-required")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert markers() == set()
    assert office.run("security-officer", "reset-credentials", username).exit_code == 0
    assert set(admin.get_user(user_id)["requiredActions"]) == {"CONFIGURE_TOTP", "UPDATE_PASSWORD"}
    assert [(a["action"], a["outcome"]) for a in office.audit()] == [
        ("security-key", "done"),
        ("reset-credentials", "done"),
        ("security-key", "done"),
        ("reset-credentials", "done"),
    ]


def test_move_changes_organisation_and_position(keycloak, office):
    username = f"zhao-{uuid.uuid4().hex[:8]}"
    assert onboard(office, username).exit_code == 0
    moved = office.run(
        "security-officer",
        "move",
        username,
        "--organisation",
        "education-bureau",
        "--position",
        "department-head",
        "--from-position",
        "office-staff",
    )
    assert moved.exit_code == 0, moved.output
    admin = admin_client(keycloak.server)
    user_id = admin.get_user_id(username)
    assert {r["name"] for r in admin.get_realm_roles_of_user(user_id)} >= {"department-head"}
    assert "office-staff" not in {r["name"] for r in admin.get_realm_roles_of_user(user_id)}
    assert [g["name"] for g in admin.get_user_groups(user_id)] == ["education-bureau"]


def test_offboarding_disables_ends_sessions_at_once_and_keeps_positions(keycloak, office):
    admin = admin_client(keycloak.server)
    username, password = f"leaver-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex}Aa1"
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "firstName": "离",
            "lastName": "职",
            "emailVerified": True,
            "email": f"{username}@ziyang.example",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    office.made.append(username)
    admin.assign_realm_roles(user_id, [admin.get_realm_role("department-head")])
    session = httpx.post(
        keycloak.token_url,
        data={
            "grant_type": "password",
            "client_id": LOCAL_TOKENS_CLIENT,
            "username": username,
            "password": password,
        },
    )
    assert session.status_code == 200
    result = office.run("security-officer", "offboard", username)
    assert result.exit_code == 0, result.output
    refreshed = httpx.post(
        keycloak.token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": LOCAL_TOKENS_CLIENT,
            "refresh_token": session.json()["refresh_token"],
        },
    )
    assert refreshed.status_code == 400  # the session ended with the offboarding
    assert admin.get_user(user_id)["enabled"] is False
    assert "department-head" in {r["name"] for r in admin.get_realm_roles_of_user(user_id)}


def test_access_review_answers_who_can_sign_a_document_today(keycloak, office, tmp_path):
    out = tmp_path / "review.csv"
    result = office.run(
        "security-officer", "access-review", "--permission", "document:sign", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    holders = {(r["username"], r["position"]) for r in rows}
    assert {
        ("mayor", "mayor"),
        ("evm", "executive-vice-mayor"),
        ("secretary-general", "secretary-general"),
        ("vice-mayor-1", "vice-mayor"),
    } <= holders
    assert {r["permission"] for r in rows} == {"document:sign"} and {r["api"] for r in rows} == {"documents"}
    assert not any(r["position"] in ("office-staff", "citizen") for r in rows)
    assert rows[0].keys() == {"api", "permission", "position", "username", "name", "organisation"}
