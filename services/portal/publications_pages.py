"""政府信息公开 pages of publications (主动公开): the catalogue by category, search, a publication with
its interpretations and validity, drafts open for comment (A22) and the normative documents' yearly
catalogue (A24); the latest publications for the home page.
"""

from __future__ import annotations

import re
import uuid

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal import forms
from services.portal.backends import BackendError
from services.portal.disclosure_pages import available, need, read
from services.portal.web import (
    PageError,
    Portal,
    PortalDep,
    VisitorDep,
    check_csrf,
    citizen_token,
    limit_writes,
    render,
    text_form,
    unavailable,
)
from zgov.common.v1 import common_pb2

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import publications_pb2 as pb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = pb = None

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
PAGE_TOKEN = re.compile(r"^[A-Za-z0-9_\-=.]{1,300}$")


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


async def latest_publications(portal: Portal, limit: int) -> list[dict] | None:
    """The latest publications; None when disclosure failed or did not answer in time (the home page
    still shows its entries, says the list is missing, and is kept by nobody: caching.INCOMPLETE)."""
    if not available(portal):
        return []
    try:
        reply = await portal.backends.call(
            portal.backends.publications.ListLatest, pb.ListLatestRequest(limit=limit)
        )
    except BackendError:
        return None
    return [dv.publication(p) for p in reply.publications]


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
    need(portal)
    f, chosen, errors = publication_filter(category, year, validity, kind, issuer)
    items, next_page = [], ""
    if not errors:
        reply = await read(
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
    need(portal)
    p = await read(
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
    need(portal)
    query = forms.clean(q)
    f, chosen, errors = publication_filter(category, year, validity)
    if len(query) > 100:
        errors["q"] = f"搜索词最多 100 个字，现有 {len(query)} 个字。"
    hits, terms, next_page, capped = [], [], "", False
    if query and not errors:
        reply = await read(
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
    need(portal)
    from shared.convert import today_in_china

    this_year = today_in_china().year
    chosen = int(year) if year and year.isdigit() and 2000 <= int(year) <= 2100 else this_year
    catalogue_reply = await read(
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
    need(portal)
    reply = await read(
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
        await read(
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
    need(portal)
    return render(
        portal, visitor, "disclosure/comment.html", p=await _draft(portal, pid), values={}, errors={}
    )


@router.post("/drafts/{pid}/comment", response_class=HTMLResponse)
async def submit_comment(pid: str, request: Request, portal: PortalDep, visitor: VisitorDep):
    need(portal)
    form = await text_form(request)
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
