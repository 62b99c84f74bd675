"""政府信息公开 pages of applications for information (依申请公开): the form, the tracking by account or
query code, completion (art. 30), withdrawal (撤回) and the reply letter.

The query code travels in POST bodies only, as on the petition pages; a citizen's own applications are
read with his or her own token.
"""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal import filing_consent, forms, uploads
from services.portal.backends import BackendError
from services.portal.disclosure_pages import need, read
from services.portal.receipt_pages import answer_with_receipt
from services.portal.web import (
    text_form,
    PageError,
    PortalDep,
    VisitorDep,
    check_csrf,
    citizen_token,
    limit_writes,
    render,
    unavailable,
)
from zgov.common.v1 import common_pb2

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import applications_pb2 as apb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = apb = None

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def application_page(portal, visitor, shown: dict, query_code: str, status: int = 200, errors=None, **more):
    """The application's own page (its state, what the applicant may still do), never cached: it is
    one applicant's."""
    return render(
        portal,
        visitor,
        "disclosure/application.html",
        status,
        headers=NO_STORE,
        a=shown,
        query_code=query_code,
        errors=errors or {},
        **more,
    )


@router.get("/applications", response_class=HTMLResponse)
async def applications_home(portal: PortalDep, visitor: VisitorDep):
    return render(portal, visitor, "disclosure/applications.html")


async def _apply_form_page(portal, visitor, status: int = 200, values=None, errors=None, key: str = ""):
    """The form; `key` its idempotency key (a new one for a new form, the same one when shown again
    with messages: nothing was filed yet); with the consent offered when notify gives its terms."""
    return render(
        portal,
        visitor,
        "disclosure/apply.html",
        status,
        values=values or {},
        errors=errors or {},
        applicant_kinds=dv.APPLICANT_KINDS,
        delivery_forms=dv.DELIVERY_FORMS,
        idempotency_key=key or forms.new_idempotency_key(),
        consent_terms=await portal.backends.consent_terms(),
    )


