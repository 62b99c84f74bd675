"""The JSON API of 政府信息公开 (主动公开): the categories, the catalogue, one publication, full-text
search, the drafts open for comment and the normative documents' yearly catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.portal.api import (
    COMMON_RESPONSES,
    PAGE_TOKEN,
    PAGED,
    ApiError,
    Label,
    api_publication_id,
    api_read,
    need_disclosure,
)
from services.portal import forms
from services.portal.web import PortalDep
from zgov.common.v1 import common_pb2

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import publications_pb2 as pb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = pb = None

router = APIRouter(prefix="/api", responses=COMMON_RESPONSES)


class Link(BaseModel):
    id: str
    title: str
    kind: str


class Proposal(BaseModel):
    kind: str
    number: str
    proposer: str
    session: str


class Power(BaseModel):
    subject: str
    basis: str
    procedure: str
    supervision: str
    type: str


class ConcernFacts(BaseModel):
    """A70: the public concern a response (回应关切) answers."""

    source: str
    summary: str
    first_seen_at: str = Field(description="关注时间（北京时间，到分钟）")
    responded_at: str
    department: str = Field(description="调查核实单位")


class CommentFeedback(BaseModel):
    """A22: 意见采纳情况 — how the comments on a draft were taken into account. The comments themselves
    and the commenters' names and contacts are never published."""

    summary: str
    received: int
    adopted: int
    partly_adopted: int
    not_adopted: int
    published_on: str
    version: int


class Publication(BaseModel):
    """A published item of government information (主动公开)."""

    id: str
    kind: str
    category: str
    category_slug: str
    title: str
    body: str = Field(description="正文；列表中为空")
    issuer: str
    document_number: str
    made_on: str
    published_on: str
    valid_until: str
    validity: str
    normative: bool
    interpretations: list[Link]
    policy: Link | None
    comment_until: str
    comment_open: bool
    comment_count: int
    proposal: Proposal | None
    power: Power | None
    concern: ConcernFacts | None = Field(None, description="回应关切：所回应的关切事项")
    comment_feedback: CommentFeedback | None = Field(
        None, description="征求意见稿：意见采纳情况（征集结束后公布）"
    )


class PublicationPage(BaseModel):
    items: list[Publication]
    next_page: str = Field(description="下一页的 page 参数；最后一页为空")


class SnippetPart(BaseModel):
    text: str
    match: bool


class Hit(Publication):
    snippet: list[SnippetPart]


class SearchResult(BaseModel):
    terms: list[str] = Field(description="分词后的检索词")
    capped: bool
    items: list[Hit]
    next_page: str


def _filter(
    category: str | None,
    year: int | None,
    validity: str | None,
    kind: str | None = None,
    issuer: str | None = None,
):
    f = pb.PublicationFilter()
    if issuer:
        f.issuer_code = issuer
    if kind:
        f.kind = dv.KIND_PAGES[kind][0]
    if category:
        f.category = dv.CATEGORIES[category][0]
    if year:
        f.year = year
    if validity:
        f.validity = dv.VALIDITIES[validity][0]
    return f


CATEGORY_PATTERN = "^(" + "|".join(dv.CATEGORIES) + ")$" if dv else "^$"
VALIDITY_PATTERN = "^(" + "|".join(dv.VALIDITIES) + ")$" if dv else "^$"
KIND_PATTERN = "^(" + "|".join(dv.KIND_PAGES) + ")$" if dv else "^$"
ISSUER_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


@router.get("/categories", response_model=list[Label], summary="主动公开的信息类别（条例第二十条）")
async def categories(portal: PortalDep):
    need_disclosure(portal)
    return [Label(code=slug, name=name) for slug, (_, name) in dv.CATEGORIES.items()]


@router.get("/publications/latest", response_model=list[Publication], summary="最新公开的信息")
async def latest(portal: PortalDep, limit: int = Query(10, ge=1, le=50)):
    need_disclosure(portal)
    reply = await api_read(portal, portal.backends.publications.ListLatest, pb.ListLatestRequest(limit=limit))
    return [dv.publication(p) for p in reply.publications]


