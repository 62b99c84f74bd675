"""The yearly report on open government information (政府信息公开工作年度报告, art. 49–50): generated
from the year's applications, remedies, catalogue and openness complaints (A38), published (again: a
new version)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure import store_complaints

from services.disclosure.acts import Env
from services.disclosure.domain import annual_report as report_domain
from services.disclosure.domain import applications as domain
from services.disclosure.protos.applications import report_to_proto
from services.disclosure.store import applications as rows
from services.disclosure.store import publications as catalogue
from shared import audit
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.outbox import add_event
from zgov.disclosure.v1 import applications_pb2 as pb


async def generate(
    session: AsyncSession, actor: Actor, env: Env, request: pb.GenerateAnnualReportRequest
) -> pb.AnnualReport:
    """The report of `request.year` with the figures entered by hand (decisions and fees come from
    other systems), published today."""
    today = env.today()
    report_domain.check_report_year(request.year, today)
    longest = domain.MAX_TEXT * 4
    bad = [
        (name, f"at most {longest} characters")
        for name in ("overview", "problems", "other_matters")
        if len(getattr(request, name)) > longest
    ]
    e = request.entered
    if any(getattr(e, f.name) < 0 for f in e.DESCRIPTOR.fields if f.type == f.TYPE_INT32):
        bad.append(("entered", "counts are not negative"))
    if bad:
        raise InvalidInput(bad)
    # rules and normative documents from the catalogue; decisions and fees from other systems
    counted = await catalogue.rules_and_normative_of_year(session, request.year)
    proactive = report_domain.ProactiveFigures(
        **counted,
        licensing_decisions=e.licensing_decisions,
        penalty_decisions=e.penalty_decisions,
        enforcement_decisions=e.enforcement_decisions,
        fees_collected_wan_yuan=e.fees_collected_wan_yuan.strip() or "0",
    )
    report = report_domain.build_report(
        request.year,
        proactive,
        await rows.application_facts(session, request.year),
        await rows.remedy_facts(session, request.year),
        overview=request.overview.strip(),
        problems=request.problems.strip(),
        other_matters=request.other_matters.strip(),
        complaints=await complaint_figures(session, request.year),
    )
    record = await rows.put_report(session, request.year, report.to_json(), today, actor.user_id)
    out = report_to_proto(record)
    await audit.record_act(
        session, f"annual-report/{request.year}", "report.published", actor, f"version {record.version}"
    )
    await add_event(
        session,
        "disclosure.report.published",
        pb.AnnualReportPublished(report=out),
        f"annual-report/{request.year}",
        actor,
    )
    return out


async def complaint_figures(session: AsyncSession, year: int) -> report_domain.ComplaintFigures:
    """A38: the year's openness complaints as they stand when the report is generated (stored with it)."""
    counted = await store_complaints.figures(session, date(year, 1, 1), date(year, 12, 31))
    return report_domain.ComplaintFigures(**counted)
