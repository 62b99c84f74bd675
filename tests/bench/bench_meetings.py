"""The meetings service's write paths and its calendar feed, through gRPC with token checks.

Measured (issue 4, `make bench`):
- scheduling throughput: ScheduleMeeting of executive meetings (members from org, double-booking
  check under its lock, audit row, outbox row), 8 calls in flight;
- topic filing throughput: FileTopic on one meeting (10-working-day check, audit row), 8 in flight;
- calendar feed latency: GetLeaderCalendar of the mayor, who sits in every scheduled meeting.

Real: PostgreSQL (embedded, migrations run), the meetings servicer in GrpcServer with offline token
verification (locally signed RS256 tokens from tests/fixtures/local_issuer.py, as bench_grpc does).
Not real, and said so: Keycloak is not started, and `org` is a small in-process OrgService that
answers ListPositions and WhoMayAct from fixed holders (nobody away) — the figures are the meetings
service's own cost, without org's. No NATS: events stay in the outbox (the relay is not measured).

    python -m tests.bench meetings
"""

from __future__ import annotations

import asyncio
import statistics
import shutil
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import grpc
from zgov.common.v1 import common_pb2
from zgov.meetings.v1 import meetings_pb2 as pb
from zgov.meetings.v1 import meetings_pb2_grpc
from zgov.org.v1 import org_pb2, org_pb2_grpc

from deploy.local.servers import Postgres, free_port
from services.meetings.__main__ import MIGRATIONS
from services.meetings.api import MeetingsServicer
from shared.convert import today_in_china
from shared.db import create_engine, session_factory
from shared.grpc_server import GrpcServer
from shared.identity import TokenVerifier
from shared.migrations import run_migrations
from shared.org_client import OrgClient
from shared.service_auth import StaticToken
from shared.workdays import calendar

TITLE = "meetings: scheduling and topic filing throughput, calendar feed latency"
MEETINGS = 200
TOPICS = 300
FEED_CALLS = 1000  # a p99 needs hundreds of samples: of 50 it is the single slowest call
IN_FLIGHT = 8
CALENDAR_GOAL_MS = 20  # p99 of a leader's calendar with 200 meetings (issue 17)
PEOPLE = {
    "mayor": "mayor",
    "evm": "executive-vice-mayor",
    "vice-mayor-1": "vice-mayor",
    "vice-mayor-2": "vice-mayor",
    "secretary-general": "secretary-general",
    "deputy-secretary-general": "deputy-secretary-general",
    "department-head": "department-head",
}


