"""The JSON API of petitions: the online petition (网上信访) without an account, POST /api/petitions
with files as base64; the petitioner's own case and its files followed by the query code
(POST /api/petitions/follow, /api/petitions/follow/attachment); the categories.

Like the form without an account: filed through the portal's own identity (`petition:submit-anonymous`),
followed only by the query code returned once, rate-limited per address with the form. The body is
refused (413) before it is read when its Content-Length is too large, and as soon as more has
arrived when it has none (CappedRoute): JSON with base64 files is at most 4/3 of the files' 20 MiB
plus the text.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

import grpc
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal import forms, uploads, views
from services.portal.api import (
    BODY_RESPONSES,
    CHECKED_BEYOND_SCHEMA,
    COMMON_RESPONSES,
    ApiError,
    FollowRequest,
    Label,
    follow_by_code,
)
from services.portal.backends import BackendError
from services.portal.web import PortalDep, api_error, client_address, text_fields
from zgov.petitions.v1 import petitions_pb2

# Base64 makes 3 bytes 4 characters; the text fields and JSON framing fit in the extra MiB.
MAX_JSON_BYTES = uploads.MAX_TOTAL_BYTES * 4 // 3 + uploads.MIB
MAX_BASE64 = (uploads.MAX_FILE_BYTES + 2) // 3 * 4


def _too_large() -> JSONResponse:
    return JSONResponse(
        {"detail": uploads.TOO_LARGE, "fields": []}, status_code=413, headers={"Connection": "close"}
    )


class CappedRoute(APIRoute):
    """A route whose request body is capped at MAX_JSON_BYTES before FastAPI reads and parses it."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def capped(request: Request):
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
                return _too_large()
            try:
                return await handler(Request(request.scope, uploads._capped(request.receive, MAX_JSON_BYTES)))
            except uploads.BodyTooLarge:
                return _too_large()
            except StarletteHTTPException as error:  # FastAPI wraps a failure while reading the body
                if isinstance(error.__cause__, uploads.BodyTooLarge):
                    return _too_large()
                raise

        return capped


router = APIRouter(prefix="/api", route_class=CappedRoute, responses=COMMON_RESPONSES)


# ---- following a petition by its query code ---------------------------------------------------------

# Not a CappedRoute: a follow-up's small body falls under body_limit.py's default cap.
follow_router = APIRouter(prefix="/api", responses=COMMON_RESPONSES)


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


@follow_router.get("/petitions/categories", response_model=list[Label], summary="信访事项的类别")
async def petition_categories():
    return [Label(code=code, name=name) for code, (_, name) in forms.CATEGORIES.items()]


