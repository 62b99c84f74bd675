"""The real org service's reads at a fixed rate, next to a bare grpc.aio server giving the same answer.

docs/design.md / issue 2 targets: an org read at 500 requests/s has p99 under 10 ms, and the overhead over
a bare grpc.aio server answering a message of the same size is under 3×.

Unlike bench_grpc (a synthetic servicer, locally signed tokens), everything here is real: PostgreSQL,
NATS and Keycloak from deploy.local (state in a temporary folder, stopped at the end), the org
service run as `python -m services.org` in its own process with its ZGOV_* environment, and an
access token of the demo user office-staff from Keycloak's password grant (deploy/keycloak/iam.py). A few leaves are written
through the RPCs first (the mayor away and approved by the executive vice mayor, others), so:

- WhoMayAct(position="mayor", at=a day of the mayor's leave) reads the approved absences and A/B pairs
  from PostgreSQL and answers "the executive vice mayor, A10";
- ListLeaves() reads the leaves (one page).

The bare server (its own process too) answers the very bytes org answered, whatever the request.
Both get the same requests with the same token. For each server and read:
1. 2 s at 50 req/s, which even a loaded machine keeps up with: the server's CPU time per call (its
   idle CPU, measured just before, subtracted), less disturbed by other work on the machine than
   latency; 1 s divided by it is what one core (one Python process) can serve;
2. bench_grpc's load: open loop, one call every 2 ms on one channel whether or not earlier ones
   returned, 1 s of warm-up, 5 s measured. A server that cannot keep up makes calls fail on their
   5 s deadline: they are counted, and their time to fail stays among the latencies. The server's
   CPU per call over those 5 s, times the rate, is its share of one core: a Python process near
   100 % queues calls, and its p99 shows that before its p50 does.

Cores: on a machine of two or more, the load generator and PostgreSQL, NATS and Keycloak run on
the first core and the server under test (org, then the bare one) on the others, so that the
generator's own CPU (~40 % of a core at 500 req/s) does not preempt the server it measures; in
production callers run elsewhere. The last rows say where everything ran.

Note: org re-reads positions and holders from Keycloak every 30 s (its directory TTL), in the
background (calls keep the previous snapshot meanwhile); the ~40 admin requests of a reload still
take CPU (~0.2 s here), so a measurement window that spans one shows it in the p99, as production
would. The machine is shared: the last row gives its load, and figures under a load above its cores
say more about the neighbours than about org.

    python -m tests.bench org
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from deploy.keycloak import iam
from deploy.local.keycloak import Keycloak, KeycloakInfo
from deploy.local.servers import Nats, Postgres, free_port
from shared.heap import freeze_startup_heap
from tests.bench.bench_grpc import (
    RATE,
    REPO,
    SECONDS,
    WARM_UP_SECONDS,
    ServerProcess,
    cpu_seconds,
    percentile,
)
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2, org_pb2_grpc

TITLE = "org service reads (real Keycloak token, PostgreSQL) vs bare grpc.aio, same answer"
ORG_SERVICE = org_pb2.DESCRIPTOR.services_by_name["OrgService"].full_name
CHINA = ZoneInfo("Asia/Shanghai")
P99_TARGET_MS = 10.0
OVERHEAD_TARGET = 3.0
DEADLINE_SECONDS = 5.0
# CPU per call is measured at a light rate first: even a loaded machine keeps up with it
LIGHT_RATE = 50
LIGHT_SECONDS = 2.0
SETTLE_SECONDS = 2.0
IDLE_SECONDS = 1.0


# -- the real servers ---------------------------------------------------------------------------------


@dataclass
class Stack:
    folder: Path
    database_url: str
    nats_url: str
    keycloak: KeycloakInfo

    def token_for(self, username: str) -> str:
        """A demo user's access token, as an integrator gets one: the password grant of the local
        demo-and-test client that the iam tool and the demo use (deploy/keycloak/iam.py)."""
        settings = iam.Settings(
            url=self.keycloak.url,
            realm=self.keycloak.realm,
            username=None,
            password=None,
            run_dir=self.folder,
            audit_log=self.folder / "iam-audit.log",  # a grant writes none
        )
        password = self.keycloak.demo_users[username]["password"]
        return iam.password_grant(settings, username, password)["access_token"]


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """PostgreSQL, NATS and Keycloak on free ports, all state in a temporary folder; stopped on exit."""
    # Not a pytest tmp folder: PostgreSQL runs as its own system user and must reach its data.
    folder = Path(tempfile.mkdtemp(prefix="zgov-bench-org-"))
    keycloak = Keycloak(folder / "keycloak", free_port(), free_port())
    postgres = Postgres(folder / "postgres", free_port())
    nats = Nats(folder / "nats", free_port())
    try:
        keycloak.launch()  # the slowest to come up: it starts while the others do
        postgres.start()
        nats.start()
        info = keycloak.start()
        yield Stack(folder, postgres.ensure_database("org"), nats.url, info)
    finally:
        for server in (keycloak, nats, postgres):
            try:
                server.stop()
            except Exception as exc:  # stop the others all the same
                print(f"could not stop {type(server).__name__}: {exc}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)


class OrgProcess(ServerProcess):
    """`python -m services.org` with its ZGOV_* environment; stopped (SIGTERM, drain) like bench_grpc's."""

    def __init__(self, stack: Stack, extra_env: dict[str, str] | None = None):
        port = free_port()
        self.log = stack.folder / "org.log"
        self.env = env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "ZGOV_SERVICE_NAME": "org",
            "ZGOV_DATABASE_URL": stack.database_url,
            "ZGOV_NATS_URL": stack.nats_url,
            "ZGOV_KEYCLOAK_URL": stack.keycloak.url,
            "ZGOV_CLIENT_ID": "org",
            "ZGOV_CLIENT_SECRET": stack.keycloak.client_secrets["org"],
            "ZGOV_GRPC_PORT": str(port),
            **(extra_env or {}),
        }
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.org"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.address = f"127.0.0.1:{port}"

    async def wait_serving(self, timeout: float = 120.0) -> None:
        """Until gRPC health says SERVING for the org service (after migrations and NATS)."""
        deadline = time.monotonic() + timeout
        async with grpc.aio.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"org exited ({self.process.returncode}): {self.log_tail()}")
                with contextlib.suppress(grpc.aio.AioRpcError):
                    reply = await health.Check(health_pb2.HealthCheckRequest(service=ORG_SERVICE), timeout=2)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"org not SERVING within {timeout:.0f} s: {self.log_tail()}")
                await asyncio.sleep(0.3)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else "(no log)"


