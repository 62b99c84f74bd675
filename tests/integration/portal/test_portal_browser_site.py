"""The portal's accessibility and the government-site norms in a real headless Chromium (Debian's
/usr/bin/chromium driven by Playwright) with axe-core (the axe.min.js that axe-playwright-python ships):
zero axe violations (WCAG 2.1 A/AA) on the main pages at a 360 px phone width, in the 长辈版 (large text)
and in forced-colors mode, never a sideways scroll; the footer and meta tags from configuration; a
dataset's page (A38) reached from the catalogue.

The pages have no script: this context enables JavaScript and bypasses the CSP only to run axe and
measure the page from outside, which the pages themselves never do."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import uvicorn

from deploy.local.servers import free_port
from services.portal.app import create_app
from tests.integration.portal.conftest import portal_settings
from tests.integration.portal.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.integration.portal.test_portal_disclosure import seed
from tests.integration.portal.test_portal_open_data import SITE

pytestmark = pytest.mark.integration

PHONE = {"width": 360, "height": 740}
PAGES = [
    "/",
    "/publications",
    "/search?q=校外",
    "/open-data",
    "/open-data/powers",
    "/disclosure-guide",
    "/petitions/new",
    "/applications/new",
    "/reports",
    "/complaints/new",
]


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@pytest.fixture
async def site_server(keycloak, backends):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(portal_settings(keycloak, backends, public_url=url, http_port=port, **SITE))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def measuring_browser(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/run installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=PHONE,
            locale="zh-CN",
            java_script_enabled=True,
            bypass_csp=True,
        )
        try:
            yield context
        finally:
            await context.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


async def violations(page, source: str) -> list[str]:
    await page.add_script_tag(content=source)
    result = await page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']}})"
    )
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


async def sideways(page) -> int:
    """How far the page scrolls sideways (0: it fits the screen)."""
    return await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.long
async def test_axe_finds_nothing_at_phone_width_large_text_and_forced_colors_and_nothing_scrolls_sideways(
    measuring_browser, site_server, keycloak, backends
):
    await seed(backends)
    source = axe_source()
    page = await measuring_browser.new_page()
    found: dict[str, list[str]] = {}
    for mode in ("standard", "large", "contrast"):
        await page.goto(f"{site_server}/display?mode={mode}&next=/")
        for forced in ("none", "active") if mode == "large" else ("none",):
            await page.emulate_media(forced_colors=forced)
            for path in PAGES:
                await page.goto(site_server + path)
                label = f"{mode}{' forced-colors' if forced == 'active' else ''} {path}"
                if problems := await violations(page, source):
                    found[label] = problems
                if (overflow := await sideways(page)) > 0:
                    found[label + " sideways"] = [f"{overflow} px"]
        await page.goto(f"{site_server}/display?mode={mode}&next=/")  # the mode off again
    assert found == {}


async def test_footer_meta_tags_and_a_dataset_page_in_chromium(
    measuring_browser, site_server, keycloak, backends
):
    await seed(backends)
    page = await measuring_browser.new_page()
    await page.goto(site_server)
    assert await page.locator('meta[name="SiteIDCode"]').get_attribute("content") == "5120000001"
    assert await page.locator('meta[name="SiteName"]').get_attribute("content") == "资阳市人民政府"
    footer = await page.locator("footer").inner_text()
    assert (
        "网站标识码：5120000001" in footer
        and "蜀ICP备00000001号" in footer
        and "主办单位：资阳市人民政府办公室" in footer
    )
    await page.get_by_role("link", name="长辈版（大字）").click()
    assert await page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "24px"
    await page.get_by_role("link", name="数据开放", exact=True).first.click()
    await page.get_by_role("link", name="权责清单").click()
    assert "建筑工程施工许可" in await page.locator("table").inner_text()
    assert await page.locator('meta[name="ColumnName"]').get_attribute("content") == "政府数据开放"
    download = page.get_by_role("link", name="CSV")
    assert await download.get_attribute("href") == "/open-data/powers.csv"
