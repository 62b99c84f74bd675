"""A recorded act and its event: written apart (`add_event`, then `record_act`) or in one statement
(`record_act(..., event=new_event(...))`, documents' sign-off and issue, issue 17).

Measured: transactions one after another, each BEGIN, the act's writes, COMMIT, on one connection of
the pool; the two ways alternate in blocks so both meet the same load (say the load beside the figures
when the machine is shared). Per act: the wall time, this process's CPU and PostgreSQL's CPU.

Real: PostgreSQL (embedded, documents' migrations run). The event's payload is a 2 KB string, about a
signed document's reply.

    python -m tests.bench acts
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import psutil
from google.protobuf import wrappers_pb2

from deploy.local.servers import Postgres, free_port
from services.documents.__main__ import MIGRATIONS
from shared.audit import record_act
from shared.db import create_engine, session_factory
from shared.migrations import run_migrations
from shared.identity import Actor
from shared.outbox import add_event, new_event
from tests.bench.figures import cpu_seconds

TITLE = "acts: a recorded act and its event, apart or in one statement"
BLOCK = 200
ROUNDS = 6  # after one round of warm-up
SIGNER = Actor(
    user_id="u-2",
    username="secretary-general",
    display_name="李秘书长",
    positions=frozenset({"secretary-general"}),
)
PAYLOAD = wrappers_pb2.StringValue(value="关" * 700)
SUBJECT = "documents.document.signed"


async def apart(session, n: int) -> None:
    await add_event(session, SUBJECT, PAYLOAD, f"document/{n}", SIGNER)
    await record_act(session, f"document/{n}", "document.signed", SIGNER, "圈阅")


async def one_statement(session, n: int) -> None:
    event = new_event(SUBJECT, PAYLOAD, f"document/{n}", SIGNER)
    await record_act(session, f"document/{n}", "document.signed", SIGNER, "圈阅", event=event)


WAYS = {"apart: add_event, then record_act": apart, "one statement: record_act(event=…)": one_statement}


def postgres_cpu(postgres: psutil.Process) -> float:
    return cpu_seconds([postgres, *postgres.children(recursive=True)])


async def _run() -> list[tuple[str, str]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-acts-"))
    postgres = Postgres(folder / "postgres", free_port())
    postgres.start()
    engine = None
    try:
        dsn = postgres.ensure_database("acts_bench")
        await run_migrations(dsn, MIGRATIONS)
        engine = create_engine(dsn)
        sessions = session_factory(engine)
        server = psutil.Process(postgres.running_pid())
        totals = {name: [0.0, 0.0, 0.0] for name in WAYS}
        n = 0
        for round_ in range(ROUNDS + 1):
            names = list(WAYS)[round_ % 2 :] + list(WAYS)[: round_ % 2]  # each way first in turn
            for name in names:
                wall, cpu, database = time.perf_counter(), time.process_time(), postgres_cpu(server)
                for _ in range(BLOCK):
                    n += 1
                    async with sessions() as session, session.begin():
                        await WAYS[name](session, n)
                if round_:  # the first round warms up connections and statement caches
                    totals[name][0] += time.perf_counter() - wall
                    totals[name][1] += time.process_time() - cpu
                    totals[name][2] += postgres_cpu(server) - database
        acts = BLOCK * ROUNDS
        return [
            (
                f"{name}, per act ({acts} acts): wall / this process's CPU / PostgreSQL's CPU",
                " / ".join(f"{seconds * 1000 / acts:.2f}" for seconds in totals[name]) + " ms",
            )
            for name in WAYS
        ]
    finally:
        if engine is not None:
            await engine.dispose()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def run():
    return _run()
