"""The portal's request plumbing shared by every page: the visitor, templates, CSRF, rate limits,
error pages. Routers get the running `Portal` and the `Visitor` through FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import grpc
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader

from services.portal.auth import CitizenSession, KeycloakLogin
from services.portal.backends import BackendError, Backends
from services.portal.config import PortalSettings
from services.portal.security import Signer
from services.portal.store import (
    MemoryRateLimiter,
    MemoryReceipts,
    MemorySessions,
    PgRateLimiter,
    PgReceipts,
    PgSessions,
)
from services.portal.site import display_of, site_of

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Portal:
    """Everything a request needs, made once per process (create_app)."""

    settings: PortalSettings
    signer: Signer
    sessions: PgSessions | MemorySessions
    login: KeycloakLogin
    backends: Backends
    limiter: PgRateLimiter | MemoryRateLimiter
    templates: Environment
    # the pages after a filing (receipt_pages.py)
    receipts: PgReceipts | MemoryReceipts


def make_templates() -> Environment:
    # Autoescape on for every template: whatever a visitor or a backend wrote is shown as text.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    return env


@dataclass
class Visitor:
    sid: str
    csrf: str
    address: str
    citizen: CitizenSession | None
    # 长辈版 / high contrast (site_pages.DISPLAY_COOKIE), and the page's path for the links that switch them.
    display: frozenset[str] = frozenset()
    path: str = "/"
    # What the visitor typed into the form being handled (check_csrf keeps it), for an error page that
    # shows it back rather than losing it (expired page, too many submissions).
    typed: dict = field(default_factory=dict)

    @property
    def logged_in(self) -> bool:
        return self.citizen is not None


def get_portal(request: Request) -> Portal:
    return request.app.state.portal


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.client.host if request.client else "unknown"


async def citizen_of(request: Request, portal: Portal) -> CitizenSession | None:
    """The citizen signed in under this request's visitor id. An id minted by this very request (a
    first visit, no cookie) has no session yet: it is not looked up, so an anonymous first visit costs
    the portal's database nothing (PgSessions.citizen is a write, the session's last-seen); one the
    caching middleware looked up already is not looked up again."""
    if getattr(request.state, "new_visitor", False):
        return None
    looked_up = getattr(request.state, "citizen_looked_up", None)  # by the caching middleware (app.py)
    if looked_up is not None and looked_up[0] == request.state.sid:
        return looked_up[1]
    return await portal.sessions.citizen(request.state.sid)


async def get_visitor(request: Request, portal: Annotated[Portal, Depends(get_portal)]) -> Visitor:
    sid = request.state.sid
    return Visitor(
        sid=sid,
        csrf=portal.signer.csrf_token(sid),
        address=client_address(request, portal.settings.trust_forwarded_for),
        citizen=await citizen_of(request, portal),
        display=display_of(request),
        path=request.url.path,
    )


PortalDep = Annotated[Portal, Depends(get_portal)]
VisitorDep = Annotated[Visitor, Depends(get_visitor)]


# Form fields never shown back: tokens of the form itself.
NOT_SHOWN_BACK = ("csrf", "idempotency_key")


class PageError(Exception):
    """Ends a request with an error page (status, Chinese title and explanation); `typed`: the form's
    text as the visitor typed it, shown back on the page with a way back to the form."""

    def __init__(
        self, status: int, title: str, message: str, headers: dict | None = None, typed: dict | None = None
    ):
        super().__init__(title)
        self.status, self.title, self.message, self.headers = status, title, message, headers or {}
        self.typed = {
            k: v
            for k, v in (typed or {}).items()
            if k not in NOT_SHOWN_BACK and isinstance(v, str) and v.strip()
        }


def render(
    portal: Portal, visitor: Visitor, name: str, status: int = 200, headers: dict | None = None, **context
) -> HTMLResponse:
    template = portal.templates.get_template(name)
    context.setdefault("site", site_of(portal.settings))
    # the case pages offer the notification consent when notify is wired (consent_pages.py)
    context.setdefault("consent_offered", portal.backends.notify is not None)
    html = template.render(visitor=visitor, csrf=visitor.csrf, **context)
    return HTMLResponse(html, status_code=status, headers=headers)


def text_fields(form) -> dict[str, str]:
    """A posted form's text fields (uploaded files left out)."""
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def text_form(request: Request) -> dict[str, str]:
    """The text fields of the request's posted form."""
    return text_fields(await request.form())


def check_csrf(portal: Portal, visitor: Visitor, form) -> None:
    visitor.typed = text_fields(form)
    if not portal.signer.csrf_ok(visitor.sid, form.get("csrf")):
        raise PageError(
            403,
            "页面已过期",
            "为保护您的安全，页面过期后不能直接提交。您填写的内容在下面，可以复制后返回表单重新提交。",
            typed=visitor.typed,
        )


async def limit_writes(portal: Portal, visitor: Visitor, kind: str) -> None:
    if not await portal.limiter.allow(visitor.address, kind):
        wait = portal.limiter.retry_after()
        raise PageError(
            429,
            "提交过于频繁",
            f"为防止滥用，同一网络地址短时间内提交次数有限。请约 {wait} 秒后再试；"
            "您填写的内容在下面，可以复制后返回表单重新提交。",
            {"Retry-After": str(wait)},
            typed=visitor.typed,
        )


def unavailable(error: BackendError) -> PageError:
    if error.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return PageError(
            429, "提交过于频繁", "今天通过本账号提交的次数已达上限，请明天再试，或拨打 12345 热线。"
        )
    if error.code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return PageError(403, "无权查看", "您没有查看此项内容的权限。如已登录，请退出后重新登录。")
    return PageError(503, "服务暂时不可用", "系统正忙或正在维护，您填写的内容未被提交。请稍后再试。")


def api_error(error: BackendError) -> HTTPException:
    if error.code == grpc.StatusCode.NOT_FOUND:
        return HTTPException(404, "未找到")
    if error.code == grpc.StatusCode.INVALID_ARGUMENT:
        return HTTPException(422, "请求参数不正确")
    if error.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return HTTPException(429, "请求过于频繁")
    if error.code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return HTTPException(403, "无权查看")
    return HTTPException(503, "服务暂时不可用")


async def citizen_token(portal: Portal, visitor: Visitor) -> str | None:
    """The logged-in citizen's access token (refreshed when needed); None for anonymous visitors.
    A session whose refresh fails ends: the citizen logs in again."""
    if visitor.citizen is None:
        return None
    before = visitor.citizen.access_token
    try:
        token = await portal.login.fresh_token(visitor.citizen)
    except Exception:  # noqa: BLE001 - any failure to refresh means: logged out
        await portal.sessions.end(visitor.sid)
        raise PageError(401, "登录已过期", "您的登录已过期，请重新登录后再试。") from None
    if token != before:  # refreshed: every replica must see the new tokens
        await portal.sessions.keep(visitor.sid, visitor.citizen)
    return token
