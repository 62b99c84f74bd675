"""The documents service: filing-to-issued throughput and number assignment under 50 concurrent issuers.

Measured (issue 3, `make bench`):
- draft → sign-off → issue of routine outgoing documents, one pipeline after another, 8 in flight,
  driven by an integrator in a process of its own (a department's system is never in the service's
  process), with the CPU each document cost: the documents service's process (servicer and gRPC
  server), PostgreSQL's backends, the PDF renderer process, and the integrator;
- the limit of this machine for the same path (issue 17): the simplest authenticated write RPC — the
  token checked, the permission, one INSERT and its commit — through the same GrpcServer from the same
  integrator, 8 in flight. A document is three write RPCs, so a third of that rate is what this
  machine allows for documents before any rule, act or event is written;
- the cores 300 documents/s would take, from the CPU per document: what to give documents' replicas,
  PostgreSQL and the renderer pool where the target is met;
- IssueDocument of 500 signed documents with 50 calls in flight on one issuer code and year: the
  rate, and whether the numbers are exactly 1..500 (no repeat, no gap).

Real: PostgreSQL (embedded, migrations run), the documents servicer in GrpcServer with offline token
verification (locally signed RS256 tokens from tests/fixtures/local_issuer.py, as bench_grpc does).
Not real, and said so: Keycloak is not started, and `org` is a small in-process OrgService with fixed
holders (nobody away, no portfolios) — the figures are the documents service's own cost. No NATS:
events stay in the outbox (the relay is not measured).

    python -m tests.bench documents
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import grpc
import psutil
from sqlalchemy import text

from deploy.local.servers import Postgres, free_port
from services.documents.__main__ import MIGRATIONS
from services.documents.api import DocumentsServicer
from shared.db import create_engine, session_factory, transaction
from shared.grpc_server import GrpcServer
from shared.identity import TokenVerifier
from shared.migrations import run_migrations
from shared.org_client import OrgClient
from shared.rpc_auth import requires
from shared.service_auth import StaticToken
from shared.workdays import calendar
from tests.bench.figures import cpu_seconds, percentile
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import documents_pb2_grpc
from zgov.org.v1 import org_pb2, org_pb2_grpc

TITLE = "documents: filing-to-issued throughput, numbers under 50 concurrent issuers"
PIPELINES = 150
IN_FLIGHT = 8
ISSUES = 500
ISSUERS_IN_FLIGHT = 50
GOAL = 300  # documents/s through draft → sign-off → issue (issue 17)
FLOOR_CALLS = 600
RPCS_PER_DOCUMENT = 3  # draft, sign-off, issue


def user_id(username: str) -> str:
    """The `sub` LocalIssuer gives a username."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, username))


class FixedOrg(org_pb2_grpc.OrgServiceServicer):
    """Stand-in for org in this benchmark only: fixed holders, nobody away, no portfolios."""

    async def ListOrganisations(self, request, context):
        return org_pb2.ListOrganisationsResponse(
            organisations=[
                common_pb2.Organisation(
                    code="general-office", name="市政府办公室", kind=common_pb2.ORGANISATION_KIND_OFFICE
                )
            ]
        )

    async def ListPositions(self, request, context):
        return org_pb2.ListPositionsResponse(
            positions=[
                org_pb2.PositionWithHolders(
                    position=common_pb2.Position(code=p, title=p),
                    holders=[org_pb2.PositionHolder(user_id=user_id(p), username=p, display_name=p)],
                )
                for p in ("mayor", "secretary-general")
            ]
        )

    async def WhoMayAct(self, request, context):
        holder = request.holder_user_id or user_id(request.position)
        return org_pb2.WhoMayActResponse(
            position=request.position, holder_user_id=holder, acting_user_id=holder, basis="holder present"
        )

    async def FindPortfolioHolder(self, request, context):
        return org_pb2.FindPortfolioHolderResponse()


class OneInsert(documents_pb2_grpc.DocumentsServiceServicer):
    """The limit of this machine for a write RPC: the token and the permission checked as for every
    RPC, then one INSERT and its commit, and a fixed reply. Nothing of the documents service runs."""

    def __init__(self, sessions):
        self.sessions = sessions
        self.reply = pb.Document(id=str(uuid.uuid4()))

    @requires("document:draft")
    async def DraftDocument(self, request, context):
        async with transaction(self.sessions) as session:
            await session.execute(text("INSERT INTO bench_write (id) VALUES (:id)"), {"id": uuid.uuid4()})
        return self.reply


