"""The JSON API of the yearly reports on government information disclosure (条例第四十九、五十条)."""

from __future__ import annotations

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from services.portal.api import COMMON_RESPONSES, ApiError, api_read, need_applications
from services.portal.web import PortalDep

try:
    from services.portal import disclosure_views as dv
    from zgov.disclosure.v1 import applications_pb2 as apb
except ImportError:  # pragma: no cover - before the disclosure contracts landed
    dv = apb = None

router = APIRouter(prefix="/api", responses=COMMON_RESPONSES)


class ReportSummary(BaseModel):
    year: int
    published_on: str
    publish_by: str
    published_late: bool
    version: int


class ReportRow(BaseModel):
    label: str
    counts: list[int]


class RemedyRow(BaseModel):
    kind: str
    upheld: int
    corrected: int
    other: int
    pending: int
    total: int


class Report(ReportSummary):
    overview: str
    problems: str
    other_matters: str
    proactive: list[tuple[str, int | str]]
    proactive_entered: list[str] = Field(
        description="二、主动公开中由工作机构依据相关业务系统填报的项目；"
        "规章和规范性文件的数字由政府信息公开目录统计"
    )
    columns: list[str]
    rows: list[ReportRow]
    remedies: list[RemedyRow]


@router.get("/reports", response_model=list[ReportSummary], summary="政府信息公开工作年度报告")
async def reports(portal: PortalDep):
    need_applications(portal)
    reply = await api_read(
        portal, portal.backends.applications.ListAnnualReports, apb.ListAnnualReportsRequest()
    )
    return [dv.report_summary(r) for r in reply.reports]


@router.get(
    "/reports/{year}",
    response_model=Report,
    summary="一个年度的报告",
    responses={404: {"model": ApiError, "description": "未发布"}},
)
async def report(portal: PortalDep, year: int = Path(ge=2000, le=2100)):
    need_applications(portal)
    return dv.report(
        await api_read(
            portal, portal.backends.applications.GetAnnualReport, apb.GetAnnualReportRequest(year=year)
        )
    )
