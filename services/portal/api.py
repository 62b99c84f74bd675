"""The JSON API (/api): the same reads as the pages, and an application for information filed without
an account (idempotent with an Idempotency-Key), described by /api/openapi.json.

No cookies, no session: every read goes out with the portal's own service account, so the API
shows only what is public, and a case only to whoever holds its query code.
"""

from __future__ import annotations

import uuid as _uuid
from typing import Literal

import grpc
from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.portal import forms, uploads, views
from services.portal.backends import BackendError
from services.portal.web import PortalDep, api_error, client_address
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import petitions_pb2

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import applications_pb2 as apb
    from zgov.disclosure.v1 import publications_pb2 as pb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = apb = pb = None


class FieldProblem(BaseModel):
    field: str
    problem: str


class ApiError(BaseModel):
    """Every refusal of the API: what is wrong, in Chinese; for bad parameters, which ones."""

    detail: str
    fields: list[FieldProblem] = []


UNPARSABLE = "请求体无法解析：应为 UTF-8 编码的 JSON"
# An operation lists under this extension of its OpenAPI object the fields the server checks beyond
# what a JSON schema can say; a 422 on a request the schema allows names only those fields.
CHECKED_BEYOND_SCHEMA = "x-checked-beyond-schema"
# Every operation of the API may answer these.
COMMON_RESPONSES = {
    422: {"model": ApiError, "description": "请求参数不正确"},
    503: {"model": ApiError, "description": "服务暂时不可用"},
}
BODY_RESPONSES = {400: {"model": ApiError, "description": UNPARSABLE}}

router = APIRouter(prefix="/api", responses=COMMON_RESPONSES)


class ProblemWith(HTTPException):
    """A refusal that names the fields at fault (the `fields` of ApiError)."""

    def __init__(self, status_code: int, detail: str, fields: dict[str, str]):
        super().__init__(status_code, detail)
        self.fields = [{"field": name, "problem": problem} for name, problem in fields.items()]


class Label(BaseModel):
    code: str
    name: str


# What the schema promises is a query code; the server forgives more (full-width letters, other dashes).
QUERY_CODE_PATTERN = r"^ *[A-Za-z0-9]{4}([ -]?[A-Za-z0-9]{4}){3} *$"


class FollowRequest(BaseModel):
    query_code: str = Field(
        max_length=64,
        pattern=QUERY_CODE_PATTERN,
        description="提交时获得的查询码：16 位字母和数字，如 ABCD-EFGH-JKLM-NPQR（可用空格或“-”分组，不区分大小写）",
    )


class Review(BaseModel):
    level: str
    requested_on: str
    decided_on: str
    opinion: str


class Extension(BaseModel):
    days: int
    reason: str


class AttachmentName(BaseModel):
    """A file the petitioner sent with the petition (download: POST /api/petitions/follow/attachment)."""

    n: int = Field(description="the file's number in the case, from 1")
    file_name: str
    media_type: str
    size_bytes: int


class PetitionCase(BaseModel):
    """A petition as its petitioner sees it (no personal data, no internal ids)."""

    number: str
    received_on: str
    channel: str
    category: str
    title: str
    state: str
    finished: bool
    awaiting: str = Field(description="what is awaited now, e.g. 承办单位办理")
    due: str = Field(description="by when (ISO date), '' when nothing runs")
    overdue: bool
    handling_body: str
    triage_notice: str
    transferred_to: str
    legal_route: str
    accepted_on: str
    handling_plan: str
    extension: Extension | None
    replied_on: str
    reply: str
    review_request_due: str
    reviews: list[Review]
    satisfaction: str
    may_rate: bool
    attachments: list[AttachmentName] = []


class AttachmentRequest(FollowRequest):
    n: int = Field(ge=1, le=100, description="the file's number in the case (attachments[].n)")


@router.get("/petitions/categories", response_model=list[Label], summary="信访事项的类别")
async def petition_categories():
    return [Label(code=code, name=name) for code, (_, name) in forms.CATEGORIES.items()]


