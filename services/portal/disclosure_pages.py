"""政府信息公开 pages: the catalogue by category, search, a publication with its interpretations and
validity, drafts open for comment, the normative documents' yearly catalogue (A24), the yearly
reports, and applications for information (依申请公开) with their tracking by account or query code.

Reads go out with the portal's service account (or the logged-in citizen's token for his or her own
applications); the query code travels in POST bodies only, as on the petition pages.
"""

from __future__ import annotations

import re
import uuid

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal import complaint_pages, filing_consent, forms, uploads
from services.portal.backends import BackendError
from services.portal.receipt_pages import answer_with_receipt
from services.portal.web import (
    PageError,
    Portal,
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
    from zgov.disclosure.v1 import publications_pb2 as pb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = apb = pb = None

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
PAGE_SIZE = 20
PAGE_TOKEN = re.compile(r"^[A-Za-z0-9_\-=.]{1,300}$")


def available(portal: Portal) -> bool:
    return dv is not None and portal.backends.has_publications


def applications_available(portal: Portal) -> bool:
    return dv is not None and portal.backends.has_applications


def _need(portal: Portal, applications: bool = False) -> None:
    if not available(portal) or (applications and not applications_available(portal)):
        raise PageError(503, "栏目即将开通", "政府信息公开栏目正在建设中，请稍后访问。")


def publication_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PageError(404, "信息不存在", "您查找的政府信息不存在或已撤下。") from None


def page_request(page: str | None) -> common_pb2.PageRequest:
    if page and not PAGE_TOKEN.match(page):
        raise PageError(400, "页码无效", "请从列表的翻页链接进入。")
    return common_pb2.PageRequest(page_size=PAGE_SIZE, page_token=page or "")


ISSUER_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def publication_filter(
    category: str | None,
    year: str | None,
    validity: str | None,
    kind: str | None = None,
    issuer: str | None = None,
) -> tuple:
    """(the filter, the values as chosen, what is wrong) from the query string."""
    chosen = {
        "category": category or "",
        "year": year or "",
        "validity": validity or "",
        "kind": kind or "",
        "issuer": issuer or "",
    }
    errors = {}
    f = pb.PublicationFilter()
    if issuer:
        if ISSUER_CODE.match(issuer):
            f.issuer_code = issuer
        else:
            errors["issuer"] = "没有这个发布机构，请从发布机构列表进入。"
    if kind:
        if kind in dv.KIND_PAGES:
            f.kind = dv.KIND_PAGES[kind][0]
        else:
            errors["kind"] = "没有这一栏目。"
    if category:
        if category in dv.CATEGORIES:
            f.category = dv.CATEGORIES[category][0]
        else:
            errors["category"] = "没有这个类别。"
    if year:
        if year.isdigit() and 2000 <= int(year) <= 2100:
            f.year = int(year)
        else:
            errors["year"] = "年份应为 2000 至 2100 之间的四位数字。"
    if validity:
        if validity in dv.VALIDITIES:
            f.validity = dv.VALIDITIES[validity][0]
        else:
            errors["validity"] = "请选择效力状态。"
    return f, chosen, errors


async def latest_publications(portal: Portal, limit: int) -> list[dict]:
    if not available(portal):
        return []
    try:
        reply = await portal.backends.call(
            portal.backends.publications.ListLatest, pb.ListLatestRequest(limit=limit)
        )
    except BackendError:
        return []  # the home page still shows its entries when disclosure is away
    return [dv.publication(p) for p in reply.publications]


async def _read(portal: Portal, method, request, token: str | None = None):
    try:
        return await portal.backends.call(method, request, token)
    except BackendError as error:
        if error.code == grpc.StatusCode.NOT_FOUND:
            raise PageError(404, "信息不存在", "您查找的政府信息不存在或已撤下。") from error
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            raise PageError(400, "请求不正确", "请检查输入的条件，或从页面上的链接进入。") from error
        raise unavailable(error) from error


# ---- publications -----------------------------------------------------------------------------------


@router.get("/publications", response_class=HTMLResponse)
async def catalogue(
    portal: PortalDep,
    visitor: VisitorDep,
    category: str | None = None,
    year: str | None = None,
    validity: str | None = None,
    kind: str | None = None,
    page: str | None = None,
    issuer: str | None = None,
):
    _need(portal)
    f, chosen, errors = publication_filter(category, year, validity, kind, issuer)
    items, next_page = [], ""
    if not errors:
        reply = await _read(
            portal,
            portal.backends.publications.ListPublications,
            pb.ListPublicationsRequest(filter=f, page=page_request(page)),
        )
        items = [dv.publication(p) for p in reply.publications]
        next_page = reply.page.next_page_token
    title = (
        dv.KIND_PAGES[kind][1]
        if kind in dv.KIND_PAGES
        else dv.CATEGORIES[category][1]
        if category in dv.CATEGORIES
        else "政府信息公开目录"
    )
    if chosen["issuer"] and items:
        title = f"{items[0]['issuer']} · {title}"
    return render(
        portal,
        visitor,
        "disclosure/catalogue.html",
        422 if errors else 200,
        title=title,
        items=items,
        next_page=next_page,
        chosen=chosen,
        errors=errors,
        categories=dv.CATEGORIES,
        validities=dv.VALIDITIES,
        kinds=dv.KIND_PAGES,
    )


@router.get("/publications/{pid}", response_class=HTMLResponse)
async def publication_page(pid: str, portal: PortalDep, visitor: VisitorDep):
    _need(portal)
    p = await _read(
        portal,
        portal.backends.publications.GetPublication,
        pb.GetPublicationRequest(publication_id=publication_id(pid)),
    )
    shown = dv.publication(p)
    # the government-site meta tags (site_pages): the article, its column, date and source
    return render(
        portal,
        visitor,
        "disclosure/publication.html",
        p=shown,
        article_title=shown["title"],
        column_name=shown["category"] or "政府信息公开",
        pub_date=shown["published_on"],
        content_source=shown["issuer"],
    )


@router.get("/search", response_class=HTMLResponse)
async def search(
    portal: PortalDep,
    visitor: VisitorDep,
    q: str = "",
    category: str | None = None,
    year: str | None = None,
    validity: str | None = None,
    page: str | None = None,
):
    _need(portal)
    query = forms.clean(q)
    f, chosen, errors = publication_filter(category, year, validity)
    if len(query) > 100:
        errors["q"] = f"搜索词最多 100 个字，现有 {len(query)} 个字。"
    hits, terms, next_page, capped = [], [], "", False
    if query and not errors:
        reply = await _read(
            portal,
            portal.backends.publications.SearchPublications,
            pb.SearchPublicationsRequest(query=query, filter=f, page=page_request(page)),
        )
        hits = [dv.hit(h) for h in reply.hits]
        terms, next_page, capped = list(reply.terms), reply.page.next_page_token, reply.capped
    return render(
        portal,
        visitor,
        "disclosure/search.html",
        422 if errors else 200,
        q=query,
        hits=hits,
        terms=terms,
        next_page=next_page,
        capped=capped,
        chosen=chosen,
        errors=errors,
        categories=dv.CATEGORIES,
        validities=dv.VALIDITIES,
    )


@router.get("/normative", response_class=HTMLResponse)
async def normative_catalogue(portal: PortalDep, visitor: VisitorDep, year: str | None = None):
    """A24: the yearly catalogue of normative documents."""
    _need(portal)
    from shared.convert import today_in_china

    this_year = today_in_china().year
    chosen = int(year) if year and year.isdigit() and 2000 <= int(year) <= 2100 else this_year
    catalogue_reply = await _read(
        portal,
        portal.backends.publications.GetNormativeCatalogue,
        pb.GetNormativeCatalogueRequest(year=chosen),
    )
    return render(
        portal,
        visitor,
        "disclosure/normative.html",
        year=chosen,
        years=list(range(this_year, this_year - 6, -1)),
        entries=[dv.publication(p) for p in catalogue_reply.entries],
    )


# ---- drafts open for public comment (A22) -----------------------------------------------------------


@router.get("/drafts", response_class=HTMLResponse)
async def drafts(portal: PortalDep, visitor: VisitorDep, page: str | None = None):
    _need(portal)
    reply = await _read(
        portal,
        portal.backends.publications.ListCommentDrafts,
        pb.ListCommentDraftsRequest(open_only=False, page=page_request(page)),
    )
    return render(
        portal,
        visitor,
        "disclosure/drafts.html",
        items=[dv.publication(p) for p in reply.publications],
        next_page=reply.page.next_page_token,
    )


async def _draft(portal: Portal, pid: str) -> dict:
    p = dv.publication(
        await _read(
            portal,
            portal.backends.publications.GetPublication,
            pb.GetPublicationRequest(publication_id=publication_id(pid)),
        )
    )
    if p["kind"] != dv.KINDS[pb.PUBLICATION_KIND_COMMENT_DRAFT]:
        raise PageError(404, "不是征求意见稿", "此信息不征求公众意见。")
    return p


@router.get("/drafts/{pid}/comment", response_class=HTMLResponse)
async def comment_form(pid: str, portal: PortalDep, visitor: VisitorDep):
    _need(portal)
    return render(
        portal, visitor, "disclosure/comment.html", p=await _draft(portal, pid), values={}, errors={}
    )


@router.post("/drafts/{pid}/comment", response_class=HTMLResponse)
async def submit_comment(pid: str, request: Request, portal: PortalDep, visitor: VisitorDep):
    _need(portal)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(portal, visitor, form)
    p = await _draft(portal, pid)
    checked = forms.check_comment(form)
    if not checked.ok:
        return render(
            portal, visitor, "disclosure/comment.html", 422, p=p, values=checked.values, errors=checked.errors
        )
    await limit_writes(portal, visitor, "comment")
    token = await citizen_token(portal, visitor)
    try:
        await portal.backends.call(
            portal.backends.publications.SubmitComment,
            pb.SubmitCommentRequest(publication_id=publication_id(pid), **checked.values),
            token,
        )
    except BackendError as error:
        if error.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
            errors = (
                forms.backend_errors(error.fields, forms.COMMENT_FIELDS)
                if error.fields
                else {"_form": "此草案的意见征集已经结束，意见未被提交。"}
            )
            return render(
                portal, visitor, "disclosure/comment.html", 422, p=p, values=checked.values, errors=errors
            )
        raise unavailable(error) from error
    return render(portal, visitor, "disclosure/comment_done.html", p=p)


# ---- the yearly reports (art. 49-50) ------------------------------------------------------------------


@router.get("/reports", response_class=HTMLResponse)
async def reports(portal: PortalDep, visitor: VisitorDep):
    _need(portal, applications=True)
    reply = await _read(
        portal, portal.backends.applications.ListAnnualReports, apb.ListAnnualReportsRequest()
    )
    return render(
        portal, visitor, "disclosure/reports.html", reports=[dv.report_summary(r) for r in reply.reports]
    )


@router.get("/reports/{year}", response_class=HTMLResponse)
async def report_page(year: int, portal: PortalDep, visitor: VisitorDep):
    _need(portal, applications=True)
    if not 2000 <= year <= 2100:
        raise PageError(404, "报告不存在", "没有这一年度的报告。")
    reply = await _read(
        portal, portal.backends.applications.GetAnnualReport, apb.GetAnnualReportRequest(year=year)
    )
    # A38: the year's openness complaints as stored with the report; a report made before they were
    # stored shows them as counted now (complaint_pages)
    complaints = reply.complaints if reply.HasField("complaints") else None
    if complaints is None:
        complaints = await _read(
            portal,
            portal.backends.complaints.GetComplaintFigures,
            complaint_pages.pb.GetComplaintFiguresRequest(year=year),
        )
    return render(portal, visitor, "disclosure/report.html", r=dv.report(reply), complaints=complaints)


# ---- applications for information (依申请公开) ----------------------------------------------------------


@router.get("/applications", response_class=HTMLResponse)
async def applications_home(portal: PortalDep, visitor: VisitorDep):
    return render(portal, visitor, "disclosure/applications.html")


async def _application_page(portal, visitor, status: int = 200, values=None, errors=None, key: str = ""):
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
    _need(portal, applications=True)
    values = {"name": visitor.citizen.display_name, "kind": "person"} if visitor.citizen else {}
    return await _application_page(portal, visitor, values=values)


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
    _need(portal, applications=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
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
        return await _application_page(portal, visitor, 422, values, errors, key)
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
            return await _application_page(
                portal, visitor, 422, {**v, **offer.values}, {"_form": forms.KEY_REUSED}
            )
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            errors = forms.backend_errors(error.fields, forms.APPLICATION_FIELDS)
            return await _application_page(portal, visitor, 422, {**v, **offer.values}, errors, key)
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
    _need(portal, applications=True)
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
    _need(portal, applications=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
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
    return render(
        portal,
        visitor,
        "disclosure/application.html",
        headers=NO_STORE,
        a=dv.application(found),
        query_code=checked.values["query_code"],
        errors={},
    )


async def _my_applications(portal, token: str) -> list:
    found, page_token = [], ""
    for _ in range(20):
        reply = await _read(
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
    _need(portal, applications=True)
    if not visitor.citizen:
        raise PageError(
            401, "请先登录", "查看“我的申请”需要先登录。没有账号时，可以用提交时获得的查询码查询。"
        )
    token = await citizen_token(portal, visitor)
    items = [dv.application(a) for a in await _my_applications(portal, token)]
    return render(portal, visitor, "disclosure/mine.html", headers=NO_STORE, items=items)


@router.get("/applications/mine/{number}", response_class=HTMLResponse)
async def my_application(number: str, portal: PortalDep, visitor: VisitorDep):
    _need(portal, applications=True)
    found, _ = await _my_application(portal, visitor, number[:64])
    return render(
        portal,
        visitor,
        "disclosure/application.html",
        headers=NO_STORE,
        a=dv.application(found),
        query_code="",
        errors={},
    )


async def _target(portal, visitor, form) -> tuple[dict, str | None, object]:
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
    _need(portal, applications=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(portal, visitor, form)
    await limit_writes(portal, visitor, "follow")
    target, token, _ = await _target(portal, visitor, form)
    rendered = await _read(
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
    _need(portal, applications=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(portal, visitor, form)
    await limit_writes(portal, visitor, "application")
    target, token, found = await _target(portal, visitor, form)
    checked = forms.check_completion(form)
    query_code = target.get("query_code", "")
    if not checked.ok:
        return render(
            portal,
            visitor,
            "disclosure/application.html",
            422,
            headers=NO_STORE,
            a=dv.application(found),
            query_code=query_code,
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
            return render(
                portal,
                visitor,
                "disclosure/application.html",
                422,
                headers=NO_STORE,
                a=dv.application(found),
                query_code=query_code,
                errors={"content": "补正未被受理：补正期限可能已过，请联系政府信息公开工作机构。"},
            )
        raise unavailable(error) from error
    return render(
        portal,
        visitor,
        "disclosure/application.html",
        headers=NO_STORE,
        a=dv.application(done),
        query_code=query_code,
        errors={},
        completed=True,
    )


@router.post("/applications/withdraw", response_class=HTMLResponse)
async def withdraw_application(request: Request, portal: PortalDep, visitor: VisitorDep):
    """撤回: the applicant's own application (account or query code). The first post shows what is
    withdrawn and asks to confirm (no JavaScript); the second, with confirm=yes, withdraws."""
    _need(portal, applications=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(portal, visitor, form)
    confirmed = form.get("confirm") == "yes"
    await limit_writes(portal, visitor, "application" if confirmed else "follow")
    target, token, found = await _target(portal, visitor, form)
    query_code = target.get("query_code", "")
    shown = dv.application(found)
    if not shown["may_withdraw"]:
        return render(
            portal,
            visitor,
            "disclosure/application.html",
            409,
            headers=NO_STORE,
            a=shown,
            query_code=query_code,
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
            return render(
                portal,
                visitor,
                "disclosure/application.html",
                409,
                headers=NO_STORE,
                a=shown,
                query_code=query_code,
                errors={"withdraw": forms.NOT_WITHDRAWABLE},
            )
        raise unavailable(error) from error
    return render(
        portal,
        visitor,
        "disclosure/application.html",
        headers=NO_STORE,
        a=dv.application(done),
        query_code=query_code,
        errors={},
        withdrawn=True,
    )