@router.get("/applications/new", response_class=HTMLResponse)
async def application_form(portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    values = {"name": visitor.citizen.display_name, "kind": "person"} if visitor.citizen else {}
    return await _apply_form_page(portal, visitor, values=values)


def submit_request(v: dict, key: str) -> "apb.SubmitApplicationRequest":
    """The checked form (or JSON body) as the disclosure service's request, with its idempotency key."""
    return apb.SubmitApplicationRequest(
        applicant=apb.Applicant(
            kind=dv.APPLICANT_KINDS[v["kind"]][0],
            name=v["name"],
            id_number=v["id_number"],
            phone=v["phone"],
            email=v["email"],
            address=v["address"],
            contact_person=v["contact_person"],
        ),
        content=apb.ApplicationContent(
            description=v["description"],
            document_number=v["document_number"],
            purpose=v["purpose"],
            delivery_form=dv.DELIVERY_FORMS[v["delivery_form"]][0],
        ),
        idempotency_key=key,
    )


@router.post("/applications/new", response_class=HTMLResponse)
async def submit_application(request: Request, portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    # the form's key: a second press of the button (or a resend) files nothing new (none on old pages)
    key = forms.idempotency_key(form.get("idempotency_key"))
    checked = forms.check_application(form, dv.APPLICANT_KINDS, dv.DELIVERY_FORMS)
    # 办件状态通知 ticked on the form: checked with it, given once the application exists (filing_consent.py)
    consent, offer = filing_consent.check(
        form,
        await portal.backends.consent_terms(),
        email=checked.values.get("email", ""),
        phone=checked.values.get("phone", ""),
    )
    if not (checked.ok and offer.ok):
        values, errors = {**checked.values, **offer.values}, {**checked.errors, **offer.errors}
        return await _apply_form_page(portal, visitor, 422, values, errors, key)
    await limit_writes(portal, visitor, "application")
    v = checked.values
    token = await citizen_token(portal, visitor)
    try:
        filed = await portal.backends.call(
            portal.backends.applications.SubmitApplication, submit_request(v, key), token
        )
    except BackendError as error:
        if error.code == grpc.StatusCode.INVALID_ARGUMENT and "idempotency_key" in error.fields:
            # the page was sent before with other content (back button, edited): a new form, nothing filed
            return await _apply_form_page(
                portal, visitor, 422, {**v, **offer.values}, {"_form": forms.KEY_REUSED}
            )
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            errors = forms.backend_errors(error.fields, forms.APPLICATION_FIELDS)
            return await _apply_form_page(portal, visitor, 422, {**v, **offer.values}, errors, key)
        raise unavailable(error) from error
    a = dv.application(filed.application)
    # Post/Redirect/Get: the receipt page is a GET, so a reload files nothing again (receipt_pages.py)
    facts = {k: a[k] for k in ("number", "submitted_on", "state")}
    facts["notifications"] = await filing_consent.record(
        portal, visitor, "application", filed.application.id, filed.application.number, consent
    )
    return await answer_with_receipt(portal, visitor, "application", facts, filed.query_code, filed.replayed)


@router.get("/applications/follow", response_class=HTMLResponse)
async def application_follow_form(portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    return render(portal, visitor, "disclosure/follow.html", values={}, errors={})


async def _follow_application(portal, visitor, code: str):
    token = await citizen_token(portal, visitor)
    try:
        return await portal.backends.call(
            portal.backends.applications.FollowApplication,
            apb.FollowApplicationRequest(query_code=code),
            token,
        )
    except BackendError as error:
        if error.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            return None
        raise unavailable(error) from error


@router.post("/applications/follow", response_class=HTMLResponse)
async def application_follow(request: Request, portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    checked = forms.check_query_code(form)
    if not checked.ok:
        return render(
            portal, visitor, "disclosure/follow.html", 422, values=checked.values, errors=checked.errors
        )
    await limit_writes(portal, visitor, "follow")
    found = await _follow_application(portal, visitor, checked.values["query_code"])
    if found is None:
        return render(
            portal,
            visitor,
            "disclosure/follow.html",
            404,
            values=checked.values,
            errors={"query_code": "没有找到与此查询码对应的申请，请核对后重新输入。"},
        )
    return application_page(
        portal,
        visitor,
        dv.application(found),
        checked.values["query_code"],
    )


async def _my_applications(portal, token: str) -> list:
    found, page_token = [], ""
    for _ in range(20):
        reply = await read(
            portal,
            portal.backends.applications.ListMyApplications,
            apb.ListMyApplicationsRequest(page=common_pb2.PageRequest(page_size=50, page_token=page_token)),
            token,
        )
        found += reply.applications
        page_token = reply.page.next_page_token
        if not page_token:
            break
    return found


async def _my_application(portal, visitor, number: str):
    if not visitor.citizen:
        raise PageError(
            401, "请先登录", "查看“我的申请”需要先登录。没有账号时，可以用提交时获得的查询码查询。"
        )
    token = await citizen_token(portal, visitor)
    found = next((a for a in await _my_applications(portal, token) if a.number == number), None)
    if found is None:
        raise PageError(404, "未找到申请", "您的账号下没有这个编号的申请。")
    return found, token


@router.get("/applications/mine", response_class=HTMLResponse)
async def my_applications(portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    if not visitor.citizen:
        raise PageError(
            401, "请先登录", "查看“我的申请”需要先登录。没有账号时，可以用提交时获得的查询码查询。"
        )
    token = await citizen_token(portal, visitor)
    items = [dv.application(a) for a in await _my_applications(portal, token)]
    return render(portal, visitor, "disclosure/mine.html", headers=NO_STORE, items=items)


@router.get("/applications/mine/{number}", response_class=HTMLResponse)
async def my_application(number: str, portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    found, _ = await _my_application(portal, visitor, number[:64])
    return application_page(
        portal,
        visitor,
        dv.application(found),
        "",
    )


async def application_of_form(portal, visitor, form) -> tuple[dict, str | None, object]:
    """(request fields naming the application, token, the application) by query code or own number."""
    code = forms.normalise_query_code(form.get("query_code"))
    if code:
        found = await _follow_application(portal, visitor, code)
        if found is None:
            raise PageError(404, "未找到申请", "请核对查询码后重新查询。")
        return {"query_code": code}, await citizen_token(portal, visitor), found
    found, token = await _my_application(portal, visitor, forms.clean(form.get("number"))[:64])
    return {"application_id": found.id}, token, found


@router.post("/applications/reply")
async def reply_letter(request: Request, portal: PortalDep, visitor: VisitorDep):
    """The reply letter as PDF (a download, never cached)."""
    need(portal, applications=True)
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    await limit_writes(portal, visitor, "follow")
    target, token, _ = await application_of_form(portal, visitor, form)
    rendered = await read(
        portal, portal.backends.applications.RenderReply, apb.RenderReplyRequest(**target), token
    )
    return Response(
        rendered.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": uploads.content_disposition(rendered.file_name or "reply.pdf"),
            **NO_STORE,
        },
    )


@router.post("/applications/complete", response_class=HTMLResponse)
async def complete_application(request: Request, portal: PortalDep, visitor: VisitorDep):
    """Art. 30: the applicant completes the application when asked to."""
    need(portal, applications=True)
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    await limit_writes(portal, visitor, "application")
    target, token, found = await application_of_form(portal, visitor, form)
    checked = forms.check_completion(form)
    query_code = target.get("query_code", "")
    if not checked.ok:
        return application_page(
            portal,
            visitor,
            dv.application(found),
            query_code,
            status=422,
            errors=checked.errors,
        )
    try:
        done = await portal.backends.call(
            portal.backends.applications.CompleteApplication,
            apb.CompleteApplicationRequest(content=checked.values["content"], **target),
            token,
        )
    except BackendError as error:
        if error.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
            return application_page(
                portal,
                visitor,
                dv.application(found),
                query_code,
                status=422,
                errors={"content": "补正未被受理：补正期限可能已过，请联系政府信息公开工作机构。"},
            )
        raise unavailable(error) from error
    return application_page(
        portal,
        visitor,
        dv.application(done),
        query_code,
        completed=True,
    )


@router.post("/applications/withdraw", response_class=HTMLResponse)
async def withdraw_application(request: Request, portal: PortalDep, visitor: VisitorDep):
    """撤回: the applicant's own application (account or query code). The first post shows what is
    withdrawn and asks to confirm (no JavaScript); the second, with confirm=yes, withdraws."""
    need(portal, applications=True)
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    confirmed = form.get("confirm") == "yes"
    await limit_writes(portal, visitor, "application" if confirmed else "follow")
    target, token, found = await application_of_form(portal, visitor, form)
    query_code = target.get("query_code", "")
    shown = dv.application(found)
    if not shown["may_withdraw"]:
        return application_page(
            portal,
            visitor,
            shown,
            query_code,
            status=409,
            errors={"withdraw": forms.NOT_WITHDRAWABLE},
        )
    checked = forms.check_withdrawal(form)
    if not confirmed or not checked.ok:
        return render(
            portal,
            visitor,
            "disclosure/withdraw.html",
            422 if confirmed else 200,
            headers=NO_STORE,
            a=shown,
            query_code=query_code,
            values=checked.values,
            errors=checked.errors if confirmed else {},
        )
    try:
        done = await portal.backends.call(
            portal.backends.applications.WithdrawApplication,
            apb.WithdrawApplicationRequest(reason=checked.values["reason"], **target),
            token,
        )
    except BackendError as error:
        if error.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
            return application_page(
                portal,
                visitor,
                shown,
                query_code,
                status=409,
                errors={"withdraw": forms.NOT_WITHDRAWABLE},
            )
        raise unavailable(error) from error
    return application_page(
        portal,
        visitor,
        dv.application(done),
        query_code,
        withdrawn=True,
    )