@router.post(
    "/petitions/follow",
    response_model=PetitionCase,
    summary="凭查询码查询信访事项",
    responses={
        **BODY_RESPONSES,
        404: {"model": ApiError, "description": "没有与此查询码对应的信访事项"},
        429: {"model": ApiError, "description": "查询过于频繁"},
    },
)
async def follow_petition(body: FollowRequest, request: Request, portal: PortalDep):
    """The petitioner's own case by the query code given at intake. The code is in the body, never in
    the address; queries are rate-limited per address like the forms."""
    case = await _follow_by_code(
        portal,
        request,
        body,
        lambda code: portal.backends.call(
            portal.backends.petitions.FollowCase, petitions_pb2.FollowCaseRequest(query_code=code)
        ),
    )
    return views.petition_case(case, await portal.backends.organisation_names())


@router.post(
    "/petitions/follow/attachment",
    summary="凭查询码下载信访事项的附件",
    response_class=Response,
    responses={
        **BODY_RESPONSES,
        200: {"description": "附件文件（作为下载）", "content": {"application/octet-stream": {}}},
        404: {"model": ApiError, "description": "没有与此查询码对应的信访事项或附件"},
        429: {"model": ApiError, "description": "查询过于频繁"},
    },
)
async def follow_petition_attachment(body: AttachmentRequest, request: Request, portal: PortalDep):
    """One file the petitioner sent, by the query code and the file's number; counted and rate-limited
    like following by code (A71: only whoever holds the code gets it)."""
    case = await _follow_by_code(
        portal,
        request,
        body,
        lambda code: portal.backends.call(
            portal.backends.petitions.FollowCase, petitions_pb2.FollowCaseRequest(query_code=code)
        ),
    )
    if body.n > len(case.attachments):
        raise HTTPException(404, "未找到")
    try:
        file = await portal.backends.call(
            portal.backends.petitions.GetOwnAttachment,
            petitions_pb2.GetOwnAttachmentRequest(
                query_code=forms.normalise_query_code(body.query_code),
                attachment_id=case.attachments[body.n - 1].id,
            ),
        )
    except BackendError as error:
        raise api_error(error) from error
    return Response(
        file.content,
        media_type="application/octet-stream",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": uploads.content_disposition(file.file_name),
        },
    )


async def _follow_by_code(portal, request: Request, body: FollowRequest, lookup):
    """What a petition and an application have in common when followed by query code: the code's
    shape checked, look-ups rate-limited per address like the forms, and an unknown code answered
    404 without saying more."""
    code = forms.normalise_query_code(body.query_code)
    if not code:
        raise HTTPException(422, "查询码由 16 位字母和数字组成")
    if not await portal.limiter.allow(client_address(request, portal.settings.trust_forwarded_for), "follow"):
        raise HTTPException(429, "查询过于频繁", headers={"Retry-After": str(portal.limiter.retry_after())})
    try:
        return await lookup(code)
    except BackendError as error:
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            raise HTTPException(404, "未找到") from error
        raise api_error(error) from error


# ---- 政府信息公开 ------------------------------------------------------------------------------------

PAGE_TOKEN = r"^[A-Za-z0-9_\-=.]{1,300}$"


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


class ReportSummary(BaseModel):
    year: int
    published_on: str
    publish_by: str
    published_late: bool
    version: int


class ReportRow(BaseModel):
    label: str
    counts: list[int]


class RemedyRow(BaseModel):
    kind: str
    upheld: int
    corrected: int
    other: int
    pending: int
    total: int


class Report(ReportSummary):
    overview: str
    problems: str
    other_matters: str
    proactive: list[tuple[str, int | str]]
    proactive_entered: list[str] = Field(
        description="二、主动公开中由工作机构依据相关业务系统填报的项目；"
        "规章和规范性文件的数字由政府信息公开目录统计"
    )
    columns: list[str]
    rows: list[ReportRow]
    remedies: list[RemedyRow]


class Withheld(BaseModel):
    part: str
    exemption: str
    reason: str


