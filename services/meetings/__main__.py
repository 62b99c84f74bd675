"""`python -m services.meetings`: migrate the database, connect to NATS, serve gRPC and the
calendar feeds (HTTP) until SIGTERM."""

from __future__ import annotations

from pathlib import Path

from services.meetings.api import MeetingsServicer
from services.meetings.config import MeetingsSettings
from services.meetings.feed_http import FeedServer, feed_app
from shared.convert import today_in_china
from shared.grpc_server import GrpcServer
from shared.service_runtime import ServiceRuntime, run_service
from shared.workdays import calendar

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: MeetingsSettings) -> GrpcServer:
    runtime = ServiceRuntime("meetings", settings, MIGRATIONS)
    # Without a client secret the service still starts; acts that need org answer UNAVAILABLE.
    org = runtime.org_client()
    feeds = FeedServer(feed_app(runtime.sessions, today_in_china), settings.http_host, settings.http_port)
    servicer = MeetingsServicer(
        runtime.sessions, org, calendar(), feed_base_url=settings.feed_base_url or feeds.base_url
    )
    runtime.sweep(feeds.run)  # the calendar feeds' HTTP server

    @runtime.on_shutdown
    async def close_feeds() -> None:
        feeds.close()

    return runtime.server([servicer])


def main() -> None:
    run_service("meetings", MeetingsSettings, build)


if __name__ == "__main__":
    main()
