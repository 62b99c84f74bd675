"""发布机构 (issuers with their numbers of publications) and the A22 account of comments on a draft
(意见采纳情况): the page and the JSON API routes. Responses to public concerns (回应关切, A70) are a
kind of publication: /publications?kind=responses and /api/publications?kind=responses.
"""

from __future__ import annotations

import time
import weakref

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from services.portal.api import COMMON_RESPONSES, ApiError, api_publication_id, api_read, need_disclosure
from services.portal.disclosure_pages import need, read
from services.portal.publications_api import CommentFeedback
from services.portal.web import Portal, PortalDep, VisitorDep, render

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import publications_pb2 as pb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = pb = None

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", responses=COMMON_RESPONSES)

# The issuers' counts change slowly and are one pass over every publication: kept a minute per portal.
ISSUERS_SECONDS = 60.0
_issuers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def issuers_of(portal: Portal, read) -> list[dict]:
    cached = _issuers.get(portal.backends)
    if cached and time.monotonic() - cached[0] < ISSUERS_SECONDS:
        return cached[1]
    reply = await read(portal, portal.backends.publications.ListIssuers, pb.ListIssuersRequest())
    items = [dv.issuer(i) for i in reply.issuers]
    _issuers[portal.backends] = (time.monotonic(), items)
    return items


@router.get("/issuers", response_class=HTMLResponse)
async def issuers_page(portal: PortalDep, visitor: VisitorDep):
    need(portal)
    return render(portal, visitor, "disclosure/issuers.html", issuers=await issuers_of(portal, read))


# ---- JSON API ---------------------------------------------------------------------------------------


class IssuerCount(BaseModel):
    code: str = Field(description="机构代码，用于 /api/publications?issuer=；为空时不能按机构筛选")
    name: str
    count: int


@api_router.get("/issuers", response_model=list[IssuerCount], summary="发布机构及其公开信息数量")
async def issuers(portal: PortalDep):
    need_disclosure(portal)
    return await issuers_of(portal, lambda portal, method, request: api_read(portal, method, request))


@api_router.get(
    "/drafts/{publication_id}/feedback",
    response_model=CommentFeedback,
    summary="征求意见稿的意见采纳情况（征集结束后由起草单位公布）",
    responses={404: {"model": ApiError, "description": "不是征求意见稿，或尚未公布采纳情况"}},
)
async def comment_feedback(publication_id: str, portal: PortalDep):
    need_disclosure(portal)
    p = await api_read(
        portal,
        portal.backends.publications.GetPublication,
        pb.GetPublicationRequest(publication_id=api_publication_id(publication_id)),
    )
    if p.kind != pb.PUBLICATION_KIND_COMMENT_DRAFT or not p.comment_feedback.version:
        raise HTTPException(404, "尚未公布意见采纳情况")
    return dv.comment_feedback(p.comment_feedback)
