"""The documents service end to end: real Keycloak tokens, PostgreSQL, NATS JetStream, and org."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from pypdf import PdfReader
from sqlalchemy import text

from services.documents.events import (
    deem_overdue_countersigns,
    record_expired_documents,
    remind_countersigns_due,
)
from shared.db import transaction
from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.rpc import day, rpc_error
from tests.fixtures.streams import read_events
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import events_pb2
from zgov.org.v1 import org_pb2

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
CITY = pb.Body(code="city-government", name="资阳市人民政府")
VALID_UNTIL = common_pb2.Date(year=TODAY.year + 5, month=1, day=1)


def request_content(**overrides) -> pb.DocumentContent:
    values = dict(
        kind=pb.DOCUMENT_KIND_REQUEST,
        title="关于新建城东学校的请示",
        body="……特此请示。",
        main_receivers=[CITY],
        urgency=pb.URGENCY_ORDINARY,
        classification=pb.CLASSIFICATION_NONE,
        matters=["城东学校建设"],
        attachments=[
            pb.Attachment(name="项目可行性报告.pdf", media_type="application/pdf", size_bytes=20480, pages=12)
        ],
    )
    values.update(overrides)
    return pb.DocumentContent(**values)


def outgoing_content(**overrides) -> pb.DocumentContent:
    values = dict(
        kind=pb.DOCUMENT_KIND_NOTICE,
        title="关于调整市政府值班安排的通知",
        body="……",
        urgency=pb.URGENCY_ORDINARY,
        classification=pb.CLASSIFICATION_NONE,
        authority=pb.SIGN_OFF_AUTHORITY_ROUTINE,
        issuer_code="资府办函",
        disclosure=pb.DISCLOSURE_ATTRIBUTE_PROACTIVE,
    )
    values.update(overrides)
    return pb.DocumentContent(**values)


async def file_request(p, username="department-head", **overrides) -> pb.Document:
    return await p.docs.FileDocument(
        pb.FileDocumentRequest(content=request_content(**overrides)), metadata=p.as_user(username)
    )


async def draft_outgoing(p, username="office-staff", **overrides) -> pb.Document:
    return await p.docs.DraftDocument(
        pb.DraftDocumentRequest(direction=pb.DIRECTION_OUTGOING, content=outgoing_content(**overrides)),
        metadata=p.as_user(username),
    )


async def review(p, document_id, outcome, opinion, username="office-staff", **extra) -> pb.Document:
    return await p.docs.ReviewDocument(
        pb.ReviewDocumentRequest(document_id=document_id, outcome=outcome, opinion=opinion, **extra),
        metadata=p.as_user(username),
    )


async def sign(p, document_id, username, opinion="", circle_read=False) -> pb.Document:
    return await p.docs.SignOffDocument(
        pb.SignOffDocumentRequest(document_id=document_id, opinion=opinion, circle_read=circle_read),
        metadata=p.as_user(username),
    )


async def listed(p, username="office-staff", **filters) -> list[pb.Document]:
    reply = await p.docs.ListDocuments(pb.ListDocumentsRequest(**filters), metadata=p.as_user(username))
    return list(reply.documents)


# ---- A47, A53: filing rules, refused with the rule id and nothing kept ---------------------------------


async def test_A47_one_matter_department_head_files_a_request_with_two_matters(platform):
    err = await rpc_error(file_request(platform, matters=["城东学校建设", "教师编制"]))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(err) == "A47.one-matter"
    assert "一文一事" in err.details()
    assert await listed(platform) == []


async def test_A53_classified_document_is_refused(platform):
    err = await rpc_error(file_request(platform, classification=pb.CLASSIFICATION_CONFIDENTIAL))
    assert (err.code(), rule_id_of(err)) == (grpc.StatusCode.FAILED_PRECONDITION, "A53.classified")
    draft = await rpc_error(
        platform.docs.DraftDocument(
            pb.DraftDocumentRequest(
                direction=pb.DIRECTION_INCOMING,
                content=request_content(classification=pb.CLASSIFICATION_TOP_SECRET),
            ),
            metadata=platform.as_user("department-head"),
        )
    )
    assert rule_id_of(draft) == "A53.classified"
    assert await listed(platform) == []


async def test_A47_filing_rules_each_name_their_rule(platform):
    two_receivers = await rpc_error(
        file_request(platform, main_receivers=[CITY, pb.Body(code="finance-bureau", name="市财政局")])
    )
    assert rule_id_of(two_receivers) == "A47.multiple-receivers"
    report = await rpc_error(
        file_request(
            platform,
            kind=pb.DOCUMENT_KIND_REPORT,
            title="关于教育工作的报告",
            matters=[],
            body="以上报告，请批示。",
        )
    )
    assert rule_id_of(report) == "A47.report-no-request"
    town = pb.Sender(name="石羊镇人民政府", category=pb.SENDER_CATEGORY_TOWN)
    refused = await rpc_error(file_request(platform, username="office-staff", sender=town))
    assert rule_id_of(refused) == "A47.sender"
    emergency = dict(
        sender=town,
        kind=pb.DOCUMENT_KIND_REPORT,
        title="关于石羊镇山体滑坡的紧急报告",
        matters=[],
        major_emergency=True,
        skips_level=True,
        skipped_body=pb.Body(code="anyue-county", name="安岳县人民政府"),
    )
    uncopied = await rpc_error(file_request(platform, username="office-staff", **emergency))
    assert rule_id_of(uncopied) == "A47.skip-level"
    filed = await file_request(
        platform, username="office-staff", copies=[emergency["skipped_body"]], **emergency
    )
    assert filed.state == pb.DOCUMENT_STATE_FILED
    assert filed.sender.category == pb.SENDER_CATEGORY_TOWN


async def test_A48_document_to_a_leader_personally_only_in_the_listed_cases(platform):
    vm1 = platform.user_id("vice-mayor-1")
    err = await rpc_error(file_request(platform, addressed_leader_user_id=vm1))
    assert rule_id_of(err) == "A48"
    filed = await file_request(
        platform,
        addressed_leader_user_id=vm1,
        personal_exception=pb.PERSONAL_EXCEPTION_LEADER_ASSIGNED,
        personal_exception_reason="张志强副市长3月5日调研时交办",
    )
    assert filed.state == pb.DOCUMENT_STATE_FILED
    routed = await review(platform, filed.id, pb.REVIEW_OUTCOME_ACCEPT, "拟呈张志强副市长阅示")
    assert (routed.routed_to_user_id, routed.routing_basis) == (vm1, pb.ROUTING_BASIS_ADDRESSED_LEADER)


async def test_bad_input_names_the_field_and_a_department_files_only_for_itself(platform):
    err = await rpc_error(file_request(platform, urgency=pb.URGENCY_UNSPECIFIED, title=" "))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {"content.urgency", "content.title"} <= set(field_violations_of(err))
    province = pb.Sender(name="四川省人民政府", category=pb.SENDER_CATEGORY_PROVINCIAL)
    posing = await rpc_error(file_request(platform, sender=province))
    assert posing.code() == grpc.StatusCode.PERMISSION_DENIED
    citizen = await rpc_error(file_request(platform, username="citizen"))
    assert citizen.code() == grpc.StatusCode.PERMISSION_DENIED


# ---- A53 handling limit, A50 office check and routing, A51 decision ---------------------------------------


async def test_A50_office_accepts_and_routes_to_the_portfolio_leader_who_circle_reads(
    platform, documents_events
):
    vm1 = platform.user_id("vice-mayor-1")
    await platform.org.SetPortfolio(
        org_pb2.SetPortfolioRequest(
            leader_user_id=vm1,
            organisation_codes=["education-bureau"],
            matters=["教育"],
            reason="市政府领导分工",
        ),
        metadata=platform.as_user("secretary-general"),
    )
    filed = await file_request(platform, urgency=pb.URGENCY_URGENT)
    assert filed.sender.organisation_code == "education-bureau"
    assert filed.sender.category == pb.SENDER_CATEGORY_CITY_DEPARTMENT
    assert (
        day(filed.handling_deadline.start) == TODAY and filed.handling_deadline.working_days == 3
    )  # A53 加急
    assert filed.content.attachments[0].name == "项目可行性报告.pdf"

    no_opinion = await rpc_error(review(platform, filed.id, pb.REVIEW_OUTCOME_ACCEPT, " "))
    assert "opinion" in field_violations_of(no_opinion)
    routed = await review(platform, filed.id, pb.REVIEW_OUTCOME_ACCEPT, "拟请张志强副市长阅示")
    assert routed.state == pb.DOCUMENT_STATE_ROUTED
    assert (routed.routed_to_user_id, routed.routing_basis) == (vm1, pb.ROUTING_BASIS_PORTFOLIO)
    assert routed.proposed_opinion == "拟请张志强副市长阅示"

    other = await rpc_error(sign(platform, filed.id, "vice-mayor-2", circle_read=True))
    assert rule_id_of(other) == "A50.routed-leader"
    decided = await sign(platform, filed.id, "vice-mayor-1", circle_read=True)
    assert decided.state == pb.DOCUMENT_STATE_SIGNED
    (sign_off,) = decided.sign_offs
    assert sign_off.meaning == pb.SIGN_OFF_MEANING_CONSENT  # A51: circle-read on a request is consent
    assert (sign_off.signer_name, day(sign_off.signed_on), sign_off.opinion) == ("张志强", TODAY, "圈阅")
    assert [h.act for h in decided.history] == ["document.filed", "document.accepted", "document.signed"]
    assert decided.history[1].reason.startswith("拟请张志强副市长阅示 — routed to")

    events = await read_events(
        documents_events, "DOCUMENTS", "documents.document.>", count=4, and_any_more=True
    )
    assert [e.subject for e in events] == [
        "documents.document.filed",
        "documents.document.accepted",
        "documents.document.routed",
        "documents.document.signed",
    ]
    routed_event = events_pb2.DocumentRouted()
    events[2].payload.Unpack(routed_event)
    assert routed_event.leader_user_id == vm1 and events[2].actor.username == "office-staff"


async def test_A50_major_and_provincial_documents_go_to_the_mayor_and_a_return_states_why(platform):
    mayor = platform.user_id("mayor")
    major = await file_request(platform)
    routed = await review(
        platform, major.id, pb.REVIEW_OUTCOME_ACCEPT, "拟呈王建国市长审批", major_matter=True
    )
    assert (routed.routed_to_user_id, routed.routing_basis) == (mayor, pb.ROUTING_BASIS_MAJOR_MATTER)

    province = pb.Sender(name="四川省人民政府办公厅", category=pb.SENDER_CATEGORY_PROVINCIAL)
    notice = await file_request(
        platform,
        username="office-staff",
        sender=province,
        kind=pb.DOCUMENT_KIND_NOTICE,
        title="关于做好冬季安全生产工作的通知",
        matters=[],
    )
    routed = await review(platform, notice.id, pb.REVIEW_OUTCOME_ACCEPT, "拟呈市长阅批")
    assert (routed.routed_to_user_id, routed.routing_basis) == (mayor, pb.ROUTING_BASIS_HIGHER_LEVEL_DOCUMENT)
    read = await sign(platform, notice.id, "mayor", circle_read=True)
    assert read.sign_offs[0].meaning == pb.SIGN_OFF_MEANING_READ  # A51: circle-read on other incoming = read

    to_return = await file_request(platform)
    no_reason = await rpc_error(review(platform, to_return.id, pb.REVIEW_OUTCOME_RETURN, ""))
    assert "opinion" in field_violations_of(no_reason)
    returned = await review(
        platform, to_return.id, pb.REVIEW_OUTCOME_RETURN, "未附相关部门会签意见，请补充后重报"
    )
    assert (returned.state, returned.return_reason) == (
        pb.DOCUMENT_STATE_RETURNED,
        "未附相关部门会签意见，请补充后重报",
    )
    again = await rpc_error(review(platform, to_return.id, pb.REVIEW_OUTCOME_ACCEPT, "拟办"))
    assert "document_id" in field_violations_of(again)


async def test_A74_speech_on_behalf_of_the_government_goes_to_the_mayor_for_consent(platform):
    vm1 = platform.user_id("vice-mayor-1")
    await platform.org.SetPortfolio(
        org_pb2.SetPortfolioRequest(
            leader_user_id=vm1, organisation_codes=["education-bureau"], reason="分工"
        ),
        metadata=platform.as_user("secretary-general"),
    )
    speech = await file_request(
        platform,
        title="关于在全省教育大会上代表市政府发言的请示",
        matters=["教育大会发言"],
        speech_on_behalf=True,
        attachments=[pb.Attachment(name="发言稿.docx", size_bytes=30000)],
    )
    routed = await review(platform, speech.id, pb.REVIEW_OUTCOME_ACCEPT, "拟呈市长审定发言稿")
    assert (routed.routed_to_user_id, routed.routing_basis) == (
        platform.user_id("mayor"),
        pb.ROUTING_BASIS_SPEECH_ON_BEHALF,
    )
    consent = await sign(platform, speech.id, "mayor", circle_read=True)
    assert consent.sign_offs[0].meaning == pb.SIGN_OFF_MEANING_CONSENT


async def test_list_filters_pages_and_overdue_A53(platform):
    filed = [
        await file_request(platform, title=f"关于第{n}所学校建设的请示", matters=[f"第{n}所学校"])
        for n in range(5)
    ]
    report = await file_request(
        platform, kind=pb.DOCUMENT_KIND_REPORT, title="关于学校建设情况的报告", matters=[]
    )
    await review(platform, filed[0].id, pb.REVIEW_OUTCOME_RETURN, "请补充会签意见")

    seen, token = [], ""
    while True:
        request = pb.ListDocumentsRequest(
            kind=pb.DOCUMENT_KIND_REQUEST, page=common_pb2.PageRequest(page_size=2, page_token=token)
        )
        page = await platform.docs.ListDocuments(request, metadata=platform.as_user("office-staff"))
        seen += [d.id for d in page.documents]
        token = page.page.next_page_token
        if not token:
            break
    assert seen == [d.id for d in filed]  # oldest first, each once, the report left out
    returned = await listed(platform, state=pb.DOCUMENT_STATE_RETURNED)
    assert [d.id for d in returned] == [filed[0].id]
    by_sender = await listed(
        platform, sender_organisation_code="education-bureau", kind=pb.DOCUMENT_KIND_REPORT
    )
    assert [d.id for d in by_sender] == [report.id]
    assert await listed(platform, overdue_only=True) == []

    # Time passes: the report's handling limit ran out yesterday (moved back in the database).
    async with transaction(platform.sessions) as session:
        await session.execute(
            text("UPDATE document SET handling_due = CURRENT_DATE - 1 WHERE id = :id"), {"id": report.id}
        )
    overdue = await listed(platform, overdue_only=True)
    assert [(d.id, d.overdue) for d in overdue] == [(report.id, True)]

    bad = await rpc_error(
        platform.docs.ListDocuments(
            pb.ListDocumentsRequest(page=common_pb2.PageRequest(page_token="not-a-token")),
            metadata=platform.as_user("office-staff"),
        )
    )
    assert "page.page_token" in field_violations_of(bad)


async def test_a_county_sees_only_its_own_documents(platform):
    filed = await file_request(platform)
    hidden = await rpc_error(
        platform.docs.GetDocument(
            pb.GetDocumentRequest(document_id=filed.id), metadata=platform.as_user("county-head")
        )
    )
    assert hidden.code() == grpc.StatusCode.NOT_FOUND
    assert await listed(platform, "county-head") == []
    assert [d.id for d in await listed(platform, "department-head")] == [filed.id]


# ---- A49 countersign ------------------------------------------------------------------------------------


async def test_A49_countersign_deemed_agreed_once_when_overdue_and_objections_need_coordination(
    platform, documents_events
):
    draft = await draft_outgoing(platform)
    asked = await platform.docs.RequestCountersign(
        pb.RequestCountersignRequest(
            document_id=draft.id, organisation_codes=["education-bureau", "anyue-county"]
        ),
        metadata=platform.as_user("office-staff"),
    )
    due = day(asked.countersigns[0].deadline.due)
    assert asked.countersigns[0].deadline.working_days == 7 and due > TODAY
    not_lead = await rpc_error(
        platform.docs.RequestCountersign(
            pb.RequestCountersignRequest(document_id=draft.id, organisation_codes=["finance-bureau"]),
            metadata=platform.as_user("department-head"),
        )
    )
    assert not_lead.code() == grpc.StatusCode.PERMISSION_DENIED

    no_reasons = await rpc_error(
        platform.docs.AnswerCountersign(
            pb.AnswerCountersignRequest(document_id=draft.id, objection=True),
            metadata=platform.as_user("department-head"),
        )
    )
    assert "reasons" in field_violations_of(no_reasons)
    await platform.docs.AnswerCountersign(
        pb.AnswerCountersignRequest(
            document_id=draft.id, objection=True, reasons="值班经费应由各部门自行承担"
        ),
        metadata=platform.as_user("department-head"),
    )
    waiting = await rpc_error(sign(platform, draft.id, "secretary-general", "同意印发"))
    assert rule_id_of(waiting) == "A49.countersign-open"

    async with transaction(platform.sessions) as session:
        assert await remind_countersigns_due(session, due) == 1  # anyue-county, on its last day
    async with transaction(platform.sessions) as session:
        assert await remind_countersigns_due(session, due) == 0  # reminded once
    async with transaction(platform.sessions) as session:
        assert await deem_overdue_countersigns(session, due) == 0  # the last day itself is still in time
    async with transaction(platform.sessions) as session:
        assert await deem_overdue_countersigns(session, due + timedelta(days=1)) == 1
    async with transaction(platform.sessions) as session:
        assert await deem_overdue_countersigns(session, due + timedelta(days=2)) == 0  # recorded once

    got = await platform.docs.GetDocument(
        pb.GetDocumentRequest(document_id=draft.id), metadata=platform.as_user("office-staff")
    )
    states = {c.organisation_code: c.state for c in got.countersigns}
    assert states == {
        "anyue-county": pb.COUNTERSIGN_STATE_DEEMED_AGREED,
        "education-bureau": pb.COUNTERSIGN_STATE_OBJECTED,
    }
    assert "countersign.deemed-agreed" in [h.act for h in got.history]

    unresolved = await rpc_error(sign(platform, draft.id, "secretary-general", "同意印发"))
    assert rule_id_of(unresolved) == "A49.coordination"
    coordinated = await platform.docs.RecordCoordination(
        pb.RecordCoordinationRequest(
            document_id=draft.id,
            process="11月28日召集市教体局协调，未达成一致",
            proposal="建议经费由市财政统筹",
        ),
        metadata=platform.as_user("office-staff"),
    )
    assert coordinated.coordination.proposal == "建议经费由市财政统筹"
    signed = await sign(platform, draft.id, "secretary-general", "同意印发")
    assert signed.state == pb.DOCUMENT_STATE_SIGNED

    events = await read_events(
        documents_events, "DOCUMENTS", "documents.countersign.>", count=6, and_any_more=True
    )
    subjects = [e.subject for e in events]
    assert subjects.count("documents.countersign.requested") == 2
    assert subjects.count("documents.countersign.answered") == 1
    assert subjects.count("documents.countersign.deemed-agreed") == 1
    assert subjects.count("documents.countersign.due") == 1
    deemed = events_pb2.CountersignDeemedAgreed()
    next(e for e in events if e.subject.endswith("deemed-agreed")).payload.Unpack(deemed)
    assert deemed.countersign.organisation_code == "anyue-county" and deemed.document_id == draft.id


# ---- A51 sign-off authority and acting holders ------------------------------------------------------------


async def test_A51_mayor_signs_normative_documents_and_the_acting_holder_signs_while_away(platform):
    draft = await draft_outgoing(
        platform,
        authority=pb.SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT,
        issuer_code="资府发",
        title="资阳市城市供水管理办法",
        valid_until=VALID_UNTIL,
    )
    unreviewed = await rpc_error(sign(platform, draft.id, "mayor", "同意"))
    assert rule_id_of(unreviewed) == "A23.legality-review"
    await platform.docs.ReviewLegality(
        pb.ReviewLegalityRequest(document_id=draft.id, passed=True, opinion="符合法定权限和程序"),
        metadata=platform.as_user("justice-reviewer"),
    )
    vice = await rpc_error(sign(platform, draft.id, "vice-mayor-1", "同意"))
    assert rule_id_of(vice) == "A51.signer"
    # Issue 16: the refusal names the signer (name first, the user id in brackets), not a bare UUID.
    mayor_id = platform.user_id("mayor")
    assert "signed off by mayor: " in vice.details() and f" [{mayor_id}]" in vice.details()
    assert f"mayor: {mayor_id}" not in vice.details()
    secretary = await rpc_error(sign(platform, draft.id, "secretary-general", "同意"))
    assert rule_id_of(secretary) == "A51.signer"
    no_opinion = await rpc_error(sign(platform, draft.id, "mayor", " "))
    assert "opinion" in field_violations_of(no_opinion)

    leave = await platform.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="mayor",
            kind=org_pb2.LEAVE_KIND_ABROAD,
            reason="出访",
            first_day=common_pb2.Date(year=TODAY.year, month=TODAY.month, day=TODAY.day),
            last_day=common_pb2.Date(year=TODAY.year, month=TODAY.month, day=TODAY.day),
        ),
        metadata=platform.as_user("mayor"),
    )
    await platform.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=platform.as_user("evm")
    )
    away = await rpc_error(sign(platform, draft.id, "mayor", "同意"))
    assert rule_id_of(away) == "A51.signer" and "acting holder" in away.details()
    assert f" [{platform.user_id('evm')}] acting for " in away.details()
    signed = await sign(platform, draft.id, "evm", "同意印发")
    (sign_off,) = signed.sign_offs
    assert sign_off.signer_user_id == platform.user_id("evm")
    in_place_of = (sign_off.on_behalf_of_user_id, sign_off.on_behalf_of_position)
    assert in_place_of == (platform.user_id("mayor"), "mayor")
    act = signed.history[-1]
    assert (act.act, act.actor.username, act.actor.on_behalf_of_position) == (
        "document.signed",
        "evm",
        "mayor",
    )


async def test_A51_vice_mayor_in_charge_signs_other_documents_in_the_governments_name(platform):
    vm2 = platform.user_id("vice-mayor-2")
    await platform.org.SetPortfolio(
        org_pb2.SetPortfolioRequest(
            leader_user_id=vm2, organisation_codes=["transport-bureau"], reason="分工"
        ),
        metadata=platform.as_user("secretary-general"),
    )
    draft = await draft_outgoing(
        platform,
        authority=pb.SIGN_OFF_AUTHORITY_GOVERNMENT_OTHER,
        issuer_code="资府函",
        lead_organisation_code="transport-bureau",
        kind=pb.DOCUMENT_KIND_LETTER,
    )
    err = await rpc_error(sign(platform, draft.id, "vice-mayor-1", "同意"))
    assert rule_id_of(err) == "A51.signer"
    signed = await sign(platform, draft.id, "vice-mayor-2", circle_read=True)
    # A51: a circle-read on an outgoing document is consent
    assert signed.sign_offs[0].meaning == pb.SIGN_OFF_MEANING_CONSENT
    assert signed.sign_offs[0].authority_position == "vice-mayor"


# ---- document numbers under concurrent issue --------------------------------------------------------------


async def test_numbers_concurrent_issues_get_consecutive_numbers_without_gaps(platform, documents_events):
    drafts = [await draft_outgoing(platform, title=f"关于第{n}批事项的函") for n in range(20)]
    for draft in drafts:
        await sign(platform, draft.id, "secretary-general", circle_read=True)
    not_signed = await draft_outgoing(platform)
    early = await rpc_error(
        platform.docs.IssueDocument(
            pb.IssueDocumentRequest(document_id=not_signed.id), metadata=platform.as_user("office-staff")
        )
    )
    assert "document_id" in field_violations_of(early)

    issued = await asyncio.gather(
        *(
            platform.docs.IssueDocument(
                pb.IssueDocumentRequest(document_id=d.id), metadata=platform.as_user("office-staff")
            )
            for d in drafts
        )
    )
    assert sorted(d.number_sequence for d in issued) == list(range(1, 21))
    assert {d.document_number for d in issued} == {f"资府办函〔{TODAY.year}〕{n}号" for n in range(1, 21)}
    assert all(d.state == pb.DOCUMENT_STATE_ISSUED and day(d.issued_on) == TODAY for d in issued)
    twice = await rpc_error(
        platform.docs.IssueDocument(
            pb.IssueDocumentRequest(document_id=drafts[0].id), metadata=platform.as_user("office-staff")
        )
    )
    assert twice.code() == grpc.StatusCode.INVALID_ARGUMENT
    by_number = await listed(platform, document_number=f"资府办函〔{TODAY.year}〕7号")
    assert len(by_number) == 1

    events = await read_events(
        documents_events, "DOCUMENTS", "documents.document.issued", count=20, and_any_more=True
    )
    assert len(events) == 20
    issued_event = events_pb2.DocumentIssued()
    events[0].payload.Unpack(issued_event)
    assert issued_event.disclosure == pb.DISCLOSURE_ATTRIBUTE_PROACTIVE


# ---- the write replies: built from what the act holds (issue 17), the same contract --------------------


async def test_A20_A49_A51_each_write_reply_is_the_document_as_read_right_after(platform, documents_events):
    """Draft, sign-off and issue answer with the document they changed (its countersigns, sign-offs
    and recorded acts) without reading it again: each reply, and the events' documents, are what
    GetDocument reads once the act committed."""

    async def read(document_id: str) -> pb.Document:
        return await platform.docs.GetDocument(
            pb.GetDocumentRequest(document_id=document_id), metadata=platform.as_user("office-staff")
        )

    draft = await draft_outgoing(platform)
    assert draft == await read(draft.id)
    assert [a.act for a in draft.history] == ["document.drafted"]
    await platform.docs.RequestCountersign(
        pb.RequestCountersignRequest(document_id=draft.id, organisation_codes=["education-bureau"]),
        metadata=platform.as_user("office-staff"),
    )
    await platform.docs.AnswerCountersign(
        pb.AnswerCountersignRequest(document_id=draft.id, objection=False),
        metadata=platform.as_user("department-head"),
    )
    signed = await sign(platform, draft.id, "secretary-general", "同意印发")
    assert signed == await read(draft.id)
    assert len(signed.countersigns) == 1 and len(signed.sign_offs) == 1
    assert signed.history[-1].act == "document.signed"
    issued = await platform.docs.IssueDocument(
        pb.IssueDocumentRequest(document_id=draft.id), metadata=platform.as_user("office-staff")
    )
    assert issued == await read(draft.id)
    assert issued.history[-1].act == "document.issued" and issued.history[-1].reason == issued.document_number

    (signed_event,) = await read_events(
        documents_events, "DOCUMENTS", "documents.document.signed", count=1, and_any_more=True
    )
    (issued_event,) = await read_events(
        documents_events, "DOCUMENTS", "documents.document.issued", count=1, and_any_more=True
    )
    signed_payload, issued_payload = events_pb2.DocumentSigned(), events_pb2.DocumentIssued()
    signed_event.payload.Unpack(signed_payload)
    issued_event.payload.Unpack(issued_payload)
    assert signed_payload.document == signed and signed_payload.sign_off == signed.sign_offs[0]
    assert issued_payload.document == issued


# ---- A52 fewer documents, A21–A25 normative documents ------------------------------------------------


async def test_A25_A52_normative_document_needs_a_validity_and_a_reprint_is_not_issued(platform):
    no_validity = await rpc_error(
        draft_outgoing(platform, authority=pb.SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT, issuer_code="资府规")
    )
    assert rule_id_of(no_validity) == "A25.validity"
    reprint = await rpc_error(
        draft_outgoing(
            platform, title="转发四川省人民政府关于安全生产的通知", reprints_published_document=True
        )
    )
    assert rule_id_of(reprint) == "A52.reprint"
    assert await listed(platform) == []


async def test_A23_legality_review_by_the_justice_bureau_only(platform):
    draft = await draft_outgoing(
        platform,
        authority=pb.SIGN_OFF_AUTHORITY_GOVERNMENT_RULE,
        issuer_code="资府令",
        kind=pb.DOCUMENT_KIND_ORDER,
        title="资阳市城市绿化管理办法",
        valid_until=VALID_UNTIL,
    )
    denied = await rpc_error(
        platform.docs.ReviewLegality(
            pb.ReviewLegalityRequest(document_id=draft.id, passed=True, opinion="合法"),
            metadata=platform.as_user("office-staff"),
        )
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    failed = await platform.docs.ReviewLegality(
        pb.ReviewLegalityRequest(document_id=draft.id, passed=False, opinion="第十二条设定罚款超越权限"),
        metadata=platform.as_user("justice-reviewer"),
    )
    assert failed.legality_review.reviewed_by.username == "justice-reviewer"
    err = await rpc_error(sign(platform, draft.id, "mayor", "同意"))
    assert rule_id_of(err) == "A23.legality-review" and "超越权限" in err.details()


async def test_A52_one_briefing_kind_per_department(platform):
    briefing = dict(kind=pb.DOCUMENT_KIND_REPORT, title="教育工作简报（第1期）", matters=[])
    await file_request(platform, briefing_series="教育工作简报", **briefing)
    await file_request(
        platform, briefing_series="教育工作简报", **{**briefing, "title": "教育工作简报（第2期）"}
    )
    err = await rpc_error(
        file_request(
            platform, briefing_series="体育工作动态", **{**briefing, "title": "体育工作动态（第1期）"}
        )
    )
    assert rule_id_of(err) == "A52.one-briefing"


def fonts_of(pdf: bytes, text: str) -> set[str]:
    """The embedded fonts of the text runs on the PDF's pages that hold `text` whole."""
    runs: list[list[str]] = []

    def visit(chunk, cm, tm, font, size):
        if chunk.strip() and font is not None:
            name = str(font["/BaseFont"]).split("+", 1)[-1]
            if runs and runs[-1][0] == name:
                runs[-1][1] += chunk.replace("\n", "")
            else:
                runs.append([name, chunk.replace("\n", "")])

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return {name for name, run in runs if text in run}


