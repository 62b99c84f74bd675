"""The second factor in a real browser (Debian's Chromium under Playwright): an officer new to the realm
signs in to the portal, is made to enrol an authenticator (TOTP) at that first sign-in, and from then
on signs in with password and code; a wrong code is refused. Citizens sign in with a password only
(conftest.log_in as "citizen", used by the portal tests). A security key instead of the code:
test_portal_webauthn.py."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.integration.portal.conftest import enter_password

pytestmark = pytest.mark.integration


def next_window_code(totp: pyotp.TOTP) -> str:
    # Keycloak refuses a code used once already; the next 30 s window's code is accepted (look-ahead 1).
    return totp.at(time.time() + 30)


async def test_an_officer_enrols_totp_at_first_sign_in_then_signs_in_with_a_code(
    chromium, portal_at_keycloak, keycloak, new_officer
):
    portal_server = portal_at_keycloak
    username, password = new_officer.username, new_officer.password
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
