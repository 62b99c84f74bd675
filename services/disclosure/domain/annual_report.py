"""The yearly report on open government information (政府信息公开工作年度报告), as plain rules.

Art. 49: a department publishes its report on the previous year by 31 January. Art. 50: it
reports proactive disclosure, the applications received and how they were handled, the
administrative reviews and lawsuits about disclosure, problems and improvements, other matters —
in the national template's tables (国务院办公厅政府信息与政务公开办公室, 2021 format):

  二、主动公开政府信息情况      rules and normative documents made / repealed / in force; decisions on
                                licences, penalties, enforcement; fees collected
  三、收到和处理政府信息公开申请情况  rows (new, carried over, each outcome, total, carried forward)
                                × columns (natural person; commercial enterprise, research
                                institution, social-welfare organisation, legal-service
                                organisation, other; total)
  四、政府信息公开行政复议、行政诉讼情况  review, lawsuit without review, lawsuit after review
                                × (upheld, corrected, other, pending, total)

The figures are computed from the applications themselves (ApplicationFact), so the table always
balances: new + carried over = handled + carried forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from services.disclosure.domain.applications import (
    ApplicantKind,
    Exemption,
    RemedyKind,
    RemedyOutcome,
    ReplyKind,
)
from shared.errors import InvalidInput, RuleViolation

PUBLISH_BY_MONTH_DAY = (1, 31)  # art. 49

COLUMNS: tuple[tuple[str, str], ...] = (
    *(
        (k.value, label)
        for k, label in (
            (ApplicantKind.NATURAL_PERSON, "自然人"),
            (ApplicantKind.COMMERCIAL_ENTERPRISE, "商业企业"),
            (ApplicantKind.RESEARCH_INSTITUTION, "科研机构"),
            (ApplicantKind.SOCIAL_WELFARE_ORGANISATION, "社会公益组织"),
            (ApplicantKind.LEGAL_SERVICE_ORGANISATION, "法律服务机构"),
            (ApplicantKind.OTHER_ORGANISATION, "其他"),
        )
    ),
    ("total", "总计"),
)

# (row key, label as in the template). Outcome rows are those between "new"/"carried_in" and "total".
ROWS: tuple[tuple[str, str], ...] = (
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_in", "二、上年结转政府信息公开申请数量"),
    ("disclosed", "三、（一）予以公开"),
    ("partly_disclosed", "三、（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("not_disclosed.state_secret", "三、（三）不予公开 1.属于国家秘密"),
    ("not_disclosed.law_forbids", "三、（三）不予公开 2.其他法律行政法规禁止公开"),
    ("not_disclosed.security_stability", "三、（三）不予公开 3.危及“三安全一稳定”"),
    ("not_disclosed.third_party_rights", "三、（三）不予公开 4.保护第三方合法权益"),
    ("not_disclosed.internal_affairs", "三、（三）不予公开 5.属于三类内部事务信息"),
    ("not_disclosed.process_information", "三、（三）不予公开 6.属于四类过程性信息"),
    ("not_disclosed.law_enforcement_file", "三、（三）不予公开 7.属于行政执法案卷"),
    ("not_disclosed.administrative_inquiry", "三、（三）不予公开 8.属于行政查询事项"),
    ("unable.not_held", "三、（四）无法提供 1.本机关不掌握相关政府信息"),
    ("unable.needs_processing", "三、（四）无法提供 2.没有现成信息需要另行制作"),
    ("unable.still_unclear", "三、（四）无法提供 3.补正后申请内容仍不明确"),
    ("not_handled.petition", "三、（五）不予处理 1.信访举报投诉类申请"),
    ("not_handled.repeated", "三、（五）不予处理 2.重复申请"),
    ("not_handled.publication", "三、（五）不予处理 3.要求提供公开出版物"),
    ("not_handled.excessive", "三、（五）不予处理 4.无正当理由大量反复申请"),
    ("not_handled.confirmation", "三、（五）不予处理 5.要求行政机关确认或重新出具已获取信息"),
    ("other.lapsed", "三、（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    (
        "other.fee_unpaid",
        "三、（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    ("other.other", "三、（六）其他处理 3.其他"),
    ("total", "三、（七）总计"),
    ("carried_out", "四、结转下年度继续办理"),
)
OUTCOME_ROWS = tuple(key for key, _ in ROWS[2:-2])

REMEDY_COLUMNS = tuple(
    o.value
    for o in (RemedyOutcome.UPHELD, RemedyOutcome.CORRECTED, RemedyOutcome.OTHER, RemedyOutcome.PENDING)
) + ("total",)


def outcome_row(
    *, reply_kind: ReplyKind | None, exemption: Exemption | None, lapsed: bool, withdrawn: bool = False
) -> str:
    """The template row an application finished with (a withdrawal: 其他处理 3, 其他)."""
    if lapsed:
        return "other.lapsed"
    if withdrawn:
        return "other.other"
    match reply_kind:
        case ReplyKind.ALREADY_PUBLISHED | ReplyKind.PROVIDED:
            return "disclosed"
        case ReplyKind.PARTLY_PROVIDED:
            return "partly_disclosed"
        case ReplyKind.NOT_DISCLOSED:
            return f"not_disclosed.{exemption.value}" if exemption else "other.other"
        case ReplyKind.SPECIAL_LAW:  # 36(7): registration records and the like (行政查询事项)
            return "not_disclosed.administrative_inquiry"
        case ReplyKind.DOES_NOT_EXIST | ReplyKind.NOT_HELD:
            return "unable.not_held"
        case ReplyKind.NEEDS_PROCESSING:
            return "unable.needs_processing"
        case ReplyKind.STILL_UNCLEAR:
            return "unable.still_unclear"
        case ReplyKind.NOT_AN_APPLICATION:
            return "not_handled.petition"
        case ReplyKind.PUBLICATION_REQUEST:
            return "not_handled.publication"
        case ReplyKind.REPEATED:
            return "not_handled.repeated"
        case ReplyKind.EXCESSIVE:
            return "not_handled.excessive"
    return "other.other"


@dataclass(frozen=True)
class ApplicationFact:
    applicant_kind: ApplicantKind
    received_on: date
    finished_on: date | None = None  # replied, lapsed or withdrawn
    outcome: str = ""  # outcome_row(...) once finished


@dataclass(frozen=True)
class RemedyFact:
    kind: RemedyKind
    filed_on: date
    outcome: RemedyOutcome


@dataclass(frozen=True)
class ProactiveFigures:
    """二、主动公开政府信息情况 — counted by the proactive side (publications)."""

    rules_made: int = 0  # 规章 本年制发件数
    rules_repealed: int = 0  # 本年废止件数
    rules_in_force: int = 0  # 现行有效件数
    normative_made: int = 0  # 行政规范性文件
    normative_repealed: int = 0
    normative_in_force: int = 0
    licensing_decisions: int = 0  # 行政许可 本年处理决定数量
    penalty_decisions: int = 0  # 行政处罚
    enforcement_decisions: int = 0  # 行政强制
    fees_collected_wan_yuan: str = "0"  # 行政事业性收费 本年收费金额（万元）


@dataclass(frozen=True)
class ComplaintFigures:
    """政府信息公开投诉举报情况 (A38; OGI art. 47, 51), reported under 六、其他需要报告的事项: the national
    template has no table of its own for them, so they stand beside the other matters."""

    received: int = 0  # 收到投诉 (filed in the year)
    answered: int = 0  # 已答复 (of those, by the year's end)
    substantiated: int = 0  # 属实或部分属实
    not_substantiated: int = 0  # 不属实
    answered_late: int = 0  # 超期答复
    open_at_end: int = 0  # 年末尚在办理 (filed by the year's end, any year, not yet answered)

    def balances(self) -> bool:
        """Every answered complaint has one finding; none answered that was not received."""
        return (
            self.substantiated + self.not_substantiated == self.answered <= self.received
            and self.answered_late <= self.answered
        )


@dataclass(frozen=True)
class AnnualReport:
    year: int
    proactive: ProactiveFigures
    # row → column → count
    applications: Mapping[str, Mapping[str, int]]
    # remedy kind → outcome column → count
    remedies: Mapping[str, Mapping[str, int]]
    overview: str = ""  # 一、总体情况
    problems: str = ""  # 五、存在的主要问题及改进情况
    other_matters: str = ""  # 六、其他需要报告的事项
    publish_by: date = field(default=date(1, 1, 1))
    # A38: stored with the report as counted when it was generated (None in reports made before)
    complaints: ComplaintFigures | None = None

    def balances(self) -> bool:
        a = self.applications
        return all(
            a["new"][c] + a["carried_in"][c] == a["total"][c] + a["carried_out"][c] for c, _ in COLUMNS
        )

    def to_json(self) -> dict:
        return {
            "year": self.year,
            "proactive": vars(self.proactive),
            "applications": {r: dict(v) for r, v in self.applications.items()},
            "remedies": {k: dict(v) for k, v in self.remedies.items()},
            "overview": self.overview,
            "problems": self.problems,
            "other_matters": self.other_matters,
            "publish_by": self.publish_by.isoformat(),
            "complaints": vars(self.complaints) if self.complaints else None,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> AnnualReport:
        return cls(
            year=data["year"],
            proactive=ProactiveFigures(**data["proactive"]),
            applications=data["applications"],
            remedies=data["remedies"],
            overview=data.get("overview", ""),
            problems=data.get("problems", ""),
            other_matters=data.get("other_matters", ""),
            publish_by=date.fromisoformat(data["publish_by"]),
            complaints=ComplaintFigures(**data["complaints"]) if data.get("complaints") else None,
        )


def publish_by(year: int) -> date:
    """Art. 49: the report on `year` is published by 31 January of the next year."""
    return date(year + 1, *PUBLISH_BY_MONTH_DAY)


def check_report_year(year: int, today: date) -> None:
    if not 2008 <= year <= 2100:  # the first regulations took effect on 1 May 2008
        raise InvalidInput({"year": "a year from 2008"})
    if year >= today.year:
        raise RuleViolation("OGI49.year-ended", f"the report on {year} is made once the year has ended")


def build_report(
    year: int,
    proactive: ProactiveFigures,
    applications: Iterable[ApplicationFact],
    remedies: Iterable[RemedyFact],
    *,
    overview: str = "",
    problems: str = "",
    other_matters: str = "",
    complaints: ComplaintFigures | None = None,
) -> AnnualReport:
    first, last = date(year, 1, 1), date(year, 12, 31)
    table = {row: {column: 0 for column, _ in COLUMNS} for row, _ in ROWS}

    def count(row: str, kind: ApplicantKind) -> None:
        table[row][kind.value] += 1
        table[row]["total"] += 1

    for a in applications:
        if a.received_on > last:
            continue
        if a.finished_on is not None and a.finished_on < first:
            continue  # handled in an earlier year
        count("new" if a.received_on >= first else "carried_in", a.applicant_kind)
        if a.finished_on is not None and a.finished_on <= last:
            count(a.outcome if a.outcome in OUTCOME_ROWS else "other.other", a.applicant_kind)
            count("total", a.applicant_kind)
        else:
            count("carried_out", a.applicant_kind)
    remedy_table = {k.value: {c: 0 for c in REMEDY_COLUMNS} for k in RemedyKind}
    for r in remedies:
        if r.filed_on.year != year:
            continue
        remedy_table[r.kind.value][r.outcome.value] += 1
        remedy_table[r.kind.value]["total"] += 1
    return AnnualReport(
        year,
        proactive,
        table,
        remedy_table,
        overview=overview,
        problems=problems,
        other_matters=other_matters,
        publish_by=publish_by(year),
        complaints=complaints,
    )
