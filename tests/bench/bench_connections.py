"""PostgreSQL connections one replica of a service opens: at rest, under load, at rest again (issue 19).

charts/zgov/README.md ("Connections") sizes PostgreSQL by a budget per replica: `poolSize` kept open
and `poolSize + poolOverflow` at a peak (the chart's defaults 5 and 3). This bench counts what
PostgreSQL actually sees of one replica, in pg_stat_activity: the client backends on the service's
own database (the services set no application_name; the database is the service's alone here).
Among them it names the sweep leaders' connections (those holding an advisory lock, taken from the
pool and held while they lead) and the outbox relay's LISTEN connection (plain asyncpg, outside the
pool: shared/outbox.py).

The service is org, run as bench_org runs it (`python -m services.org` in its own process against
PostgreSQL, NATS and Keycloak from deploy.local, a demo officer's token from Keycloak), twice: with
the chart's pool settings and with the code's own defaults (no ZGOV_DB_POOL_* set), each read back
through OrgSettings from the environment the process was given. For each:
1. at rest: 3 s after it reports SERVING (its sweeps have taken their leader locks), sampled for 1 s;
2. under load: CONCURRENCY callers each calling WhoMayAct and ListLeaves back to back on one channel
   for LOAD_SECONDS (far more calls in flight than the pool holds), pg_stat_activity sampled every
   50 ms from a connection to another database; the peak and the median of the samples;
3. at rest again, 3 s after the load (SQLAlchemy closes a returned connection when `pool_size` are
   idle already; the ones sweep leaders hold are not idle, so they are kept besides).
org is the only service that fills its pool at start (shared.db.fill_pool); the others open theirs
as calls come, so at rest they hold fewer until a first burst, and reach the same peak.

    python -m tests.bench connections
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import asyncpg
import grpc
import yaml
from sqlalchemy.engine import make_url

from deploy.local import tools
from services.org.config import OrgSettings
from tests.bench.bench_org import OrgProcess, Stack, local_stack
from zgov.org.v1 import org_pb2, org_pb2_grpc

TITLE = "org's PostgreSQL connections per replica (pg_stat_activity): at rest, under load, at rest again"
CONCURRENCY = 32
LOAD_SECONDS = 5.0
SAMPLE_SECONDS = 0.05
SETTLE_SECONDS = 3.0
REST_SAMPLE_SECONDS = 1.0
CLOSED_WITHIN_SECONDS = 15.0

# One row per client backend on the service's database; the sampler itself is on another database.
CONNECTIONS = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted))
           AS leading,
       count(*) FILTER (WHERE query ILIKE 'LISTEN %') AS listening
FROM pg_stat_activity
WHERE datname = $1 AND backend_type = 'client backend'
"""


@dataclass(frozen=True)
class Sample:
    total: int
    leading: int
    listening: int

    def describe(self) -> str:
        return f"{self.total} ({self.leading} leading / {self.listening} LISTEN)"


@dataclass(frozen=True)
class Budget:
    """What charts/zgov/README.md states per replica, and the chart's values it is computed from."""

    kept: int
    peak: int
    pool_size: int
    pool_overflow: int


def readme_budget() -> Budget:
    section = (tools.CHART / "README.md").read_text()
    kept = re.search(r"kept open \((\d+) × r × (\d+)\)", section)
    peak = re.search(r"at peak \((\d+) × r × (\d+)\)", section)
    if not (kept and peak):
        raise RuntimeError("charts/zgov/README.md no longer states the budget as 'kept open (n × r × k)'")
    database = yaml.safe_load((tools.CHART / "values.yaml").read_text())["defaults"]["database"]
    return Budget(int(kept[2]), int(peak[2]), database["poolSize"], database["poolOverflow"])


def pool_setting(env: dict[str, str]) -> tuple[int, int]:
    """pool_size and max_overflow as org reads them from the environment it was started with."""
    given = {
        key.removeprefix("ZGOV_").lower(): value for key, value in env.items() if key.startswith("ZGOV_")
    }
    settings = OrgSettings(**given)
    return settings.db_pool_size, settings.db_pool_overflow


async def sample(sampler: asyncpg.Connection, database: str) -> Sample:
    row = await sampler.fetchrow(CONNECTIONS, database)
    return Sample(row["total"], row["leading"], row["listening"])


async def sample_for(sampler: asyncpg.Connection, database: str, seconds: float) -> list[Sample]:
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(await sample(sampler, database))
        await asyncio.sleep(SAMPLE_SECONDS)
    return samples


def peak(samples: list[Sample]) -> Sample:
    return max(samples, key=lambda s: s.total)


