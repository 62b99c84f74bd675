"""The escalation sweep over a million open items: seconds per full daily pass.

A million open items (acknowledged, due over the coming year), their next check days spread over the
next 250 working days as the ladder leaves them; on the day measured, the items whose check day has come
(ITEMS / 250, about 4,000) each take their step (warned: due in 5 working days) in rounds of
ZGOV_SWEEP_BATCH (500), every step written with its audit record, escalation row and event. Measured: a
round when nothing is due (the index range read the sweep pays every ZGOV_SWEEP_SECONDS), and the full
pass that takes every step due that day.
Target chosen here (docs/design.md has none for it): the day's full pass < 60 s — well inside the
300-second sweep interval — and a round with nothing due < 50 ms.

ZGOV_BENCH_SUPERVISION_ITEMS sets the number of items (default 1,000,000; filling them takes a minute
or two). Starts its own PostgreSQL; org's answers from a fixed directory (supervision_world.py).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from deploy.local.servers import Postgres, free_port
from services.supervision.__main__ import MIGRATIONS
from services.supervision.acts.items import Context
from services.supervision.domain.items import Limits
from services.supervision.sweep import sweep_once
from shared.convert import today_in_china
from shared.db import create_engine, session_factory, transaction
from shared.migrations import run_migrations
from shared.workdays import calendar
from tests.bench.supervision_world import DirectoryPeople

TITLE = "supervision: escalation sweep over open items (sweep.sweep_once, acts/escalation.py)"
ITEMS = int(os.environ.get("ZGOV_BENCH_SUPERVISION_ITEMS", "1000000"))
SPREAD_DAYS = 250
BATCH = 500

FILL = """
INSERT INTO supervision_item (
    id, year, sequence, number, kind, state, colour, source_service, source_ref, source_reference,
    earlier_sources, title, requirement, urgency, cadence, finding_source, instructing_leader_user_id,
    instructed_by_acting_user_id, lead_body_code, first_responsible_user_id, co_body_codes,
    supervising_leader_user_id, registered_on, assigned_on, due, due_provisional, next_report_due,
    next_check_on, reports, objections, co_opinions, completion, verifications, extensions, rechecks,
    evaluations)
SELECT gen_random_uuid(), CAST(:year AS integer), g, '督〔' || CAST(:year AS text) || '〕' || g || '号', 'key_task', 'acknowledged', 'green',
    'supervision', 'bench/' || g, '', '[]', '重点工作' || g, '按期完成', 'ordinary', 'monthly', '',
    '', '', (ARRAY['education-bureau','transport-bureau','anyue-county','lezhi-county'])[1 + g % 4],
    'head', '{}', 'vice-mayor-1', CAST(:today AS date), CAST(:today AS date),
    CASE WHEN g % CAST(:spread AS integer) = 0 THEN CAST(:warn_due AS date) ELSE CAST(:today AS date) + 200 + g % 150 END,
    false, CAST(:today AS date) + 400,
    CASE WHEN g % CAST(:spread AS integer) = 0 THEN CAST(:today AS date)
         ELSE CAST(:today AS date) + 1 + g % CAST(:spread AS integer) END,
    '[]', '[]', '[]', '{}', '[]', '[]', '[]', '[]'
FROM generate_series(1, CAST(:items AS integer)) AS g
"""


async def measure(dsn: str) -> list[tuple[str, str, str]]:
    await run_migrations(dsn, MIGRATIONS)
    engine = create_engine(dsn, pool_size=4)
    sessions = session_factory(engine)
    cal = calendar()
    today = today_in_china()
    warn_due = cal.add_working_days(today, Limits().warn_days_before).due
    try:
        started = time.perf_counter()
        async with transaction(sessions) as session:
            await session.execute(
                text(FILL),
                {
                    "year": today.year,
                    "today": today,
                    "warn_due": warn_due,
                    "spread": SPREAD_DAYS,
                    "items": ITEMS,
                },
            )
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE supervision_item"))
        fill_seconds = time.perf_counter() - started
        ctx = Context(cal, today, Limits(), DirectoryPeople())

        # the day's full pass: rounds until no item has a step due
        looked_total = steps_total = rounds = 0
        started = time.perf_counter()
        while True:
            async with transaction(sessions) as session:
                looked, steps = await sweep_once(session, ctx, BATCH)
            rounds += 1
            looked_total += looked
            steps_total += steps
            if looked < BATCH:
                break
        pass_seconds = time.perf_counter() - started

        # a round with nothing due (what every interval costs between check days)
        idle = []
        for _ in range(20):
            started = time.perf_counter()
            async with transaction(sessions) as session:
                await sweep_once(session, ctx, BATCH)
            idle.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    idle.sort()
    return [
        (f"open items (filled in {fill_seconds:.0f} s)", f"{ITEMS:,}", ""),
        (
            f"due today: looked at / steps taken ({rounds} rounds of {BATCH})",
            f"{looked_total:,} / {steps_total:,}",
            "",
        ),
        (
            "the day's full pass",
            f"{pass_seconds:.1f} s ({steps_total / pass_seconds:,.0f} steps/s)",
            "< 60 s",
        ),
        ("a round with nothing due (median of 20)", f"{idle[len(idle) // 2] * 1000:.1f} ms", "< 50 ms"),
    ]


async def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-supervision-sweep-") as tmp:
        pg = Postgres(Path(tmp) / "postgres", free_port())
        pg.start()
        try:
            return await measure(pg.ensure_database("supervision"))
        finally:
            pg.stop()
