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


def browser_steps(realm: dict) -> tuple[dict, list[dict]]:
    """The browser flow's sub-flows by alias, and every execution of the flow, sub-flows depth first."""
    flows = {f["alias"]: f for f in realm["authenticationFlows"]}

    def executions(flow: dict):
        for e in flow["authenticationExecutions"]:
            yield e
            if e.get("authenticatorFlow"):
                yield from executions(flows[e["flowAlias"]])

    return flows, list(executions(flows[realm["browserFlow"]]))


def role_condition(realm: dict, execution: dict) -> tuple[str, bool]:
    config = {c["alias"]: c["config"] for c in realm["authenticatorConfig"]}[execution["authenticatorConfig"]]
    return config["condUserRole"], config.get("negate") == "true"


def test_every_position_but_citizen_requires_the_second_factor(realm):
    """The browser flow's officer step fires on the marker role each officer position holds; under it,
    an officer with no second factor must enrol TOTP (a REQUIRED OTP form: Keycloak sets it up)."""
    marker = f"{usernames_marker_client()}.{SECOND_FACTOR_ROLE}"
    flows, steps = browser_steps(realm)
    officer = flows["officer second factor"]["authenticationExecutions"]
    assert officer[0]["authenticator"] == "conditional-user-role"
    assert role_condition(realm, officer[0]) == (marker, False)
    enrol = flows["officer second factor - enrol TOTP"]["authenticationExecutions"]
    assert [(e["authenticator"], e["requirement"]) for e in enrol][-1] == ("auth-otp-form", "REQUIRED")
    assert any(e.get("authenticator") == "auth-otp-form" and e["requirement"] == "REQUIRED" for e in steps)
    for role in realm["roles"]["realm"]:
        holds = SECOND_FACTOR_ROLE in role.get("composites", {}).get("client", {}).get("zgov-cli", [])
        if role["name"] in {"citizen", "offline_access", "uma_authorization", "default-roles-zgov"}:
            assert not holds, role["name"]
        else:
            assert holds, role["name"]


def test_an_officer_signs_in_with_totp_or_a_security_key(realm):
    """The officer step's alternatives: OTP form OR WebAuthn authenticator, for one who has either
    (condition: user configured); holders of the security-key marker use a key only."""
    flows, steps = browser_steps(realm)
    either = flows["officer second factor - TOTP or security key"]["authenticationExecutions"]
    assert [(e["authenticator"], e["requirement"]) for e in either] == [
        ("conditional-user-role", "REQUIRED"),
        ("conditional-user-configured", "REQUIRED"),
        ("auth-otp-form", "ALTERNATIVE"),
        ("webauthn-authenticator", "ALTERNATIVE"),
    ]
    assert role_condition(realm, either[0]) == (f"{usernames_marker_client()}.{SECURITY_KEY_ROLE}", True)
    key_only = flows["officer second factor - security key required"]["authenticationExecutions"]
    assert role_condition(realm, key_only[0]) == (f"{usernames_marker_client()}.{SECURITY_KEY_ROLE}", False)
    assert [(e["authenticator"], e["requirement"]) for e in key_only[1:]] == [
        ("webauthn-authenticator", "REQUIRED")
    ]
    # Passwordless WebAuthn (a key instead of the password) is not offered.
    assert not any(e.get("authenticator") == "webauthn-authenticator-passwordless" for e in steps)
    actions = {a["alias"]: a for a in realm["requiredActions"]}
    assert actions["webauthn-register"]["enabled"] and actions["CONFIGURE_TOTP"]["enabled"]


def test_no_position_requires_a_security_key_yet(realm):
    """The marker exists so that the security office can require keys of chosen positions later
    (a composite of the position's role) or of one person (the client role granted to them)."""
    markers = {r["name"] for r in realm["roles"]["client"][usernames_marker_client()]}
    assert {SECOND_FACTOR_ROLE, SECURITY_KEY_ROLE} <= markers
    for role in realm["roles"]["realm"]:
        assert SECURITY_KEY_ROLE not in role.get("composites", {}).get("client", {}).get("zgov-cli", []), role


def test_the_webauthn_policy_names_the_city_and_asks_no_attestation(realm):
    assert realm["webAuthnPolicyRpEntityName"] == "资阳市人民政府"
    assert realm["webAuthnPolicySignatureAlgorithms"] == ["ES256", "RS256"]
    assert realm["webAuthnPolicyUserVerificationRequirement"] == "preferred"
    assert realm["webAuthnPolicyAttestationConveyancePreference"] == "none"
    # The relying party is the host Keycloak is reached at (its configured hostname).
    assert realm["webAuthnPolicyRpId"] == ""


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
SECURITY_KEY_ROLE = "security-key"


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