class BareProcess(ServerProcess):
    """A bare grpc.aio server in its own process answering the given bytes for each method."""

    def __init__(self, answers: dict[str, bytes]):
        args = [f"{method}={answer.hex()}" for method, answer in answers.items()]
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, "--serve-bare", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"bare server did not start: {line!r}")
        self.address = f"127.0.0.1:{line.split()[1]}"


class BareOrg(org_pb2_grpc.OrgServiceServicer):
    """Pre-built answers: what a grpc.aio server costs with no auth, tracing, database or directory."""

    def __init__(self, answers: dict[str, bytes]):
        self.who = org_pb2.WhoMayActResponse.FromString(answers["WhoMayAct"])
        self.leaves = org_pb2.ListLeavesResponse.FromString(answers["ListLeaves"])

    async def WhoMayAct(self, request, context):
        return self.who

    async def ListLeaves(self, request, context):
        return self.leaves


async def _serve_bare(args: list[str]) -> None:
    answers = {method: bytes.fromhex(answer) for method, answer in (a.split("=", 1) for a in args)}
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    org_pb2_grpc.add_OrgServiceServicer_to_server(BareOrg(answers), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(f"port {port}", flush=True)
    await stopped.wait()
    await server.stop(0)


# -- cores ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cores:
    """Where the load generator (with the stack it starts) and the server under test run."""

    load: set[int]
    server: set[int]

    @classmethod
    def split(cls) -> Cores | None:
        available = sorted(os.sched_getaffinity(0))
        return cls({available[0]}, set(available[1:])) if len(available) >= 2 else None

    def pin_server(self, pid: int) -> None:
        """Every thread of `pid` (grpc's own threads included) onto the server's cores."""
        for thread in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):  # a thread that just ended
                os.sched_setaffinity(int(thread), self.server)

    def describe(self) -> str:
        return f"load generator and stack on {sorted(self.load)}, server under test on {sorted(self.server)}"


# -- seeding and the reads ------------------------------------------------------------------------------


def day(value) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


async def seed_leaves(stub: org_pb2_grpc.OrgServiceStub, stack: Stack) -> datetime:
    """A few leaves written through the RPCs; returns a moment while the mayor is away (approved)."""
    auth = {
        u: (("authorization", f"Bearer {stack.token_for(u)}"),)
        for u in ("mayor", "evm", "vice-mayor-1", "vice-mayor-2")
    }
    today = datetime.now(CHINA).date()

    async def leave(username: str, position: str, first: int, last: int, approver: str | None) -> None:
        requested = await stub.RequestLeave(
            org_pb2.RequestLeaveRequest(
                position=position,
                kind=org_pb2.LEAVE_KIND_LEAVE,
                first_day=day(today + timedelta(first)),
                last_day=day(today + timedelta(last)),
                reason="公务安排",
            ),
            metadata=auth[username],
        )
        if approver:
            await stub.ApproveLeave(
                org_pb2.ApproveLeaveRequest(leave_id=requested.id, opinion="同意"), metadata=auth[approver]
            )

    await leave("mayor", "mayor", 30, 33, approver="evm")
    await leave("evm", "executive-vice-mayor", 60, 61, approver="mayor")
    await leave("vice-mayor-1", "vice-mayor", 40, 40, approver=None)
    await leave("vice-mayor-2", "vice-mayor", 45, 47, approver="mayor")
    return datetime.combine(today + timedelta(31), datetime.min.time().replace(hour=10), CHINA)


