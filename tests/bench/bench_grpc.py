"""gRPC read latency through GrpcServer (auth + permissions + tracing) vs a bare grpc.aio server.

docs/design.md targets: a read at 500 requests/s on one service has p99 under 10 ms, and the
overhead over a bare grpc.aio server answering the same message is under 3×.

Each server runs in its own process (as a service would); this process sends an
open-loop load (a call every 2 ms whether or not earlier ones returned) on one
channel and records each call's latency. Tokens are signed locally and their keys
served by a local JWKS endpoint (tests/fixtures/local_issuer.py), not by Keycloak:
the verification work in the server is the same, only the issuer differs.

    python -m tests.bench grpc
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import psutil

from shared.heap import freeze_startup_heap
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2, org_pb2_grpc
from tests.bench.figures import percentile

TITLE = "gRPC read, org-style ListPositions (shared.grpc_server)"
RATE = 500  # requests per second
SECONDS = 5.0
WARM_UP_SECONDS = 1.0
REPO = Path(__file__).resolve().parents[2]

POSITIONS = [
    "mayor",
    "executive-vice-mayor",
    "vice-mayor",
    "secretary-general",
    "deputy-secretary-general",
    "department-head",
    "office-staff",
    "research-office-staff",
    "justice-reviewer",
    "supervision-officer",
    "petition-officer",
    "disclosure-officer",
    "security-officer",
    "county-head",
    "citizen",
]


def positions_response() -> org_pb2.ListPositionsResponse:
    """What org answers for ListPositions with the demo realm: 15 positions, 1-3 holders each."""
    return org_pb2.ListPositionsResponse(
        positions=[
            org_pb2.PositionWithHolders(
                position=common_pb2.Position(code=code, title="副市长"),
                holders=[
                    org_pb2.PositionHolder(
                        user_id=f"3f2c9a1e-0000-4000-8000-{i:06d}{n:06d}",
                        username=f"{code}-{n}",
                        display_name="张志强",
                        organisation_code="general-office",
                    )
                    for n in range(1 + i % 3)
                ],
            )
            for i, code in enumerate(POSITIONS)
        ]
    )


# -- the servers (run in a child process) ----------------------------------------------


class BareOrg(org_pb2_grpc.OrgServiceServicer):
    def __init__(self):
        self.answer = positions_response()

    async def ListPositions(self, request, context):
        return self.answer


def _guarded_org():
    from shared.rpc_auth import current_actor, requires

    class GuardedOrg(org_pb2_grpc.OrgServiceServicer):
        def __init__(self):
            self.answer = positions_response()

        @requires("positions:read")
        async def ListPositions(self, request, context):
            current_actor()  # as a real servicer would, to record who read
            return self.answer

    return GuardedOrg()


async def _serve(kind: str, issuer: str, jwks_url: str) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    if kind == "bare":
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        org_pb2_grpc.add_OrgServiceServicer_to_server(BareOrg(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        print(f"port {port}", flush=True)
        await stopped.wait()
        await server.stop(0)
        return
    from shared.grpc_server import GrpcServer
    from shared.identity import TokenVerifier
    from shared.telemetry import configure_telemetry

    configure_telemetry("org")  # ids are made, spans not recorded: a service without OTLP set
    server = GrpcServer([_guarded_org()], verifier=TokenVerifier(issuer, "org", jwks_url), drain_delay=0)
    await server.start(freeze_heap=True)  # as serve_forever does in a service
    print(f"port {server.port}", flush=True)
    await stopped.wait()
    await server.shutdown()


class ServerProcess:
    def __init__(self, kind: str, issuer: str = "", jwks_url: str = ""):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.bench_grpc", "--serve", kind, issuer, jwks_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"{kind} server did not start: {line!r}")
        self.address = f"127.0.0.1:{line.split()[1]}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- the load -------------------------------------------------------------------------------


async def open_loop(
    address: str, tokens: list[str] | None, seconds: float, rate: int
) -> tuple[list[float], float]:
    """Latencies (s) of calls sent every 1/rate s for `seconds`, and the rate achieved."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = org_pb2_grpc.OrgServiceStub(channel)
        request = org_pb2.ListPositionsRequest()
        await stub.ListPositions(request, metadata=_metadata(tokens, 0))  # connect first

        async def one(i: int) -> float:
            started = time.perf_counter()
            await stub.ListPositions(request, metadata=_metadata(tokens, i), timeout=5)
            return time.perf_counter() - started

        count = int(seconds * rate)
        calls = []
        loop = asyncio.get_running_loop()
        begin = loop.time()
        for i in range(count):
            delay = begin + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            calls.append(asyncio.ensure_future(one(i)))
        latencies = await asyncio.gather(*calls)
        achieved = count / (loop.time() - begin)
    return list(latencies), achieved


