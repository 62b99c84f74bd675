"""`python -m services.supervision`: migrate the database, connect to NATS, consume the other services'
events, sweep for escalations, serve gRPC until SIGTERM."""

from __future__ import annotations

from pathlib import Path

from services.supervision.acts.people import People
from services.supervision.api import SupervisionServicer
from services.supervision.api_circulars import CircularServicer
from services.supervision.api_feeds import DeadlineFeedServicer
from services.supervision.api_performance import PerformanceServicer
from services.supervision.api_plans import InspectionPlanServicer
from services.supervision.api_proposals import ProposalServicer
from services.supervision.api_research import ResearchServicer
from services.supervision.config import SupervisionSettings
from services.supervision.consumers import EventConsumers
from services.supervision.feed_http import feed_app
from services.supervision.sweep import run_sweep
from shared.convert import today_in_china
from shared.feed_http import FeedServer
from shared.grpc_server import GrpcServer
from shared.service_runtime import ServiceRuntime, run_service
from shared.workdays import calendar

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: SupervisionSettings, today=today_in_china) -> GrpcServer:
    runtime = ServiceRuntime("supervision", settings, MIGRATIONS)
    sessions = runtime.sessions
    people = People(runtime.org_client())
    limits = settings.limits()
    servicer = SupervisionServicer(
        sessions,
        calendar(),
        limits,
        people,
        office_organisation_code=settings.office_organisation_code,
        today=today,
    )
    offices = (settings.performance_office_code, settings.office_organisation_code)
    plans = InspectionPlanServicer(sessions, settings.plan_limits(), people, offices, today)
    proposals = ProposalServicer(
        sessions,
        settings.proposal_limits(),
        people,
        office_organisation_code=settings.office_organisation_code,
        today=today,
    )
    performance = PerformanceServicer(sessions, people, settings.grade_limits(), today)
    research = ResearchServicer(sessions, people, settings.research_days_per_year, today)
    circulars = CircularServicer(sessions, settings.office_organisation_code, today)
    feeds = FeedServer(feed_app(sessions), settings.http_host, settings.http_port)
    deadline_feeds = DeadlineFeedServicer(sessions, people, lambda: settings.feed_base_url or feeds.base_url)
    if settings.consume_events:
        runtime.consumers(lambda: EventConsumers(calendar(), limits, people, today).subscriptions())
    runtime.sweep(
        lambda: run_sweep(
            sessions,
            calendar(),
            limits,
            people,
            today,
            settings.sweep_seconds,
            settings.sweep_batch,
            settings.research_days_per_year,
            settings.proposal_limits(),
        )
    )
    runtime.sweep(feeds.run)  # the iCalendar deadline feeds (feed_http.py)

    @runtime.on_shutdown
    async def close_feeds() -> None:
        feeds.close()

    return runtime.server([servicer, plans, proposals, performance, research, circulars, deadline_feeds])


def main() -> None:
    run_service("supervision", SupervisionSettings, build)


if __name__ == "__main__":
    main()
