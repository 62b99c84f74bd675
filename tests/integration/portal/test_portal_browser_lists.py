"""回应关切 (A70), 意见采纳情况 (A22) and 发布机构 in a real headless Chromium without scripts, on a phone:
a citizen goes from the home page to a response and the concern it answers, reads a closed draft's
account of the comments, and finds an issuer's publications. Screenshots in .artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.integration.portal.test_portal_browser import (  # noqa: F401  (browser: the fixture)
    PHONE,
    SCREENSHOTS,
    browser,
    png_width,
    shot,
)
from tests.integration.portal.test_portal_disclosure_lists import FEEDBACK, seed_lists

pytestmark = pytest.mark.integration


async def test_A70_A22_a_citizen_reads_a_response_the_account_of_comments_and_an_issuers_list_in_chromium(
    browser, portal_server, keycloak, backends, backend_databases
):
    ids = await seed_lists(backends, backend_databases["disclosure"])
    page = await browser.new_page()
    await page.goto(portal_server + "/")
    await page.click("text=回应关切")
    assert await page.inner_text("h1") == "回应关切"
    await page.click("text=关于媒体报道某小学食堂问题的回应")
    assert page.url.endswith(f"/publications/{ids['response']}")
    concern = await page.inner_text("section[aria-labelledby=concern-title]")
    assert (
        "媒体报道某小学食堂饭菜质量差" in concern and "资阳市教育局" in concern and "新闻媒体报道" in concern
    )
    await shot(page, "concern-response")
    assert png_width(SCREENSHOTS / "concern-response.png") == PHONE["width"]  # nothing wider than the phone

    await page.goto(portal_server + "/drafts")
    await page.click("text=意见采纳情况")
    feedback = await page.inner_text("section[aria-labelledby=feedback-title]")
    assert FEEDBACK in feedback and "13800000000" not in await page.content()
    await shot(page, "draft-feedback")
    assert png_width(SCREENSHOTS / "draft-feedback.png") == PHONE["width"]

    await page.goto(portal_server + "/publications")
    await page.click("a[href='/issuers']")
    await shot(page, "issuers")
    await page.click("text=资阳市教育局")
    assert "issuer=education-bureau" in page.url
    listed = await page.inner_text("main")
    assert "关于媒体报道某小学食堂问题的回应" in listed and "资阳市促进民营经济发展若干措施" not in listed
    await shot(page, "issuer-catalogue", desktop=True)
