"""A38 open government data and the government-site norms on the portal, over plain HTTP against the
real disclosure, petitions and org services (in-process) and the real Keycloak: the dataset catalogue,
CSV and JSON downloads made from live data and cached, DCAT JSON-LD, the CKAN-compatible read API
(package_list, package_show, package_search: what harvesters and the `ckanapi` client call), petitions
figures as aggregates only; the footer and meta tags from the operator's configuration, the 长辈版 and
high-contrast modes without a script, robots.txt, the favicon, the 信息公开指南."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from services.portal.app import create_app
from services.portal.open_data.catalogue import DATASETS
from tests.integration.portal.conftest import PUBLIC_URL, portal_settings
from tests.integration.portal.test_portal_disclosure import seed

pytestmark = pytest.mark.integration

SITE = {
    "site_name": "资阳市人民政府",
    "site_domain": "www.ziyang.gov.cn",
    "site_id_code": "5120000001",
    "site_organiser": "资阳市人民政府办公室",
    "site_address": "资阳市雁江区XX路1号",
    "site_phone": "028-26000000",
    "site_icp": "蜀ICP备00000001号",
    "site_police_record": "川公网安备 51200002000001号",
    "site_conac_url": "https://bszs.conac.cn/sitename?method=show&id=TEST",
}


@pytest.fixture
async def configured_portal(keycloak, backends):
    app = create_app(portal_settings(keycloak, backends, **SITE))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield client


def rows_of(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())  # spreadsheet programs read the Chinese right
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_A38_datasets_with_csv_json_dcat_and_their_pages_from_live_data(
    configured_portal, keycloak, backends
):
    portal = configured_portal
    ids = await seed(backends)
    index = await portal.get("/open-data")
    assert index.status_code == 200
    for d in DATASETS:
        assert f'href="/open-data/{d.name}"' in index.text and d.title in index.text

    normative = await portal.get("/open-data/normative-documents-in-force.csv")
    assert normative.status_code == 200 and normative.headers["content-type"].startswith("text/csv")
    header, *records = rows_of(normative)
    assert header[:3] == ["标识", "标题", "文号"]
    assert [r[:3] for r in records] == [
        [ids["policy"], "资阳市促进民营经济发展若干措施", "资府规〔2026〕3号"]
    ]

    powers = json.loads((await portal.get("/open-data/powers.json")).content)
    (power,) = powers["records"]
    assert power["subject"] == "市住房和城乡建设局" and power["basis"].startswith("《中华人民共和国建筑法》")
    assert [f["id"] for f in powers["fields"]][:3] == ["id", "title", "power_type"]

    catalogue = rows_of(await portal.get("/open-data/publications.csv"))
    assert {r[0] for r in catalogue[1:]} == set(ids.values())
    # cached: the same generation until the period ends (Last-Modified unchanged)
    first = await portal.get("/open-data/publications.json")
    again = await portal.get("/open-data/publications.json")
    assert first.headers["last-modified"] == again.headers["last-modified"] and first.content == again.content

    page = await portal.get("/open-data/powers")
    assert (
        page.status_code == 200
        and "建筑工程施工许可" in page.text
        and 'href="/open-data/powers.csv"' in page.text
    )
    for fact in ("发布单位", "开放许可", "更新频率", "时间范围"):
        assert fact in page.text
    assert (await portal.get("/open-data/nothing")).status_code == 404

    dcat = (await portal.get("/open-data/catalog.jsonld")).json()
    assert dcat["@type"] == "dcat:Catalog" and len(dcat["dcat:dataset"]) == len(DATASETS)
    powers_entry = next(x for x in dcat["dcat:dataset"] if x["dct:identifier"] == "powers")
    assert {x["dct:format"] for x in powers_entry["dcat:distribution"]} == {"CSV", "JSON"}
    assert powers_entry["dct:license"]["@id"].startswith("https://creativecommons.org/")


async def test_A38_petition_statistics_are_aggregates_only(configured_portal):
    """The portal's service account reads GetStatistics (petition:open-statistics), never a case."""
    reply = await configured_portal.get("/open-data/petition-statistics.json")
    assert reply.status_code == 200, reply.text[:300]
    document = json.loads(reply.content)
    assert [f["id"] for f in document["fields"]] == [
        "dimension",
        "key",
        "received",
        "repeats",
        "overdue",
        "replied",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
    ]
    for record in document["records"]:
        assert set(record) == {f["id"] for f in document["fields"]}


