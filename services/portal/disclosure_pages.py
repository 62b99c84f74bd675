"""政府信息公开 pages: what the pages of publications (publications_pages.py), of the yearly reports
(reports_pages.py), of applications for information (applications_pages.py) and of the issuers
(disclosure_lists.py) share: whether disclosure is there, and a read answered with a page on failure.

Reads go out with the portal's service account (or the logged-in citizen's token for his or her own
applications); the query code travels in POST bodies only, as on the petition pages.
"""

from __future__ import annotations

import grpc

from services.portal.backends import BackendError
from services.portal.web import PageError, Portal, unavailable

try:
    from services.portal import disclosure_views as dv
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = None


def available(portal: Portal) -> bool:
    return dv is not None and portal.backends.has_publications


def applications_available(portal: Portal) -> bool:
    return dv is not None and portal.backends.has_applications


def need(portal: Portal, applications: bool = False) -> None:
    if not available(portal) or (applications and not applications_available(portal)):
        raise PageError(503, "栏目即将开通", "政府信息公开栏目正在建设中，请稍后访问。")


async def read(portal: Portal, method, request, token: str | None = None):
    try:
        return await portal.backends.call(method, request, token)
    except BackendError as error:
        if error.code == grpc.StatusCode.NOT_FOUND:
            raise PageError(404, "信息不存在", "您查找的政府信息不存在或已撤下。") from error
        if error.code == grpc.StatusCode.INVALID_ARGUMENT:
            raise PageError(400, "请求不正确", "请检查输入的条件，或从页面上的链接进入。") from error
        raise unavailable(error) from error