class CpuMeter:
    """CPU seconds spent between two readings: this process (the documents service), PostgreSQL (the
    postmaster and its backends), this process's other children (the PDF renderer) and the integrator."""

    def __init__(self, postgres_pid: int, integrator_pid: int):
        self.me = psutil.Process(os.getpid())
        self.postgres = psutil.Process(postgres_pid)
        self.integrator = psutil.Process(integrator_pid)

    def read(self) -> tuple[float, float, float, float]:
        renderer = [c for c in self.me.children(recursive=True) if c.pid != self.integrator.pid]
        return (
            cpu_seconds([self.me]),
            cpu_seconds([self.postgres, *self.postgres.children(recursive=True)]),
            cpu_seconds(renderer),
            cpu_seconds([self.integrator]),
        )

    @staticmethod
    def per(before, after, count: int) -> tuple[float, ...]:
        """Milliseconds per item: service, PostgreSQL, renderer, integrator."""
        return tuple((b - a) * 1000 / count for a, b in zip(before, after, strict=True))


def content(title: str, issuer_code: str) -> pb.DocumentContent:
    return pb.DocumentContent(
        kind=pb.DOCUMENT_KIND_NOTICE,
        title=title,
        body="……",
        urgency=pb.URGENCY_ORDINARY,
        classification=pb.CLASSIFICATION_NONE,
        authority=pb.SIGN_OFF_AUTHORITY_ROUTINE,
        issuer_code=issuer_code,
        disclosure=pb.DISCLOSURE_ATTRIBUTE_PROACTIVE,
    )


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


class Integrator:
    """A department's system calling the documents service, in a process of its own: the jobs `floor`
    (one write RPC each) and `pipelines` (draft → sign-off → issue each), timed there."""

    def __init__(self, address: str, floor_address: str, office, signer):
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_integrator_main, args=(theirs, address, floor_address, office, signer), daemon=True
        )
        self.process.start()

    async def run(self, job: str, count: int, in_flight: int) -> tuple[float, list[float]]:
        self.connection.send((job, count, in_flight))
        return await asyncio.to_thread(self.connection.recv)

    def close(self) -> None:
        self.connection.send(None)
        self.process.join(timeout=10)


def _integrator_main(connection, address: str, floor_address: str, office, signer) -> None:
    asyncio.run(_integrator_jobs(connection, address, floor_address, office, signer))


async def _integrator_jobs(connection, address: str, floor_address: str, office, signer) -> None:
    async with (
        grpc.aio.insecure_channel(address) as channel,
        grpc.aio.insecure_channel(floor_address) as floor_channel,
    ):
        stub = documents_pb2_grpc.DocumentsServiceStub(channel)
        floor_stub = documents_pb2_grpc.DocumentsServiceStub(floor_channel)
        one_draft = pb.DraftDocumentRequest(
            direction=pb.DIRECTION_OUTGOING, content=content("预热", "资府办发")
        )
        numbered = itertools.count()

        def one_write():
            return floor_stub.DraftDocument(one_draft, metadata=office)

        async def pipeline():
            draft = await stub.DraftDocument(
                pb.DraftDocumentRequest(
                    direction=pb.DIRECTION_OUTGOING,
                    content=content(f"关于第{next(numbered)}项工作的通知", "资府办函"),
                ),
                metadata=office,
            )
            await stub.SignOffDocument(
                pb.SignOffDocumentRequest(document_id=draft.id, circle_read=True), metadata=signer
            )
            await stub.IssueDocument(pb.IssueDocumentRequest(document_id=draft.id), metadata=office)

        jobs = {"floor": one_write, "pipelines": pipeline}
        while (job := await asyncio.to_thread(connection.recv)) is not None:
            name, count, in_flight = job
            connection.send(await timed_calls([jobs[name]] * count, in_flight))


