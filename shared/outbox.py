"""Transactional outbox (发件箱): events are rows written in the caller's transaction, then relayed
to NATS JetStream.

- `event_tables(metadata)` adds the tables every service needs to its own metadata, so its
  Alembic migrations create them: `outbox`, `processed_messages` (idempotent consumers) and
  `dead_letters` (messages a consumer gave up on).
- `add_event(session, subject, payload, aggregate_ref, actor)` writes one EventEnvelope row in the
  caller's transaction, with the current trace context, and NOTIFYs the relay. PostgreSQL delivers a
  NOTIFY only when the transaction commits, so a rolled-back change announces nothing. An act that
  records its act last builds the event with `new_event` and hands it to `shared.audit.record_act(...,
  event=)`: the act and the event in one statement, one round trip.
- `OutboxRelay` LISTENs on the service's channel (plus a slow safety sweep for notifications missed
  while disconnected), claims unpublished rows with FOR UPDATE SKIP LOCKED in the order of `seq`, a
  database identity column (the database's sequence, not a pod's clock: clock skew between replicas
  cannot reorder an aggregate's events), publishes each with `Nats-Msg-Id` = event id, and marks
  them published in the same transaction.
  If NATS is unreachable the rows stay and the relay retries with backoff: nothing is lost, and a
  re-publish after a crash is dropped by the stream's duplicate window (shared.streams).
- A batch is published with asynchronous acknowledgements, in waves: a wave holds at most one event
  of each aggregate and is sent without waiting between messages, its acknowledgements gathered
  before the next wave. So an event leaves only once every earlier event of its aggregate is
  acknowledged (order per aggregate holds even if one publish fails), and a burst of events of many
  aggregates costs one round trip per batch instead of one per event.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from google.protobuf.message import Message
from nats.js import JetStreamContext
from opentelemetry import propagate, trace
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.bus import PUBLISH_SLOTS
from shared.db import create_engine
from zgov.common.v1 import common_pb2
from zgov.events.v1 import envelope_pb2

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.outbox")

MSG_ID_HEADER = "Nats-Msg-Id"


# ---- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventTables:
    outbox: Table
    processed_messages: Table
    dead_letters: Table


def event_tables(metadata: MetaData) -> EventTables:
    """Add the event tables to a service's MetaData (call once, in its models module)."""
    outbox = Table(
        "outbox",
        metadata,
        # the event id: also the envelope's event_id and the NATS message id
        Column("id", Uuid, primary_key=True),
        # the database's sequence: the relay's order (a pod's clock could reorder one aggregate's events)
        Column("seq", BigInteger, Identity(), nullable=False),
        Column("subject", String(255), nullable=False),
        Column("aggregate_ref", String(255), nullable=False),
        # a serialized zgov.events.v1.EventEnvelope
        Column("payload", LargeBinary, nullable=False),
        # trace context (traceparent, tracestate, baggage) to send as message headers
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        # the relay's claim: unpublished rows in sequence order (migration helper OUTBOX_SEQUENCE_UPGRADE)
        Index("ix_outbox_unpublished_seq", "seq", postgresql_where=text("published_at IS NULL")),
    )
    processed = Table(
        "processed_messages",
        metadata,
        Column("consumer", String(255), nullable=False),
        Column("message_id", String(255), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("consumer", "message_id"),
    )
    dead = Table(
        "dead_letters",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("consumer", String(255), nullable=False),
        Column("message_id", String(255), nullable=False),
        Column("subject", String(255), nullable=False),
        Column("stream", String(255), nullable=False),
        Column("stream_seq", BigInteger, nullable=False),
        Column("deliveries", Integer, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("error", Text, nullable=False),
        Column("dead_at", DateTime(timezone=True), nullable=False),
    )
    return EventTables(outbox, processed, dead)


# The shared code's own copy of the same tables, used only to build statements.
TABLES = event_tables(MetaData())

# Each service's migration `00NN_outbox_sequence`: the claim's index on the sequence alone. Expand
# only: the release before, which orders by (created_at, seq), still runs (on a scan of the few
# unpublished rows) against a database migrated this far.
OUTBOX_SEQUENCE_UPGRADE = (
    "CREATE INDEX IF NOT EXISTS ix_outbox_unpublished_seq ON outbox (seq) WHERE published_at IS NULL",
    "DROP INDEX IF EXISTS ix_outbox_unpublished",
)
OUTBOX_SEQUENCE_DOWNGRADE = (
    "CREATE INDEX IF NOT EXISTS ix_outbox_unpublished ON outbox (created_at, seq) WHERE published_at IS NULL",
    "DROP INDEX IF EXISTS ix_outbox_unpublished_seq",
)


# ---- writing events ----------------------------------------------------------------------------


def outbox_channel(service: str) -> str:
    """The PostgreSQL NOTIFY channel of a service's outbox."""
    return f"zgov_outbox_{service}"


def service_of(subject: str) -> str:
    """Subjects are <service>.<aggregate>.<event>: the service is the first token."""
    return subject.split(".", 1)[0]


def build_envelope(
    subject: str,
    payload: Message,
    aggregate_ref: str,
    actor: Any = None,
    *,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    producer: str | None = None,
) -> envelope_pb2.EventEnvelope:
    """`producer`: the service whose NATS user may publish on `subject` (consumers check the two
    agree); the subject's first token unless the subject sits outside `<service>.>` (audit anchors)."""
    envelope = envelope_pb2.EventEnvelope(
        event_id=str(event_id or uuid.uuid4()),
        subject=subject,
        aggregate_ref=aggregate_ref,
        producer=producer or service_of(subject),
    )
    envelope.occurred_at.FromDatetime(occurred_at or datetime.now(UTC))
    actor_proto = _actor_proto(actor)
    if actor_proto is not None:
        envelope.actor.CopyFrom(actor_proto)
    envelope.payload.Pack(payload)
    return envelope


def _actor_proto(actor: Any) -> common_pb2.Actor | None:
    """Accept the proto itself or any object offering `to_proto()` (e.g. the identity module's actor)."""
    if actor is None or isinstance(actor, common_pb2.Actor):
        return actor
    if hasattr(actor, "to_proto"):
        return actor.to_proto()
    raise TypeError(f"actor must be a zgov.common.v1.Actor or have to_proto(), not {type(actor).__name__}")


def named_values(table: Table, prefix: str, columns: tuple[str, ...] | None = None) -> dict[str, Any]:
    """An INSERT's values as parameters named `prefix` + column, typed as the columns: a statement
    built once and run with each row's values (building one per row cost CPU on hot paths)."""
    return {c: bindparam(prefix + c, type_=table.c[c].type) for c in columns or table.c.keys()}


_EVENT_COLUMNS = ("id", "subject", "aggregate_ref", "payload", "headers", "created_at")
# One statement: the event's row and the NOTIFY, which PostgreSQL delivers to the relay's LISTEN only
# on commit (several in one transaction fold into one). Its parameters: NewEvent.values.
EVENT_STATEMENT = select(func.pg_notify(bindparam("event_channel", type_=String), "")).select_from(
    insert(TABLES.outbox)
    .values(named_values(TABLES.outbox, "event_", _EVENT_COLUMNS))
    .returning(TABLES.outbox.c.id)
    .cte("event")
)


@dataclass(frozen=True)
class NewEvent:
    """An event built for the caller's transaction, not written yet: `add_event` writes it alone,
    `shared.audit.record_act(..., event=...)` in the recorded act's own statement."""

    envelope: envelope_pb2.EventEnvelope
    values: dict[str, Any]  # EVENT_STATEMENT's parameters: the outbox row and the NOTIFY channel


def new_event(subject: str, payload: Message, aggregate_ref: str, actor: Any = None) -> NewEvent:
    """subject: <service>.<aggregate>.<event>, e.g. "org.leave.approved"; aggregate_ref e.g. "leave/<id>".
    The envelope's event_id is the outbox row id and the NATS message id."""
    now = datetime.now(UTC)
    event_id = uuid.uuid4()
    envelope = build_envelope(subject, payload, aggregate_ref, actor, event_id=event_id, occurred_at=now)
    headers: dict[str, str] = {}
    propagate.inject(headers)
    values = {
        "event_id": event_id,
        "event_subject": subject,
        "event_aggregate_ref": aggregate_ref,
        "event_payload": envelope.SerializeToString(),
        "event_headers": headers,
        "event_created_at": now,
        "event_channel": outbox_channel(service_of(subject)),
    }
    return NewEvent(envelope, values)


async def add_event(
    session: AsyncSession, subject: str, payload: Message, aggregate_ref: str, actor: Any = None
) -> envelope_pb2.EventEnvelope:
    """Write an event in the caller's transaction (one round trip); it is published after (and only
    if) that commits. Returns the envelope (see `new_event`)."""
    event = new_event(subject, payload, aggregate_ref, actor)
    await session.execute(EVENT_STATEMENT, event.values)
    return event.envelope


# ---- relaying events ---------------------------------------------------------------------------


def waves(rows: list[Any]) -> list[list[Any]]:
    """Rows (in sequence order) in waves: each wave holds at most one row of an aggregate, and an
    aggregate's rows fall in successive waves in their order. Rows of many aggregates share a wave."""
    result: list[list[Any]] = []
    depth: dict[str, int] = {}
    for row in rows:
        n = depth.get(row.aggregate_ref, 0)
        depth[row.aggregate_ref] = n + 1
        if n == len(result):
            result.append([])
        result[n].append(row)
    return result


class RelayError(Exception):
    """Publishing to JetStream failed; the rows stay unpublished and are retried."""


class OutboxRelay:
    """Background task that moves committed outbox rows to JetStream.

        relay = OutboxRelay(engine, js, outbox_channel("org"))
        await relay.start()
        ...
        await relay.stop()

    `js` is made by shared.bus.jetstream: the relay counts on its PUBLISH_SLOTS publish slots (a
    context with fewer would make a wave wait for a slot without bound while NATS does not answer).
    Woken by NOTIFY; sweeps every `sweep_interval` seconds anyway in case a notification was missed
    (listener reconnecting, relay started after commits). One relay per database publishes at a time
    (a transaction-scoped advisory lock), so several replicas never reorder an aggregate's events.
    """

    def __init__(
        self,
        engine: AsyncEngine | str,
        js: JetStreamContext,
        channel: str,
        *,
        sweep_interval: float = 5.0,
        batch_size: int = 500,
        publish_timeout: float = 2.0,
        min_backoff: float = 0.2,
        max_backoff: float = 10.0,
        retention: timedelta = timedelta(days=7),
        listen_url: str | None = None,
    ) -> None:
        self._owns_engine = isinstance(engine, str)
        # Where the relay LISTENs: PostgreSQL itself. PgBouncer in transaction mode does not keep a
        # LISTEN, so behind it the relay would only ever be woken by its sweep (events up to
        # sweep_interval late); the service's direct address (ZGOV_LEADER_DATABASE_URL) then serves.
        self.listen_url = listen_url
        self.engine = create_engine(engine) if isinstance(engine, str) else engine
        self.js = js
        self.channel = channel
        self.sweep_interval = sweep_interval
        self.batch_size = batch_size
        self.publish_timeout = publish_timeout
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.retention = retention
        self.published_count = 0
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task | None = None
        self._last_purge = 0.0
        # set once the relay listens and has published what was pending at start
        self.ready = asyncio.Event()

    async def __aenter__(self) -> OutboxRelay:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self.channel}")

    async def run(self) -> None:
        """Relay until cancelled (a server's background task: cancelled on drain), then stop."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in flight, then stop listening."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout)
            except asyncio.TimeoutError:
                log.warning("outbox relay %s did not stop in %.0f s; cancelled", self.channel, timeout)
            self._task = None
        await self._close_listener()
        self.ready.clear()
        if self._owns_engine:
            await self.engine.dispose()

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            await self._ensure_listener()
            # cleared before reading, so a NOTIFY arriving mid-batch triggers another pass
            self._wake.clear()
            try:
                await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS or PostgreSQL unreachable: keep rows, retry later
                failures += 1
                delay = min(self.max_backoff, self.min_backoff * 2 ** (failures - 1))
                log.warning("outbox relay %s: %s; retrying in %.1f s", self.channel, exc, delay)
                # new NOTIFYs must not shorten the backoff, only stop may
                await self._sleep_unless_stopping(delay)
                continue
            failures = 0
            if self._listener is not None:
                self.ready.set()
            await self._purge_old()
            await self._wait_for_work()

    async def publish_pending(self) -> int:
        """Publish every committed, unpublished row now; returns how many were published."""
        total = 0
        while True:
            published, more = await self._publish_batch()
            total += published
            if not more:
                return total

    async def _publish_batch(self) -> tuple[int, bool]:
        o = TABLES.outbox
        failure: Exception | None = None
        async with self.engine.begin() as conn:
            leader = await conn.scalar(select(func.pg_try_advisory_xact_lock(func.hashtext(self.channel))))
            if not leader:
                return 0, False
            rows = (
                await conn.execute(
                    select(o.c.id, o.c.subject, o.c.aggregate_ref, o.c.payload, o.c.headers)
                    .where(o.c.published_at.is_(None))
                    .order_by(o.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            published: list[uuid.UUID] = []
            for wave in waves(rows):
                acked, failure = await self._publish_wave(wave)
                published += acked
                if failure is not None:
                    # later waves wait: they may hold later events of the aggregate that failed
                    break
            if published:
                # the ids as one array: one statement (compiled and prepared once) whatever their number
                await conn.execute(
                    update(o)
                    .where(o.c.id == any_(literal(published, ARRAY(Uuid))))
                    .values(published_at=func.now())
                )
        self.published_count += len(published)
        if failure is not None:
            raise RelayError(
                f"published {len(published)} of {len(rows)} events, then: {failure!r}"
            ) from failure
        return len(published), len(rows) == self.batch_size

    async def _publish_wave(self, wave: list[Any]) -> tuple[list[uuid.UUID], Exception | None]:
        """Send a wave without waiting between messages, then gather its acknowledgements (at most
        `publish_timeout` seconds): the ids acknowledged, and the first failure if any."""
        futures: list[asyncio.Future] = []
        failure: Exception | None = None
        # nats-py bounds a stall by wrapping each publish in asyncio.wait_for, a task per message (a
        # third of the relay's CPU in the backlog bench's profile): needless while the wave fits in the
        # free slots of the context (made by shared.bus.jetstream with PUBLISH_SLOTS; a conservative
        # count: slots of cancelled publishes are freed a little later)
        stall = None if self.js.publish_async_pending() + len(wave) <= PUBLISH_SLOTS else self.publish_timeout
        for row in wave:
            try:
                futures.append(await self._publish(row.id, row.subject, row.payload, row.headers, stall))
            except Exception as exc:  # not even sent (e.g. the connection is closed)
                failure = exc
                break
        if futures:
            await asyncio.wait(futures, timeout=self.publish_timeout)
        acked: list[uuid.UUID] = []
        for row, future in zip(wave, futures):
            if not future.done():
                future.cancel()  # frees its slot in the client's pending publishes
                failure = failure or asyncio.TimeoutError(f"no acknowledgement in {self.publish_timeout} s")
            elif future.exception() is not None:
                failure = failure or future.exception()
            else:
                acked.append(row.id)
        return acked, failure

    async def _publish(
        self, event_id: uuid.UUID, subject: str, payload: bytes, stored: dict, stall: float | None
    ) -> asyncio.Future:
        """Send one event; the future of its acknowledgement. Its PRODUCER span, a child of the act's
        context stored with the row, ends once the message is handed to the client (the wave awaits
        the acks); the message carries that span's context, or the act's when tracing is off."""
        message_id = str(event_id)
        parent = propagate.extract(stored)
        span = tracer.start_span(
            f"{subject} publish",
            context=parent,
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": subject,
                "messaging.message.id": message_id,
            },
        )
        try:
            headers = dict(stored)
            if span.is_recording():
                propagate.inject(headers, context=trace.set_span_in_context(span, parent))
            headers[MSG_ID_HEADER] = message_id
            return await self.js.publish_async(subject, payload, headers=headers, wait_stall=stall)
        except Exception as exc:
            span.record_exception(exc)
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
            raise
        finally:
            span.end()

    async def _purge_old(self) -> None:
        """Published rows are kept a while for inspection, then deleted (at most every ten minutes)."""
        if time.monotonic() - self._last_purge < 600:
            return
        self._last_purge = time.monotonic()
        o = TABLES.outbox
        try:
            async with self.engine.begin() as conn:
                await conn.execute(o.delete().where(o.c.published_at < datetime.now(UTC) - self.retention))
        except Exception as exc:
            log.warning("outbox relay %s: purge failed: %s", self.channel, exc)

    async def _wait_for_work(self) -> None:
        # A stop that lands while the loop reconnects its listener has its wake-up cleared by the
        # next pass; without this check the relay would sleep a whole sweep before stopping.
        if self._stopping.is_set():
            return
        try:
            await asyncio.wait_for(self._wake.wait(), self.sweep_interval)
        except asyncio.TimeoutError:
            pass  # the safety sweep

    async def _sleep_unless_stopping(self, delay: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), delay)
        except asyncio.TimeoutError:
            pass

    # -- LISTEN connection: plain asyncpg, outside SQLAlchemy's pool, held for the relay's lifetime

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        await self._close_listener()
        url = make_url(self.listen_url) if self.listen_url else self.engine.url
        try:
            conn = await asyncpg.connect(
                url.set(drivername="postgresql").render_as_string(hide_password=False)
            )
            await conn.add_listener(self.channel, self._on_notify)
            conn.add_termination_listener(self._on_listener_lost)
        except Exception as exc:
            log.warning("outbox relay %s: cannot LISTEN (%s); relying on the sweep", self.channel, exc)
            return
        self._listener = conn

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    def _on_listener_lost(self, *_: object) -> None:
        # wake up to reconnect and sweep whatever was committed meanwhile
        self._wake.set()

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except Exception:
                conn.terminate()
