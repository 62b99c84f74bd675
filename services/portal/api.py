"""The JSON API (/api): the same reads as the pages, and an application for information filed without
an account (idempotent with an Idempotency-Key), described by /api/openapi.json.

No cookies, no session: every read goes out with the portal's own service account, so the API
shows only what is public, and a case only to whoever holds its query code.

This module holds what the API's modules share: the refusal (ApiError) and the answers every
operation may give, following by query code, reading a backend. The routes are by aggregate:
petitions_api.py (petitions: filed and followed), publications_api.py (publications, search, drafts,
the normative catalogue), reports_api.py (the yearly reports), applications_api.py (applications for
information), disclosure_lists.py (issuers, the account of comments on a draft).
"""

from __future__ import annotations

import uuid as _uuid

import grpc
from fastapi import HTTPException, Request
from pydantic import BaseModel, Field

from services.portal import forms
from services.portal.backends import BackendError
from services.portal.web import api_error, client_address

try:
    from services.portal import disclosure_views as dv
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = None


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


async def follow_by_code(portal, request: Request, body: FollowRequest, lookup):
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


# ---- reading 政府信息公开 -------------------------------------------------------------------------------


def need_disclosure(portal) -> None:
    if dv is None or not portal.backends.has_publications:
        raise HTTPException(503, "服务暂时不可用")


def need_applications(portal) -> None:
    if dv is None or not portal.backends.has_applications:
        raise HTTPException(503, "服务暂时不可用")


async def api_read(portal, method, request, not_found: str = "未找到", page: str | None = None):
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
PAGE_TOKEN = r"^[A-Za-z0-9_\-=.]{1,300}$"


def api_publication_id(value: str) -> str:
    """A publication id from the path, or 404 (a malformed id names nothing, like an unknown one)."""
    try:
        return str(_uuid.UUID(value))
    except ValueError:
        raise HTTPException(404, "未找到") from None
