"""The portal's 信访 pages and JSON API against the real petitions and org services, Keycloak,
PostgreSQL and NATS: filing without an account, following by query code, precise form errors,
CSRF, rate limits, headers, and a logged-in citizen who sees only his or her own cases."""

from __future__ import annotations

import re

import httpx
import pytest

from services.portal.app import create_app
from tests.integration.portal.conftest import (
    PUBLIC_URL,
    csrf_of,
    log_in,
    portal_settings,
    post_form,
    receipt_of,
)

pytestmark = pytest.mark.integration

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CODE = re.compile(r'id="query-code">([A-Z0-9-]{19})<')
PETITION = {
    "category": "request",
    "title": "小区路灯损坏三个月无人修",
    "content": "幸福小区 3 栋门前路灯损坏，多次反映未修。",
    "name": "赵小红",
    "phone": "13900002222",
    "id_number": "",
    "address": "雁江区幸福小区",
}


async def file_petition(client: httpx.AsyncClient, **changes) -> httpx.Response:
    return await post_form(client, "/petitions/new", "/petitions/new", {**PETITION, **changes})


async def test_A71_visitor_without_account_files_a_petition_and_follows_it_by_query_code(portal):
    filed = await file_petition(portal)
    assert filed.status_code == 200, filed.text
    assert filed.headers["cache-control"] == "no-store"
    code = CODE.search(filed.text).group(1)
    assert "已登记" in filed.text and not UUID.search(filed.text)

    followed = await post_form(
        portal, "/petitions/follow", "/petitions/follow", {"query_code": code.lower().replace("-", " ")}
    )
    assert followed.status_code == 200
    assert PETITION["title"] in followed.text and "等待信访部门审查" in followed.text
    assert not UUID.search(followed.text)

    # The JSON API: the same case by the code in the body; no personal data, no internal id.
    answer = await portal.post("/api/petitions/follow", json={"query_code": code})
    assert answer.status_code == 200
    case = answer.json()
    assert case["title"] == PETITION["title"] and case["channel"] == "网上信访" and case["may_rate"] is False
    assert PETITION["name"] not in answer.text and PETITION["phone"] not in answer.text
    assert not UUID.search(answer.text)
    assert (
        await portal.post("/api/petitions/follow", json={"query_code": "AAAA-BBBB-CCCC-DDDD"})
    ).status_code == 404


async def test_unknown_query_code_is_told_next_to_the_field(portal):
    shown = await post_form(
        portal, "/petitions/follow", "/petitions/follow", {"query_code": "AAAA-BBBB-CCCC-DDDD"}
    )
    assert shown.status_code == 404
    assert 'id="query_code-error"' in shown.text and "没有找到与此查询码对应的信访事项" in shown.text
    malformed = await post_form(portal, "/petitions/follow", "/petitions/follow", {"query_code": "12345"})
    assert malformed.status_code == 422 and "16 位字母和数字" in malformed.text


async def test_bad_form_gets_precise_chinese_messages_escapes_input_and_files_nothing(portal):
    shown = await file_petition(
        portal,
        category="",
        title="<script>alert(1)</script>",
        content=" ",
        phone="电话",
        id_number="12",
        name="",
    )
    assert shown.status_code == 422
    for message in (
        "请选择信访事项的类别",
        "请填写信访内容",
        "请填写姓名",
        "联系电话只能包含数字",
        "证件号码应为 5 至 32 位",
    ):
        assert message in shown.text
    assert 'aria-invalid="true"' in shown.text
    assert (
        "<script>alert(1)</script>" not in shown.text
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    )
    assert not CODE.search(shown.text)


async def test_a_form_without_the_visitors_csrf_token_is_refused(portal):
    refused = await portal.post("/petitions/new", data=PETITION)
    assert refused.status_code == 403 and "页面已过期" in refused.text
    # what was typed is shown back (not lost) with the way back to the form (issue 15)
    assert PETITION["title"] in refused.text and PETITION["content"] in refused.text
    assert 'id="back" ' not in refused.text and 'href="/petitions/new" id="back"' in refused.text
    assert refused.headers["cache-control"] == "no-store"
    # A token of another visitor does not work either.
    async with httpx.AsyncClient(transport=portal._transport, base_url=PUBLIC_URL) as other:
        token = csrf_of((await other.get("/petitions/new")).text)
    assert (await portal.post("/petitions/new", data={**PETITION, "csrf": token})).status_code == 403


async def test_writes_are_rate_limited_per_address(keycloak, backends):
    app = create_app(portal_settings(keycloak, backends, write_burst=2, writes_per_minute=1))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            codes = [
                (
                    await post_form(
                        client,
                        "/petitions/follow",
                        "/petitions/follow",
                        {"query_code": "AAAA-BBBB-CCCC-DDDD"},
                    )
                ).status_code
                for _ in range(3)
            ]
            assert codes == [404, 404, 429]
            limited = await file_petition(client)
            assert limited.status_code == 200  # another kind of write has its own bucket
            await file_petition(client)
            third = await file_petition(client)
            assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
            assert "提交过于频繁" in third.text
            assert PETITION["content"] in third.text and 'href="/petitions/new" id="back"' in third.text


async def test_pages_carry_security_headers_and_no_script(portal):
    page = await portal.get("/petitions/new")
    csp = page.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert "<script" not in page.text and 'lang="zh-CN"' in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    # Every input has its label.
    for field in re.findall(r'<(?:input|textarea|select) id="([a-z_]+)"', page.text):
        assert f'<label for="{field}">' in page.text, field


