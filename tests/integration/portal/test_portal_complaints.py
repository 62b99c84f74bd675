"""政府信息公开投诉 on the portal (A38, OGI art. 47, 51) against the real disclosure service and Keycloak:
a visitor complains that an office failed its disclosure duties, gets the number, the answer limit and a
query code; the disclosure office answers over gRPC; the visitor reads the answer by the code."""

from __future__ import annotations

import re

import pytest

from tests.integration.portal.conftest import post_form
from zgov.disclosure.v1 import complaints_pb2 as pb

pytestmark = pytest.mark.integration

CODE = re.compile(r'id="query-code">([A-Z0-9-]{19})<')
COMPLAINT = {
    "matter": "not-answered",
    "office_name": "资阳市住房和城乡建设局",
    "description": "2026年9月1日提交的政府信息公开申请，至今未答复。",
    "name": "钱多多",
    "phone": "１３６００００３３３３",
    "email": "",
}


async def test_A38_a_visitor_files_an_openness_complaint_and_reads_the_answer(portal, backends):
    empty = await post_form(portal, "/complaints/new", "/complaints/new", {"matter": "", "name": ""})
    assert empty.status_code == 422
    for message in (
        "请选择投诉的事项",
        "请填写被投诉的行政机关",
        "请填写投诉内容",
        "联系电话和电子邮箱至少填写一项",
    ):
        assert message in empty.text

    filed = await post_form(portal, "/complaints/new", "/complaints/new", COMPLAINT)
    assert filed.status_code == 200 and filed.headers["cache-control"] == "no-store"
    code = CODE.search(filed.text).group(1)
    number = re.search(r'id="number">([^<]+)<', filed.text).group(1)
    assert number.startswith("资公投〔") and 'id="due"' in filed.text and "正在办理" in filed.text

    officer = backends.as_user("disclosure-officer")
    stub = backends.complaint_service
    (listed,) = (
        await stub.ListComplaints(pb.ListComplaintsRequest(open_only=True), metadata=officer)
    ).complaints
    assert listed.number == number and listed.complainant.phone == "13600003333"  # full-width typed
    await stub.AnswerComplaint(
        pb.AnswerComplaintRequest(
            complaint_id=listed.id,
            finding=pb.COMPLAINT_FINDING_SUBSTANTIATED,
            answer="经核查属实，已责令该局5个工作日内答复。",
        ),
        metadata=officer,
    )

    followed = await post_form(
        portal, "/complaints/follow", "/complaints/follow", {"query_code": code.lower()}
    )
    assert followed.status_code == 200 and "投诉属实" in followed.text and "已责令该局" in followed.text
    unknown = await post_form(
        portal, "/complaints/follow", "/complaints/follow", {"query_code": "AAAA-BBBB-CCCC-DDDD"}
    )
    assert unknown.status_code == 404
    assert 'href="/complaints/new"' in (await portal.get("/disclosure-guide")).text