async def _run() -> list[tuple[str, str]]:
    from tests.fixtures.local_issuer import LocalIssuer

    folder = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    postgres = Postgres(folder / "postgres", free_port())
    postgres.start()
    issuer = LocalIssuer().start()
    org_server = grpc.aio.server()
    org_pb2_grpc.add_OrgServiceServicer_to_server(FixedOrg(), org_server)
    org_port = org_server.add_insecure_port("127.0.0.1:0")
    await org_server.start()
    dsn = postgres.ensure_database("documents_bench")
    await run_migrations(dsn, MIGRATIONS)
    engine = create_engine(dsn, pool_size=30, max_overflow=30)
    org = OrgClient(f"127.0.0.1:{org_port}", StaticToken("bench"), ttl_seconds=300)
    servicer = DocumentsServicer(session_factory(engine), org, calendar())
    server = GrpcServer(
        [servicer],
        verifier=TokenVerifier(issuer.issuer, "documents", issuer.jwks_url),
        drain_delay=0,
        telemetry=False,
    )
    await server.start()
    channel = grpc.aio.insecure_channel(server.address)
    stub = documents_pb2_grpc.DocumentsServiceStub(channel)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS bench_write (id uuid PRIMARY KEY)"))
    floor_server = GrpcServer(
        [OneInsert(session_factory(engine))],
        verifier=TokenVerifier(issuer.issuer, "documents", issuer.jwks_url),
        drain_delay=0,
        telemetry=False,
    )
    await floor_server.start()

    def bearer(username: str, position: str, permissions: list[str]):
        token = issuer.token_for(
            username,
            audience="documents",
            positions=[position],
            groups=["general-office"],
            expires_in=3600,
            permissions=permissions,
        )
        return (("authorization", f"Bearer {token}"),)

    office = bearer("office-staff", "office-staff", ["document:read", "document:draft", "document:issue"])
    signer = bearer("secretary-general", "secretary-general", ["document:read", "document:sign"])
    integrator = Integrator(server.address, floor_server.address, office, signer)
    meter = CpuMeter(postgres.running_pid(), integrator.process.pid)

    async def draft_and_sign(title: str, issuer_code: str) -> str:
        draft = await stub.DraftDocument(
            pb.DraftDocumentRequest(direction=pb.DIRECTION_OUTGOING, content=content(title, issuer_code)),
            metadata=office,
        )
        await stub.SignOffDocument(
            pb.SignOffDocumentRequest(document_id=draft.id, circle_read=True), metadata=signer
        )
        return draft.id

    try:
        # warm-up: connections, token keys, org answers, the integrator's imports
        await integrator.run("floor", 50, IN_FLIGHT)
        await integrator.run("pipelines", 10, IN_FLIGHT)
        await servicer.pdfs.drained()
        before = meter.read()
        seconds, floor_latencies = await integrator.run("floor", FLOOR_CALLS, IN_FLIGHT)
        floor_cpu = CpuMeter.per(before, meter.read(), FLOOR_CALLS)
        floor_rate = FLOOR_CALLS / seconds
        limit = floor_rate / RPCS_PER_DOCUMENT

        before = meter.read()
        seconds, latencies = await integrator.run("pipelines", PIPELINES, IN_FLIGHT)
        during = meter.read()
        started = time.perf_counter()
        await servicer.pdfs.drained()  # the PDFs of the issued documents, rendered after issue
        kept_after = time.perf_counter() - started
        rate = PIPELINES / seconds
        service, database, _, caller = CpuMeter.per(before, during, PIPELINES)
        renderer = CpuMeter.per(before, meter.read(), PIPELINES)[2]
        rows = [
            (
                f"draft → sign-off → issue ({IN_FLIGHT} in flight)",
                f"{rate:.0f} documents/s, p50 {percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms",
                f"≥ {GOAL} documents/s",
                f"{limit:.0f} documents/s ({rate / limit:.2f})",
            ),
            (
                "CPU per document: documents service / PostgreSQL / PDF renderer / integrator",
                f"{service:.1f} / {database:.1f} / {renderer:.1f} / {caller:.1f} ms",
            ),
            (
                f"cores {GOAL} documents/s takes: documents replicas / PostgreSQL / renderer pool",
                " / ".join(f"{ms * GOAL / 1000:.1f}" for ms in (service, database, renderer))
                + f" (this machine: {psutil.cpu_count()})",
            ),
            (
                f"their {PIPELINES} PDFs kept (rendered after issue by the renderer process)",
                f"{kept_after:.1f} s after the last issue",
            ),
            (
                f"limit: one write RPC (token, permission, one INSERT + commit), {IN_FLIGHT} in flight",
                f"{floor_rate:.0f} RPCs/s = {limit:.0f} documents/s at {RPCS_PER_DOCUMENT} RPCs each; "
                f"p50 {percentile(floor_latencies, 50) * 1000:.1f} ms; CPU per RPC (service / PostgreSQL) "
                f"{floor_cpu[0]:.1f} / {floor_cpu[1]:.1f} ms",
            ),
        ]

        signed: list[str] = []

        def prepare(i: int):
            async def run():
                signed.append(await draft_and_sign(f"关于第{i}批事项的通知", "资府发"))

            return run

        await timed_calls([prepare(i) for i in range(ISSUES)], IN_FLIGHT)
        numbers: list[int] = []

        def issue(document_id: str):
            async def run():
                reply = await stub.IssueDocument(
                    pb.IssueDocumentRequest(document_id=document_id), metadata=office
                )
                numbers.append(reply.number_sequence)

            return run

        seconds, latencies = await timed_calls([issue(d) for d in signed], ISSUERS_IN_FLIGHT)
        await servicer.pdfs.drained()
        exact = sorted(numbers) == list(range(1, ISSUES + 1))
        rows.append(
            (
                f"IssueDocument, {ISSUERS_IN_FLIGHT} concurrent issuers, one issuer code",
                f"{ISSUES / seconds:.0f} numbers/s, p99 {percentile(latencies, 99) * 1000:.0f} ms",
            )
        )
        rows.append(
            ("numbers 1..N with no repeat and no gap", "yes" if exact else f"NO: {sorted(numbers)[:10]}…")
        )
        return rows
    finally:
        integrator.close()
        await channel.close()
        server.shutdown()
        floor_server.shutdown()
        await server.wait_stopped()
        await floor_server.wait_stopped()
        await org.close()
        await org_server.stop(0)
        await engine.dispose()
        issuer.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def run():
    return _run()
