"""The portal's 回应关切 (A70), 意见采纳情况 (A22) and 发布机构 pages and JSON routes against the real
disclosure service (in-process) with real Keycloak, PostgreSQL and NATS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.portal.test_portal_disclosure import TODAY, seed
from zgov.disclosure.v1 import publications_pb2 as pb

pytestmark = pytest.mark.integration

FEEDBACK = "共收到意见2条。采纳1条：明确二次供水设施的维护责任；未采纳1条：水价由价格主管部门依法制定。"


async def seed_lists(backends, database_url: str) -> dict[str, str]:
    """seed()'s publications, a response to a public concern of the education bureau, and a draft whose
    comment period has closed with two comments and the officer's account of them."""
    ids = await seed(backends)
    officer = backends.as_user("disclosure-officer")
    head = backends.as_user("department-head")
    citizen = backends.as_user("citizen")
    seen = Timestamp()
    seen.FromDatetime(datetime.now(UTC) - timedelta(hours=3))
    stub = backends.publication_service
    concern = await stub.RegisterConcern(
        pb.RegisterConcernRequest(
            source=pb.CONCERN_SOURCE_MEDIA,
            summary="媒体报道某小学食堂饭菜质量差",
            first_seen_at=seen,
            severity=pb.CONCERN_SEVERITY_GENERAL,
            department_code="education-bureau",
            department_name="资阳市教育局",
        ),
        metadata=officer,
    )
    await stub.RecordConcernVerification(
        pb.RecordConcernVerificationRequest(
            concern_id=concern.id, findings="内部核查记录：涉事供餐企业负责人张某。"
        ),
        metadata=head,
    )
    responded = await stub.PublishConcernResponse(
        pb.PublishConcernResponseRequest(
            concern_id=concern.id,
            title="关于媒体报道某小学食堂问题的回应",
            body="市教育局高度重视，立即组织调查核实……",
        ),
        metadata=officer,
    )
    for text_ in ("建议明确二次供水设施的维护责任。", "我是林市民，电话13800000000，建议降低水价。"):
        await stub.SubmitComment(
            pb.SubmitCommentRequest(
                publication_id=ids["draft"], author_name="林市民", contact="13800000000", text=text_
            ),
            metadata=citizen,
        )
    # the comment period ends: set its closing day in the past, as the documents service would reopen it
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE publication SET comment_until = :day WHERE id = :id"),
            {"day": TODAY - timedelta(days=1), "id": ids["draft"]},
        )
    await engine.dispose()
    await stub.PublishCommentFeedback(
        pb.PublishCommentFeedbackRequest(
            publication_id=ids["draft"], summary=FEEDBACK, adopted=1, not_adopted=1
        ),
        metadata=officer,
    )
    return {**ids, "response": responded.response_publication_id}


async def test_A70_responses_to_public_concerns_have_a_list_and_their_own_pages(
    portal, backends, backend_databases
):
    ids = await seed_lists(backends, backend_databases["disclosure"])
    listed = await portal.get("/publications?kind=responses")
    assert listed.status_code == 200 and "<h1>回应关切</h1>" in listed.text
    assert (
        "关于媒体报道某小学食堂问题的回应" in listed.text
        and "资阳市促进民营经济发展若干措施" not in listed.text
    )
    catalogue = await portal.get("/publications")
    assert 'href="/publications?kind=responses"' in catalogue.text and 'href="/issuers"' in catalogue.text

    page = await portal.get(f"/publications/{ids['response']}")
    assert (
        page.status_code == 200 and "回应的关切" in page.text and "媒体报道某小学食堂饭菜质量差" in page.text
    )
    assert "新闻媒体报道" in page.text and "资阳市教育局" in page.text and "回应时间" in page.text
    assert "张某" not in page.text  # the department's findings are not published with the response
    assert "效力状态" not in page.text  # a response has no validity of its own to show

    api = (await portal.get("/api/publications", params={"kind": "responses"})).json()
    assert [p["id"] for p in api["items"]] == [ids["response"]]
    one = (await portal.get(f"/api/publications/{ids['response']}")).json()
    assert one["kind"] == "回应关切" and one["concern"]["summary"] == "媒体报道某小学食堂饭菜质量差"
    assert one["concern"]["source"] == "新闻媒体报道" and one["concern"]["responded_at"]


async def test_A22_account_of_comments_on_the_portal_after_the_period_without_commenters(
    portal, backends, backend_databases
):
    ids = await seed_lists(backends, backend_databases["disclosure"])
    page = await portal.get(f"/publications/{ids['draft']}")
    assert "意见采纳情况" in page.text and FEEDBACK in page.text
    assert "采纳 1 条，部分采纳 0 条，未采纳 1 条" in page.text
    assert (
        "林市民" not in page.text
        and "13800000000" not in page.text
        and "降低水价" not in page.text.replace(FEEDBACK, "")
    )
    drafts = await portal.get("/drafts")
    assert f"/publications/{ids['draft']}#feedback-title" in drafts.text

    feedback = await portal.get(f"/api/drafts/{ids['draft']}/feedback")
    assert feedback.status_code == 200
    assert feedback.json() == {
        "summary": FEEDBACK,
        "received": 2,
        "adopted": 1,
        "partly_adopted": 0,
        "not_adopted": 1,
        "published_on": TODAY.isoformat(),
        "version": 1,
    }
    assert "13800000000" not in (await portal.get(f"/api/publications/{ids['draft']}")).text
    # not a draft, or nothing published yet
    assert (await portal.get(f"/api/drafts/{ids['policy']}/feedback")).status_code == 404
    assert (await portal.get("/api/drafts/not-an-id/feedback")).status_code == 404


async def test_issuers_with_counts_link_to_the_catalogue_filtered_by_issuer(
    portal, backends, backend_databases
):
    ids = await seed_lists(backends, backend_databases["disclosure"])
    page = await portal.get("/issuers")
    assert page.status_code == 200 and "<h1>发布机构</h1>" in page.text
    assert 'href="/publications?issuer=education-bureau"' in page.text and "资阳市教育局" in page.text
    issuers = (await portal.get("/api/issuers")).json()
    assert {"code": "education-bureau", "name": "资阳市教育局", "count": 1} in issuers
    assert sum(i["count"] for i in issuers) == 6

    filtered = await portal.get("/publications?issuer=education-bureau")
    assert filtered.status_code == 200 and "关于媒体报道某小学食堂问题的回应" in filtered.text
    assert (
        "资阳市促进民营经济发展若干措施" not in filtered.text
        and "资阳市教育局 · 政府信息公开目录" in filtered.text
    )
    api = (await portal.get("/api/publications", params={"issuer": "education-bureau"})).json()
    assert [p["id"] for p in api["items"]] == [ids["response"]]
    bad = await portal.get("/publications?issuer=<script>")
    assert bad.status_code == 422 and "没有这个发布机构" in bad.text and "<script>" not in bad.text
    assert (await portal.get("/api/publications", params={"issuer": "A B"})).status_code == 422
