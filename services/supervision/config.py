"""The supervision service's settings: the platform's common ones (shared.config) and its own.

Every limit of an item is here, so an operator changes a number without a release; the defaults
are the issue's (政府督查工作条例 2021, the provincial rules, the 统筹规范督查检查考核 notices).
"""

from pydantic import Field

from services.supervision.domain.items import Limits
from services.supervision.domain.performance import GradeLimits
from services.supervision.domain.plans import PlanLimits
from services.supervision.domain.proposals import ProposalLimits
from shared.config import ServiceSettings

CODE = r"^[a-z][a-z0-9-]{1,63}$"


class SupervisionSettings(ServiceSettings):
    service_name: str = "supervision"
    # org 50051, meetings 50052, documents 50053, supervision 50054 (deploy/local/stack.py).
    grpc_port: int = Field(50054, ge=0, le=65535)
    # Calendar apps poll the deadline feeds over HTTP (feed_http): the port, and the address they reach it
    # by when that differs (behind an ingress).
    http_host: str = Field("127.0.0.1", description="address the deadline feeds' HTTP server binds")
    http_port: int = Field(
        8054, ge=0, le=65535, description="HTTP port of the deadline feeds (0: any free port)"
    )
    feed_base_url: str = Field(
        "", description="public base URL of the deadline feeds; empty: http://<host>:<port>"
    )
    # The supervision office (督查室): its officers see every item and verify them.
    office_organisation_code: str = Field("supervision-office", pattern=CODE)
    org_address: str = Field("127.0.0.1:50051", description="the org service's gRPC address, host:port")
    org_cache_seconds: float = Field(60.0, ge=0)
    # The escalation sweep: how often, and how many items per round.
    sweep_seconds: float = Field(300.0, gt=0)
    sweep_batch: int = Field(500, ge=1, le=100_000)
    # Which other services' events make items (off: the service only serves its own RPCs).
    consume_events: bool = True

    # Limits in working days (A60–A62), and the report day of the month.
    acknowledge_days: int = Field(5, ge=1, le=60)
    verify_days: int = Field(10, ge=1, le=60)
    urgent_days: int = Field(5, ge=1, le=365)
    ordinary_days: int = Field(15, ge=1, le=365)
    complex_days: int = Field(30, ge=1, le=365)
    first_report_on_decision_days: int = Field(20, ge=1, le=120)
    report_day_of_month: int = Field(5, ge=1, le=28)
    warn_days_before: int = Field(5, ge=1, le=60)
    remind_days_before: int = Field(1, ge=1, le=60)
    to_leader_days_after: int = Field(5, ge=1, le=120)
    to_mayor_days_after: int = Field(10, ge=1, le=120)
    accountability_days_after: int = Field(20, ge=1, le=250)

    # A63: the yearly plan's caps, and the office county plans are also filed with (市委目标绩效管理办公室).
    comprehensive_per_organiser: int = Field(1, ge=0, le=12)
    inspections_total_per_year: int = Field(60, ge=1, le=10_000)
    performance_office_code: str = Field("performance-office", pattern=CODE)

    # A67: suggestions and proposals answered within 3 months of assignment, at most 6 with approval,
    # and within 1 month of a reopening after a "not satisfied" rating.
    proposal_months: int = Field(3, ge=1, le=12)
    proposal_max_months: int = Field(6, ge=1, le=24)
    proposal_reopen_months: int = Field(1, ge=1, le=12)
    # A67: announced (supervision.proposal.limit-warned) this many working days before the limit.
    proposal_warn_days: int = Field(10, ge=1, le=60)

    # A31: research days a leader spends at the grassroots a year.
    research_days_per_year: int = Field(90, ge=1, le=250)

    # A64: the grade thresholds in points (优秀 / 良好 / 合格).
    grade_excellent: int = Field(90, ge=1, le=100)
    grade_good: int = Field(80, ge=1, le=100)
    grade_pass: int = Field(60, ge=0, le=100)

    def grade_limits(self) -> GradeLimits:
        return GradeLimits(self.grade_excellent, self.grade_good, self.grade_pass)

    def proposal_limits(self) -> ProposalLimits:
        return ProposalLimits(
            self.proposal_months,
            max(self.proposal_max_months, self.proposal_months),
            self.proposal_reopen_months,
            self.proposal_warn_days,
        )

    def plan_limits(self) -> PlanLimits:
        return PlanLimits(self.comprehensive_per_organiser, self.inspections_total_per_year)

    def limits(self) -> Limits:
        return Limits(**{name: getattr(self, name) for name in Limits.__dataclass_fields__})