async def load(address: str, metadata) -> tuple[int, Counter[str], float]:
    """CONCURRENCY callers, each calling back to back for LOAD_SECONDS: calls answered, failures, seconds."""
    who = org_pb2.WhoMayActRequest(position="mayor")
    who.at.GetCurrentTime()
    failures: Counter[str] = Counter()
    answered = 0
    async with grpc.aio.insecure_channel(address) as channel:
        stub = org_pb2_grpc.OrgServiceStub(channel)
        await stub.ListLeaves(org_pb2.ListLeavesRequest(), metadata=metadata)  # connected before the clock
        started = time.monotonic()
        deadline = started + LOAD_SECONDS

        async def caller(offset: int) -> None:
            nonlocal answered
            calls = [
                lambda: stub.WhoMayAct(who, metadata=metadata, timeout=30),
                lambda: stub.ListLeaves(org_pb2.ListLeavesRequest(), metadata=metadata, timeout=30),
            ]
            i = offset
            while time.monotonic() < deadline:
                try:
                    await calls[i % 2]()
                    answered += 1
                except grpc.aio.AioRpcError as exc:
                    failures[exc.code().name] += 1
                i += 1

        await asyncio.gather(*(caller(i) for i in range(CONCURRENCY)))
        return answered, failures, time.monotonic() - started


async def closed(sampler: asyncpg.Connection, database: str) -> None:
    """Until the stopped replica's connections are gone, so the next run starts from none."""
    deadline = time.monotonic() + CLOSED_WITHIN_SECONDS
    while (await sample(sampler, database)).total and time.monotonic() < deadline:
        await asyncio.sleep(0.2)


@dataclass
class Measured:
    pool: tuple[int, int]
    rest: Sample
    load: list[Sample]
    after: Sample
    answered: int
    failures: Counter[str]
    seconds: float


async def measure_one(
    stack: Stack, sampler: asyncpg.Connection, database: str, env: dict[str, str]
) -> Measured:
    org = OrgProcess(stack, env)
    try:
        await org.wait_serving()
        metadata = (("authorization", f"Bearer {stack.token_for('office-staff')}"),)
        await asyncio.sleep(SETTLE_SECONDS)
        rest = peak(await sample_for(sampler, database, REST_SAMPLE_SECONDS))
        during = asyncio.ensure_future(sample_for(sampler, database, LOAD_SECONDS + 0.5))
        answered, failures, seconds = await load(org.address, metadata)
        samples = await during
        await asyncio.sleep(SETTLE_SECONDS)
        after = peak(await sample_for(sampler, database, REST_SAMPLE_SECONDS))
    except Exception:
        print(f"org's log (tail):\n{org.log_tail()}")
        raise
    finally:
        org.stop()
    await closed(sampler, database)
    return Measured(pool_setting(org.env), rest, samples, after, answered, failures, seconds)


def rows_of(label: str, m: Measured, budget: Budget | None) -> list[tuple[str, str, str]]:
    size, overflow = m.pool
    top = peak(m.load)
    median = statistics.median(s.total for s in m.load)
    failed = ", ".join(f"{n} {code}" for code, n in sorted(m.failures.items())) or "0"
    kept_target = f"README: {budget.kept} kept per replica" if budget else f"pool_size {size}"
    peak_target = f"README: {budget.peak} at peak per replica" if budget else f"{size} + {overflow}"
    return [
        (f"{label}: pool_size + max_overflow (OrgSettings)", f"{size} + {overflow} = {size + overflow}", ""),
        (
            f"{label}: at rest after start-up, connections (leaders / LISTEN among them)",
            m.rest.describe(),
            kept_target,
        ),
        (
            f"{label}: under {CONCURRENCY} concurrent RPCs for {LOAD_SECONDS:.0f} s, peak (leaders / LISTEN); "
            f"median of {len(m.load)} samples every {SAMPLE_SECONDS * 1000:.0f} ms",
            f"{top.describe()}; {median:g}",
            peak_target,
        ),
        (
            f"{label}: RPCs answered during the load (per s), failed",
            f"{m.answered} ({m.answered / m.seconds:.0f}/s), {failed}",
            "",
        ),
        (f"{label}: at rest {SETTLE_SECONDS:.0f} s after the load", m.after.describe(), kept_target),
    ]


async def _measure(stack: Stack) -> list[tuple[str, str, str]]:
    budget = readme_budget()
    database = make_url(stack.database_url).database
    admin = make_url(stack.database_url).set(drivername="postgresql", database="postgres")
    sampler = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        chart = await measure_one(
            stack,
            sampler,
            database,
            {"ZGOV_DB_POOL_SIZE": str(budget.pool_size), "ZGOV_DB_POOL_OVERFLOW": str(budget.pool_overflow)},
        )
        code = await measure_one(stack, sampler, database, {})
    finally:
        await sampler.close()
    return [
        *rows_of("chart defaults", chart, budget),
        *rows_of("code defaults", code, None),
        ("machine load (1-min average, cores)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()}", ""),
    ]


def run() -> list[tuple[str, str, str]]:
    with local_stack() as stack:
        return asyncio.run(_measure(stack))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        for row in run():
            print(" | ".join(row))
