"""Openness complaints (政府信息公开投诉举报: A38, OGI art. 47, 51) through the real service, Keycloak and
PostgreSQL, from filing to answer: the portal's service account files and follows by query code, the
disclosure office lists and answers once, the figures of the year count it, others are refused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.errors import field_violations_of, rule_id_of
from zgov.disclosure.v1 import complaints_pb2 as pb
from zgov.disclosure.v1 import complaints_pb2_grpc

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def test_A38_a_complaint_from_filing_to_answer_with_its_number_limit_and_figures(disclosure):
    stub = complaints_pb2_grpc.ComplaintServiceStub(disclosure.channel)
    portal = disclosure.as_service("portal")
    officer = disclosure.as_user("disclosure-officer")
    filed = await stub.FileComplaint(
        pb.FileComplaintRequest(
            matter=pb.COMPLAINT_MATTER_APPLICATION_NOT_ANSWERED,
            office_name="资阳市住房和城乡建设局",
            description="2026年9月提交的政府信息公开申请，超过20个工作日未答复。",
            complainant=pb.Complainant(name="钱多多", phone="13600003333"),
        ),
        metadata=portal,
    )
    complaint = filed.complaint
    assert filed.query_code and complaint.number == f"资公投〔{TODAY.year}〕1号"
    assert complaint.state == pb.COMPLAINT_STATE_OPEN and complaint.answer_due.year >= TODAY.year
    assert not complaint.late

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.FileComplaint(pb.FileComplaintRequest(office_name="市住建局"), metadata=portal)
    assert {"matter", "description", "complainant.name", "complainant.phone"} <= set(
        field_violations_of(err.value)
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:  # a citizen answers nothing
        await stub.ListComplaints(pb.ListComplaintsRequest(), metadata=disclosure.as_user("citizen"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    (listed,) = (
        await stub.ListComplaints(pb.ListComplaintsRequest(open_only=True), metadata=officer)
    ).complaints
    assert listed.id == complaint.id and listed.complainant.name == "钱多多"
    answered = await stub.AnswerComplaint(
        pb.AnswerComplaintRequest(
            complaint_id=complaint.id,
            finding=pb.COMPLAINT_FINDING_SUBSTANTIATED,
            answer="经核查属实，已责令市住房和城乡建设局于5个工作日内答复。",
        ),
        metadata=officer,
    )
    assert answered.state == pb.COMPLAINT_STATE_ANSWERED and answered.answered_on.year == TODAY.year
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.AnswerComplaint(
            pb.AnswerComplaintRequest(
                complaint_id=complaint.id, finding=pb.COMPLAINT_FINDING_NOT_SUBSTANTIATED, answer="再答复"
            ),
            metadata=officer,
        )
    assert rule_id_of(err.value) == "A38.answered-once"

    followed = await stub.FollowComplaint(
        pb.FollowComplaintRequest(query_code=filed.query_code.lower().replace("-", " ")), metadata=portal
    )
    assert followed.answer.startswith("经核查属实") and followed.finding == pb.COMPLAINT_FINDING_SUBSTANTIATED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.FollowComplaint(
            pb.FollowComplaintRequest(query_code="AAAA-BBBB-CCCC-DDDD"), metadata=portal
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND

    figures = await stub.GetComplaintFigures(
        pb.GetComplaintFiguresRequest(year=TODAY.year), metadata=disclosure.as_user("citizen")
    )
    assert (figures.received, figures.answered, figures.substantiated, figures.open_at_end) == (1, 1, 1, 0)
