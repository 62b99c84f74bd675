"""Each open dataset's rows, read from the live services over gRPC with the portal's service account.

Only what is already public: published publications (the same reads as the portal's pages), the
published yearly reports, and the petitions service's aggregate figures (GetStatistics: counts by
month, handling body and category; never a case, a name or a text)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from services.portal.backends import Backends
from services.portal.disclosure_views import CATEGORY_NAMES, KINDS, VALIDITY_NAMES
from shared.convert import today_in_china
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import applications_pb2 as apb
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.petitions.v1 import petitions_pb2

# A download holds at most this many publications (the newest): a bigger catalogue is paged on the portal.
MAX_ROWS = 100_000
PAGE = 100
PROPOSAL_KINDS = {
    pb.PROPOSAL_KIND_NPC_SUGGESTION: "人大代表建议",
    pb.PROPOSAL_KIND_CPPCC_PROPOSAL: "政协委员提案",
}
DIMENSIONS = {
    petitions_pb2.STATISTICS_DIMENSION_MONTH: "月份",
    petitions_pb2.STATISTICS_DIMENSION_HANDLING_BODY: "责任单位",
    petitions_pb2.STATISTICS_DIMENSION_CATEGORY: "类别",
}


def _day(value: common_pb2.Date) -> date | None:
    return date(value.year, value.month, value.day) if value.year else None


async def _publications(backends: Backends, f: pb.PublicationFilter):
    token = ""
    seen = 0
    while seen < MAX_ROWS:
        reply = await backends.call(
            backends.publications.ListPublications,
            pb.ListPublicationsRequest(
                filter=f, page=common_pb2.PageRequest(page_size=PAGE, page_token=token)
            ),
        )
        for p in reply.publications:
            yield p
        seen += len(reply.publications)
        token = reply.page.next_page_token
        if not token:
            return


def _publication_row(p: pb.Publication, base: str) -> dict:
    return {
        "id": p.id,
        "title": p.title,
        "document_number": p.document_number,
        "category": CATEGORY_NAMES.get(p.category, ""),
        "kind": KINDS.get(p.kind, ""),
        "issuer": p.issuer_name,
        "made_on": _day(p.made_on),
        "published_on": _day(p.published_on),
        "valid_until": _day(p.valid_until),
        "validity": VALIDITY_NAMES.get(p.validity, ""),
        "url": f"{base}/publications/{p.id}",
    }


async def publications(backends: Backends, base: str) -> list[dict]:
    return [_publication_row(p, base) async for p in _publications(backends, pb.PublicationFilter())]


async def normative_in_force(backends: Backends, base: str) -> list[dict]:
    f = pb.PublicationFilter(
        category=pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS, validity=pb.VALIDITY_IN_FORCE
    )
    return [
        _publication_row(p, base)
        async for p in _publications(backends, f)
        if p.normative or p.document_number
    ]


async def powers(backends: Backends, base: str) -> list[dict]:
    rows = []
    async for p in _publications(backends, pb.PublicationFilter(kind=pb.PUBLICATION_KIND_POWER)):
        rows.append(
            {
                "id": p.id,
                "title": p.title,
                "power_type": p.power.power_type,
                "subject": p.power.subject,
                "basis": p.power.basis,
                "procedure": p.power.procedure,
                "supervision": p.power.supervision,
                "published_on": _day(p.published_on),
            }
        )
    return rows


async def proposal_results(backends: Backends, base: str) -> list[dict]:
    rows = []
    async for p in _publications(backends, pb.PublicationFilter(kind=pb.PUBLICATION_KIND_PROPOSAL_RESULT)):
        rows.append(
            {
                "id": p.id,
                "title": p.title,
                "proposal_kind": PROPOSAL_KINDS.get(p.proposal.proposal_kind, ""),
                "session": p.proposal.session,
                "proposal_number": p.proposal.proposal_number,
                "proposer": p.proposal.proposer,
                "published_on": _day(p.published_on),
                "url": f"{base}/publications/{p.id}",
            }
        )
    return rows


PROACTIVE = (
    ("rules_made", "规章 制发件数"),
    ("rules_repealed", "规章 废止件数"),
    ("rules_in_force", "规章 现行有效件数"),
    ("normative_made", "规范性文件 制发件数"),
    ("normative_repealed", "规范性文件 废止件数"),
    ("normative_in_force", "规范性文件 现行有效件数"),
    ("licensing_decisions", "行政许可 处理决定数量"),
    ("penalty_decisions", "行政处罚 处理决定数量"),
    ("enforcement_decisions", "行政强制 处理决定数量"),
    ("fees_collected_wan_yuan", "行政事业性收费 金额（万元）"),
)


async def annual_report_figures(backends: Backends, base: str) -> list[dict]:
    """二、主动公开 and 三、依申请公开 of every published yearly report, one figure a row."""
    listed = await backends.call(backends.applications.ListAnnualReports, apb.ListAnnualReportsRequest())
    rows = []
    for summary in listed.reports:
        r = await backends.call(
            backends.applications.GetAnnualReport, apb.GetAnnualReportRequest(year=summary.year)
        )
        for key, label in PROACTIVE:
            rows.append(
                {
                    "year": r.year,
                    "section": "二、主动公开政府信息情况",
                    "item": label,
                    "column": "",
                    "value": getattr(r.proactive, key),
                }
            )
        for row in r.rows:
            for column, count in zip(r.columns, row.counts, strict=False):
                rows.append(
                    {
                        "year": r.year,
                        "section": "三、收到和处理政府信息公开申请情况",
                        "item": row.label,
                        "column": column.label,
                        "value": count,
                    }
                )
    return rows


async def petition_statistics(backends: Backends, base: str) -> list[dict]:
    """The last twelve months' aggregates by month, handling body and category (GetStatistics)."""
    today = today_in_china()
    start = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    names = await backends.organisation_names()
    rows = []
    for dimension, label in DIMENSIONS.items():
        reply = await backends.call(
            backends.petitions.GetStatistics,
            petitions_pb2.GetStatisticsRequest(
                dimension=dimension,
                received_from=common_pb2.Date(year=start.year, month=start.month, day=start.day),
                received_to=common_pb2.Date(year=today.year, month=today.month, day=today.day),
            ),
        )
        for r in reply.rows:
            key = (
                names.get(r.key, r.key)
                if dimension == petitions_pb2.STATISTICS_DIMENSION_HANDLING_BODY
                else r.key
            )
            rows.append(
                {
                    "dimension": label,
                    "key": key,
                    "received": r.received,
                    "repeats": r.repeats,
                    "overdue": r.overdue,
                    "replied": r.replied,
                    "satisfied": r.satisfied,
                    "basically_satisfied": r.basically_satisfied,
                    "dissatisfied": r.dissatisfied,
                }
            )
    return rows


SOURCES: dict[str, Callable[[Backends, str], Awaitable[list[dict]]]] = {
    "publications": publications,
    "normative-documents-in-force": normative_in_force,
    "powers": powers,
    "proposal-results": proposal_results,
    "ogi-annual-report-figures": annual_report_figures,
    "petition-statistics": petition_statistics,
}