class ApplicationReply(BaseModel):
    kind: str
    replied_on: str
    letter_number: str
    published_at: str
    provided: str
    reason: str
    exemption: str
    holder: str
    holder_contact: str
    earlier_application: str
    special_law: str
    withheld: list[Withheld]


class Completion(BaseModel):
    matters: str = Field(description="需要补正的事项")
    due: str
    completed_on: str


class ApplicationExtension(BaseModel):
    working_days: int
    notice: str


class Deferral(BaseModel):
    to: str
    notice: str


class ApplicationStatus(BaseModel):
    """An application for information as its applicant sees it (no applicant details)."""

    number: str
    state: str
    replied: bool
    submitted_on: str
    received_on: str
    reply_due: str
    reply_due_paused: bool
    reply_due_provisional: bool
    overdue: bool
    description: str
    document_number: str
    delivery_form: str
    completion: Completion | None
    extension: ApplicationExtension | None
    deferral: Deferral | None
    reply: ApplicationReply | None
    lapsed_on: str
    withdrawn_on: str = Field(description="撤回日期；未撤回为空")
    request_kind: str = Field(description="申请类型：获取政府信息（第二十七条）或更正记录（第四十一条）")
    may_complete: bool
    may_withdraw: bool


def _disclosure(portal) -> None:
    if dv is None or not portal.backends.has_publications:
        raise HTTPException(503, "服务暂时不可用")


async def _api_read(portal, method, request, not_found: str = "未找到", page: str | None = None):
    try:
        return await portal.backends.call(method, request)
    except BackendError as error:
        if error.code == grpc.StatusCode.NOT_FOUND:
            raise HTTPException(404, not_found) from error
        if error.code == grpc.StatusCode.INVALID_ARGUMENT and page:
            # a page token is opaque: only the service that wrote it can tell a stale or forged one
            raise ProblemWith(422, "请求参数不正确", {"page": BAD_PAGE}) from error
        raise api_error(error) from error


BAD_PAGE = "分页参数无效或已过期，请从第一页重新开始"
# A page token is the backend's (opaque): the schema gives its alphabet, only the server knows it.
PAGED = {CHECKED_BEYOND_SCHEMA: ["page"]}


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
    _disclosure(portal)
    return [Label(code=slug, name=name) for slug, (_, name) in dv.CATEGORIES.items()]


@router.get("/publications/latest", response_model=list[Publication], summary="最新公开的信息")
async def latest(portal: PortalDep, limit: int = Query(10, ge=1, le=50)):
    _disclosure(portal)
    reply = await _api_read(
        portal, portal.backends.publications.ListLatest, pb.ListLatestRequest(limit=limit)
    )
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
    _disclosure(portal)
    reply = await _api_read(
        portal,
        portal.backends.publications.ListPublications,
        pb.ListPublicationsRequest(
            filter=_filter(category, year, validity, kind, issuer),
            page=common_pb2.PageRequest(page_size=20, page_token=page or ""),
        ),
        page=page,
    )
    return {"items": [dv.publication(p) for p in reply.publications], "next_page": reply.page.next_page_token}


def api_publication_id(value: str) -> str:
    """A publication id from the path, or 404 (a malformed id names nothing, like an unknown one)."""
    try:
        return str(_uuid.UUID(value))
    except ValueError:
        raise HTTPException(404, "未找到") from None


