"""What a Chinese government site must show (《政府网站发展指引》, 国办发〔2017〕47号; 适老化 rules and
GB/T 37668): the site's identity from the operator's configuration (footer, meta tags), the 信息公开指南,
site map, contact and statement pages, robots.txt and the favicon, and the two display modes — 长辈版
(large text) and high contrast — that work without JavaScript: a link at the top of every page sets
a cookie and comes back to the page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from services.portal.auth import safe_return_path
from services.portal.site import DISPLAY_COOKIE, MODES, display_of
from services.portal.web import PortalDep, VisitorDep, render

router = APIRouter(include_in_schema=False)
FAVICON = Path(__file__).parent / "static" / "favicon.svg"


@router.get("/display")
async def switch_display(request: Request, portal: PortalDep, mode: str = "", next: str = "/"):  # noqa: A002
    """Turns a mode on or off (standard: both off) and goes back to the page."""
    chosen = set(display_of(request))
    if mode in MODES:
        chosen ^= {mode}
    elif mode == "standard":
        chosen.clear()
    response = RedirectResponse(safe_return_path(next), status_code=303)
    value = ".".join(m for m in MODES if m in chosen)
    if value:
        response.set_cookie(
            DISPLAY_COOKIE,
            value,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=portal.settings.secure_cookies,
            path="/",
        )
    else:
        response.delete_cookie(DISPLAY_COOKIE, path="/")
    return response


@router.get("/robots.txt")
async def robots(portal: PortalDep):
    base = portal.settings.public_url.rstrip("/")
    return PlainTextResponse(
        "User-agent: *\nDisallow: /petitions/follow\nDisallow: /applications/follow\n"
        "Disallow: /auth/\nDisallow: /login\nDisallow: /register\nDisallow: /display\n"
        f"Sitemap: {base}/sitemap\n"
    )


@router.get("/favicon.ico")
async def favicon():
    return Response(
        FAVICON.read_bytes(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


PAGES = {
    "disclosure-guide": ("disclosure_guide.html", "政府信息公开指南", "政府信息公开"),
    "sitemap": ("sitemap.html", "网站地图", "网站地图"),
    "contact": ("contact.html", "联系我们", "联系我们"),
    "statement": ("statement.html", "网站声明", "网站声明"),
}


def _page(slug: str):
    template, title, column = PAGES[slug]

    async def page(portal: PortalDep, visitor: VisitorDep):
        return render(portal, visitor, f"site/{template}", title=title, column_name=column)

    return page


for _slug in PAGES:
    router.add_api_route(f"/{_slug}", _page(_slug), methods=["GET"], response_class=HTMLResponse)
