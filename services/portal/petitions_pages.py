"""信访 pages: file a petition online (with or without an account), follow it by query code,
a citizen's own cases, and the rating of the handling.

The query code travels only in POST bodies (never in an address, so never in a log, a history
or a Referer) and is shown once, on the page that answers the filing.

Files attached to a petition (uploads.py) go to the petitions service with it; the petitioner sees
their names on the case page and downloads them — by query code (a POST, like following) or, for
a case filed under the account, from “我的信访”. Nobody else's: the service decides (A71).
"""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal import filing_consent, forms, uploads, views
from services.portal.backends import BackendError
from services.portal.receipt_pages import answer_with_receipt
from services.portal.web import (
    PageError,
    PortalDep,
    VisitorDep,
    check_csrf,
    citizen_token,
    limit_writes,
    render,
    text_fields,
    text_form,
    unavailable,
)
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import petitions_pb2

router = APIRouter(prefix="/petitions", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("", response_class=HTMLResponse)
async def petitions_home(portal: PortalDep, visitor: VisitorDep):
    return render(portal, visitor, "petitions/index.html")


@router.get("/new", response_class=HTMLResponse)
async def new_petition(portal: PortalDep, visitor: VisitorDep):
    organisations = await portal.backends.organisation_names()
    values = {"name": visitor.citizen.display_name} if visitor.citizen else {}
    # the form's idempotency key: submitted twice (a refresh, a double tap) it is one petition
    return render(
        portal,
        visitor,
        "petitions/new.html",
        values=values,
        errors={},
        organisations=organisations,
        categories=forms.CATEGORIES,
        idempotency_key=forms.new_idempotency_key(),
        consent_terms=await portal.backends.consent_terms(),
    )


@router.post("/new", response_class=HTMLResponse)
async def submit_petition(request: Request, portal: PortalDep, visitor: VisitorDep):
    organisations = await portal.backends.organisation_names()
    terms = await portal.backends.consent_terms()
    try:
        raw = await uploads.read_form(request)
    except uploads.BodyTooLarge:
        # Refused before the bytes are read on: nothing was parsed, so the form comes back empty.
        return render(
            portal,
            visitor,
            "petitions/new.html",
            413,
            values={},
            organisations=organisations,
            categories=forms.CATEGORIES,
            errors={"attachments": uploads.TOO_LARGE},
            headers={"Connection": "close"},
            consent_terms=terms,
        )
    form = text_fields(raw)
    check_csrf(portal, visitor, form)
    checked = forms.check_petition(form, organisations or None)
    files = await uploads.petition_files([v for v in raw.getlist("attachments") if not isinstance(v, str)])
    await raw.close()
    # 办件状态通知 ticked on the form: checked with it, given once the case exists (filing_consent.py)
    consent, offer = filing_consent.check(form, terms, phone=checked.values.get("phone", ""))
    errors = {**checked.errors, **offer.errors}
    if files.error:
        errors["attachments"] = files.error
    key = forms.idempotency_key(form.get("idempotency_key"))
    page = dict(
        values={**checked.values, **offer.values},
        organisations=organisations,
        categories=forms.CATEGORIES,
        idempotency_key=key or forms.new_idempotency_key(),
        consent_terms=terms,
    )
    if errors:
        return render(portal, visitor, "petitions/new.html", 422, errors=errors, **page)
    await limit_writes(portal, visitor, "petition")
    token = await citizen_token(portal, visitor)
    intake = forms.petition_intake(checked.values)
    intake.attachments.extend(files.attachments)
    request_pb = petitions_pb2.SubmitPetitionRequest(intake=intake, idempotency_key=key)
    try:
        filed = await portal.backends.call(portal.backends.petitions.SubmitPetition, request_pb, token)
    except BackendError as error:
        if error.code == grpc.StatusCode.INVALID_ARGUMENT and "idempotency_key" in error.fields:
            # the same form sent again with other content: a new key, the visitor checks and sends again
            page["idempotency_key"] = forms.new_idempotency_key()
            return render(
                portal,
                visitor,
                "petitions/new.html",
                409,
                errors={"_form": forms.PETITION_KEY_REUSED},
                **page,
            )
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            errors = forms.backend_errors(
                {k: v for k, v in error.fields.items() if not k.startswith("intake.attachments")},
                forms.PETITION_FIELDS,
            )
            file_error = uploads.backend_file_errors(error.fields, files.attachments)
            if file_error:
                errors["attachments"] = file_error
            return render(portal, visitor, "petitions/new.html", 422, errors=errors, **page)
        raise unavailable(error) from error
    case = views.petition_case(filed.case, organisations)
    facts = receipt_facts(case)
    facts["notifications"] = await filing_consent.record(
        portal, visitor, "petition", filed.case.id, filed.case.number, consent
    )
    # Post/Redirect/Get: the receipt page is a GET, so a reload files nothing again (receipt_pages.py)
    return await answer_with_receipt(portal, visitor, "petition", facts, filed.query_code, filed.replayed)


def receipt_facts(case: dict) -> dict:
    """What the receipt shows of a petition just filed (petitions/filed.html)."""
    facts = {k: case[k] for k in ("number", "title", "category", "received_on", "state", "awaiting", "due")}
    facts["attachments"] = [{"file_name": a["file_name"]} for a in case.get("attachments") or []]
    return facts


@router.get("/follow", response_class=HTMLResponse)
async def follow_form(portal: PortalDep, visitor: VisitorDep):
    return render(portal, visitor, "petitions/follow.html", values={}, errors={})


async def _follow(portal, visitor, code: str) -> petitions_pb2.Case | None:
    token = await citizen_token(portal, visitor)
    try:
        return await portal.backends.call(
            portal.backends.petitions.FollowCase, petitions_pb2.FollowCaseRequest(query_code=code), token
        )
    except BackendError as error:
        if error.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            return None
        raise unavailable(error) from error


@router.post("/follow", response_class=HTMLResponse)
async def follow(request: Request, portal: PortalDep, visitor: VisitorDep):
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    checked = forms.check_query_code(form)
    if not checked.ok:
        return render(
            portal, visitor, "petitions/follow.html", 422, values=checked.values, errors=checked.errors
        )
    # Counted like a write: guessing codes must be slow.
    await limit_writes(portal, visitor, "follow")
    case = await _follow(portal, visitor, checked.values["query_code"])
    if case is None:
        return render(
            portal,
            visitor,
            "petitions/follow.html",
            404,
            values=checked.values,
            errors={"query_code": "没有找到与此查询码对应的信访事项，请核对后重新输入。"},
        )
    return render(
        portal,
        visitor,
        "petitions/case.html",
        headers=NO_STORE,
        case=views.petition_case(case, await portal.backends.organisation_names()),
        query_code=checked.values["query_code"],
        rating_errors={},
    )


def _nth_file(case: petitions_pb2.Case, index: str) -> petitions_pb2.Attachment | None:
    """The case's n-th file (the pages number files from 1; no internal id leaves the portal)."""
    if not index.isdigit() or not 1 <= int(index) <= len(case.attachments):
        return None
    return case.attachments[int(index) - 1]


def _file_response(file: petitions_pb2.Attachment) -> Response:
    return Response(
        file.content,
        media_type=file.media_type or "application/octet-stream",
        headers={**NO_STORE, "Content-Disposition": uploads.content_disposition(file.file_name)},
    )


async def _own_file(portal, token, attachment: petitions_pb2.Attachment, **by) -> Response:
    try:
        file = await portal.backends.call(
            portal.backends.petitions.GetOwnAttachment,
            petitions_pb2.GetOwnAttachmentRequest(attachment_id=attachment.id, **by),
            token,
        )
    except BackendError as error:
        if error.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            raise PageError(404, "未找到附件", "没有找到这个附件。") from error
        raise unavailable(error) from error
    return _file_response(file)


@router.post("/follow/attachment")
async def follow_attachment(request: Request, portal: PortalDep, visitor: VisitorDep):
    """A file of the case followed by query code; the code and the file's number in the POST body."""
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    code = forms.normalise_query_code(form.get("query_code"))
    if not code:
        raise PageError(404, "未找到附件", "请通过查询码重新打开信访事项后再下载附件。")
    # Counted like following: each try of a code costs the same.
    await limit_writes(portal, visitor, "follow")
    case = await _follow(portal, visitor, code)
    attachment = _nth_file(case, form.get("n", "")) if case else None
    if attachment is None:
        raise PageError(404, "未找到附件", "请通过查询码重新打开信访事项后再下载附件。")
    return await _own_file(portal, await citizen_token(portal, visitor), attachment, query_code=code)


@router.post("/rate", response_class=HTMLResponse)
async def rate(request: Request, portal: PortalDep, visitor: VisitorDep):
    """Rating by query code (anonymous) or by registration number of one's own case (logged in)."""
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    await limit_writes(portal, visitor, "rating")
    checked = forms.check_rating(form)
    code = forms.normalise_query_code(form.get("query_code"))
    number = forms.clean(form.get("number"))
    token = await citizen_token(portal, visitor)
    if code:
        rate_request = petitions_pb2.RateCaseRequest(query_code=code)
        case = await _follow(portal, visitor, code)
    elif number and visitor.citizen:
        case = await _my_case(portal, token, number)
        rate_request = petitions_pb2.RateCaseRequest(case_id=case.id if case else "")
    else:
        case = None
    if case is None:
        raise PageError(404, "未找到信访事项", "请通过查询码或“我的信访”重新打开该事项后再评价。")
    organisations = await portal.backends.organisation_names()
    if not checked.ok:
        return render(
            portal,
            visitor,
            "petitions/case.html",
            422,
            headers=NO_STORE,
            case=views.petition_case(case, organisations),
            query_code=code,
            rating_errors=checked.errors,
            rating=checked.values,
        )
    rate_request.satisfaction = forms.SATISFACTION[checked.values["satisfaction"]][0]
    rate_request.comment = checked.values["comment"]
    try:
        rated = await portal.backends.call(portal.backends.petitions.RateCase, rate_request, token)
    except BackendError as error:
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            return render(
                portal,
                visitor,
                "petitions/case.html",
                422,
                headers=NO_STORE,
                case=views.petition_case(case, organisations),
                query_code=code,
                rating_errors={"satisfaction": "此事项尚不能评价，或已经评价过。"},
                rating=checked.values,
            )
        raise unavailable(error) from error
    return render(
        portal,
        visitor,
        "petitions/case.html",
        headers=NO_STORE,
        case=views.petition_case(rated, organisations),
        query_code=code,
        rating_errors={},
        rated=True,
    )


async def _my_cases(portal, token: str) -> list[petitions_pb2.Case]:
    cases, page_token = [], ""
    for _ in range(20):  # at most 20 pages of 50: a citizen files at most 10 a day
        try:
            reply = await portal.backends.call(
                portal.backends.petitions.ListMyCases,
                petitions_pb2.ListMyCasesRequest(
                    page=common_pb2.PageRequest(page_size=50, page_token=page_token)
                ),
                token,
            )
        except BackendError as error:
            raise unavailable(error) from error
        cases += reply.cases
        page_token = reply.page.next_page_token
        if not page_token:
            break
    return cases


async def _my_case(portal, token: str, number: str) -> petitions_pb2.Case | None:
    return next((c for c in await _my_cases(portal, token) if c.number == number), None)


def _login_needed(path: str) -> PageError:
    return PageError(401, "请先登录", "查看“我的信访”需要先登录。没有账号时，可以用提交时获得的查询码查询。")


@router.get("/mine", response_class=HTMLResponse)
async def my_cases(portal: PortalDep, visitor: VisitorDep):
    if not visitor.citizen:
        raise _login_needed("/petitions/mine")
    token = await citizen_token(portal, visitor)
    organisations = await portal.backends.organisation_names()
    cases = [views.petition_case(c, organisations) for c in await _my_cases(portal, token)]
    return render(portal, visitor, "petitions/mine.html", headers=NO_STORE, cases=cases)


@router.get("/mine/{number}", response_class=HTMLResponse)
async def my_case(number: str, portal: PortalDep, visitor: VisitorDep):
    if not visitor.citizen:
        raise _login_needed("/petitions/mine")
    token = await citizen_token(portal, visitor)
    case = await _my_case(portal, token, number[:64])
    if case is None:
        raise PageError(404, "未找到信访事项", "您的账号下没有这个编号的信访事项。")
    return render(
        portal,
        visitor,
        "petitions/case.html",
        headers=NO_STORE,
        case=views.petition_case(case, await portal.backends.organisation_names()),
        query_code="",
        rating_errors={},
    )


@router.get("/mine/{number}/attachments/{n}")
async def my_attachment(number: str, n: str, portal: PortalDep, visitor: VisitorDep):
    """A file of one's own case (filed under this account)."""
    if not visitor.citizen:
        raise _login_needed("/petitions/mine")
    token = await citizen_token(portal, visitor)
    case = await _my_case(portal, token, number[:64])
    attachment = _nth_file(case, n[:4]) if case else None
    if attachment is None:
        raise PageError(404, "未找到附件", "您的账号下没有这个附件。")
    return await _own_file(portal, token, attachment, case_id=case.id)