@router.get(
    "/publications/{publication_id}",
    response_model=Publication,
    summary="一条公开信息（含解读与效力状态）",
    responses={404: {"model": ApiError, "description": "不存在或未公开"}},
)
async def publication(publication_id: str, portal: PortalDep):
    _disclosure(portal)
    return dv.publication(
        await _api_read(
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
    _disclosure(portal)
    query = forms.clean(q)
    if not query:  # only spaces or invisible characters: nothing to look for, so nothing is found
        return {"terms": [], "capped": False, "items": [], "next_page": ""}
    reply = await _api_read(
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
    _disclosure(portal)
    reply = await _api_read(
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
    _disclosure(portal)
    reply = await _api_read(
        portal, portal.backends.publications.GetNormativeCatalogue, pb.GetNormativeCatalogueRequest(year=year)
    )
    return [dv.publication(p) for p in reply.entries]


def _applications(portal) -> None:
    if dv is None or not portal.backends.has_applications:
        raise HTTPException(503, "服务暂时不可用")


@router.get("/reports", response_model=list[ReportSummary], summary="政府信息公开工作年度报告")
async def reports(portal: PortalDep):
    _applications(portal)
    reply = await _api_read(
        portal, portal.backends.applications.ListAnnualReports, apb.ListAnnualReportsRequest()
    )
    return [dv.report_summary(r) for r in reply.reports]


@router.get(
    "/reports/{year}",
    response_model=Report,
    summary="一个年度的报告",
    responses={404: {"model": ApiError, "description": "未发布"}},
)
async def report(portal: PortalDep, year: int = Path(ge=2000, le=2100)):
    _applications(portal)
    return dv.report(
        await _api_read(
            portal, portal.backends.applications.GetAnnualReport, apb.GetAnnualReportRequest(year=year)
        )
    )


@router.post(
    "/applications/follow",
    response_model=ApplicationStatus,
    summary="凭查询码查询政府信息公开申请",
    responses={
        **BODY_RESPONSES,
        404: {"model": ApiError, "description": "没有与此查询码对应的申请"},
        429: {"model": ApiError, "description": "查询过于频繁"},
    },
)
async def follow_application(body: FollowRequest, request: Request, portal: PortalDep):
    _applications(portal)
    found = await _follow_by_code(
        portal,
        request,
        body,
        lambda code: portal.backends.call(
            portal.backends.applications.FollowApplication, apb.FollowApplicationRequest(query_code=code)
        ),
    )
    return dv.application(found)


IDEMPOTENCY_KEY = r"^[A-Za-z0-9_-]{8,64}$"


class ApplicationForm(BaseModel):
    """An application for government information (条例第二十九条) filed without an account; the same
    checks and Chinese messages as the portal's form."""

    kind: Literal["person", "enterprise", "research", "welfare", "legal", "other"] = Field(
        description="申请人类型：person 公民，enterprise 商业企业，research 科研机构，welfare 社会公益组织，"
        "legal 法律服务机构，other 其他组织"
    )
    name: str = Field(min_length=1, max_length=200, description="姓名或名称")
    id_number: str = Field(
        max_length=64,
        pattern=r"^[0-9A-Za-z]{5,64}$",
        description="身份证件号码或统一社会信用代码（5 至 64 位字母或数字；18 位居民身份证号须校验正确）",
    )
    contact_person: str = Field("", max_length=200, description="联系人（法人或其他组织必填）")
    phone: str = Field("", max_length=20, pattern=forms.OPTIONAL_PHONE_PATTERN)
    email: str = Field("", max_length=200, pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")
    address: str = Field("", max_length=200)
    description: str = Field(
        min_length=1, max_length=5000, description="所需政府信息的名称、文号或者便于查询的其他特征性描述"
    )
    document_number: str = Field("", max_length=100)
    purpose: str = Field("", max_length=5000)
    delivery_form: Literal["download", "email", "post", "collect", "media", "reading"] = Field(
        description="获取信息的方式：download 网上下载，email 电子邮件，post 纸质邮寄，collect 纸质自行领取，"
        "media 光盘等电子介质，reading 当场阅读"
    )
    idempotency_key: str | None = Field(
        None, pattern=IDEMPOTENCY_KEY, description="同 Idempotency-Key 请求头（二者都有时须相同）"
    )


class ApplicationFiled(BaseModel):
    number: str = Field(description="申请编号，如 YSQ2026000012")
    state: str
    submitted_on: str
    query_code: str = Field(description="查询码，只返回这一次（系统只保存其摘要）；replayed 为 true 时为空")
    replayed: bool = Field(
        description="同一 Idempotency-Key 此前已提交过这份申请：返回的是那一份，没有重复提交"
    )
    message: str


# The application's fields whose rules a JSON schema cannot say (422 naming the field): text that is
# only spaces or invisible characters, the check digit and birth date of a resident identity number,
# the contact person of an organisation, at least one of telephone, e-mail and address, the e-mail or
# address the chosen delivery needs, the same idempotency key in the body as in the header.
APPLICATION_CHECKED_BEYOND_SCHEMA = [
    "idempotency_key",
    "name",
    "id_number",
    "contact_person",
    "phone",
    "email",
    "address",
    "description",
    "document_number",
    "purpose",
]

REPLAYED = (
    "这份申请此前已用同一 Idempotency-Key 提交（编号 {number}），本次没有重复提交。查询码只在第一次提交时"
    "返回一次，系统只保存其摘要，无法再次返回；请使用第一次返回的查询码。"
)
FILED = (
    "申请已提交。请保存查询码：凭它查询办理进度、补正、撤回和下载答复书。工作机构确认收到后开始计算答复期限。"
)


@router.post(
    "/applications",
    response_model=ApplicationFiled,
    status_code=201,
    summary="提交政府信息公开申请（无账号，凭查询码查询）",
    openapi_extra={CHECKED_BEYOND_SCHEMA: APPLICATION_CHECKED_BEYOND_SCHEMA},
    responses={
        **BODY_RESPONSES,
        200: {"model": ApplicationFiled, "description": "同一 Idempotency-Key 的重复提交：此前的申请"},
        409: {"model": ApiError, "description": "Idempotency-Key 已用于内容不同的申请"},
        429: {"model": ApiError, "description": "提交过于频繁"},
    },
)
async def submit_application(
    body: ApplicationForm,
    request: Request,
    response: Response,
    portal: PortalDep,
    # str, not str | None: the schema then says "a string of this pattern, or absent", not "or null"
    idempotency_key: str = Header(
        None,
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY,
        description="8–64 位字母、数字、_ 或 -；网络重试时带同一个值，不会重复提交",
    ),
):
    """Filed through the portal's own identity, like the form without an account. Send an
    Idempotency-Key (header or body): a retry with the same key and the same content returns the
    application first filed (200, `replayed`) instead of filing a second."""
    from services.portal.disclosure_pages import submit_request

    _applications(portal)
    if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
        return JSONResponse(
            {
                "detail": "请求参数不正确",
                "fields": [{"field": "idempotency_key", "problem": "与 Idempotency-Key 请求头不同"}],
            },
            status_code=422,
        )
    key = idempotency_key or body.idempotency_key or ""
    checked = forms.check_application(
        {k: v for k, v in body.model_dump().items() if isinstance(v, str)},
        dv.APPLICANT_KINDS,
        dv.DELIVERY_FORMS,
    )
    if not checked.ok:
        return JSONResponse(
            {
                "detail": "请求参数不正确",
                "fields": [{"field": name, "problem": problem} for name, problem in checked.errors.items()],
            },
            status_code=422,
        )
    if not await portal.limiter.allow(
        client_address(request, portal.settings.trust_forwarded_for), "application"
    ):
        raise HTTPException(429, "提交过于频繁", headers={"Retry-After": str(portal.limiter.retry_after())})
    try:
        filed = await portal.backends.call(
            portal.backends.applications.SubmitApplication, submit_request(checked.values, key)
        )
    except BackendError as error:
        if error.code == grpc.StatusCode.INVALID_ARGUMENT and "idempotency_key" in error.fields:
            raise HTTPException(409, "此 Idempotency-Key 已用于内容不同的申请，未提交") from error
        raise api_error(error) from error
    shown = dv.application(filed.application)
    if filed.replayed:
        response.status_code = 200
    return ApplicationFiled(
        number=shown["number"],
        state=shown["state"],
        submitted_on=shown["submitted_on"],
        query_code=filed.query_code,
        replayed=filed.replayed,
        message=REPLAYED.format(number=shown["number"]) if filed.replayed else FILED,
    )