def user_id(username: str) -> str:
    """The `sub` LocalIssuer gives a username."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, username))


class FixedOrg(org_pb2_grpc.OrgServiceServicer):
    """Stand-in for org in this benchmark only: fixed holders, nobody away."""

    async def ListOrganisations(self, request, context):
        return org_pb2.ListOrganisationsResponse(
            organisations=[
                common_pb2.Organisation(code="x", name="x", kind=common_pb2.ORGANISATION_KIND_OFFICE)
            ]
        )

    async def ListPositions(self, request, context):
        by_position: dict[str, list[str]] = {}
        for username, position in PEOPLE.items():
            by_position.setdefault(position, []).append(username)
        return org_pb2.ListPositionsResponse(
            positions=[
                org_pb2.PositionWithHolders(
                    position=common_pb2.Position(code=p, title=p),
                    holders=[
                        org_pb2.PositionHolder(user_id=user_id(u), username=u, organisation_code="x")
                        for u in us
                    ],
                )
                for p, us in by_position.items()
            ]
        )

    async def WhoMayAct(self, request, context):
        holder = request.holder_user_id or user_id("mayor")
        return org_pb2.WhoMayActResponse(
            position=request.position, holder_user_id=holder, acting_user_id=holder, basis="holder present"
        )


def d(day) -> common_pb2.Date:
    return common_pb2.Date(year=day.year, month=day.month, day=day.day)


async def timed_calls(calls, in_flight: int) -> tuple[float, list[float]]:
    """Run the call factories with at most `in_flight` at once: (seconds, latencies)."""
    gate = asyncio.Semaphore(in_flight)
    latencies: list[float] = []

    async def one(call):
        async with gate:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in calls))
    return time.perf_counter() - started, latencies


async def same_sql_directly(engine, participant: str) -> list[float]:
    """The calendar's query (store.calendar_meetings, through the participants' index) alone: its floor."""
    from services.meetings import store

    today = today_in_china()
    sessions = session_factory(engine)
    latencies = []
    for _ in range(FEED_CALLS):
        started = time.perf_counter()
        async with sessions() as session:
            await store.calendar_meetings(
                session, participant, today - timedelta(days=30), today + timedelta(days=366), 2000
            )
        latencies.append(time.perf_counter() - started)
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


async def _run() -> list[tuple[str, str]]:
    from tests.fixtures.local_issuer import LocalIssuer

    folder = Path(tempfile.mkdtemp(prefix="bench-meetings-"))
    postgres = Postgres(folder / "postgres", free_port())
    postgres.start()
    issuer = LocalIssuer().start()
    org_server = grpc.aio.server()
    org_pb2_grpc.add_OrgServiceServicer_to_server(FixedOrg(), org_server)
    org_port = org_server.add_insecure_port("127.0.0.1:0")
    await org_server.start()
    dsn = postgres.ensure_database("meetings_bench")
    await run_migrations(dsn, MIGRATIONS)
    engine = create_engine(dsn, pool_size=10)
    org = OrgClient(f"127.0.0.1:{org_port}", StaticToken("bench"), ttl_seconds=30)
    servicer = MeetingsServicer(session_factory(engine), org, calendar())
    server = GrpcServer(
        [servicer],
        verifier=TokenVerifier(issuer.issuer, "meetings", issuer.jwks_url),
        drain_delay=0,
        telemetry=False,
    )
    await server.start()
    channel = grpc.aio.insecure_channel(server.address)
    stub = meetings_pb2_grpc.MeetingsServiceStub(channel)
    try:
        mayor = (
            (
                "authorization",
                "Bearer "
                + issuer.token_for(
                    "mayor",
                    audience="meetings",
                    positions=["mayor"],
                    groups=["city-government"],
                    expires_in=3600,
                    permissions=["meeting:convene", "meeting:read", "topic:approve"],
                ),
            ),
        )
        department = (
            (
                "authorization",
                "Bearer "
                + issuer.token_for(
                    "department-head",
                    audience="meetings",
                    positions=["department-head"],
                    groups=["education-bureau"],
                    expires_in=3600,
                    permissions=["topic:file", "meeting:read"],
                ),
            ),
        )
        today = today_in_china()
        # 10 one-hour slots a working day, from the 15th working day on: no double booking.
        slots = [
            (calendar().add_working_days(today, 15 + i // 10).due, f"{8 + i % 10:02d}:00")
            for i in range(MEETINGS)
        ]

        def schedule(day, start):
            return lambda: stub.ScheduleMeeting(
                pb.ScheduleMeetingRequest(
                    kind=pb.MEETING_KIND_EXECUTIVE,
                    title="常务会议",
                    day=d(day),
                    start_time=start,
                    duration_minutes=60,
                ),
                metadata=mayor,
            )

        await schedule(*slots[0])()  # warm-up: connections, token keys, org holders
        seconds, latencies = await timed_calls([schedule(*s) for s in slots[1:]], IN_FLIGHT)
        rows = [
            (
                "ScheduleMeeting (executive, 5 members)",
                f"{(MEETINGS - 1) / seconds:.0f}/s, "
                f"p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms",
            )
        ]

        listed = await stub.ListMeetings(
            pb.ListMeetingsRequest(page=common_pb2.PageRequest(page_size=1)), metadata=mayor
        )
        meeting_id = listed.meetings[0].id

        vice_mayor = (
            (
                "authorization",
                "Bearer "
                + issuer.token_for(
                    "vice-mayor-1",
                    audience="meetings",
                    positions=["vice-mayor"],
                    groups=["city-government"],
                    expires_in=3600,
                    permissions=["topic:file", "meeting:read"],
                ),
            ),
        )
        # A42: each topic is filed on the vice mayor's recorded proposal (made before the clock runs).
        proposals = [
            await stub.ProposeTopic(
                pb.ProposeTopicRequest(
                    meeting_id=meeting_id,
                    organisation_code="education-bureau",
                    title=f"议题{i}",
                    route=pb.TOPIC_ROUTE_VIA_VICE_MAYOR,
                ),
                metadata=vice_mayor,
            )
            for i in range(TOPICS)
        ]

        def file_topic(i):
            return lambda: stub.FileTopic(
                pb.FileTopicRequest(
                    meeting_id=meeting_id,
                    title=f"议题{i}",
                    route=pb.TOPIC_ROUTE_VIA_VICE_MAYOR,
                    proposed_by_user_id=proposals[i].proposed_by_user_id,
                    documents=[pb.TopicDocument(name="议题审批表", ref=f"doc-{i}")],
                    proposal_id=proposals[i].id,
                ),
                metadata=department,
            )

        seconds, latencies = await timed_calls([file_topic(i) for i in range(TOPICS)], IN_FLIGHT)
        rows.append(
            (
                "FileTopic (10-working-day check)",
                f"{TOPICS / seconds:.0f}/s, p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms",
            )
        )

        feed = pb.GetLeaderCalendarRequest()
        reply = await stub.GetLeaderCalendar(feed, metadata=mayor)
        _, latencies = await timed_calls(
            [lambda: stub.GetLeaderCalendar(feed, metadata=mayor)] * FEED_CALLS, 1
        )
        sql = await same_sql_directly(engine, user_id("mayor"))
        rows.append(
            (
                f"GetLeaderCalendar ({reply.meeting_count} meetings, {len(reply.ics) // 1024} KiB)",
                f"p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms, "
                f"mean {statistics.mean(latencies) * 1000:.1f} ms",
                f"p99 < {CALENDAR_GOAL_MS} ms",
                f"same SQL directly p99 {pct(sql, 99):.1f} ms ({pct(latencies, 99) / pct(sql, 99):.1f}×)",
            )
        )
        return rows
    finally:
        await channel.close()
        server.shutdown()
        await server.wait_stopped()
        await org.close()
        await org_server.stop(0)
        await engine.dispose()
        issuer.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def run():
    return _run()