async def test_A52_check_before_issue_shows_similar_documents_in_force(platform, monkeypatch, tmp_path):
    first = await draft_outgoing(platform, title="关于加强城市供水管理的通知")
    await sign(platform, first.id, "secretary-general", circle_read=True)
    issued = await platform.docs.IssueDocument(
        pb.IssueDocumentRequest(document_id=first.id), metadata=platform.as_user("office-staff")
    )
    unrelated = await draft_outgoing(platform, title="关于调整市政府值班安排的通知")
    second = await draft_outgoing(platform, title="关于进一步加强城市供水管理的通知")
    check = await platform.docs.CheckBeforeIssue(
        pb.CheckBeforeIssueRequest(document_id=second.id), metadata=platform.as_user("office-staff")
    )
    assert [(s.document_id, s.document_number) for s in check.similar] == [(first.id, issued.document_number)]
    rendered = await platform.docs.RenderDocument(
        pb.RenderDocumentRequest(document_id=first.id), metadata=platform.as_user("office-staff")
    )
    assert rendered.file_name == f"{issued.document_number}.pdf"
    pages = PdfReader(io.BytesIO(rendered.pdf)).pages
    text = "".join(p.extract_text().replace("\n", "") for p in pages)
    assert (
        issued.document_number in text
        and "关于加强城市供水管理的通知" in text
        and "资阳市人民政府办公室" in text
    )
    assert (round(float(pages[0].mediabox.width)), round(float(pages[0].mediabox.height))) == (595, 842)  # A4
    # GBT9704.fonts: the title in 小标宋 (FandolSong Bold), the number in 仿宋 (FandolFang)
    assert fonts_of(rendered.pdf, "关于加强城市供水管理的通知") == {"FandolSongBold"}
    assert fonts_of(rendered.pdf, issued.document_number) == {"FandolFangR"}
    # kept at issue (services/documents/pdfs.py): a download is a read, the same bytes every time
    again = await platform.docs.RenderDocument(
        pb.RenderDocumentRequest(document_id=first.id), metadata=platform.as_user("office-staff")
    )
    assert again.pdf == rendered.pdf and again.file_name == rendered.file_name
    monkeypatch.setenv("ZGOV_FONT_DIR", str(tmp_path))  # no fonts there: no PDF in a wrong face either
    kept = await platform.docs.RenderDocument(
        pb.RenderDocumentRequest(document_id=first.id), metadata=platform.as_user("office-staff")
    )
    assert kept.pdf == rendered.pdf  # what was kept stays readable
    third = await draft_outgoing(platform, title="关于表彰优秀志愿者的决定")
    await sign(platform, third.id, "secretary-general", circle_read=True)
    await platform.docs.IssueDocument(
        pb.IssueDocumentRequest(document_id=third.id), metadata=platform.as_user("office-staff")
    )
    no_fonts = await rpc_error(
        platform.docs.RenderDocument(
            pb.RenderDocumentRequest(document_id=third.id), metadata=platform.as_user("office-staff")
        )
    )
    assert no_fonts.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(no_fonts) == "GBT9704.fonts"
    assert "apt-get install --no-install-recommends texlive-lang-chinese" in no_fonts.details()
    monkeypatch.delenv("ZGOV_FONT_DIR")
    draft_only = await rpc_error(
        platform.docs.RenderDocument(
            pb.RenderDocumentRequest(document_id=second.id), metadata=platform.as_user("office-staff")
        )
    )
    assert "document_id" in field_violations_of(draft_only)
    assert check.similar[0].similarity >= 0.5
    none = await platform.docs.CheckBeforeIssue(
        pb.CheckBeforeIssueRequest(document_id=unrelated.id), metadata=platform.as_user("office-staff")
    )
    assert list(none.similar) == []


