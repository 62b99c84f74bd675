"""The site's identity (《政府网站发展指引》: 网站名称, 域名, 网站标识码, 主办单位, 备案号 …) from the operator's
configuration, and the visitor's display modes (长辈版 large text, high contrast) from a cookie."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from services.portal.config import PortalSettings

DISPLAY_COOKIE = "zgov_display"
MODES = ("large", "contrast")


@dataclass(frozen=True)
class Site:
    name: str
    domain: str
    id_code: str
    organiser: str
    address: str
    phone: str
    email: str
    icp: str
    police_record: str
    conac_url: str
    error_report_url: str


def site_of(settings: PortalSettings) -> Site:
    return Site(
        settings.site_name,
        settings.site_domain,
        settings.site_id_code,
        settings.site_organiser,
        settings.site_address,
        settings.site_phone,
        settings.site_email,
        settings.site_icp,
        settings.site_police_record,
        settings.site_conac_url,
        settings.site_error_report_url,
    )


def display_of(request: Request) -> frozenset[str]:
    """The display modes the visitor chose (cookie values outside MODES are ignored)."""
    return frozenset(m for m in request.cookies.get(DISPLAY_COOKIE, "").split(".") if m in MODES)