@follow_router.post(
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
    case = await follow_by_code(
        portal,
        request,
        body,
        lambda code: portal.backends.call(
            portal.backends.petitions.FollowCase, petitions_pb2.FollowCaseRequest(query_code=code)
        ),
    )
    return views.petition_case(case, await portal.backends.organisation_names())


@follow_router.post(
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
    case = await follow_by_code(
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


# ---- filing a petition without an account -----------------------------------------------------------


class AttachmentUpload(BaseModel):
    file_name: str = Field(min_length=1, max_length=uploads.MAX_FILE_NAME, description="文件名，如 收据.jpg")
    media_type: str = Field("", max_length=128, description="如 image/jpeg；留空时按扩展名判断")
    content_base64: str = Field(min_length=1, max_length=MAX_BASE64, description="文件内容（标准 Base64）")


class PetitionForm(BaseModel):
    """What the form without an account asks (网上信访), with at most 10 files (10 MB each, 20 MB in all)."""

    category: Literal["suggestion", "complaint", "request"] = Field(
        description="建议意见、检举控告或申诉求决"
    )
    title: str = Field(min_length=1, max_length=forms.MAX_TITLE)
    content: str = Field(min_length=1, max_length=forms.MAX_CONTENT)
    name: str = Field(min_length=1, max_length=forms.MAX_NAME, description="信访人姓名")
    phone: str = Field(max_length=20, pattern=forms.PHONE_PATTERN, description="联系电话")
    id_number: str = Field(
        "",
        max_length=32,
        pattern=r"^([0-9A-Za-z]{5,32})?$",
        description="证件号码（选填；18 位居民身份证号须校验正确）",
    )
    address: str = Field("", max_length=forms.MAX_ADDRESS)
    body: str = Field(
        "",
        max_length=64,
        pattern=r"^([a-z][a-z0-9-]{1,63})?$",
        description="被反映单位的机构代码（选填，须为本市的单位）",
    )
    person: str = Field("", max_length=200, description="被反映人（选填）")
    attachments: list[AttachmentUpload] = Field([], max_length=uploads.MAX_FILES)


# Checked by the server beyond what the schema can say (422 naming the field): text that is only
# spaces or invisible characters, a resident identity number's check digit and birth date, a body
# that is one of the city's, and the files (Base64, content matching the type, sizes).
PETITION_CHECKED_BEYOND_SCHEMA = ["title", "content", "name", "id_number", "body", "attachments"]


class PetitionFiled(BaseModel):
    number: str
    received_on: str
    state: str
    query_code: str = Field(description="只返回这一次：凭它查询办理进度（POST /api/petitions/follow）")
    attachments: list[AttachmentName]


def _problems(errors: dict[str, str]) -> JSONResponse:
    return JSONResponse(
        {
            "detail": "请求参数不正确",
            "fields": [{"field": name, "problem": problem} for name, problem in errors.items()],
        },
        status_code=422,
    )


@router.post(
    "/petitions",
    response_model=PetitionFiled,
    status_code=201,
    summary="网上信访（无账号，凭查询码查询）",
    openapi_extra={CHECKED_BEYOND_SCHEMA: PETITION_CHECKED_BEYOND_SCHEMA},
    responses={
        **BODY_RESPONSES,
        413: {"model": ApiError, "description": "请求体（附件）过大"},
        429: {"model": ApiError, "description": "提交过于频繁"},
    },
)
async def submit_petition(body: PetitionForm, request: Request, portal: PortalDep):
    """A petition with its files (base64). The petitioner's identity and the files are seen only by the
    petition bureau and the body assigned to handle it (A71); the answer names no internal id."""
    organisations = await portal.backends.organisation_names()
    checked = forms.check_petition(text_fields(body.model_dump()), organisations or None)
    decoded = []
    for i, a in enumerate(body.attachments):
        try:
            decoded.append((a.file_name, a.media_type, base64.b64decode(a.content_base64, validate=True)))
        except (binascii.Error, ValueError):
            return _problems(
                {**checked.errors, f"attachments[{i}].content_base64": "不是有效的 Base64 内容。"}
            )
    files = uploads.check_files(decoded)
    errors = dict(checked.errors)
    if files.error:
        errors["attachments"] = files.error
    if errors:
        return _problems(errors)
    if not await portal.limiter.allow(
        client_address(request, portal.settings.trust_forwarded_for), "petition"
    ):
        raise HTTPException(429, "提交过于频繁", headers={"Retry-After": str(portal.limiter.retry_after())})
    intake = forms.petition_intake(checked.values)
    intake.attachments.extend(files.attachments)
    try:
        filed = await portal.backends.call(
            portal.backends.petitions.SubmitPetition, petitions_pb2.SubmitPetitionRequest(intake=intake)
        )
    except BackendError as error:
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            file_error = uploads.backend_file_errors(error.fields, files.attachments)
            fields = {
                forms.PETITION_FIELDS.get(k, k): "未被受理，请检查后重新填写。"
                for k in error.fields
                if not k.startswith("intake.attachments")
            }
            return _problems({**fields, **({"attachments": file_error} if file_error else {})})
        raise api_error(error) from error
    case = views.petition_case(filed.case, organisations)
    return PetitionFiled(
        number=case["number"],
        received_on=case["received_on"],
        state=case["state"],
        query_code=filed.query_code,
        attachments=case["attachments"],
    )