async def test_A22_A24_A25_rule_comment_filing_and_expiry(platform, documents_events):
    rule = dict(
        authority=pb.SIGN_OFF_AUTHORITY_GOVERNMENT_RULE,
        issuer_code="资府令",
        kind=pb.DOCUMENT_KIND_ORDER,
        valid_until=VALID_UNTIL,
    )
    opened = await draft_outgoing(platform, title="资阳市养犬管理办法", **rule)
    await platform.docs.ReviewLegality(
        pb.ReviewLegalityRequest(document_id=opened.id, passed=True, opinion="合法"),
        metadata=platform.as_user("justice-reviewer"),
    )
    not_opened = await rpc_error(sign(platform, opened.id, "mayor", "同意"))
    assert rule_id_of(not_opened) == "A22.public-comment"

    def until(days: int) -> common_pb2.Date:
        d = TODAY + timedelta(days=days)
        return common_pb2.Date(year=d.year, month=d.month, day=d.day)

    short = await rpc_error(
        platform.docs.OpenPublicComment(
            pb.OpenPublicCommentRequest(document_id=opened.id, until=until(10)),
            metadata=platform.as_user("office-staff"),
        )
    )
    assert "until" in field_violations_of(short)
    commented = await platform.docs.OpenPublicComment(
        pb.OpenPublicCommentRequest(document_id=opened.id, until=until(30)),
        metadata=platform.as_user("office-staff"),
    )
    assert day(commented.comment_until) == TODAY + timedelta(days=30)
    still_open = await rpc_error(sign(platform, opened.id, "mayor", "同意"))
    assert rule_id_of(still_open) == "A22.public-comment" and "open until" in still_open.details()

    confidential = await draft_outgoing(
        platform,
        title="资阳市重要目标安全保卫办法",
        comment_exempt_reason="涉及国家秘密，依法不公开征求意见",
        **rule,
    )
    await platform.docs.ReviewLegality(
        pb.ReviewLegalityRequest(document_id=confidential.id, passed=True, opinion="合法"),
        metadata=platform.as_user("justice-reviewer"),
    )
    await sign(platform, confidential.id, "mayor", "同意发布")
    issued = await platform.docs.IssueDocument(
        pb.IssueDocumentRequest(document_id=confidential.id), metadata=platform.as_user("office-staff")
    )
    assert issued.document_number == f"资府令〔{TODAY.year}〕1号"

    def filing(body, reference="资人常备〔2026〕3号"):
        return platform.docs.RecordFiling(
            pb.RecordFilingRequest(document_id=issued.id, filed_with=body, filing_reference=reference),
            metadata=platform.as_user("office-staff"),
        )

    wrong = await rpc_error(filing(pb.FILING_BODY_CITY_GOVERNMENT))
    assert rule_id_of(wrong) == "A24.filing-body"
    await filing(pb.FILING_BODY_PROVINCIAL_GOVERNMENT, "川府备〔2026〕41号")
    twice = await rpc_error(filing(pb.FILING_BODY_PROVINCIAL_GOVERNMENT, "川府备〔2026〕41号"))
    assert "filed_with" in field_violations_of(twice)
    filed = await filing(pb.FILING_BODY_PEOPLES_CONGRESS_STANDING_COMMITTEE)
    assert {f.filed_with for f in filed.filings} == {
        pb.FILING_BODY_PROVINCIAL_GOVERNMENT,
        pb.FILING_BODY_PEOPLES_CONGRESS_STANDING_COMMITTEE,
    }

    catalogue = await platform.docs.GetNormativeCatalogue(
        pb.GetNormativeCatalogueRequest(year=TODAY.year), metadata=platform.as_user("disclosure-officer")
    )
    assert [(e.document_number, e.in_force, len(e.filings)) for e in catalogue.entries] == [
        (issued.document_number, True, 2)
    ]
    in_force = await platform.docs.GetNormativeCatalogue(
        pb.GetNormativeCatalogueRequest(in_force_only=True), metadata=platform.as_user("disclosure-officer")
    )
    assert [e.document_id for e in in_force.entries] == [issued.id]
    no_year = await rpc_error(
        platform.docs.GetNormativeCatalogue(
            pb.GetNormativeCatalogueRequest(), metadata=platform.as_user("office-staff")
        )
    )
    assert "year" in field_violations_of(no_year)

    continued = await platform.docs.RecordCleanup(
        pb.RecordCleanupRequest(
            document_id=issued.id,
            decision=pb.CLEANUP_DECISION_CONTINUE,
            reason="仍然适用，继续执行",
            continue_until=common_pb2.Date(year=TODAY.year + 6, month=6, day=30),
        ),
        metadata=platform.as_user("office-staff"),
    )
    assert continued.cleanup.decision == pb.CLEANUP_DECISION_CONTINUE
    last_valid = date(TODAY.year + 6, 6, 30)
    assert day(continued.content.valid_until) == last_valid
    async with transaction(platform.sessions) as session:
        assert await record_expired_documents(session, last_valid) == 0
    async with transaction(platform.sessions) as session:
        assert await record_expired_documents(session, last_valid + timedelta(days=1)) == 1
    async with transaction(platform.sessions) as session:
        assert await record_expired_documents(session, last_valid + timedelta(days=2)) == 0  # recorded once

    repealed = await platform.docs.RecordCleanup(
        pb.RecordCleanupRequest(
            document_id=issued.id, decision=pb.CLEANUP_DECISION_REPEAL, reason="上位法已修改"
        ),
        metadata=platform.as_user("office-staff"),
    )
    assert repealed.cleanup.decision == pb.CLEANUP_DECISION_REPEAL
    in_force = await platform.docs.GetNormativeCatalogue(
        pb.GetNormativeCatalogueRequest(in_force_only=True), metadata=platform.as_user("disclosure-officer")
    )
    assert list(in_force.entries) == []
    again = await rpc_error(
        platform.docs.RecordCleanup(
            pb.RecordCleanupRequest(document_id=issued.id, decision=pb.CLEANUP_DECISION_REPEAL, reason="x"),
            metadata=platform.as_user("office-staff"),
        )
    )
    assert "document_id" in field_violations_of(again)

    events = await read_events(
        documents_events, "DOCUMENTS", "documents.>", count=100, and_any_more=True, timeout=5
    )
    subjects = [e.subject for e in events]
    assert subjects.count("documents.normative.cleaned-up") == 2
    assert subjects.count("documents.rule.comment-opened") == 1
    assert subjects.count("documents.normative.filed") == 2
    assert subjects.count("documents.normative.expired") == 1


