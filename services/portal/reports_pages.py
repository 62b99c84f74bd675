"""政府信息公开 pages of the yearly reports (条例第四十九、五十条), with the year's openness complaints (A38)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.portal import complaint_pages
from services.portal.disclosure_pages import need, read
from services.portal.web import PageError, PortalDep, VisitorDep, render

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import applications_pb2 as apb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = apb = None

router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
async def reports(portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    reply = await read(portal, portal.backends.applications.ListAnnualReports, apb.ListAnnualReportsRequest())
    return render(
        portal, visitor, "disclosure/reports.html", reports=[dv.report_summary(r) for r in reply.reports]
    )


@router.get("/reports/{year}", response_class=HTMLResponse)
async def report_page(year: int, portal: PortalDep, visitor: VisitorDep):
    need(portal, applications=True)
    if not 2000 <= year <= 2100:
        raise PageError(404, "报告不存在", "没有这一年度的报告。")
    reply = await read(
        portal, portal.backends.applications.GetAnnualReport, apb.GetAnnualReportRequest(year=year)
    )
    # A38: the year's openness complaints as stored with the report; a report made before they were
    # stored shows them as counted now (complaint_pages)
    complaints = reply.complaints if reply.HasField("complaints") else None
    if complaints is None:
        complaints = await read(
            portal,
            portal.backends.complaints.GetComplaintFigures,
            complaint_pages.pb.GetComplaintFiguresRequest(year=year),
        )
    return render(portal, visitor, "disclosure/report.html", r=dv.report(reply), complaints=complaints)
