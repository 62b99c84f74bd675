"""The applicant follows an administrative reconsideration (A69) on the portal: in a real headless
Chromium by the query code, reached from the main menu (行政复议), and under the account that filed it
(“我的行政复议”)."""

from __future__ import annotations

from datetime import date

import pytest

from shared.convert import date_to_proto
from tests.integration.portal.conftest import log_in
from tests.integration.portal.test_portal_browser import browser, shot  # noqa: F401 - the browser fixture
from zgov.petitions.v1 import reconsiderations_pb2 as pb

pytestmark = pytest.mark.integration


async def decided_case(backends) -> str:
    """An application registered by the reconsideration office, accepted, extended once and decided on
    the last day of the extended limit (2026-10-08: 90 days from 2026-07-03 end on National Day);
    returns its query code."""
    office = backends.as_user("justice-reviewer")
    stub = backends.reconsideration_service
    request = pb.ApplyForReconsiderationRequest(
        applicant_name="林晓梅",
        contested_act="资教罚〔2026〕3号 行政处罚决定书",
        respondent_body_code="education-bureau",
        request="撤销该处罚决定",
        received_on=date_to_proto(date(2026, 6, 29)),
    )
    applied = await stub.ApplyForReconsideration(request, metadata=office)
    case_id = applied.reconsideration.id
    await stub.AcceptReconsideration(
        pb.AcceptReconsiderationRequest(
            reconsideration_id=case_id, accepted_on=date_to_proto(date(2026, 7, 3))
        ),
        metadata=office,
    )
    await stub.ExtendReconsideration(
        pb.ExtendReconsiderationRequest(reconsideration_id=case_id, days=30, reason="案情复杂"),
        metadata=office,
    )
    await stub.DecideReconsideration(
        pb.DecideReconsiderationRequest(
            reconsideration_id=case_id,
            decision=pb.DECISION_KIND_REVOKED,
            reasons="事实不清，证据不足",
            decided_on=date_to_proto(date(2026, 10, 8)),
        ),
        metadata=office,
    )
    return applied.query_code


async def test_A69_applicant_follows_a_reconsideration_by_query_code_in_chromium(
    browser,
    portal_server,
    backends,
):
    code = await decided_case(backends)
    page = await browser.new_page()
    # reached from the main menu of any page, as a citizen finds it
    await page.goto(f"{portal_server}/publications")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="行政复议").click()
    assert await page.locator("h1").inner_text() == "行政复议"
    await page.get_by_role("link", name="凭查询码查询").click()
    assert page.url == f"{portal_server}/reconsiderations/follow"
    await page.get_by_label("查询码").fill("ABCD-EFGH-JKLM-NPQR")
    await page.get_by_role("button", name="查询").click()
    assert "没有找到" in await page.locator("main").inner_text()
    await page.get_by_label("查询码").fill(code.lower())
    await page.get_by_role("button", name="查询").click()
    assert "已作出行政复议决定" in await page.locator("#state").inner_text()
    decision = await page.locator("#decision").inner_text()
    assert "2026-10-08" in decision and "撤销" in decision and "事实不清" in decision
    assert "2026-07-03" in await page.locator("#accepted-on").inner_text()
    await shot(page, "reconsideration-followed")


async def test_A69_applicant_follows_own_reconsideration_under_the_account(portal, keycloak, backends):
    applied = await backends.reconsideration_service.ApplyForReconsideration(
        pb.ApplyForReconsiderationRequest(
            contested_act="不予许可决定书",
            respondent_body_code="education-bureau",
            request="责令作出许可",
        ),
        metadata=backends.as_user("citizen"),
    )
    case_id = applied.reconsideration.id
    assert (await portal.get("/reconsiderations/mine")).status_code == 401
    entry = await portal.get("/reconsiderations")
    assert entry.status_code == 200 and 'href="/reconsiderations/follow"' in entry.text
    assert 'href="/login?next=/reconsiderations/mine"' in entry.text
    for page in ("/", "/petitions", "/sitemap"):  # the menu of every page, the petitions page, the site map
        assert 'href="/reconsiderations"' in (await portal.get(page)).text, page
    await log_in(portal, keycloak, "citizen", "/reconsiderations/mine")
    assert 'href="/reconsiderations/mine"' in (await portal.get("/reconsiderations")).text
    mine = await portal.get("/reconsiderations/mine")
    assert (
        mine.status_code == 200
        and "不予许可决定书" in mine.text
        and f"/reconsiderations/mine/{case_id}" in mine.text
    )
    shown = await portal.get(f"/reconsiderations/mine/{case_id}")
    assert (
        shown.status_code == 200 and "已申请，待审查是否受理" in shown.text and "受理审查期限" in shown.text
    )
    assert (
        await portal.get("/reconsiderations/mine/00000000-0000-0000-0000-000000000000")
    ).status_code == 404