async def test_A71_citizen_logged_in_files_under_the_account_and_sees_only_own_cases(
    portal, keycloak, backends
):
    await log_in(portal, keycloak, "citizen", "/petitions/mine")
    home = await portal.get("/")
    assert "您好，林市民" in home.text
    filed = await file_petition(portal, title="我的路灯")
    assert filed.status_code == 200
    mine = await portal.get("/petitions/mine")
    assert "我的路灯" in mine.text
    number = re.search(r'href="/petitions/mine/([^"]+)"', mine.text).group(1)
    own = await portal.get(f"/petitions/mine/{number}")
    assert own.status_code == 200 and "我的路灯" in own.text and not UUID.search(own.text)

    # Someone else, logged in, sees none of it; an anonymous visitor is asked to log in.
    app = create_app(portal_settings(keycloak, backends))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as other:
            assert (await other.get("/petitions/mine")).status_code == 401
            await log_in(other, keycloak, "office-staff")
            theirs = await other.get("/petitions/mine")
            assert theirs.status_code == 200 and "我的路灯" not in theirs.text
            assert (await other.get(f"/petitions/mine/{number}")).status_code == 404

    # Logging out ends the session here and at Keycloak.
    out = await post_form(portal, "/", "/logout", {})
    assert out.status_code == 303 and "/protocol/openid-connect/logout" in out.headers["location"]
    assert (await portal.get("/petitions/mine")).status_code == 401


async def test_login_refuses_a_forged_state_and_a_foreign_return_address(portal):
    start = await portal.get("/login?next=//evil.example/x")
    assert start.status_code == 303
    forged = await portal.get("/auth/callback?code=abc&state=forged")
    assert forged.status_code == 400 and "登录未完成" in forged.text


async def test_A71_petitioner_reads_the_written_reply_and_rates_it_by_query_code(portal, backends):
    from shared.convert import date_to_proto, today_in_china
    from zgov.petitions.v1 import petitions_pb2

    filed = await file_petition(portal, title="学校收费问题")
    code = CODE.search(filed.text).group(1)
    number = re.search(r"编号 <strong>([^<]+)</strong>", filed.text).group(1)
    # The bureau assigns it to the education bureau, which accepts and replies in writing (today).
    on = date_to_proto(today_in_china())
    officer = backends.as_user("petition-officer")
    head = backends.as_user("department-head")
    stub = backends.petitions_service
    (case,) = (await stub.ListCases(petitions_pb2.ListCasesRequest(text=number), metadata=officer)).cases
    await stub.TriageCase(
        petitions_pb2.TriageCaseRequest(
            case_id=case.id,
            outcome=petitions_pb2.TRIAGE_OUTCOME_ACCEPT_AND_ASSIGN,
            handling_body_code="education-bureau",
            triaged_on=on,
        ),
        metadata=officer,
    )
    await stub.AcknowledgeCase(
        petitions_pb2.AcknowledgeCaseRequest(
            case_id=case.id, handling_plan="调查核实后书面答复", acknowledged_on=on
        ),
        metadata=head,
    )
    await stub.ReplyCase(
        petitions_pb2.ReplyCaseRequest(case_id=case.id, reply="经核查，已责令学校退还费用。", replied_on=on),
        metadata=head,
    )

    shown = await post_form(portal, "/petitions/follow", "/petitions/follow", {"query_code": code})
    assert "已书面答复" in shown.text and "经核查，已责令学校退还费用。" in shown.text
    assert "市教育和体育局" in shown.text  # the handling body by its name, not its code
    assert "education-bureau" not in shown.text and not UUID.search(shown.text)
    no_choice = await post_form(portal, "/petitions/follow", "/petitions/rate", {"query_code": code})
    assert no_choice.status_code == 422 and "请选择满意、基本满意或不满意" in no_choice.text
    rated = await post_form(
        portal,
        "/petitions/follow",
        "/petitions/rate",
        {"query_code": code, "satisfaction": "basically", "comment": "处理及时"},
    )
    assert rated.status_code == 200 and "感谢您的评价" in rated.text and "您的评价：基本满意" in rated.text
    again = await post_form(
        portal, "/petitions/follow", "/petitions/rate", {"query_code": code, "satisfaction": "satisfied"}
    )
    assert again.status_code == 422 and "已经评价过" in again.text


async def test_a_petition_submitted_twice_is_one_petition(portal, backends):
    """A refresh or a double tap sends the same form again (its idempotency key with it): one case, the
    second answer says so without the query code; the same form with other content is refused."""
    from zgov.petitions.v1 import petitions_pb2

    shown = (await portal.get("/petitions/new")).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', shown).group(1)
    form = {"csrf": csrf_of(shown), "idempotency_key": key, **PETITION}
    first = await receipt_of(portal, await portal.post("/petitions/new", data=form))
    again = await receipt_of(portal, await portal.post("/petitions/new", data=form))
    assert first.status_code == 200 and CODE.search(first.text)
    assert again.status_code == 200 and 'id="replayed"' in again.text and not CODE.search(again.text)
    number = re.search(r"编号 <strong>([^<]+)</strong>", first.text).group(1)
    assert number in again.text
    changed = await portal.post("/petitions/new", data={**form, "title": "另一件事"})
    assert changed.status_code == 409 and "内容与上次不同" in changed.text
    listed = await backends.petitions_service.ListCases(
        petitions_pb2.ListCasesRequest(), metadata=backends.as_user("petition-officer")
    )
    assert [c.number for c in listed.cases] == [number]
