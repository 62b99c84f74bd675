"""A recorded act and its event in one statement (`record_act(..., event=new_event(...))`, shared.audit
and shared.outbox): one round trip fewer than the act and `add_event` apart, with the same guarantees —
the act and the event commit together or not at all, the act is linked into the chain (A20, A26), and
the relay is notified only on commit."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from google.protobuf import wrappers_pb2
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url

from shared import audit_chain
from shared.audit import record_act
from shared.db import create_engine, session_factory
from shared.migrations import run_migrations
from shared.identity import Actor
from shared.outbox import new_event, outbox_channel
from zgov.events.v1 import envelope_pb2

pytestmark = pytest.mark.integration

SIGNER = Actor(
    user_id="u-2",
    username="secretary-general",
    display_name="李秘书长",
    positions=frozenset({"secretary-general"}),
)


class Refused(Exception):
    """The act's own failure after both were written: the transaction rolls back."""


def migrations_of(service: str) -> Path:
    return Path(importlib.import_module(f"services.{service}").__file__).parent / "migrations"


async def sign(sessions, n: int, *, fail: bool = False):
    async with sessions() as session, session.begin():
        event = new_event(
            "documents.document.signed", wrappers_pb2.StringValue(value=f"第{n}件"), f"document/{n}", SIGNER
        )
        act = await record_act(session, f"document/{n}", "document.signed", SIGNER, "圈阅", event=event)
        if fail:
            raise Refused(n)
    return act, event


async def test_A20_an_act_and_its_event_are_one_statement_and_commit_or_roll_back_together(database):
    await run_migrations(database, migrations_of("documents"))
    engine = create_engine(database)
    sessions = session_factory(engine)
    statements: list[str] = []
    sa_event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    listener = await asyncpg.connect(make_url(database).set(drivername="postgresql").render_as_string(False))
    notified: asyncio.Queue = asyncio.Queue()
    await listener.add_listener(outbox_channel("documents"), lambda *args: notified.put_nowait(args))
    try:
        with pytest.raises(Refused):
            await sign(sessions, 1, fail=True)
        statements.clear()
        act, event = await sign(sessions, 2)
        # the chain's lock and end, then the act and its event in one INSERT … CTE statement
        assert len(statements) == 2 and "audit_chain_end()" in statements[0]
        assert "INSERT INTO audit_record" in statements[1] and "INSERT INTO outbox" in statements[1]
        await asyncio.wait_for(notified.get(), 10)
        async with engine.connect() as conn:
            acts = (await conn.execute(sa.text("SELECT id, chain_seq FROM audit_record"))).all()
            events = (
                await conn.execute(sa.text("SELECT id, subject, aggregate_ref, payload FROM outbox"))
            ).all()
    finally:
        await listener.close()
        await engine.dispose()
    assert [(r.id, r.chain_seq) for r in acts] == [(act.id, 1)] and act.chain_seq == 1
    ((event_id, subject, aggregate_ref, payload),) = events
    assert (str(event_id), subject, aggregate_ref) == (
        event.envelope.event_id,
        "documents.document.signed",
        "document/2",
    )
    assert envelope_pb2.EventEnvelope.FromString(payload) == event.envelope
    assert notified.empty(), "the rolled-back act notified the relay"
    assert await audit_chain.verify_database(database) == (1, None)
