"""Supervision items end to end through gRPC: real Keycloak tokens, real PostgreSQL, real org.

Demo people (deploy/local/keycloak.py): supervision-officer (supervision-office), department-head
(education-bureau), county-head (anyue-county), mayor, evm, vice-mayor-1..3, citizen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.convert import date_to_proto as d
from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.rpc import rpc_error
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2
from zgov.supervision.v1 import supervision_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
WORK = pb.Evidence(kind=pb.EVIDENCE_KIND_WORK_DONE, description="改造路段已通车", ref="验收单 118")
MEETING = pb.Evidence(kind=pb.EVIDENCE_KIND_MEETING_HELD, description="召开专题会议部署")
DOCUMENT = pb.Evidence(
    kind=pb.EVIDENCE_KIND_DOCUMENT_ISSUED, description="印发工作方案", ref="资教发〔2026〕3号"
)


async def register(s, user="supervision-officer", **fields) -> pb.Item:
    request = dict(
        kind=pb.ITEM_KIND_KEY_TASK,
        title="城区道路改造",
        requirement="年底前完成城区道路改造",
        due=d(TODAY + timedelta(days=40)),
        lead_body_code="education-bureau",
        co_body_codes=["anyue-county"],
    )
    request.update(fields)
    return await s.stub.RegisterItem(pb.RegisterItemRequest(**request), metadata=s.as_user(user))


async def get(s, item_id, user="supervision-officer") -> pb.Item:
    return await s.stub.GetItem(pb.GetItemRequest(item_id=item_id), metadata=s.as_user(user))


async def claim(s, item_id, *evidence, user="department-head", **fields) -> pb.Item:
    return await s.stub.ClaimCompletion(
        pb.ClaimCompletionRequest(item_id=item_id, summary="道路改造完成", evidence=list(evidence), **fields),
        metadata=s.as_user(user),
    )


async def test_A60_A61_an_item_from_registration_to_closing_and_recheck(supervision):
    s = supervision
    item = await register(s)
    assert item.number == f"督〔{TODAY.year}〕1号" and item.state == pb.ITEM_STATE_ASSIGNED
    # A60: the head of the lead body is the first responsible person; no portfolio covers it: the mayor
    assert item.first_responsible_user_id == s.user_id("department-head")
    assert item.supervising_leader_user_id == s.user_id("mayor")
    assert (await register(s, title="第二项")).number == f"督〔{TODAY.year}〕2号"

    not_lead = await rpc_error(
        s.stub.AcknowledgeItem(pb.AcknowledgeItemRequest(item_id=item.id), metadata=s.as_user("county-head"))
    )
    assert rule_id_of(not_lead) == "A60.lead-body"
    await s.stub.AcknowledgeItem(
        pb.AcknowledgeItemRequest(item_id=item.id, note="已签收"), metadata=s.as_user("department-head")
    )
    reported = await s.stub.ReportProgress(
        pb.ReportProgressRequest(item_id=item.id, text="完成60%"), metadata=s.as_user("department-head")
    )
    assert reported.reports[0].body_code == "education-bureau"
    assert date(reported.next_report_due.year, reported.next_report_due.month, 1) > TODAY.replace(day=1)

    co_body_claims = await rpc_error(claim(s, item.id, WORK, user="county-head"))
    assert rule_id_of(co_body_claims) == "A60.lead-body"
    without_opinion = await rpc_error(claim(s, item.id, WORK))
    assert rule_id_of(without_opinion) == "A60.co-opinions"
    await s.stub.GiveCoOpinion(
        pb.GiveCoOpinionRequest(item_id=item.id, opinion="同意办结"), metadata=s.as_user("county-head")
    )
    passed_on = await rpc_error(claim(s, item.id, MEETING, DOCUMENT))
    assert rule_id_of(passed_on) == "A76"
    assert (await get(s, item.id)).state == pb.ITEM_STATE_ACKNOWLEDGED  # refused: nothing changed

    claimed = await claim(s, item.id, MEETING, WORK)
    assert claimed.state == pb.ITEM_STATE_COMPLETION_CLAIMED
    verify_due = claimed.completion.verify_due
    assert verify_due.year and date(verify_due.year, verify_due.month, verify_due.day) > TODAY

    returned = await s.stub.VerifyItem(
        pb.VerifyItemRequest(
            item_id=item.id, outcome=pb.VERIFICATION_OUTCOME_RETURN, opinion="现场核查仍有两段未完工"
        ),
        metadata=s.as_user("supervision-officer"),
    )
    assert returned.state == pb.ITEM_STATE_ACKNOWLEDGED and not returned.co_opinions
    await s.stub.GiveCoOpinion(
        pb.GiveCoOpinionRequest(item_id=item.id, opinion="同意办结"), metadata=s.as_user("county-head")
    )
    await claim(s, item.id, WORK)
    closed = await s.stub.VerifyItem(
        pb.VerifyItemRequest(
            item_id=item.id, outcome=pb.VERIFICATION_OUTCOME_CLOSE, opinion="核查属实，予以销号"
        ),
        metadata=s.as_user("supervision-officer"),
    )
    assert closed.state == pb.ITEM_STATE_CLOSED
    rechecked = await s.stub.RecheckItem(
        pb.RecheckItemRequest(item_id=item.id, outcome=pb.RECHECK_OUTCOME_CONFIRMED, opinion="复核无反弹"),
        metadata=s.as_user("supervision-officer"),
    )
    evaluated = await s.stub.AttachEvaluation(
        pb.AttachEvaluationRequest(
            item_id=item.id, evaluator="西南交通大学评估中心", conclusion="通行效率提升", rating="优"
        ),
        metadata=s.as_user("supervision-officer"),
    )
    assert rechecked.rechecks[0].outcome == pb.RECHECK_OUTCOME_CONFIRMED
    assert evaluated.evaluations[0].evaluator == "西南交通大学评估中心"
    acts = [h.act for h in evaluated.history]
    # registration and assignment are one transaction (same instant); acknowledgement comes after
    assert set(acts[:2]) == {"item.registered", "item.assigned"} and acts[2] == "item.acknowledged"
    later = {"item.verified.return", "item.verified.close", "item.rechecked.confirmed", "item.evaluated"}
    assert later <= set(acts)


async def test_A61_a_failed_recheck_orders_rectification_with_a_new_due_date(supervision):
    s = supervision
    item = await register(s, co_body_codes=[])
    await s.stub.AcknowledgeItem(
        pb.AcknowledgeItemRequest(item_id=item.id), metadata=s.as_user("department-head")
    )
    await claim(s, item.id, WORK)
    await s.stub.VerifyItem(
        pb.VerifyItemRequest(item_id=item.id, outcome=pb.VERIFICATION_OUTCOME_CLOSE, opinion="销号"),
        metadata=s.as_user("supervision-officer"),
    )
    no_date = await rpc_error(
        s.stub.RecheckItem(
            pb.RecheckItemRequest(item_id=item.id, outcome=pb.RECHECK_OUTCOME_RECTIFY, opinion="问题反弹"),
            metadata=s.as_user("supervision-officer"),
        )
    )
    assert "rectification_due" in field_violations_of(no_date)
    again = await s.stub.RecheckItem(
        pb.RecheckItemRequest(
            item_id=item.id,
            outcome=pb.RECHECK_OUTCOME_RECTIFY,
            opinion="问题反弹",
            rectification_due=d(TODAY + timedelta(days=20)),
        ),
        metadata=s.as_user("supervision-officer"),
    )
    assert again.state == pb.ITEM_STATE_RECTIFYING and again.due == d(TODAY + timedelta(days=20))


async def test_A61_objection_within_the_limit_then_reassignment(supervision):
    s = supervision
    item = await register(s, lead_body_code="anyue-county", co_body_codes=[])
    no_reason = await rpc_error(
        s.stub.ObjectToItem(
            pb.ObjectToItemRequest(item_id=item.id, reason=" "), metadata=s.as_user("county-head")
        )
    )
    assert "reason" in field_violations_of(no_reason)
    objected = await s.stub.ObjectToItem(
        pb.ObjectToItemRequest(item_id=item.id, reason="属市教体局职责"), metadata=s.as_user("county-head")
    )
    assert objected.state == pb.ITEM_STATE_OBJECTED
    moved = await s.stub.AssignItem(
        pb.AssignItemRequest(
            item_id=item.id,
            lead_body_code="education-bureau",
            co_body_codes=["anyue-county"],
            reason="调整牵头单位",
        ),
        metadata=s.as_user("supervision-officer"),
    )
    assert (moved.state, moved.lead_body_code, list(moved.co_body_codes)) == (
        pb.ITEM_STATE_ASSIGNED,
        "education-bureau",
        ["anyue-county"],
    )
    assert moved.objections[0].reason == "属市教体局职责"
    assert moved.first_responsible_user_id == s.user_id("department-head")


async def test_A8_A60_the_supervising_leader_is_the_portfolio_holder_and_sees_the_item(supervision):
    s = supervision
    vm1 = s.user_id("vice-mayor-1")
    portfolio = org_pb2.SetPortfolioRequest(
        leader_user_id=vm1, organisation_codes=["education-bureau"], reason="分工"
    )
    await s.org.SetPortfolio(portfolio, metadata=s.as_user("secretary-general"))
    item = await register(s)
    assert item.supervising_leader_user_id == vm1
    mine = await s.stub.ListItems(pb.ListItemsRequest(), metadata=s.as_user("vice-mayor-1"))
    assert [i.id for i in mine.items] == [item.id]
    others = await s.stub.ListItems(pb.ListItemsRequest(), metadata=s.as_user("vice-mayor-2"))
    assert list(others.items) == []
    denied = await rpc_error(get(s, item.id, user="vice-mayor-2"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_A10_A61_an_extension_is_decided_by_the_instructing_leader_or_whoever_acts_for_him(supervision):
    s = supervision
    mayor = s.user_id("mayor")
    item = await register(
        s,
        kind=pb.ITEM_KIND_LEADER_INSTRUCTION,
        instructing_leader_user_id=mayor,
        co_body_codes=[],
        due=d(TODAY + timedelta(days=10)),
    )
    after_due = await rpc_error(
        s.stub.RequestExtension(
            pb.RequestExtensionRequest(
                item_id=item.id, requested_due=d(TODAY + timedelta(days=5)), reason="x"
            ),
            metadata=s.as_user("department-head"),
        )
    )
    assert "requested_due" in field_violations_of(after_due)
    await s.stub.RequestExtension(
        pb.RequestExtensionRequest(
            item_id=item.id, requested_due=d(TODAY + timedelta(days=30)), reason="资金未到位"
        ),
        metadata=s.as_user("department-head"),
    )
    stranger = await rpc_error(
        s.stub.DecideExtension(
            pb.DecideExtensionRequest(item_id=item.id, approve=True), metadata=s.as_user("vice-mayor-1")
        )
    )
    assert rule_id_of(stranger) == "A61.extension-decider"
    leave = await s.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="mayor",
            kind=org_pb2.LEAVE_KIND_ABROAD,
            first_day=d(TODAY),
            last_day=d(TODAY + timedelta(days=2)),
            reason="出访",
        ),
        metadata=s.as_user("mayor"),
    )
    await s.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=s.as_user("evm")
    )
    decided = await s.stub.DecideExtension(
        pb.DecideExtensionRequest(item_id=item.id, approve=True, opinion="同意延期"),
        metadata=s.as_user("evm"),
    )
    assert decided.due == d(TODAY + timedelta(days=30))
    (extension,) = decided.extensions
    assert (extension.approved, extension.decided_by_user_id, extension.decided_for_user_id) == (
        True,
        s.user_id("evm"),
        mayor,
    )
    act = decided.history[-1]
    assert (act.act, act.actor.username, act.actor.on_behalf_of_user_id, act.actor.on_behalf_of_position) == (
        "item.extension-decided",
        "evm",
        mayor,
        "mayor",
    )


async def test_A68_a_finding_to_rectify_names_its_finder_and_is_registered_once(supervision):
    s = supervision
    no_finder = await rpc_error(
        register(s, kind=pb.ITEM_KIND_RECTIFICATION, source_reference="资审报〔2026〕5号")
    )
    assert rule_id_of(no_finder) == "A68"
    first = await register(
        s,
        kind=pb.ITEM_KIND_RECTIFICATION,
        finding_source=pb.FINDING_SOURCE_AUDIT,
        source_reference="资审报〔2026〕5号",
    )
    assert first.finding_source == pb.FINDING_SOURCE_AUDIT
    twice = await rpc_error(
        register(
            s,
            kind=pb.ITEM_KIND_RECTIFICATION,
            finding_source=pb.FINDING_SOURCE_AUDIT,
            source_reference="资审报〔2026〕5号",
        )
    )
    assert rule_id_of(twice) == "A61.once" and first.number in twice.details()


async def test_A29_a_major_decision_item_closes_only_with_its_effect_assessed(supervision):
    s = supervision
    item = await register(s, kind=pb.ITEM_KIND_MAJOR_DECISION, co_body_codes=[])
    await s.stub.AcknowledgeItem(
        pb.AcknowledgeItemRequest(item_id=item.id), metadata=s.as_user("department-head")
    )
    unassessed = await rpc_error(claim(s, item.id, WORK))
    assert rule_id_of(unassessed) == "A29"
    claimed = await claim(
        s,
        item.id,
        WORK,
        assessment=pb.EffectAssessment(
            effect="入学矛盾下降", public_opinion="家长满意度92%", adjustment_proposals="扩大到乐至县"
        ),
    )
    assert claimed.completion.assessment.public_opinion == "家长满意度92%"


async def test_bad_input_and_missing_rights_change_nothing(supervision):
    s = supervision
    bad = await rpc_error(register(s, title="", requirement="", lead_body_code="no-such-body"))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {"title", "requirement"} <= set(field_violations_of(bad))
    unknown = await rpc_error(register(s, lead_body_code="no-such-body"))
    assert "lead_body_code" in field_violations_of(unknown)
    by_hand = await rpc_error(register(s, kind=pb.ITEM_KIND_MEETING_DECISION))
    assert "kind" in field_violations_of(by_hand)
    department = await rpc_error(register(s, user="department-head"))
    assert department.code() == grpc.StatusCode.PERMISSION_DENIED
    citizen = await rpc_error(s.stub.ListItems(pb.ListItemsRequest(), metadata=s.as_user("citizen")))
    assert citizen.code() == grpc.StatusCode.PERMISSION_DENIED
    anonymous = await rpc_error(s.stub.ListItems(pb.ListItemsRequest()))
    assert anonymous.code() == grpc.StatusCode.UNAUTHENTICATED
    listed = await s.stub.ListItems(pb.ListItemsRequest(), metadata=s.as_user("supervision-officer"))
    assert list(listed.items) == []
    # the refused registrations gave no number away: the first item is still number 1
    assert (await register(s)).number == f"督〔{TODAY.year}〕1号"


async def test_lists_by_body_kind_state_and_pages(supervision):
    s = supervision
    a = await register(s, co_body_codes=[])
    b = await register(s, lead_body_code="anyue-county", co_body_codes=["education-bureau"])
    c = await register(
        s, kind=pb.ITEM_KIND_SPECIAL_INSPECTION, lead_body_code="anyue-county", co_body_codes=[]
    )
    officer = s.as_user("supervision-officer")
    page = await s.stub.ListItems(
        pb.ListItemsRequest(page=common_pb2.PageRequest(page_size=2)), metadata=officer
    )
    assert [i.id for i in page.items] == [a.id, b.id] and page.page.next_page_token
    rest = await s.stub.ListItems(
        pb.ListItemsRequest(page=common_pb2.PageRequest(page_size=2, page_token=page.page.next_page_token)),
        metadata=officer,
    )
    assert [i.id for i in rest.items] == [c.id] and not rest.page.next_page_token
    inspections = await s.stub.ListItems(
        pb.ListItemsRequest(kind=pb.ITEM_KIND_SPECIAL_INSPECTION), metadata=officer
    )
    assert [i.id for i in inspections.items] == [c.id]
    education = await s.stub.ListItems(pb.ListItemsRequest(body_code="education-bureau"), metadata=officer)
    assert [i.id for i in education.items] == [a.id, b.id]
    # a body sees its own items, as lead or co-body
    own = await s.stub.ListItems(pb.ListItemsRequest(), metadata=s.as_user("department-head"))
    assert [i.id for i in own.items] == [a.id, b.id]
    assert (
        list(
            (await s.stub.ListItems(pb.ListItemsRequest(state=pb.ITEM_STATE_CLOSED), metadata=officer)).items
        )
        == []
    )
    green = await s.stub.ListItems(
        pb.ListItemsRequest(colour=pb.COLOUR_GREEN, open_only=True), metadata=officer
    )
    assert len(green.items) == 3
    bad_token = await rpc_error(
        s.stub.ListItems(
            pb.ListItemsRequest(page=common_pb2.PageRequest(page_token="nonsense")), metadata=officer
        )
    )
    assert "page.page_token" in field_violations_of(bad_token)


async def test_A72_A76_the_office_proposes_accountability_and_leaders_decide_nothing_is_deleted(supervision):
    s = supervision
    item = await register(s, co_body_codes=[])
    no_reason = await rpc_error(
        s.stub.ProposeAccountability(
            pb.ProposeAccountabilityRequest(item_id=item.id), metadata=s.as_user("supervision-officer")
        )
    )
    assert "reason" in field_violations_of(no_reason)
    case = await s.stub.ProposeAccountability(
        pb.ProposeAccountabilityRequest(item_id=item.id, reason="三次催办未签收，推诿拖延"),
        metadata=s.as_user("supervision-officer"),
    )
    assert (case.state, case.ground, case.body_code, case.responsible_user_id) == (
        pb.ACCOUNTABILITY_STATE_PROPOSED,
        pb.ACCOUNTABILITY_GROUND_NEGLECTED,
        "education-bureau",
        s.user_id("department-head"),
    )
    # the timeline is the item's recorded acts
    assert {"item.registered", "item.assigned"} <= {t.act for t in case.timeline}
    twice = await rpc_error(
        s.stub.ProposeAccountability(
            pb.ProposeAccountabilityRequest(item_id=item.id, reason="再次"),
            metadata=s.as_user("supervision-officer"),
        )
    )
    assert rule_id_of(twice) == "A72.once"
    officer_decides = await rpc_error(
        s.stub.ReferAccountabilityCase(
            pb.ReferAccountabilityCaseRequest(case_id=case.id, referred_to="市纪委监委"),
            metadata=s.as_user("supervision-officer"),
        )
    )
    assert officer_decides.code() == grpc.StatusCode.PERMISSION_DENIED
    no_exemption_reason = await rpc_error(
        s.stub.ExemptAccountabilityCase(
            pb.ExemptAccountabilityCaseRequest(case_id=case.id, reason=" "), metadata=s.as_user("mayor")
        )
    )
    assert rule_id_of(no_exemption_reason) == "A72.exemption-reason"
    early = await rpc_error(
        s.stub.RecordAccountabilityOutcome(
            pb.RecordAccountabilityOutcomeRequest(case_id=case.id, outcome="诫勉谈话"),
            metadata=s.as_user("mayor"),
        )
    )
    assert rule_id_of(early) == "A72.state"
    referred = await s.stub.ReferAccountabilityCase(
        pb.ReferAccountabilityCaseRequest(case_id=case.id, referred_to="市纪委监委", reason="移送处理"),
        metadata=s.as_user("mayor"),
    )
    decided = await s.stub.RecordAccountabilityOutcome(
        pb.RecordAccountabilityOutcomeRequest(case_id=case.id, outcome="对第一责任人诫勉谈话"),
        metadata=s.as_user("secretary-general"),
    )
    assert (referred.state, decided.state, decided.outcome) == (
        pb.ACCOUNTABILITY_STATE_REFERRED,
        pb.ACCOUNTABILITY_STATE_DECIDED,
        "对第一责任人诫勉谈话",
    )
    assert [h.act for h in decided.history] == [
        "accountability.proposed",
        "accountability.referred",
        "accountability.decided",
    ]
    listed = await s.stub.ListAccountabilityCases(
        pb.ListAccountabilityCasesRequest(state=pb.ACCOUNTABILITY_STATE_DECIDED),
        metadata=s.as_user("supervision-officer"),
    )
    assert [c.id for c in listed.cases] == [case.id]
    body = await rpc_error(
        s.stub.GetAccountabilityCase(
            pb.GetAccountabilityCaseRequest(case_id=case.id), metadata=s.as_user("department-head")
        )
    )
    assert body.code() == grpc.StatusCode.PERMISSION_DENIED
