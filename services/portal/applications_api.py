"""The JSON API of applications for government information (依申请公开): one followed by its query
code, one filed without an account (idempotent with an Idempotency-Key)."""

from __future__ import annotations

from typing import Literal

import grpc
from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.portal import forms
from services.portal.applications_pages import submit_request
from services.portal.api import (
    BODY_RESPONSES,
    CHECKED_BEYOND_SCHEMA,
    COMMON_RESPONSES,
    ApiError,
    FollowRequest,
    follow_by_code,
    need_applications,
)
from services.portal.backends import BackendError
from services.portal.web import PortalDep, api_error, client_address, text_fields

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import applications_pb2 as apb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = apb = None

router = APIRouter(prefix="/api", responses=COMMON_RESPONSES)


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
    need_applications(portal)
    found = await follow_by_code(
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
    need_applications(portal)
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
        text_fields(body.model_dump()),
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
