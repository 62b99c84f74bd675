"""The citizens' portal (资阳市人民政府门户): FastAPI, pages rendered on the server, a JSON API.

    app = create_app(PortalSettings())        # uvicorn runs it (__main__.py)

Pages work without JavaScript (there is none) and on a phone; the JSON API under /api has its
OpenAPI document at /api/openapi.json.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.portal import (
    api,
    applications_api,
    applications_pages,
    complaint_pages,
    consent_pages,
    developers,
    receipt_pages,
    disclosure_lists,
    disclosure_pages,
    forms,
    petitions_api,
    petitions_pages,
    publications_api,
    publications_pages,
    reconsideration_pages,
    reports_api,
    reports_pages,
    site_pages,
)
from services.portal.auth import KeycloakLogin, LoginFailed, PendingLogin, pkce_pair, safe_return_path
from services.portal.backends import Backends
from services.portal.caching import INCOMPLETE, HttpCaching
from services.portal.open_data import pages as open_data_pages
from services.portal.body_limit import BodyLimit
from services.portal.config import PortalSettings
from services.portal.security import COOKIE, Signer, security_headers
from services.portal.store import (
    MemoryRateLimiter,
    MemoryReceipts,
    MemorySessions,
    PgRateLimiter,
    PgReceipts,
    PgSessions,
    Sealer,
)
from services.portal.web import (
    PageError,
    Portal,
    PortalDep,
    Visitor,
    VisitorDep,
    check_csrf,
    citizen_of,
    client_address,
    make_templates,
    render,
)
from shared.db import engine_from
from shared.logging import get_logger
from shared.migrations import run_migrations
from shared.sweep import SweepLeader, run_every

log = get_logger(__name__)
STATIC = Path(__file__).parent / "static"
MIGRATIONS = Path(__file__).parent / "migrations"
# Expired sessions, logins and buckets are deleted this often (by one replica: SweepLeader).
CLEANUP_SECONDS = 300.0


def _signing_key(settings: PortalSettings) -> bytes:
    if settings.session_secret:
        return settings.session_secret.get_secret_value().encode()
    if settings.client_secret:
        # A key of its own, derived: the cookie MAC never reveals anything about the client secret.
        return hashlib.sha256(
            b"zgov-portal-session:" + settings.client_secret.get_secret_value().encode()
        ).digest()
    return secrets.token_bytes(32)


def _shared_state(settings: PortalSettings, key: bytes):
    """(engine, sessions, limiter, receipts): in the portal's PostgreSQL when it has one (every
    deployment: replicas share them), else in this process (development, the page tests)."""
    if not settings.database_url:
        return (
            None,
            MemorySessions(settings.session_idle_seconds),
            MemoryRateLimiter(settings.write_burst, settings.writes_per_minute),
            MemoryReceipts(settings.receipt_days),
        )
    engine = engine_from(settings)
    return (
        engine,
        PgSessions(engine, Sealer(key), settings.session_idle_seconds),
        PgRateLimiter(engine, settings.write_burst, settings.writes_per_minute),
        PgReceipts(engine, Sealer(key), settings.receipt_days),
    )


def _form_page(request: Request) -> str:
    """The page of the form a refused POST came from, when that address shows a page (GET)."""
    if request.method != "POST":
        return ""
    scope = {**request.scope, "method": "GET"}
    for route in request.app.router.routes:
        if route.matches(scope)[0] is Match.FULL:
            return request.url.path
    return ""


def create_app(settings: PortalSettings) -> FastAPI:
    backends = Backends(settings)
    secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
    key = _signing_key(settings)
    engine, sessions, limiter, receipts = _shared_state(settings, key)
    portal = Portal(
        settings=settings,
        signer=Signer(key),
        sessions=sessions,
        login=KeycloakLogin(
            settings.keycloak_url,
            settings.browser_keycloak_url,
            settings.keycloak_realm,
            settings.client_id,
            secret,
            issuer_url=settings.keycloak_issuer_url,
        ),
        backends=backends,
        limiter=limiter,
        templates=make_templates(),
        receipts=receipts,
    )

    async def forget_expired() -> int:
        return await sessions.forget_expired() + await receipts.forget_expired()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        cleanup = None
        if engine is not None:
            await run_migrations(settings.database_url, MIGRATIONS)
            cleanup = asyncio.create_task(
                run_every(
                    CLEANUP_SECONDS,
                    forget_expired,
                    name="portal cleanup",
                    leader=SweepLeader(engine, "portal.cleanup"),
                )
            )
        await backends.open()
        yield
        await backends.close()
        if cleanup is not None:
            cleanup.cancel()
            with suppress(asyncio.CancelledError):
                await cleanup
            await engine.dispose()

    app = FastAPI(
        title="资阳市人民政府门户 JSON API",
        version="1.0.0",
        lifespan=lifespan,
        description="政府信息公开与信访查询的只读接口（查询码查询除外）。No JavaScript, no docs UI: the OpenAPI "
        "document is at /api/openapi.json.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.portal = portal
    headers = security_headers(settings.browser_keycloak_url)
    # Inside the cookie-and-headers middleware below (added later = outer), so a 413 has the headers too.
    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def visitor_cookie_and_headers(request: Request, call_next):
        sid = portal.signer.visitor_of(request.cookies.get(COOKIE))
        new_cookie = None
        if sid is None:
            sid, new_cookie = portal.signer.new_visitor()
        request.state.sid = sid
        request.state.new_visitor = new_cookie is not None
        response = await call_next(request)
        if getattr(request.state, "rotated_cookie", None):
            new_cookie = request.state.rotated_cookie
        if new_cookie and not request.url.path.startswith(("/static/", "/api/", "/healthz")):
            response.set_cookie(
                COOKIE, new_cookie, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
            )
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-cache")
        return response

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError):
        visitor = Visitor(
            request.state.sid,
            portal.signer.csrf_token(request.state.sid),
            client_address(request, settings.trust_forwarded_for),
            await citizen_of(request, portal),
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": error.title}, status_code=error.status, headers=error.headers)
        headers = {**error.headers, **({"Cache-Control": "no-store"} if error.typed else {})}
        return render(
            portal,
            visitor,
            "error.html",
            error.status,
            headers=headers,
            title=error.title,
            message=error.message,
            login=error.status == 401,
            typed=error.typed,
            labels=forms.FIELD_LABELS,
            back=_form_page(request),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if request.url.path.startswith("/api/"):
            detail = error.detail
            if error.status_code == 400:  # FastAPI could not parse the body; its own text is English
                detail = api.UNPARSABLE
            fields = getattr(error, "fields", None)
            return JSONResponse(
                {"detail": detail, **({"fields": fields} if fields else {})},
                status_code=error.status_code,
                headers=getattr(error, "headers", None),
            )
        titles = {
            404: ("页面不存在", "您访问的页面不存在，请检查网址，或从首页重新进入。"),
            405: ("不支持的操作", "请从页面上的链接或按钮进入。"),
        }
        title, message = titles.get(error.status_code, ("出错了", "请求未能完成，请稍后再试。"))
        return await page_error(request, PageError(error.status_code, title, message))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        if request.url.path.startswith("/api/"):
            fields = [
                {"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]} for e in error.errors()
            ]
            return JSONResponse({"detail": "请求参数不正确", "fields": fields}, status_code=422)
        return await page_error(request, PageError(400, "请求不正确", "请从页面上的链接或表单进入。"))

    # Outermost: public reads cached (ETag, 304, kept a few seconds), signed-in pages never (caching.py).
    async def signed_in(request: Request) -> bool:
        sid = portal.signer.visitor_of(request.cookies.get(COOKIE))
        citizen = await portal.sessions.citizen(sid)
        request.state.citizen_looked_up = (sid, citizen)  # the page's visitor reuses it (web.citizen_of)
        return citizen is not None

    app.add_middleware(HttpCaching, signed_in=signed_in, stale=settings.portal_stale_seconds)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(petitions_pages.router)
    app.include_router(reconsideration_pages.router)
    app.include_router(publications_pages.router)
    app.include_router(reports_pages.router)
    app.include_router(applications_pages.router)
    # The API's routes in the order of its OpenAPI document (petitions followed, publications, reports,
    # applications, a petition filed, the lists); /publications/latest before /publications/{id}.
    app.include_router(petitions_api.follow_router)
    app.include_router(publications_api.router)
    app.include_router(reports_api.router)
    app.include_router(applications_api.router)
    app.include_router(petitions_api.router)
    app.include_router(disclosure_lists.router)
    app.include_router(disclosure_lists.api_router)
    app.include_router(developers.router)
    app.include_router(open_data_pages.router)
    app.include_router(site_pages.router)
    app.include_router(complaint_pages.router)
    app.include_router(receipt_pages.router)
    app.include_router(consent_pages.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return PlainTextResponse("ok")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(portal: PortalDep, visitor: VisitorDep):
        latest = await publications_pages.latest_publications(portal, 8)
        return render(
            portal,
            visitor,
            "home.html",
            headers=INCOMPLETE if latest is None else None,
            latest=latest,
            disclosure=disclosure_pages.available(portal),
        )

    # ---- login through Keycloak ------------------------------------------------------------------

    async def _start(visitor: Visitor, next_path: str | None, register: bool) -> RedirectResponse:
        verifier, challenge = pkce_pair()
        login = PendingLogin(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=verifier,
            return_to=safe_return_path(next_path),
        )
        await portal.sessions.start_login(visitor.sid, login)
        redirect_uri = f"{settings.public_url}/auth/callback"
        url = (portal.login.registration_url if register else portal.login.authorize_url)(
            redirect_uri, login, challenge
        )
        return RedirectResponse(url, status_code=303)

    @app.get("/login", include_in_schema=False)
    async def login(visitor: VisitorDep, next: str | None = None):  # noqa: A002 - the query's name
        return await _start(visitor, next, register=False)

    @app.get("/register", include_in_schema=False)
    async def register(visitor: VisitorDep, next: str | None = None):  # noqa: A002
        return await _start(visitor, next, register=True)

    @app.get("/auth/callback", include_in_schema=False)
    async def callback(request: Request, visitor: VisitorDep, code: str = "", state: str = ""):
        pending = await portal.sessions.finish_login(visitor.sid)
        if pending is None or not state or not secrets.compare_digest(state, pending.state) or not code:
            raise PageError(400, "登录未完成", "登录已超时或页面已失效，请重新登录。")
        try:
            citizen = await portal.login.exchange(
                code, pending.verifier, f"{settings.public_url}/auth/callback", pending.nonce
            )
        except LoginFailed as error:
            log.warning("login failed", reason=str(error))
            raise PageError(400, "登录未完成", "未能完成登录，请重新登录。") from None
        # A new visitor id on login: an id planted before the login is worth nothing after it.
        new_sid, cookie = portal.signer.new_visitor()
        await portal.sessions.keep(new_sid, citizen)
        request.state.rotated_cookie = cookie
        return RedirectResponse(pending.return_to, status_code=303)

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request, visitor: VisitorDep):
        form = await request.form()
        check_csrf(portal, visitor, form)
        citizen = await portal.sessions.end(visitor.sid)
        _, cookie = portal.signer.new_visitor()
        request.state.rotated_cookie = cookie
        if citizen and citizen.id_token:
            return RedirectResponse(
                portal.login.logout_url(citizen.id_token, f"{settings.public_url}/"), status_code=303
            )
        return RedirectResponse("/", status_code=303)

    return app