def _metadata(tokens: list[str] | None, i: int):
    if tokens is None:
        return None
    return (("authorization", f"Bearer {tokens[i % len(tokens)]}"),)


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def measure(server: ServerProcess, tokens: list[str] | None) -> dict[str, float]:
    await open_loop(server.address, tokens[:1] if tokens else None, WARM_UP_SECONDS, RATE)
    cpu_before = cpu_seconds(server.process.pid)
    latencies, achieved = await open_loop(server.address, tokens, SECONDS, RATE)
    # CPU the server spent per call: unlike latency, hardly disturbed by other load on the machine.
    cpu_per_call = (cpu_seconds(server.process.pid) - cpu_before) / len(latencies)
    return {
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rate": achieved,
        "cpu_us": cpu_per_call * 1e6,
    }


async def _run() -> list[tuple[str, str, str]]:
    from tests.fixtures.local_issuer import LocalIssuer

    issuer = LocalIssuer().start()
    try:
        one_token = [issuer.token_for("office-staff", permissions=["positions:read"], expires_in=600)]
        # A fresh token per call: nothing cached, every call pays the RSA signature check.
        fresh_tokens = [
            issuer.token_for(f"user{i}", permissions=["positions:read"], expires_in=600)
            for i in range(int(SECONDS * RATE) + 1)
        ]
        # The load generator's own full collections would stall its calls and count against every server.
        freeze_startup_heap()
        results = {}
        for label, kind, tokens in [
            ("bare grpc.aio", "bare", None),
            ("GrpcServer, one token per client", "full", one_token),
            ("GrpcServer, a new token every call", "full", fresh_tokens),
        ]:
            server = ServerProcess(kind, issuer.issuer, issuer.jwks_url)
            try:
                results[label] = await measure(server, tokens)
            finally:
                server.stop()
    finally:
        issuer.stop()

    bare = results["bare grpc.aio"]
    rows = []
    for label, r in results.items():
        rows.append(
            (
                f"{label}: p50 / p99 at {r['rate']:.0f} req/s",
                f"{r['p50']:.2f} / {r['p99']:.2f} ms",
                "p99 < 10 ms" if label != "bare grpc.aio" else "",
            )
        )
    for label, r in results.items():
        rows.append((f"{label}: server CPU per call", f"{r['cpu_us']:.0f} µs", ""))
    for label, r in results.items():
        if label == "bare grpc.aio":
            continue
        rows.append(
            (
                f"overhead ({label}) p50 / p99 / CPU",
                f"{r['p50'] / bare['p50']:.2f}× / {r['p99'] / bare['p99']:.2f}× "
                f"/ {r['cpu_us'] / bare['cpu_us']:.2f}×",
                "< 3×",
            )
        )
    rows.append(("machine load (1-min average, cores)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()}", ""))
    return rows


def run():
    return _run()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(_serve(*sys.argv[2:5]))
    else:
        for row in asyncio.run(_run()):
            print(" | ".join(row))
