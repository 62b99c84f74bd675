"""行政复议 pages (A69): the applicant follows an administrative reconsideration — without an account by
the query code given at registration (a POST, like a petition's, so the code never appears in an
address), or under the account that filed it (“我的行政复议”). The pages show the statutory limits the
petitions service keeps on the case: acceptance, the respondent's answer, the decision and its one
extension. Nobody else's case: the service answers only for the code or the account.
"""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal import forms
from services.portal.backends import BackendError
from services.portal.views import day
from services.portal.web import (
    PageError,
    PortalDep,
    VisitorDep,
    check_csrf,
    citizen_token,
    limit_writes,
    render,
    text_form,
    unavailable,
)
from zgov.petitions.v1 import reconsiderations_pb2 as pb
from zgov.petitions.v1 import reconsiderations_pb2_grpc

router = APIRouter(prefix="/reconsiderations", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}

STATES = {
    pb.RECONSIDERATION_STATE_APPLIED: "已申请，待审查是否受理",
    pb.RECONSIDERATION_STATE_ACCEPTED: "已受理，正在审理",
    pb.RECONSIDERATION_STATE_REFUSED: "不予受理",
    pb.RECONSIDERATION_STATE_DECIDED: "已作出行政复议决定",
}
DECISIONS = {
    pb.DECISION_KIND_UPHELD: "维持",
    pb.DECISION_KIND_CHANGED: "变更",
    pb.DECISION_KIND_REVOKED: "撤销",
    pb.DECISION_KIND_CONFIRMED_UNLAWFUL: "确认违法",
    pb.DECISION_KIND_ORDERED_TO_ACT: "责令履行",
    pb.DECISION_KIND_CONFIRMED_VOID: "确认无效",
    pb.DECISION_KIND_REQUEST_DISMISSED: "驳回行政复议请求",
}


def stub(portal) -> reconsiderations_pb2_grpc.ReconsiderationServiceStub:
    """On the petitions service's channel (the reconsideration service is served beside it)."""
    return portal.backends.reconsiderations


def case_view(case: pb.Reconsideration, organisations: dict[str, str]) -> dict:
    return {
        "id": case.id,
        "applicant": case.applicant_name,
        "contested_act": case.contested_act,
        "respondent": organisations.get(case.respondent_body_code, case.respondent_body_code),
        "request": case.request,
        "state": STATES.get(case.state, ""),
        "received_on": day(case.received_on),
        "acceptance_due": day(case.acceptance_due) if case.state == pb.RECONSIDERATION_STATE_APPLIED else "",
        "accepted_on": day(case.accepted_on),
        "deemed_accepted": case.deemed_accepted,
        "procedure": ("简易程序" if case.simplified else "普通程序") if case.accepted_on.year else "",
        "answer_due": day(case.answer_due),
        "answered_on": day(case.answered_on),
        "decision_due": day(case.decision_due),
        "moved": case.decision_due_moved_to_working_day,
        "extension_days": case.extension_days,
        "extension_reason": case.extension_reason,
        "decision": DECISIONS.get(case.decision, ""),
        "decision_reasons": case.decision_reasons,
        "remedy": case.remedy,
        "decided_on": day(case.decided_on),
        "refusal_reason": case.refusal_reason,
    }


async def _call(portal, visitor, method, request):
    try:
        return await portal.backends.call(method, request, await citizen_token(portal, visitor))
    except BackendError as error:
        if error.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            return None
        raise unavailable(error) from error


async def _show(portal, visitor, case: pb.Reconsideration) -> HTMLResponse:
    organisations = await portal.backends.organisation_names()
    return render(
        portal, visitor, "reconsiderations/case.html", headers=NO_STORE, case=case_view(case, organisations)
    )


@router.get("", response_class=HTMLResponse)
async def reconsiderations_home(portal: PortalDep, visitor: VisitorDep):
    """行政复议: the entry the main menu links to — follow by query code, or one's own (logged in)."""
    return render(portal, visitor, "reconsiderations/index.html", column_name="行政复议")


@router.get("/follow", response_class=HTMLResponse)
async def follow_form(portal: PortalDep, visitor: VisitorDep):
    return render(portal, visitor, "reconsiderations/follow.html", values={}, errors={})


@router.post("/follow", response_class=HTMLResponse)
async def follow(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    checked = forms.check_query_code(form)
    if not checked.ok:
        return render(
            portal, visitor, "reconsiderations/follow.html", 422, values=checked.values, errors=checked.errors
        )
    await limit_writes(portal, visitor, "follow")  # guessing codes must be slow
    case = await _call(
        portal,
        visitor,
        stub(portal).FollowReconsideration,
        pb.FollowReconsiderationRequest(query_code=checked.values["query_code"]),
    )
    if case is None:
        return render(
            portal,
            visitor,
            "reconsiderations/follow.html",
            404,
            values=checked.values,
            errors={"query_code": "没有找到与此查询码对应的行政复议案件，请核对后重新输入。"},
        )
    return await _show(portal, visitor, case)


def _login_needed() -> PageError:
    return PageError(
        401, "请先登录", "查看“我的行政复议”需要先登录。没有账号时，可以用申请时获得的查询码查询。"
    )


@router.get("/mine", response_class=HTMLResponse)
async def mine(portal: PortalDep, visitor: VisitorDep):
    if not visitor.citizen:
        raise _login_needed()
    reply = await _call(
        portal, visitor, stub(portal).ListMyReconsiderations, pb.ListMyReconsiderationsRequest()
    )
    organisations = await portal.backends.organisation_names()
    cases = [case_view(c, organisations) for c in (reply.reconsiderations if reply else [])]
    return render(portal, visitor, "reconsiderations/mine.html", headers=NO_STORE, cases=cases)


@router.get("/mine/{case_id}", response_class=HTMLResponse)
async def my_case(case_id: str, portal: PortalDep, visitor: VisitorDep):
    if not visitor.citizen:
        raise _login_needed()
    case = await _call(
        portal,
        visitor,
        stub(portal).FollowReconsideration,
        pb.FollowReconsiderationRequest(reconsideration_id=case_id[:64]),
    )
    if case is None:
        raise PageError(404, "未找到行政复议案件", "您的账号下没有这个行政复议案件。")
    return await _show(portal, visitor, case)
