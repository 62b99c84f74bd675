"""The portal's 政府信息公开 pages and JSON API against the real disclosure service (in-process), with
real Keycloak, PostgreSQL and NATS: home, catalogue, search, a publication with its interpretation
(A37) and status, comment on a draft (A22), applications for information filed without an account
and followed by query code, an applicant who sees only his or her own applications."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.portal.app import create_app
from shared.convert import date_to_proto as d
from tests.integration.portal.conftest import PUBLIC_URL, log_in, portal_settings, post_form
from zgov.disclosure.v1 import publications_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
CODE = re.compile(r'id="query-code">([A-Z0-9-]{19})<')
APPLICATION = {
    "kind": "person",
    "name": "钱多多",
    "id_number": "512002199001010012",
    "phone": "13600003333",
    "email": "",
    "address": "",
    "contact_person": "",
    "description": "2025年雁江区义务教育学校校舍维修资金的使用明细。",
    "document_number": "",
    "purpose": "了解学校维修情况",
    "delivery_form": "download",
}


async def seed(backends) -> dict[str, str]:
    """A statistics release, a policy with its interpretation, and a draft open for comment, published
    by the disclosure officer."""
    metadata = backends.as_user("disclosure-officer")
    stub = backends.publication_service

    async def create(**fields) -> pb.Publication:
        content = pb.PublicationContent(
            **{
                "kind": pb.PUBLICATION_KIND_POLICY,
                "issuer_code": "general-office",
                "issuer_name": "资阳市人民政府办公室",
                "made_on": d(TODAY),
                **fields,
            }
        )
        return await stub.CreatePublication(pb.CreatePublicationRequest(content=content), metadata=metadata)

    async def publish(pid: str, *together: str) -> None:
        await stub.PublishPublication(
            pb.PublishPublicationRequest(publication_id=pid, interpretation_ids=list(together)),
            metadata=metadata,
        )

    stats = await create(
        category=pb.CATEGORY_STATISTICS,
        title="2026年10月资阳市经济运行情况",
        body="全市规模以上工业增加值同比增长，供水供电保障有力。<script>alert(1)</script>",
        issuer_name="资阳市统计局",
    )
    await publish(stats.id)
    policy = await create(
        category=pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
        normative=True,
        requires_interpretation=True,
        document_number="资府规〔2026〕3号",
        title="资阳市促进民营经济发展若干措施",
        body="第一条 为促进民营经济发展，制定本措施。",
        valid_until=d(TODAY + timedelta(days=5 * 365)),
    )
    reading = await create(
        kind=pb.PUBLICATION_KIND_INTERPRETATION,
        policy_id=policy.id,
        category=pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
        title="《资阳市促进民营经济发展若干措施》政策解读",
        body="一、制定背景……",
    )
    await publish(policy.id, reading.id)
    draft = await create(
        kind=pb.PUBLICATION_KIND_COMMENT_DRAFT,
        category=pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
        title="资阳市城市供水管理办法（征求意见稿）",
        body="第一条 为加强城市供水管理……",
        comment_until=d(TODAY + timedelta(days=30)),
    )
    await publish(draft.id)
    power = await create(
        kind=pb.PUBLICATION_KIND_POWER,
        category=pb.CATEGORY_LICENSING,
        title="建筑工程施工许可",
        body="建筑工程施工许可的权责事项。",
        power=pb.Power(
            subject="市住房和城乡建设局",
            basis="《中华人民共和国建筑法》第七条",
            procedure="申请、受理、审查、决定",
            supervision="市司法局行政执法监督，电话 12345",
            power_type="行政许可",
        ),
    )
    await publish(power.id)
    return {
        "stats": stats.id,
        "policy": policy.id,
        "reading": reading.id,
        "draft": draft.id,
        "power": power.id,
    }


async def test_A35_A37_A39_home_catalogue_search_powers_and_a_publication_with_its_interpretation(
    portal, backends
):
    ids = await seed(backends)
    home = await portal.get("/")
    assert "2026年10月资阳市经济运行情况" in home.text and f"/publications/{ids['stats']}" in home.text

    listed = await portal.get("/publications?category=statistics")
    assert listed.status_code == 200 and "2026年10月资阳市经济运行情况" in listed.text
    assert "资阳市促进民营经济发展若干措施" not in listed.text
    bad = await portal.get("/publications?category=nonsense&year=19")
    assert bad.status_code == 422 and "没有这个类别" in bad.text and "年份应为" in bad.text

    found = await portal.get("/search", params={"q": "工业增加值"})
    results = found.text[found.text.find('id="results-title"') :]
    assert found.status_code == 200 and "2026年10月资阳市经济运行情况" in results, results[:1500]
    assert "<mark>" in results, results[:1500]  # the words found, marked in the snippet
    nothing = await portal.get("/search", params={"q": "火星殖民"})
    assert "没有找到" in nothing.text

    policy = await portal.get(f"/publications/{ids['policy']}")
    assert "现行有效" in policy.text and "资府规〔2026〕3号" in policy.text
    assert f"/publications/{ids['reading']}" in policy.text  # the interpretation, linked from the policy
    reading = await portal.get(f"/publications/{ids['reading']}")
    assert f"/publications/{ids['policy']}" in reading.text and "的解读" in reading.text  # and back
    stats = await portal.get(f"/publications/{ids['stats']}")
    assert "<script>alert(1)</script>" not in stats.text and "&lt;script&gt;" in stats.text
    powers = await portal.get("/publications?kind=powers")  # A39: the powers list has its own page
    assert "建筑工程施工许可" in powers.text and "2026年10月资阳市经济运行情况" not in powers.text
    power = await portal.get(f"/publications/{ids['power']}")
    assert "《中华人民共和国建筑法》第七条" in power.text and "市住房和城乡建设局" in power.text
    assert (await portal.get("/publications/not-an-id")).status_code == 404
    assert (await portal.get("/publications/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_json_api_reads_the_same_publications(portal, backends):
    ids = await seed(backends)
    result = (await portal.get("/api/search", params={"q": "民营经济"})).json()
    # Both the policy and its interpretation have the words in their titles (ranked alike, newer first).
    assert (
        "资阳市促进民营经济发展若干措施" in [item["title"] for item in result["items"][:2]]
        and result["terms"]
    )
    one = (await portal.get(f"/api/publications/{ids['policy']}")).json()
    assert one["validity"] == "现行有效" and one["interpretations"][0]["id"] == ids["reading"]
    page = (await portal.get("/api/publications", params={"category": "statistics"})).json()
    assert [p["id"] for p in page["items"]] == [ids["stats"]]
    latest = (await portal.get("/api/publications/latest", params={"limit": 2})).json()
    assert len(latest) == 2
    assert (await portal.get("/api/publications", params={"category": "x"})).status_code == 422
    assert (await portal.get("/api/publications/nope")).status_code == 404
    drafts = (await portal.get("/api/drafts", params={"open_only": True})).json()
    assert [p["id"] for p in drafts["items"]] == [ids["draft"]]


async def test_A22_a_visitor_comments_on_a_draft_open_for_comment(portal, backends):
    ids = await seed(backends)
    listed = await portal.get("/drafts")
    assert f"/drafts/{ids['draft']}/comment" in listed.text
    empty = await post_form(
        portal, f"/drafts/{ids['draft']}/comment", f"/drafts/{ids['draft']}/comment", {"text": " "}
    )
    assert empty.status_code == 422 and "请填写意见建议" in empty.text
    done = await post_form(
        portal,
        f"/drafts/{ids['draft']}/comment",
        f"/drafts/{ids['draft']}/comment",
        {"text": "建议明确二次供水设施的维护责任。", "author_name": "林市民", "contact": "13800000000"},
    )
    assert done.status_code == 200 and "意见已提交" in done.text
    shown = await portal.get(f"/publications/{ids['draft']}")
    assert "提出意见建议" in shown.text
    assert (await portal.get(f"/drafts/{ids['stats']}/comment")).status_code == 404


def applications_served() -> bool:
    from services.disclosure import __main__ as disclosure_main

    return any("application" in make.__name__ for make in disclosure_main.SERVICERS)


@pytest.mark.skipif(
    not applications_served(), reason="the disclosure service does not serve applications yet"
)
async def test_art29_art31_visitor_applies_without_account_and_follows_by_query_code(portal):
    bad = await post_form(
        portal,
        "/applications/new",
        "/applications/new",
        {**APPLICATION, "id_number": "", "description": "", "delivery_form": "email"},
    )
    assert bad.status_code == 422
    for message in (
        "请填写身份证件号码",
        "请写明所需政府信息的名称",
        "选择通过电子邮件获取时，请填写电子邮箱",
    ):
        assert message in bad.text
    filed = await post_form(portal, "/applications/new", "/applications/new", APPLICATION)
    assert filed.status_code == 200, filed.text
    code = CODE.search(filed.text).group(1)
    followed = await post_form(portal, "/applications/follow", "/applications/follow", {"query_code": code})
    assert followed.status_code == 200 and "等待工作机构确认收到" in followed.text
    assert APPLICATION["id_number"] not in followed.text and APPLICATION["phone"] not in followed.text
    api = await portal.post("/api/applications/follow", json={"query_code": code})
    assert api.status_code == 200 and api.json()["description"] == APPLICATION["description"]
    assert APPLICATION["name"] not in api.text


@pytest.mark.skipif(
    not applications_served(), reason="the disclosure service does not serve applications yet"
)
async def test_art29_applicant_sees_only_own_applications(portal, keycloak, backends):
    await log_in(portal, keycloak, "citizen")
    filed = await post_form(portal, "/applications/new", "/applications/new", APPLICATION)
    number = re.search(r"申请编号 <strong>([^<]+)</strong>", filed.text).group(1)
    mine = await portal.get("/applications/mine")
    assert number in mine.text
    assert (await portal.get(f"/applications/mine/{number}")).status_code == 200
    app = create_app(portal_settings(keycloak, backends))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as other:
            await log_in(other, keycloak, "office-staff")
            assert number not in (await other.get("/applications/mine")).text
            assert (await other.get(f"/applications/mine/{number}")).status_code == 404
    # Nor through the reply download with a made-up number.
    stolen = await post_form(
        portal, "/applications/follow", "/applications/reply", {"number": "YSQ0000000001"}
    )
    assert stolen.status_code == 404


async def test_art49_yearly_report_published_by_the_office_is_on_the_portal(portal, backends):
    from zgov.disclosure.v1 import applications_pb2 as apb

    year = TODAY.year - 1
    await backends.application_service.GenerateAnnualReport(
        apb.GenerateAnnualReportRequest(
            year=year,
            overview="本年度依法做好政府信息公开工作。",
            problems="主动公开的及时性有待提高。",
            entered=apb.ProactiveFigures(licensing_decisions=12),
        ),
        metadata=backends.as_user("disclosure-officer"),
    )
    listed = await portal.get("/reports")
    assert f'href="/reports/{year}"' in listed.text
    page = await portal.get(f"/reports/{year}")
    assert page.status_code == 200 and "本年度依法做好政府信息公开工作。" in page.text
    assert (
        '行政许可 处理决定数量<span class="meta">（业务系统数据，填报）</span></th><td>12</td>' in page.text
    )
    assert "由本平台政府信息公开目录统计" in page.text
    api = (await portal.get(f"/api/reports/{year}")).json()
    assert api["year"] == year and api["rows"] and api["columns"]
    assert (await portal.get(f"/reports/{year - 5}")).status_code == 404


@pytest.mark.skipif(
    not applications_served(), reason="the disclosure service does not serve applications yet"
)
async def test_art30_art36_applicant_completes_by_query_code_then_downloads_the_reply_letter(
    portal, backends
):
    from zgov.disclosure.v1 import applications_pb2 as apb

    filed = await post_form(portal, "/applications/new", "/applications/new", APPLICATION)
    code = CODE.search(filed.text).group(1)
    number = re.search(r"申请编号 <strong>([^<]+)</strong>", filed.text).group(1)
    officer = backends.as_user("disclosure-officer")
    office = backends.application_service
    (found,) = (
        await office.ListApplications(apb.ListApplicationsRequest(number=number), metadata=officer)
    ).applications
    await office.ConfirmReceipt(apb.ConfirmReceiptRequest(application_id=found.id), metadata=officer)
    await office.RequestCompletion(
        apb.RequestCompletionRequest(application_id=found.id, items="请写明学校名称"), metadata=officer
    )
    asked = await post_form(portal, "/applications/follow", "/applications/follow", {"query_code": code})
    main = asked.text[asked.text.find("<main") : asked.text.find("</main>")]
    assert "需要补正申请内容" in main and "请写明学校名称" in main, main
    empty = await post_form(
        portal, "/applications/follow", "/applications/complete", {"query_code": code, "content": " "}
    )
    assert empty.status_code == 422 and "请填写补正内容" in empty.text
    done = await post_form(
        portal,
        "/applications/follow",
        "/applications/complete",
        {"query_code": code, "content": "雁江区第一小学"},
    )
    assert done.status_code == 200 and "补正内容已提交" in done.text
    await office.ReplyToApplication(
        apb.ReplyToApplicationRequest(
            application_id=found.id,
            reply=apb.Reply(kind=apb.REPLY_KIND_PROVIDED, provided="维修资金使用明细见附件。"),
        ),
        metadata=officer,
    )
    replied = await post_form(portal, "/applications/follow", "/applications/follow", {"query_code": code})
    assert (
        "予以公开" in replied.text
        and "维修资金使用明细见附件。" in replied.text
        and "行政复议" in replied.text
    )
    letter = await post_form(portal, "/applications/follow", "/applications/reply", {"query_code": code})
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF") and "attachment" in letter.headers["content-disposition"]
    wrong = await post_form(
        portal, "/applications/follow", "/applications/reply", {"query_code": "AAAA-BBBB-CCCC-DDDD"}
    )
    assert wrong.status_code == 404


KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.mark.skipif(
    not applications_served(), reason="the disclosure service does not serve applications yet"
)
async def test_art29_the_application_form_sent_twice_files_one_application(portal, backends):
    """The form carries an idempotency key made when it is shown: two presses of the button at once file
    one application; the second page says so, in Chinese, without the query code (only its hash is
    kept). The same page sent again with other content files nothing and comes back with a new key."""
    import asyncio

    from zgov.disclosure.v1 import applications_pb2 as apb

    from tests.integration.portal.conftest import csrf_of, receipt_of

    form = await portal.get("/applications/new")
    key = KEY.search(form.text).group(1)
    assert key != KEY.search((await portal.get("/applications/new")).text).group(1)  # one key per form shown
    data = {"csrf": csrf_of(form.text), "idempotency_key": key, **APPLICATION}
    answers = await asyncio.gather(*(portal.post("/applications/new", data=data) for _ in range(2)))
    assert [a.status_code for a in answers] == [303, 303]
    pages = [await receipt_of(portal, a) for a in answers]
    assert [p.status_code for p in pages] == [200, 200]
    (first,) = [p for p in pages if CODE.search(p.text)]
    (second,) = [p for p in pages if p is not first]
    number = re.search(r"申请编号 <strong>([^<]+)</strong>", first.text).group(1)
    assert "申请此前已提交" in second.text and number in second.text and "不会重复办理" in second.text
    assert "查询码只在第一次提交成功时显示一次" in second.text and not CODE.search(second.text)
    edited = await portal.post(
        "/applications/new", data={**data, "description": "另一项：2025年校车采购合同。"}
    )
    assert edited.status_code == 422 and "内容与上次不同" in edited.text
    assert KEY.search(edited.text).group(1) != key and "另一项：2025年校车采购合同。" in edited.text
    listed = await backends.application_service.ListApplications(
        apb.ListApplicationsRequest(), metadata=backends.as_user("disclosure-officer")
    )
    assert [a.number for a in listed.applications] == [number]


@pytest.mark.skipif(
    not applications_served(), reason="the disclosure service does not serve applications yet"
)
async def test_art29_json_api_submit_with_an_idempotency_key_files_once(portal):
    """POST /api/applications: a retry with the same Idempotency-Key returns the application filed first
    (200, replayed, no query code); the key with other content is refused (409); form checks as on the page."""
    body = {k: v for k, v in APPLICATION.items()}
    headers = {"Idempotency-Key": "retry-4f1c2a9b7d"}
    filed = await portal.post("/api/applications", json=body, headers=headers)
    assert filed.status_code == 201, filed.text
    first = filed.json()
    assert not first["replayed"] and len(first["query_code"]) == 19 and first["number"].startswith("YSQ")
    again = await portal.post("/api/applications", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["replayed"] and again.json()["query_code"] == ""
    assert again.json()["number"] == first["number"] and "无法再次返回" in again.json()["message"]
    other = await portal.post("/api/applications", json={**body, "description": "另一项"}, headers=headers)
    assert other.status_code == 409
    bad = await portal.post("/api/applications", json={**body, "id_number": ""})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "id_number"
    followed = await portal.post("/api/applications/follow", json={"query_code": first["query_code"]})
    assert followed.json()["number"] == first["number"] and followed.json()["may_withdraw"]


@pytest.mark.skipif(
    not applications_served(), reason="the disclosure service does not serve applications yet"
)
async def test_withdrawal_by_query_code_and_by_account_with_a_confirmation_page(portal, keycloak):
    """撤回: the button on the applicant's own application asks for confirmation on a page of its own (no
    JavaScript, CSRF on both posts); confirmed, the application shows as withdrawn and cannot be withdrawn
    again; by account the same from 我的申请."""
    from tests.integration.portal.conftest import csrf_of

    filed = await post_form(portal, "/applications/new", "/applications/new", APPLICATION)
    code = CODE.search(filed.text).group(1)
    shown = await post_form(portal, "/applications/follow", "/applications/follow", {"query_code": code})
    assert 'action="/applications/withdraw"' in shown.text and "撤回申请" in shown.text
    no_csrf = await portal.post("/applications/withdraw", data={"query_code": code})
    assert no_csrf.status_code == 403
    asked = await portal.post(
        "/applications/withdraw", data={"csrf": csrf_of(shown.text), "query_code": code}
    )
    assert (
        asked.status_code == 200
        and "确认撤回申请" in asked.text
        and 'name="confirm" value="yes"' in asked.text
    )
    still = await post_form(portal, "/applications/follow", "/applications/follow", {"query_code": code})
    assert "等待工作机构确认收到" in still.text  # nothing withdrawn by the first post
    done = await portal.post(
        "/applications/withdraw",
        data={
            "csrf": csrf_of(asked.text),
            "query_code": code,
            "confirm": "yes",
            "reason": "已通过其他途径获取",
        },
    )
    assert done.status_code == 200 and "您已撤回本申请" in done.text and "申请人已撤回申请" in done.text
    assert 'action="/applications/withdraw"' not in done.text
    later = await post_form(portal, "/applications/follow", "/applications/follow", {"query_code": code})
    assert "申请人已撤回申请" in later.text and "由申请人撤回" in later.text
    twice = await portal.post(
        "/applications/withdraw", data={"csrf": csrf_of(asked.text), "query_code": code, "confirm": "yes"}
    )
    assert twice.status_code == 409 and "不能再撤回" in twice.text

    await log_in(portal, keycloak, "citizen")
    mine = await post_form(portal, "/applications/new", "/applications/new", APPLICATION)
    number = re.search(r"申请编号 <strong>([^<]+)</strong>", mine.text).group(1)
    page = await portal.get(f"/applications/mine/{number}")
    asked = await portal.post("/applications/withdraw", data={"csrf": csrf_of(page.text), "number": number})
    assert "确认撤回申请" in asked.text and f'href="/applications/mine/{number}"' in asked.text
    done = await portal.post(
        "/applications/withdraw", data={"csrf": csrf_of(asked.text), "number": number, "confirm": "yes"}
    )
    assert done.status_code == 200 and "您已撤回本申请" in done.text
    assert "申请人已撤回申请" in (await portal.get("/applications/mine")).text
