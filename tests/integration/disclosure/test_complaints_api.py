"""Openness complaints (政府信息公开投诉举报: A38, OGI art. 47, 51) through the real service, Keycloak and
PostgreSQL, from filing to answer: the portal's service account files and follows by query code, the
disclosure office lists and answers once, the figures of the year count it, others are refused."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.streams import read_events
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


async def test_A38_complaints_publish_events_and_the_yearly_report_stores_their_figures(
    disclosure, jetstream, monkeypatch
):
    """Each complaint filed and answered is an event of the outbox (disclosure.complaint.received,
    .answered) naming neither the complainant nor the description; the yearly report (OGI art. 49–50)
    generated after the year stores the year's figures (六、其他需要报告的事项), which a later answer
    does not change until a new version is generated."""
    from services.disclosure import acts as disclosure_acts
    from services.disclosure import api_complaints
    from zgov.disclosure.v1 import applications_pb2 as apb
    from zgov.disclosure.v1 import applications_pb2_grpc

    day = {"today": date(2025, 11, 3)}
    monkeypatch.setattr(api_complaints, "today_in_china", lambda: day["today"])
    monkeypatch.setattr(disclosure_acts, "today_in_china", lambda: day["today"])
    stub = complaints_pb2_grpc.ComplaintServiceStub(disclosure.channel)
    portal, officer = disclosure.as_service("portal"), disclosure.as_user("disclosure-officer")
    filed = []
    for n in range(3):
        filed.append(
            (
                await stub.FileComplaint(
                    pb.FileComplaintRequest(
                        matter=pb.COMPLAINT_MATTER_NOT_PUBLISHED,
                        office_name="资阳市教育局",
                        description=f"应当主动公开的招生计划未公开（第{n + 1}件）。",
                        complainant=pb.Complainant(name="孙立人", email="sun@example.com"),
                    ),
                    metadata=portal,
                )
            ).complaint
        )

    async def answer(complaint, finding, on: date):
        day["today"] = on
        return await stub.AnswerComplaint(
            pb.AnswerComplaintRequest(complaint_id=complaint.id, finding=finding, answer="已核查并答复。"),
            metadata=officer,
        )

    await answer(filed[0], pb.COMPLAINT_FINDING_PARTLY_SUBSTANTIATED, date(2025, 11, 10))
    late = await answer(filed[1], pb.COMPLAINT_FINDING_NOT_SUBSTANTIATED, date(2025, 12, 31))
    assert late.late  # past its 20 working days

    day["today"] = date(2026, 1, 12)
    reports = applications_pb2_grpc.ApplicationServiceStub(disclosure.channel)
    report = await reports.GenerateAnnualReport(apb.GenerateAnnualReportRequest(year=2025), metadata=officer)
    stored = report.complaints
    assert (
        stored.received,
        stored.answered,
        stored.substantiated,
        stored.not_substantiated,
        stored.answered_late,
        stored.open_at_end,
    ) == (3, 2, 1, 1, 1, 1)
    await answer(filed[2], pb.COMPLAINT_FINDING_SUBSTANTIATED, date(2026, 1, 13))
    again = await reports.GetAnnualReport(apb.GetAnnualReportRequest(year=2025), metadata=officer)
    assert again.complaints == stored and again.version == 1, "stored with the report, not counted anew"

    events = await read_events(
        jetstream, "DISCLOSURE", "disclosure.complaint.>", until=lambda seen: len(seen) >= 6, timeout=20
    )
    subjects = sorted(e.subject for e in events)
    assert subjects == ["disclosure.complaint.answered"] * 3 + ["disclosure.complaint.received"] * 3
    received = [e for e in events if e.subject.endswith("received")]
    body = pb.ComplaintReceived()
    assert received[0].payload.Unpack(body) and body.office_name == "资阳市教育局" and body.number
    assert not received[0].HasField("actor") or not received[0].actor.user_id, "a citizen's own act"
    for envelope in events:
        raw = envelope.SerializeToString()
        assert (
            "孙立人".encode() not in raw and b"sun@example.com" not in raw and "招生计划".encode() not in raw
        )
    answered = pb.ComplaintAnswered()
    late_event = next(
        e for e in events if e.aggregate_ref == f"complaint/{late.id}" and "answered" in e.subject
    )
    assert late_event.payload.Unpack(answered) and answered.late
    assert answered.finding == pb.COMPLAINT_FINDING_NOT_SUBSTANTIATED