@dataclass
class Read:
    method: str
    request: object


def reads(mayor_away_at: datetime) -> list[Read]:
    who = org_pb2.WhoMayActRequest(position="mayor")
    who.at.FromDatetime(mayor_away_at)
    return [Read("WhoMayAct", who), Read("ListLeaves", org_pb2.ListLeavesRequest())]


async def open_loop(call: Callable[[], Awaitable], seconds: float, rate: int) -> tuple[list[float], float]:
    """Latencies (s) of calls started every 1/rate s for `seconds`, and the rate they were sent at.

    bench_grpc's load, for any call."""

    async def one() -> float:
        started = time.perf_counter()
        await call()
        return time.perf_counter() - started

    loop = asyncio.get_running_loop()
    count = int(seconds * rate)
    calls = []
    begin = loop.time()
    for i in range(count):
        delay = begin + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        calls.append(asyncio.ensure_future(one()))
    sent = count / (loop.time() - begin + 1 / rate)
    return list(await asyncio.gather(*calls)), sent


async def cpu_rate(pid: int, seconds: float) -> float:
    """CPU seconds per second the process spends over `seconds` of this process waiting."""
    before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.perf_counter() - started)


async def measure(address: str, pid: int, read: Read, metadata) -> dict:
    """One server, one read: CPU per call and latency at a light rate, then latency at RATE."""
    failures: Counter[str] = Counter()
    async with grpc.aio.insecure_channel(address) as channel:
        method = getattr(org_pb2_grpc.OrgServiceStub(channel), read.method)

        async def call() -> None:
            # An overloaded server makes calls fail on their deadline: counted (and their time
            # to fail kept among the latencies), so the figures still come out.
            try:
                await method(read.request, metadata=metadata, timeout=DEADLINE_SECONDS)
            except grpc.aio.AioRpcError as exc:
                failures[exc.code().name] += 1

        await call()  # connected before anything is timed
        idle = await cpu_rate(pid, IDLE_SECONDS)  # what the server spends doing nothing
        cpu_before, started = cpu_seconds(pid), time.perf_counter()
        light, _ = await open_loop(call, LIGHT_SECONDS, LIGHT_RATE)
        elapsed = time.perf_counter() - started
        cpu_per_call = (cpu_seconds(pid) - cpu_before - idle * elapsed) / len(light)
        await open_loop(call, WARM_UP_SECONDS, RATE)
        failures.clear()
        cpu_before, started = cpu_seconds(pid), time.perf_counter()
        latencies, sent = await open_loop(call, SECONDS, RATE)
        cpu_at_rate = (cpu_seconds(pid) - cpu_before) / len(latencies)
        answered = (len(latencies) - sum(failures.values())) / (time.perf_counter() - started)
    await asyncio.sleep(SETTLE_SECONDS)  # an overloaded server finishes its queue before the next run
    return {
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "over_target": sum(latency * 1000 > P99_TARGET_MS for latency in latencies) / len(latencies),
        "calls": len(latencies),
        "failures": dict(failures),
        "rate": sent,
        "answered": answered,
        "light_p50": percentile(light, 50) * 1000,
        "light_p99": percentile(light, 99) * 1000,
        "cpu_us": cpu_per_call * 1e6,
        "cpu_at_rate_us": cpu_at_rate * 1e6,
    }


async def _measure(stack: Stack, cores: Cores | None) -> list[tuple[str, str, str]]:
    org = OrgProcess(stack)
    try:
        if cores:
            cores.pin_server(org.process.pid)
        await org.wait_serving()
        if cores:  # again: threads started before the first pin took effect
            cores.pin_server(org.process.pid)
        async with grpc.aio.insecure_channel(org.address) as channel:
            stub = org_pb2_grpc.OrgServiceStub(channel)
            mayor_away_at = await seed_leaves(stub, stack)
            metadata = (("authorization", f"Bearer {stack.token_for('office-staff')}"),)
            answers = {}
            for read in reads(mayor_away_at):
                reply = await getattr(stub, read.method)(read.request, metadata=metadata)
                answers[read.method] = reply.SerializeToString()
        who = org_pb2.WhoMayActResponse.FromString(answers["WhoMayAct"])
        if who.basis != "A10":
            raise RuntimeError(f"WhoMayAct did not see the seeded leave of the mayor: {who}")
        # The load generator's own full collections would stall its calls and count against both servers.
        freeze_startup_heap()
        results = {}
        for read in reads(mayor_away_at):
            opened_before = await sessions_opened(stack)
            results[("org", read.method)] = await measure(org.address, org.process.pid, read, metadata)
            # less our own look-up; a pool too small for the bursts opens a connection per call of a burst
            results[("org", read.method)]["sessions"] = await sessions_opened(stack) - opened_before - 1
    except Exception:
        print(f"org's log (tail):\n{org.log_tail()}", file=sys.stderr)
        raise
    finally:
        org.stop()
    bare = BareProcess(answers)
    if cores:
        cores.pin_server(bare.process.pid)
    try:
        for read in reads(mayor_away_at):
            results[("bare", read.method)] = await measure(bare.address, bare.process.pid, read, metadata)
    finally:
        bare.stop()
    return rows(results, answers, cores)


