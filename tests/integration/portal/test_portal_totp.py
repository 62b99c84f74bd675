"""The second factor in a real browser (Debian's Chromium under Playwright): an officer new to the realm
signs in to the portal, is made to enrol an authenticator (TOTP) at that first sign-in, and from then
on signs in with password and code; a wrong code is refused. Citizens sign in with a password only
(conftest.log_in as "citizen", used by the portal tests)."""

from __future__ import annotations

import shutil
import time
import uuid

import pyotp
import pytest

from deploy.local.keycloak import admin_client

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def chromium(tmp_path):
    """A fresh browser profile with scripts on (Keycloak's enrolment page uses them)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


@pytest.fixture
def new_officer(keycloak):
    """A clerk of the general office, just onboarded: password set, no second factor yet."""
    admin = admin_client(keycloak.server)
    username, password = f"clerk-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex}Aa1"
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "firstName": "新",
            "lastName": "科员",
            "email": f"{username}@ziyang.example",
            "emailVerified": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    admin.assign_realm_roles(user_id, [admin.get_realm_role("office-staff")])
    yield username, password
    admin.delete_user(user_id)


@pytest.fixture
def portal_at_keycloak(keycloak, portal_server):
    """The realm's portal client accepts redirects to port 8000 only: this test's portal (a free port)
    is added for the test's duration, as an operator registers a portal's public address."""
    admin = admin_client(keycloak.server)
    client_id = admin.get_client_id("portal")
    client = admin.get_client(client_id)
    admin.update_client(
        client_id, {**client, "redirectUris": [*client["redirectUris"], f"{portal_server}/*"]}
    )
    yield portal_server
    admin.update_client(client_id, client)


async def enter_password(page, portal_url: str, username: str, password: str) -> None:
    await page.goto(f"{portal_url}/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")


def next_window_code(totp: pyotp.TOTP) -> str:
    # Keycloak refuses a code used once already; the next 30 s window's code is accepted (look-ahead 1).
    return totp.at(time.time() + 30)


async def test_an_officer_enrols_totp_at_first_sign_in_then_signs_in_with_a_code(
    chromium, portal_at_keycloak, keycloak, new_officer
):
    portal_server = portal_at_keycloak
    username, password = new_officer
    page = await (await chromium.new_context(locale="zh-CN")).new_page()
    page.set_default_timeout(120_000)  # Keycloak's first pages render slowly on a busy machine
    await enter_password(page, portal_server, username, password)
    # First sign-in: no way past without enrolling an authenticator.
    await page.wait_for_selector("#totp")
    await page.click("#mode-manual")
    secret = (await page.inner_text("#kc-totp-secret-key")).replace(" ", "").strip()
    totp = pyotp.TOTP(secret)
    await page.fill("#totp", totp.now())
    if await page.locator("#userLabel").count():
        await page.fill("#userLabel", "手机")
    await page.click("#saveTOTPBtn")
    await page.wait_for_url(f"{portal_server}/**")
    assert "退出" in await page.content()

    again = await (await chromium.new_context(locale="zh-CN")).new_page()
    again.set_default_timeout(120_000)
    await enter_password(again, portal_server, username, password)
    await again.wait_for_selector("#otp")
    await again.fill("#otp", "000000" if totp.now() != "000000" else "111111")
    await again.click("#kc-login")
    await again.wait_for_selector("#otp")  # a wrong code: asked again, not signed in
    assert not again.url.startswith(portal_server)
    await again.fill("#otp", next_window_code(totp))
    await again.click("#kc-login")
    await again.wait_for_url(f"{portal_server}/**")
    assert "退出" in await again.content()
