"""The citizens' portal: pages per second for the home page and a search results page.

Real: the portal as its own process (`python -m services.portal`, uvicorn, one worker), the
disclosure service in-process on an embedded PostgreSQL (migrations run, publications created and
published through its API) and NATS; tokens from the local stand-in issuer (tests/fixtures/
local_issuer.py: a real JWKS and client-credentials endpoint, no Keycloak), so the portal fetches
its service-account token and disclosure checks it offline as in production. The load generator
(httpx, CONCURRENCY requests in flight) shares this process with disclosure, on a 2-core machine:
the figures are what the whole chain gives here, not the portal alone.

Issue 17's row: the home page at 8 in flight with HTTP caching (services/portal/caching.py: the
portal keeps a public page a few seconds, answers If-None-Match with 304) beside the limit the same
uvicorn and load generator reach: a static file (/static/portal.css).

    python -m tests.bench portal
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import httpx

from deploy.local.servers import Nats, Postgres, free_port
from services.disclosure.__main__ import build
from services.disclosure.config import DisclosureSettings
from shared.convert import today_in_china
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.disclosure.v1 import publications_pb2_grpc

TITLE = "portal: pages per second (portal process → disclosure over gRPC → PostgreSQL)"
PUBLICATIONS = int(os.environ.get("ZGOV_BENCH_PORTAL_PUBLICATIONS", "300"))
CONCURRENCY = 8
SECONDS = float(os.environ.get("ZGOV_BENCH_PORTAL_SECONDS", "10"))
REPO = Path(__file__).resolve().parents[2]
SECRET = "bench-portal-secret"
HOME_GOAL = 2000  # pages/s (issue 17)
WORDS = ["经济运行", "义务教育", "医疗保障", "城市供水", "公交线路", "民营经济", "安全生产", "住房保障"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


async def seed(address: str, token: str) -> None:
    today = today_in_china()
    made = common_pb2.Date(year=today.year, month=today.month, day=today.day)
    metadata = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = publications_pb2_grpc.PublicationServiceStub(channel)
        for n in range(PUBLICATIONS):
            word = WORDS[n % len(WORDS)]
            created = await stub.CreatePublication(
                pb.CreatePublicationRequest(
                    content=pb.PublicationContent(
                        kind=pb.PUBLICATION_KIND_POLICY,
                        category=pb.CATEGORY_LIVELIHOOD,
                        title=f"关于{word}工作的通知（{n}）",
                        body=f"为做好{word}工作，现就有关事项通知如下。" * 20,
                        issuer_code="general-office",
                        issuer_name="资阳市人民政府办公室",
                        made_on=made,
                    )
                ),
                metadata=metadata,
            )
            await stub.PublishPublication(
                pb.PublishPublicationRequest(publication_id=created.id), metadata=metadata
            )


async def load(
    base_url: str, path_of, seconds: float, headers: dict | None = None, expect: tuple[int, ...] = (200,)
) -> tuple[int, list[float]]:
    """Requests for `seconds` with CONCURRENCY in flight: (count, latencies in s)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient, n: int) -> None:
        i = n
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get(path_of(i), headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code not in expect:
                raise RuntimeError(f"{path_of(i)} answered {response.status_code}: {response.text[:300]}")
            i += CONCURRENCY

    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)
    ) as client:
        await asyncio.gather(*(worker(client, n) for n in range(CONCURRENCY)))
    return len(latencies), latencies


async def _run() -> list[tuple[str, str]]:
    from tests.fixtures.local_issuer import LocalIssuer

    folder = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    postgres = Postgres(folder / "postgres", free_port())
    nats_server = Nats(folder / "nats", free_port())
    issuer = LocalIssuer().start()
    issuer.add_client(
        "portal", SECRET, {"disclosure": ["publication:read", "publication:comment", "application:submit"]}
    )
    postgres.start()
    nats_server.start()
    portal = None
    server = build(
        DisclosureSettings(
            database_url=postgres.ensure_database("disclosure_bench"),
            nats_url=nats_server.url,
            keycloak_url=issuer.url,
            grpc_port=0,
            consume_documents=False,
        )
    )
    await server.start()
    try:
        officer = issuer.token_for(
            "disclosure-officer",
            audience="disclosure",
            positions=["disclosure-officer"],
            groups=["general-office"],
            expires_in=3600,
            permissions=["publication:read", "publication:write", "publication:approve"],
        )
        started = time.perf_counter()
        await seed(server.address, officer)
        seeding = time.perf_counter() - started

        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ZGOV_")},
            "ZGOV_KEYCLOAK_URL": issuer.url,
            "ZGOV_CLIENT_SECRET": SECRET,
            "ZGOV_HTTP_PORT": str(port),
            "ZGOV_DISCLOSURE_ADDRESS": server.address,
            "ZGOV_LOG_LEVEL": "WARNING",
        }
        log = open(folder / "portal.log", "wb")  # noqa: SIM115 - closed with the folder
        portal = subprocess.Popen(
            [sys.executable, "-m", "services.portal"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        try:
            await load(base, lambda i: "/", 1)  # warm-up: channels, the service token, templates
        except RuntimeError:
            raise RuntimeError((folder / "portal.log").read_text(errors="replace")[-3000:]) from None

        rows = [("publications created and published", f"{PUBLICATIONS} in {seeding:.1f} s")]
        pages = (
            ("home page (/: latest publications)", lambda i: "/"),
            ("search results (/search?q=…, 20 hits)", lambda i: f"/search?q={WORDS[i % len(WORDS)]}"),
        )
        count, latencies = await load(base, lambda i: "/static/portal.css", SECONDS)
        static = count / SECONDS
        etag = httpx.get(f"{base}/", timeout=60).headers["etag"]
        for name, path_of in pages:
            count, latencies = await load(base, path_of, SECONDS)
            rate = count / SECONDS
            row = (
                f"{name}, {CONCURRENCY} in flight",
                f"{rate:.0f} pages/s, p50 {pct(latencies, 50):.1f} ms, "
                f"p95 {pct(latencies, 95):.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms",
            )
            if path_of(0) == "/":
                row += (f"≥ {HOME_GOAL:,} pages/s", f"static file {static:.0f}/s ({rate / static:.2f})")
            rows.append(row)
        # a poller's ETag: 304 while the page is unchanged, 200 with the new page once it changed
        count, latencies = await load(
            base, lambda i: "/", SECONDS, headers={"If-None-Match": etag}, expect=(200, 304)
        )
        rows.append(
            (
                f"home page revalidated (If-None-Match → 304 or the new page), {CONCURRENCY} in flight",
                f"{count / SECONDS:.0f} answers/s, p50 {pct(latencies, 50):.1f} ms",
                "",
                f"static file {static:.0f}/s ({count / SECONDS / static:.2f})",
            )
        )
        rows.append((f"static file /static/portal.css, {CONCURRENCY} in flight", f"{static:.0f} answers/s"))
        return rows
    finally:
        if portal is not None:
            portal.terminate()
            portal.wait(30)
        server.shutdown()
        await server.wait_stopped()
        issuer.stop()
        nats_server.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def run():
    return _run()