async def sessions_opened(stack: Stack) -> int:
    """Database sessions PostgreSQL has opened on org's database so far (pg_stat_database)."""
    connection = await asyncpg.connect(stack.database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )
    finally:
        await connection.close()


def failed(result: dict) -> str:
    if not result["failures"]:
        return f"0 of {result['calls']}"
    codes = ", ".join(f"{count} {code}" for code, count in sorted(result["failures"].items()))
    return f"{sum(result['failures'].values())} of {result['calls']} ({codes})"


def rows(results: dict, answers: dict[str, bytes], cores: Cores | None) -> list[tuple[str, str, str]]:
    out = []
    for method, answer in answers.items():
        org, bare = results[("org", method)], results[("bare", method)]
        out += [
            (
                f"{method} ({len(answer)}-byte answer), org: p50 / p99 at {org['rate']:.0f} req/s",
                f"{org['p50']:.2f} / {org['p99']:.2f} ms",
                f"p99 < {P99_TARGET_MS:.0f} ms",
            ),
            (
                f"{method}, bare grpc.aio: p50 / p99 at {bare['rate']:.0f} req/s",
                f"{bare['p50']:.2f} / {bare['p99']:.2f} ms",
                "",
            ),
            (
                f"{method}, org at {RATE} req/s: calls over {P99_TARGET_MS:.0f} ms / failed / answered per s",
                f"{org['over_target']:.1%} / {failed(org)} / {org['answered']:.0f}",
                f"< 1% / 0 / {RATE}",
            ),
            (
                f"{method}, overhead org / bare at {RATE} req/s: p50 / p99",
                f"{org['p50'] / bare['p50']:.2f}× / {org['p99'] / bare['p99']:.2f}×",
                f"< {OVERHEAD_TARGET:.0f}×",
            ),
            (
                f"{method}, at {LIGHT_RATE} req/s p50 / p99: org | bare",
                f"{org['light_p50']:.2f} / {org['light_p99']:.2f} | "
                f"{bare['light_p50']:.2f} / {bare['light_p99']:.2f} ms",
                "",
            ),
            # CPU per call hardly depends on other load on the machine. At the light rate each call
            # pays its own wake-ups; at the full rate several calls share them, so it costs less.
            (
                f"{method}, server CPU per call at {LIGHT_RATE} req/s, idle subtracted: org / bare",
                f"{org['cpu_us']:.0f} / {bare['cpu_us']:.0f} µs ({org['cpu_us'] / bare['cpu_us']:.1f}×)",
                f"< {OVERHEAD_TARGET:.0f}×",
            ),
            (
                f"{method}, server CPU per call at {RATE} req/s: org / bare (org's share of one core; "
                "calls one core serves)",
                f"{org['cpu_at_rate_us']:.0f} / {bare['cpu_at_rate_us']:.0f} µs "
                f"({org['cpu_at_rate_us'] * RATE / 1e6:.0%}; {1e6 / org['cpu_at_rate_us']:.0f}/s)",
                f"> {RATE}/s",
            ),
            (f"{method}, database connections org opened while measured", f"{org['sessions']}", "0 (pooled)"),
        ]
    out.append(("machine load (1-min average, cores)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()}", ""))
    out.append(("cores", cores.describe() if cores else "one core: load generator and server share it", ""))
    return out


def run() -> list[tuple[str, str, str]]:
    cores = Cores.split()
    everything = os.sched_getaffinity(0)
    if cores:  # PostgreSQL, NATS and Keycloak inherit it when local_stack starts them
        os.sched_setaffinity(0, cores.load)
    try:
        with local_stack() as stack:
            return asyncio.run(_measure(stack, cores))
    finally:
        os.sched_setaffinity(0, everything)  # the benchmarks after this one get every core again


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-bare"]:
        asyncio.run(_serve_bare(sys.argv[2:]))
    else:
        for row in run():
            print(" | ".join(row))
