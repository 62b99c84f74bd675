"""A security key (WebAuthn) as an officer's second factor, in a real browser: Debian's Chromium under
Playwright with a virtual authenticator (CTAP2, internal, resident keys, user verification) through the
DevTools protocol, against a real Keycloak importing the realm as shipped.

The security office requires a key of an officer (the marker role `zgov-cli.security-key`): at the first
sign-in the officer registers one, and signs in with it from then on, never asked a TOTP code; with
the marker withdrawn the key still serves, as the alternative to TOTP. An officer with neither a key
nor TOTP cannot get in with the password alone; a citizen is asked no second factor.

Chromium refuses WebAuthn on an IP address (no relying party can be one): the run's shared Keycloak is
named `localhost` for it (tests/fixtures/keycloak.py)."""

from __future__ import annotations


import pytest

from deploy.keycloak import security_office
from deploy.local.keycloak import admin_client
from tests.integration.portal.conftest import enter_password

pytestmark = [pytest.mark.integration, pytest.mark.long]

SECURITY_KEY_MARKER = "security-key"


class SecurityKey:
    """A virtual security key in one browser page: CTAP2, built in, user verification done."""

    OPTIONS = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }

    def __init__(self, cdp, authenticator_id: str):
        self.cdp, self.id = cdp, authenticator_id

    @classmethod
    async def plugged_into(cls, page) -> SecurityKey:
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("WebAuthn.enable")
        added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": cls.OPTIONS})
        return cls(cdp, added["authenticatorId"])

    async def credentials(self) -> list[dict]:
        return (await self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id}))["credentials"]

    async def holding(self, credentials: list[dict]) -> SecurityKey:
        """The same key in another browser: its credentials (private keys included) copied in."""
        for credential in credentials:
            await self.cdp.send(
                "WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential}
            )
        return self


async def fresh_page(chromium):
    page = await (await chromium.new_context(locale="zh-CN")).new_page()
    page.set_default_timeout(120_000)  # Keycloak's first pages render slowly on a busy machine
    return page


def credential_types(admin, user_id: str) -> set[str]:
    return {c["type"] for c in admin.get_credentials(user_id)}


def require_security_key(admin, user_id: str, required: bool) -> None:
    """What the security office does: the marker client role granted to (or withdrawn from) a person."""
    cli = admin.get_client_id("zgov-cli")
    marker = [admin.get_client_role(cli, SECURITY_KEY_MARKER)]
    if required:
        admin.assign_client_role(user_id, cli, marker)
    else:
        admin.delete_client_roles_of_user(user_id, cli, marker)


async def press_when_ready(page, button: str) -> None:
    """Keycloak's key pages bind their buttons in a module script, run once the page has loaded: a
    click before that does nothing."""
    await page.wait_for_selector(button)
    await page.wait_for_load_state("load")
    await page.click(button)


async def sign_in_with_key(page, portal_server: str, officer) -> None:
    await enter_password(page, portal_server, officer.username, officer.password)
    await page.wait_for_selector("#authenticateWebAuthnButton")
    assert await page.locator("#otp").count() == 0  # no TOTP code asked
    await press_when_ready(page, "#authenticateWebAuthnButton")
    await page.wait_for_url(f"{portal_server}/**")
    assert "退出" in await page.content()


async def test_an_officer_registers_a_security_key_then_signs_in_with_it_instead_of_a_code(
    chromium, portal_at_keycloak, keycloak, new_officer
):
    portal_server, admin = portal_at_keycloak, admin_client(keycloak.server)
    require_security_key(admin, new_officer.id, True)
    page = await fresh_page(chromium)
    key = await SecurityKey.plugged_into(page)
    # Keycloak's page asks a name for the key (window.prompt) once it is registered.
    page.on("dialog", lambda dialog: dialog.accept("办公室钥匙"))
    await enter_password(page, portal_server, new_officer.username, new_officer.password)
    # First sign-in: no way past without registering a key; no TOTP enrolment offered instead.
    await page.wait_for_selector("#registerWebAuthn")
    assert await page.locator("#totp").count() == 0
    await press_when_ready(page, "#registerWebAuthn")
    await page.wait_for_url(f"{portal_server}/**")
    assert "退出" in await page.content()
    assert credential_types(admin, new_officer.id) == {"password", "webauthn"}
    [registered] = [c for c in admin.get_credentials(new_officer.id) if c["type"] == "webauthn"]
    assert registered["userLabel"] == "办公室钥匙"
    credentials = registered_copy = await key.credentials()
    assert [c["rpId"] for c in credentials] == ["localhost"]

    # The same key in a fresh browser: password, then the key, never a code.
    again = await fresh_page(chromium)
    moved = await (await SecurityKey.plugged_into(again)).holding(credentials)
    await sign_in_with_key(again, portal_server, new_officer)
    # The key as it is now: its signature counter went up (Keycloak refuses one that goes back, a clone).
    credentials = await moved.credentials()

    # The marker withdrawn: the key is the officer's alternative to TOTP, and no TOTP is enrolled.
    require_security_key(admin, new_officer.id, False)
    third = await fresh_page(chromium)
    await (await SecurityKey.plugged_into(third)).holding(credentials)
    await sign_in_with_key(third, portal_server, new_officer)
    assert credential_types(admin, new_officer.id) == {"password", "webauthn"}

    # A copy of the key taken before those sign-ins (its counter behind Keycloak's): refused as a clone.
    clone = await fresh_page(chromium)
    await (await SecurityKey.plugged_into(clone)).holding(registered_copy)
    await enter_password(clone, portal_server, new_officer.username, new_officer.password)
    await press_when_ready(clone, "#authenticateWebAuthnButton")
    await clone.wait_for_selector("text=安全密钥错误")
    assert not clone.url.startswith(portal_server)

    # The key lost: the security office's reset removes it (tests/integration/test_security_office.py).
    security_office.reset(admin, admin.get_user(new_officer.id))
    assert credential_types(admin, new_officer.id) & {"otp", "webauthn"} == set()


async def test_an_officer_with_neither_key_nor_totp_cannot_pass_with_the_password_alone(
    chromium, portal_at_keycloak, keycloak, new_officer
):
    portal_server, admin = portal_at_keycloak, admin_client(keycloak.server)
    page = await fresh_page(chromium)
    await SecurityKey.plugged_into(page)  # a key at hand changes nothing until one is registered
    await enter_password(page, portal_server, new_officer.username, new_officer.password)
    await page.wait_for_selector("#totp")  # the enrolment of an authenticator, not the portal
    assert not page.url.startswith(portal_server)
    await page.goto(f"{portal_server}/")
    assert "退出" not in await page.content()  # not signed in
    assert credential_types(admin, new_officer.id) == {"password"}


async def test_a_citizen_is_asked_no_second_factor(chromium, portal_at_keycloak, keycloak):
    portal_server = portal_at_keycloak
    page = await fresh_page(chromium)
    await SecurityKey.plugged_into(page)
    await enter_password(page, portal_server, "citizen", keycloak.password_of("citizen"))
    await page.wait_for_url(f"{portal_server}/**")
    assert "退出" in await page.content()