async def test_A38_ckan_compatible_read_api_over_plain_http(configured_portal):
    portal = configured_portal
    listed = (await portal.get("/api/3/action/package_list")).json()
    assert listed["success"] and listed["result"] == [d.name for d in DATASETS]
    shown = (
        await portal.get("/api/3/action/package_show", params={"id": "normative-documents-in-force"})
    ).json()
    package = shown["result"]
    assert shown["success"] and package["name"] == "normative-documents-in-force"
    assert package["license_id"] == "cc-by-4.0" and package["organization"]["title"] == "资阳市人民政府办公室"
    assert {r["format"] for r in package["resources"]} == {"CSV", "JSON"}
    assert package["resources"][0]["url"].startswith(f"{PUBLIC_URL}/open-data/normative-documents-in-force.")
    found = (await portal.get("/api/3/action/package_search", params={"q": "规范性文件"})).json()["result"]
    assert found["count"] == 1 and found["results"][0]["name"] == "normative-documents-in-force"
    everything = (await portal.get("/api/3/action/package_search", params={"rows": 2, "start": 1})).json()[
        "result"
    ]
    assert everything["count"] == len(DATASETS) and [p["name"] for p in everything["results"]] == [
        d.name for d in DATASETS[1:3]
    ]
    missing = await portal.get("/api/3/action/package_show", params={"id": "nothing"})
    assert missing.status_code == 404 and missing.json()["success"] is False
    assert (await portal.get("/api/3/action/package_search", params={"rows": 5000})).json()[
        "success"
    ] is False


async def test_footer_and_meta_tags_come_from_the_operators_configuration(
    configured_portal, keycloak, backends
):
    portal = configured_portal
    ids = await seed(backends)
    home = (await portal.get("/")).text
    for name, value in (
        ("SiteName", "资阳市人民政府"),
        ("SiteDomain", "www.ziyang.gov.cn"),
        ("SiteIDCode", "5120000001"),
        ("ColumnName", "首页"),
    ):
        assert f'<meta name="{name}" content="{value}">' in home, name
    assert '<meta name="description" content="' in home and 'rel="icon"' in home
    for shown in (
        "主办单位：资阳市人民政府办公室",
        "资阳市雁江区XX路1号",
        "028-26000000",
        "网站标识码：5120000001",
        "蜀ICP备00000001号",
        "川公网安备 51200002000001号",
        "党政机关网站标识",
        "政府网站找错",
        'href="/sitemap"',
        'href="/contact"',
        'href="/statement"',
    ):
        assert shown in home, shown
    assert 'href="/publications?category=rules"' in home and "规范性文件" in home  # the home page's entry
    article = (await portal.get(f"/publications/{ids['policy']}")).text
    assert '<meta name="ArticleTitle" content="资阳市促进民营经济发展若干措施">' in article
    assert '<meta name="ColumnName" content="规章和规范性文件">' in article
    assert '<meta name="ContentSource" content="资阳市人民政府办公室">' in article
    assert '<meta name="PubDate" content="' in article
    for path in ("/disclosure-guide", "/sitemap", "/contact", "/statement"):
        assert (await portal.get(path)).status_code == 200, path
    assert "第二十六条" in (await portal.get("/disclosure-guide")).text
    robots = await portal.get("/robots.txt")
    assert (
        robots.status_code == 200
        and "User-agent: *" in robots.text
        and "Disallow: /petitions/follow" in robots.text
    )
    icon = await portal.get("/favicon.ico")
    assert icon.status_code == 200 and icon.content.startswith(b"<svg")


async def test_large_text_and_high_contrast_modes_work_without_a_script(configured_portal):
    portal = configured_portal
    home = (await portal.get("/")).text
    assert (
        'href="/display?mode=large&amp;next=/"' in home and 'href="/display?mode=contrast&amp;next=/"' in home
    )
    switched = await portal.get("/display", params={"mode": "large", "next": "/publications"})
    assert switched.status_code == 303 and switched.headers["location"] == "/publications"
    assert '<html lang="zh-CN" class="large">' in (await portal.get("/publications")).text
    await portal.get("/display", params={"mode": "contrast", "next": "/"})
    assert '<html lang="zh-CN" class="contrast large">' in (await portal.get("/")).text
    assert "退出长辈版" in (await portal.get("/")).text
    await portal.get("/display", params={"mode": "standard", "next": "/"})
    assert '<html lang="zh-CN">' in (await portal.get("/")).text
    # never a way off the site
    assert (await portal.get("/display", params={"mode": "large", "next": "//evil.example"})).headers[
        "location"
    ] == "/"