@router.get(
    "/publications", response_model=PublicationPage, summary="按类别、年份、效力状态浏览", openapi_extra=PAGED
)
async def publications(
    portal: PortalDep,
    category: str | None = Query(None, pattern=CATEGORY_PATTERN),
    year: int | None = Query(None, ge=2000, le=2100),
    validity: str | None = Query(None, pattern=VALIDITY_PATTERN),
    kind: str | None = Query(
        None,
        pattern=KIND_PATTERN,
        description="interpretations 政策解读, powers 权责清单, proposals 建议提案办理结果, "
        "responses 回应关切",
    ),
    issuer: str | None = Query(None, pattern=ISSUER_PATTERN, description="发布机构代码（见 /api/issuers）"),
    page: str | None = Query(None, pattern=PAGE_TOKEN),
):
    need_disclosure(portal)
    reply = await api_read(
        portal,
        portal.backends.publications.ListPublications,
        pb.ListPublicationsRequest(
            filter=_filter(category, year, validity, kind, issuer),
            page=common_pb2.PageRequest(page_size=20, page_token=page or ""),
        ),
        page=page,
    )
    return {"items": [dv.publication(p) for p in reply.publications], "next_page": reply.page.next_page_token}


@router.get(
    "/publications/{publication_id}",
    response_model=Publication,
    summary="一条公开信息（含解读与效力状态）",
    responses={404: {"model": ApiError, "description": "不存在或未公开"}},
)
async def publication(publication_id: str, portal: PortalDep):
    need_disclosure(portal)
    return dv.publication(
        await api_read(
            portal,
            portal.backends.publications.GetPublication,
            pb.GetPublicationRequest(publication_id=api_publication_id(publication_id)),
        )
    )


@router.get("/search", response_model=SearchResult, summary="全文检索（中文分词）", openapi_extra=PAGED)
async def search(
    portal: PortalDep,
    q: str = Query(min_length=1, max_length=100, description="检索词"),
    category: str | None = Query(None, pattern=CATEGORY_PATTERN),
    year: int | None = Query(None, ge=2000, le=2100),
    validity: str | None = Query(None, pattern=VALIDITY_PATTERN),
    page: str | None = Query(None, pattern=PAGE_TOKEN),
):
    need_disclosure(portal)
    query = forms.clean(q)
    if not query:  # only spaces or invisible characters: nothing to look for, so nothing is found
        return {"terms": [], "capped": False, "items": [], "next_page": ""}
    reply = await api_read(
        portal,
        portal.backends.publications.SearchPublications,
        pb.SearchPublicationsRequest(
            query=query,
            filter=_filter(category, year, validity),
            page=common_pb2.PageRequest(page_size=20, page_token=page or ""),
        ),
        page=page,
    )
    return {
        "terms": list(reply.terms),
        "capped": reply.capped,
        "items": [dv.hit(h) for h in reply.hits],
        "next_page": reply.page.next_page_token,
    }


@router.get("/drafts", response_model=PublicationPage, summary="征求意见的草案", openapi_extra=PAGED)
async def drafts(
    portal: PortalDep, open_only: bool = False, page: str | None = Query(None, pattern=PAGE_TOKEN)
):
    need_disclosure(portal)
    reply = await api_read(
        portal,
        portal.backends.publications.ListCommentDrafts,
        pb.ListCommentDraftsRequest(
            open_only=open_only, page=common_pb2.PageRequest(page_size=20, page_token=page or "")
        ),
        page=page,
    )
    return {"items": [dv.publication(p) for p in reply.publications], "next_page": reply.page.next_page_token}


@router.get("/normative-catalogue/{year}", response_model=list[Publication], summary="规范性文件年度目录")
async def normative(portal: PortalDep, year: int = Path(ge=2000, le=2100)):
    need_disclosure(portal)
    reply = await api_read(
        portal, portal.backends.publications.GetNormativeCatalogue, pb.GetNormativeCatalogueRequest(year=year)
    )
    return [dv.publication(p) for p in reply.entries]
