"""The realm as shipped (deploy/keycloak and the chart's copy): hardened identity, read from the file.

What Keycloak does with these settings is proven against a real Keycloak in
tests/integration/test_keycloak_hardening.py and tests/integration/portal/test_portal_totp.py."""

from __future__ import annotations

import json
import re

import pytest

from deploy.keycloak import usernames
from deploy.local.keycloak import LOCAL_TOKENS_CLIENT, REALM_FILE
from deploy.local.tools import REALM_IN_CHART


def realm_of(path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module", params=["deploy", "chart"])
def realm(request) -> dict:
    return realm_of(REALM_FILE if request.param == "deploy" else REALM_IN_CHART)


def test_the_chart_realm_has_no_client_for_tokens_by_password(realm):
    """The local demo/test client lives only in `make up`'s Keycloak (deploy/local/keycloak.py)."""
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert LOCAL_TOKENS_CLIENT not in clients
    assert [c for c, rep in clients.items() if rep.get("directAccessGrantsEnabled")] == []
    # Keycloak's own admin-cli would otherwise take any person's password in this realm.
    assert clients["admin-cli"]["directAccessGrantsEnabled"] is False


def test_the_cli_signs_in_by_device_authorization(realm):
    cli = next(c for c in realm["clients"] if c["clientId"] == "zgov-cli")
    assert cli["publicClient"] and not cli["directAccessGrantsEnabled"] and not cli["standardFlowEnabled"]
    assert cli["attributes"]["oauth2.device.authorization.grant.enabled"] == "true"


def test_password_policy_is_of_government_strength(realm):
    rules = dict(re.findall(r"(\w+)(?:\((\d*)\))?", realm["passwordPolicy"]))
    assert int(rules["length"]) >= 12
    assert {"upperCase", "lowerCase", "digits", "notUsername", "notEmail"} <= rules.keys()
    assert int(rules["passwordHistory"]) >= 5


def test_brute_force_and_offline_sessions_are_bounded(realm):
    assert realm["bruteForceProtected"] and realm["failureFactor"] <= 5
    assert realm["offlineSessionMaxLifespanEnabled"] and 0 < realm["offlineSessionMaxLifespan"] <= 30 * 86400


def test_every_position_but_citizen_requires_the_second_factor(realm):
    """The browser flow's conditional OTP step fires on the marker role each officer position holds."""
    marker = f"{usernames_marker_client()}.{SECOND_FACTOR_ROLE}"
    flows = {f["alias"]: f for f in realm["authenticationFlows"]}
    browser = flows[realm["browserFlow"]]
    config = {c["alias"]: c["config"] for c in realm["authenticatorConfig"]}

    def executions(flow: dict):
        for e in flow["authenticationExecutions"]:
            yield e
            if e.get("authenticatorFlow"):
                yield from executions(flows[e["flowAlias"]])

    steps = list(executions(browser))
    roles = [
        config[e["authenticatorConfig"]]["condUserRole"]
        for e in steps
        if e.get("authenticator") == "conditional-user-role"
    ]
    assert roles == [marker]
    assert any(e.get("authenticator") == "auth-otp-form" and e["requirement"] == "REQUIRED" for e in steps)
    for role in realm["roles"]["realm"]:
        holds = SECOND_FACTOR_ROLE in role.get("composites", {}).get("client", {}).get("zgov-cli", [])
        if role["name"] in {"citizen", "offline_access", "uma_authorization", "default-roles-zgov"}:
            assert not holds, role["name"]
        else:
            assert holds, role["name"]


def test_usernames_that_imitate_a_service_account_are_refused_by_the_realm(realm):
    profile = json.loads(
        next(c for c in realm["components"]["org.keycloak.userprofile.UserProfileProvider"])["config"][
            "kc.user.profile.config"
        ][0]
    )
    username = next(a for a in profile["attributes"] if a["name"] == "username")
    pattern = username["validations"]["pattern"]["pattern"]
    assert pattern == usernames.username_pattern(c["clientId"] for c in realm["clients"])
    for name in (
        "service-account-org",
        "service_account-x",
        "serviceaccount",
        "documents",
        "portal",
        "zgov-cli",
        "system",
    ):
        assert not re.fullmatch(pattern, name), name
    for name in ("office-staff", "petition-officer", "lin.shimin", "org-secretary"):
        assert re.fullmatch(pattern, name), name


def test_a_person_named_like_a_service_is_refused_by_the_usernames_rule():
    clients = ["org", "documents", "portal"]
    assert "service account" in usernames.refusal("Service-Account-Org", clients)
    assert "client of the platform" in usernames.refusal("documents", clients)
    assert usernames.refusal("wang.jianguo", clients) is None


def test_admin_events_reach_the_record(realm):
    assert realm["adminEventsEnabled"] and realm["adminEventsDetailsEnabled"]


SECOND_FACTOR_ROLE = "second-factor"


def usernames_marker_client() -> str:
    return "zgov-cli"


def test_every_service_account_client_writes_the_service_account_flag(realm):
    """shared.identity decides `is_service` from the `client_id` claim, which Keycloak fills from the
    session note of a client-credentials grant only (never for a person's sign-in)."""
    for client in realm["clients"]:
        if client.get("serviceAccountsEnabled"):
            notes = {
                m["config"].get("user.session.note"): m["config"].get("claim.name")
                for m in client["protocolMappers"]
                if m["protocolMapper"] == "oidc-usersessionmodel-note-mapper"
            }
            assert notes.get("client_id") == "client_id", client["clientId"]