async def test_A24_department_files_its_normative_document_and_the_justice_bureau_reviews_it(platform):
    filing = dict(
        kind=pb.DOCUMENT_KIND_NOTICE,
        title="关于印发资阳市中小学校服管理办法的通知",
        matters=[],
        normative_filing=True,
        filed_document_number="资教发〔2026〕5号",
    )
    no_validity = await rpc_error(file_request(platform, **filing))
    assert rule_id_of(no_validity) == "A25.validity"
    county = await rpc_error(
        file_request(platform, username="county-head", valid_until=VALID_UNTIL, **filing)
    )
    assert rule_id_of(county) == "A24.filing-body"
    filed = await file_request(platform, valid_until=VALID_UNTIL, **filing)
    reviewed = await platform.docs.ReviewLegality(
        pb.ReviewLegalityRequest(document_id=filed.id, passed=True, opinion="备案审查：未发现违法内容"),
        metadata=platform.as_user("justice-reviewer"),
    )
    assert reviewed.legality_review.passed and reviewed.history[-1].act == "document.filing-reviewed"
    catalogue = await platform.docs.GetNormativeCatalogue(
        pb.GetNormativeCatalogueRequest(year=TODAY.year), metadata=platform.as_user("justice-reviewer")
    )
    assert [(e.document_number, e.made_by, e.in_force) for e in catalogue.entries] == [
        ("资教发〔2026〕5号", "市教育和体育局", True)
    ]
