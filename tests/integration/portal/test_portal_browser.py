"""The portal in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright; no browser
is downloaded): a citizen without an account files a petition with a photo attached, lands on its
receipt (Post/Redirect/Get: reloaded, bookmarked, opened by another visitor with the code) and
follows it with the query code (seeing the photo's name);
searches, opens a publication, files an application, follows it with its query code and withdraws it
(撤回, with its confirmation page); files a petition with 办件状态通知 ticked on the form, sees the
receipt say notifications are on, and withdraws them on /notifications (issue 15). Screenshots
of the main pages (phone and desktop widths) are kept in .artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.portal.conftest import CHROMIUM, CHROMIUM_ARGS, serving_portal
from tests.integration.portal.test_portal_consent import cases_by_number, consent_of
from tests.integration.portal.test_portal_disclosure import APPLICATION, applications_served, seed
from zgov.notify.v1 import notify_pb2 as npb

pytestmark = pytest.mark.integration

SCREENSHOTS = Path(__file__).resolve().parents[3] / ".artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
async def browser(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/run installs it)")
    from playwright.async_api import async_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        # A fresh profile folder each time; launch_persistent_context is Playwright's way to name it.
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=PHONE,
            locale="zh-CN",
            java_script_enabled=False,
        )
        try:
            yield context
        finally:
            await context.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def png_width(path: Path) -> int:
    """The width of a PNG (its IHDR), without running a script in the page (the portal has none)."""
    return int.from_bytes(path.read_bytes()[16:20], "big")


async def shot(page, name: str, desktop: bool = False) -> None:
    if desktop:
        await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if desktop:
        await page.set_viewport_size(PHONE)


async def test_A71_citizen_without_account_files_a_petition_and_follows_it_in_chromium(
    browser, portal_server
):
    page = await browser.new_page()
    await page.goto(f"{portal_server}/petitions/new")
    await shot(page, "petition-form")
    # Sent empty first: the messages stand next to the fields.
    await page.get_by_role("button", name="提交").click()
    assert await page.locator("#phone-error").inner_text() == "请填写联系电话，以便承办单位与您联系。"
    await shot(page, "petition-form-errors")
    await page.get_by_label("申诉求决").check()
    await page.get_by_label("标题（必填，200 字以内）").fill("小区路灯损坏三个月无人修")
    await page.get_by_label("信访内容（必填）").fill("幸福小区 3 栋门前路灯损坏，多次反映未修。")
    await page.get_by_label("姓名（必填）").fill("赵小红")
    await page.get_by_label("联系电话（必填）").fill("13900002222")
    # A small photo of the broken lamp, chosen with the file input (no script involved).
    await page.get_by_label("附件（选填）").set_input_files(
        files=[{"name": "路灯照片.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64)}]
    )
    await page.get_by_role("button", name="提交").click()
    code = (await page.locator("#query-code").inner_text()).strip()
    assert len(code) == 19
    await shot(page, "petition-filed")
    # Post/Redirect/Get: the receipt has an address of its own (no code in it); a reload re-reads it
    receipt = page.url
    assert "/receipts/" in receipt and code not in receipt.upper()
    number = (await page.locator("main strong").first.inner_text()).strip()
    await page.reload()
    assert (await page.locator("#query-code").inner_text()).strip() == code
    assert "信访事项此前已提交" not in await page.locator("main").inner_text()
    # Another visitor (no cookie) opening the bookmark is asked for the code, then sees the receipt.
    await browser.clear_cookies()
    await page.goto(receipt)
    assert number not in await page.locator("main").inner_text()
    await page.get_by_label("查询码").fill(code.lower())
    await page.get_by_role("button", name="查看回执").click()
    assert number in await page.locator("main").inner_text()

    await page.goto(f"{portal_server}/petitions/follow")
    await page.get_by_label("查询码").fill(code.lower())
    await page.get_by_role("button", name="查询").click()
    assert "小区路灯损坏三个月无人修" in await page.locator("main").inner_text()
    assert "等待信访部门审查" in await page.locator("#state").inner_text()
    assert "路灯照片.png" in await page.locator("#attachments").inner_text()
    await shot(page, "petition-followed")
    await shot(page, "petition-followed-desktop", desktop=True)


@pytest.mark.skipif(
    not applications_served(), reason="the disclosure service does not serve applications yet"
)
async def test_art29_citizen_searches_opens_a_publication_applies_and_follows_in_chromium(
    browser, portal_server, keycloak, backends
):
    await seed(backends)
    page = await browser.new_page()
    await page.goto(portal_server)
    await shot(page, "home")
    await shot(page, "home-desktop", desktop=True)
    await page.get_by_label("搜索政府信息").fill("民营经济")
    await page.get_by_role("button", name="搜索").click()
    await shot(page, "search")
    # exact: the interpretation's title contains the policy's, and both match in the title
    await page.get_by_role("link", name="资阳市促进民营经济发展若干措施", exact=True).first.click()
    assert "现行有效" in await page.locator("#validity").inner_text()
    await shot(page, "publication")
    await page.get_by_role("link", name="《资阳市促进民营经济发展若干措施》政策解读").click()
    assert "的解读" in await page.locator("main").inner_text()

    await page.goto(f"{portal_server}/publications")
    await shot(page, "catalogue", desktop=True)

    await page.goto(f"{portal_server}/applications/new")
    await shot(page, "application-form")
    await page.get_by_label("申请人类型（必选）").select_option("person")
    await page.get_by_label("姓名或名称（必填）").fill(APPLICATION["name"])
    await page.get_by_label("身份证件号码或统一社会信用代码（必填）").fill(APPLICATION["id_number"])
    await page.get_by_label("联系电话").fill(APPLICATION["phone"])
    await page.get_by_label("所需政府信息的名称、文号或者便于查询的其他特征性描述（必填）").fill(
        APPLICATION["description"]
    )
    await page.get_by_label("获取信息的方式（必选）").select_option("download")
    await page.get_by_role("button", name="提交申请").click()
    code = (await page.locator("#query-code").inner_text()).strip()
    await shot(page, "application-filed")

    await page.goto(f"{portal_server}/applications/follow")
    await page.get_by_label("查询码").fill(code)
    await page.get_by_role("button", name="查询").click()
    assert "等待工作机构确认收到" in await page.locator("#state").inner_text()
    await shot(page, "application-followed")

    # 撤回: the button, a confirmation page of its own (no JavaScript), then the withdrawn state
    await page.get_by_role("button", name="撤回申请").click()
    assert "确认撤回申请" in await page.locator("h1").inner_text()
    await shot(page, "application-withdraw-confirm")
    await page.get_by_label("撤回理由（选填）").fill("已通过其他途径获取")
    await page.get_by_role("button", name="确认撤回").click()
    assert "申请人已撤回申请" in await page.locator("#state").inner_text()
    assert "您已撤回本申请" in await page.locator("#withdrawn").inner_text()
    assert await page.get_by_role("button", name="撤回申请").count() == 0
    await shot(page, "application-withdrawn")
    # the application pages fit a phone: the full-page screenshots are no wider than the viewport
    for name in (
        "application-form",
        "application-filed",
        "application-followed",
        "application-withdraw-confirm",
        "application-withdrawn",
    ):
        assert png_width(SCREENSHOTS / f"{name}.png") <= PHONE["width"], name


async def test_issue15_citizen_files_with_notifications_on_then_withdraws_them_in_chromium(
    browser, keycloak, backends, notify_address
):
    """The consent ticked on the petition form (notify's wording beside it), the receipt saying the
    notifications are on, withdrawn on /notifications; the real notify service agrees at each step."""
    async with serving_portal(keycloak, backends, notify_address=notify_address) as portal_server:
        page = await browser.new_page()
        await page.goto(f"{portal_server}/petitions/new")
        assert "通知只包含事项编号和办理状态" in await page.locator("#consent-wording").inner_text()
        await page.get_by_label("申诉求决").check()
        await page.get_by_label("标题（必填，200 字以内）").fill("小区路灯损坏三个月无人修")
        await page.get_by_label("信访内容（必填）").fill("幸福小区 3 栋门前路灯损坏，多次反映未修。")
        await page.get_by_label("姓名（必填）").fill("赵小红")
        await page.get_by_label("联系电话（必填）").fill("13900002222")
        await page.get_by_label("我同意上述内容，办理状态变化时通知我").check()
        await page.get_by_label("通过电子邮件").check()
        await page.get_by_label("通知邮箱").fill("zhao.xiaohong@example.com")
        await shot(page, "petition-form-notifications")
        await page.get_by_role("button", name="提交").click()
        state = await page.locator("#notifications-state").inner_text()
        assert "办件状态通知已开通" in state and "zh***@example.com" in state
        number = (await page.locator("main strong").first.inner_text()).strip()
        await shot(page, "petition-filed-notifications-on")
        case_id = (await cases_by_number(backends))[number]
        assert (await consent_of(backends, notify_address, case_id)).state == npb.CONSENT_STATE_GIVEN

        await page.get_by_role("button", name="通知设置").click()
        assert "/notifications" in page.url
        assert "您已同意" in await page.locator("#consent-state").inner_text()
        await page.get_by_role("button", name="撤回同意").click()
        assert "您已撤回同意，不再通知" in await page.locator("#consent-state").inner_text()
        await shot(page, "notifications-withdrawn")
        withdrawn = await consent_of(backends, notify_address, case_id)
        assert withdrawn.state == npb.CONSENT_STATE_WITHDRAWN and not withdrawn.email
