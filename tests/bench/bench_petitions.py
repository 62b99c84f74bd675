"""The petitions service's intake throughput and its overdue sweep, against a real PostgreSQL.

Issue 6 asks for "intake throughput and the overdue sweep over a million cases". Bounded by
default so `make bench` stays short on a 2-core machine; ZGOV_BENCH_PETITIONS_CASES=1000000 runs
the sweep over a million cases.

- Intake: RegisterCase on the servicer itself (validation, the person-key lock and repeat lookup,
  the insert, the audit record and the outbox event, one transaction each), as the petition
  officer, 8 at a time. gRPC and token checks are left out: bench_grpc and bench_org measure them.
- Sweep: the table is filled with cases by SQL (a fraction of them past their limit), then
  `emit_overdue_events` runs in rounds of 1,000 until no overdue case is left unescalated:
  the time to find a round's cases among all the others, and the escalations per second (each
  one an outbox event and an update, in the round's transaction).

    python -m tests.bench petitions
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from deploy.local.servers import Postgres, free_port
from services.petitions.__main__ import MIGRATIONS
from services.petitions.api import PetitionsServicer
from services.petitions.acts.overdue import emit_overdue_events
from shared.convert import today_in_china
from shared.db import create_engine, session_factory, transaction
from shared.identity import Actor
from shared.migrations import run_migrations
from shared.rpc_auth import acting_as
from shared.workdays import calendar
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import petitions_pb2

TITLE = "petitions: intake throughput and the overdue sweep (real PostgreSQL)"
INTAKES = 2000
CONCURRENCY = 8
CASES = int(os.environ.get("ZGOV_BENCH_PETITIONS_CASES", "100000"))
OVERDUE_SHARE = 0.05
BATCH = 1000

OFFICER = Actor(
    user_id="bench-officer",
    username="petition-officer",
    display_name="孙为民",
    positions=frozenset({"petition-officer"}),
    organisation_code="petition-bureau",
    permissions=frozenset({"petition:register", "petition:read", "petition:assign"}),
)


def intake(n: int) -> petitions_pb2.Intake:
    received = today_in_china() - timedelta(days=n % 10)
    return petitions_pb2.Intake(
        channel=petitions_pb2.CHANNEL_LETTER,
        received_on=common_pb2.Date(year=received.year, month=received.month, day=received.day),
        category=petitions_pb2.CATEGORY_REQUEST_APPEAL,
        title=f"来信 {n}",
        content="请求解决供水问题。" * 20,
        body_complained_about="housing-construction-bureau",
        # every 10th petitioner writes again: those are linked as repeats
        petitioners=[
            petitions_pb2.Petitioner(
                name=f"信访人{n % (INTAKES * 9 // 10)}", phone=f"139{n % (INTAKES * 9 // 10):08d}"
            )
        ],
    )


async def intake_throughput(sessions) -> tuple[float, int]:
    servicer = PetitionsServicer(sessions, calendar(), person_key_secret=b"bench")
    queue = iter(range(INTAKES))
    linked = 0

    async def worker():
        nonlocal linked
        with acting_as(OFFICER):
            for n in queue:
                reply = await servicer.RegisterCase(petitions_pb2.RegisterCaseRequest(intake=intake(n)), None)
                linked += reply.case.state == petitions_pb2.CASE_STATE_LINKED

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, linked


FILL = text("""
    INSERT INTO petition_case (
        id, serial, number, channel, category, state, received_on, title, content, petitioners,
        group_visit, group_size, body_complained_about, person_complained_about, attachments, hotline_ref,
        person_keys, query_code_hash, submitted_by_user_id, current_stage, current_due,
        overdue_notified_stage, handling_body_code, transferred_to, legal_route, triage_notice,
        new_facts_and_reasons, objections, handling_plan, extension_days, extension_reason,
        extension_approved_by, reply, reviews, reviewing_body_codes, leader_instructions, marked_leader_ids,
        satisfaction, satisfaction_comment)
    SELECT gen_random_uuid(), 10000000 + g, 'BENCH-' || g, 'letter', 'suggestion', 'in_handling',
        CAST(:today AS date) - 90, '建议', '内容', '[]', false, 1, '', '', '[]', '', '{}', md5(g::text), '',
        'handling',
        -- a share of the cases is past its limit, the others are not yet
        CASE WHEN g % :every = 0 THEN CAST(:today AS date) - 1 ELSE CAST(:today AS date) + (g % 60) END,
        '', 'anyue-county', '', '', '', '', '[]', '', 0, '', '', '', '[]', '{}', '[]', '{}', '', ''
    FROM generate_series(1, :count) AS g
""")


async def overdue_sweep(engine, sessions) -> list[tuple[str, str, str]]:
    today = today_in_china()
    every = round(1 / OVERDUE_SHARE)
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(FILL, {"today": today, "every": every, "count": CASES})
        await conn.execute(text("ANALYZE petition_case"))
    fill = time.perf_counter() - started
    overdue = CASES // every
    rounds, first_round, escalated = 0, None, 0
    started = time.perf_counter()
    while True:
        round_started = time.perf_counter()
        async with transaction(sessions) as session:
            written = await emit_overdue_events(session, today, "petition-bureau", BATCH)
        first_round = first_round or time.perf_counter() - round_started
        escalated += written
        rounds += 1
        if written < BATCH:
            break
    sweep = time.perf_counter() - started
    return [
        (f"fill {CASES:,} cases by SQL", f"{fill:.1f} s", ""),
        (f"sweep: {overdue:,} overdue among {CASES:,}", f"{escalated:,} escalated in {sweep:.1f} s", ""),
        ("sweep: escalations per second", f"{escalated / sweep:,.0f}/s", ""),
        (f"sweep: one round of {BATCH:,}", f"{first_round * 1000:.0f} ms", ""),
    ]


async def run() -> list[tuple[str, str, str]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-petitions-"))
    postgres = Postgres(folder / "pg", free_port())
    postgres.start()
    try:
        dsn = postgres.ensure_database("petitions")
        await run_migrations(dsn, MIGRATIONS)
        engine = create_engine(dsn, hide_parameters=True)
        sessions = session_factory(engine)
        try:
            seconds, linked = await intake_throughput(sessions)
            rows = [
                (
                    f"intake: {INTAKES:,} RegisterCase, {CONCURRENCY} at a time",
                    f"{INTAKES / seconds:,.0f} cases/s ({seconds:.1f} s)",
                    "",
                ),
                ("intake: repeats linked, not counted twice", f"{linked:,}", f"{INTAKES // 10:,}"),
            ]
            rows += await overdue_sweep(engine, sessions)
        finally:
            await engine.dispose()
        return rows
    finally:
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
