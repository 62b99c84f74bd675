"""Durable, idempotent JetStream consumers (幂等消费者).

    await run_consumer(js, sessions, stream="ORG", durable="meetings-leave",
                       filter_subject="org.leave.approved", handler=on_leave_approved, stop=stop_event)

For each message, in one database transaction: record (consumer, message id) in processed_messages
(if it is already there the message was handled before: ack and do nothing), call
`handler(session, envelope, payload)`; commit; then ack. The message id is the Nats-Msg-Id header,
which the outbox relay sets to the event id. A redelivery (lost ack, crash, re-publish) therefore
has no second effect.

A handler that raises is retried (nak with a growing delay) up to `max_deliver` deliveries; on the
last one the message goes to the service's `dead_letters` table (shared.outbox.event_tables) and is
terminated, so it never blocks the consumer. A message that cannot be decoded (not an
EventEnvelope, or a payload type this process does not know) is dead-lettered at once: retrying
cannot help; so is one whose handler raises PoisonMessage (e.g. an envelope its producer may not send). Operators inspect or replay dead letters from the table.
Decoding, PoisonMessage and the check of who sent a message are shared.inbound_events.

Who sent it: an envelope that says another service produced it than the one whose subject it came
on (shared.inbound_events `foreign_claims`) is refused: dead-lettered at once with an error log line
naming both, never handled. Every dead letter is counted by the OpenTelemetry counter
`zgov.events.dead_lettered` (attributes: consumer, stream, reason = undecodable, foreign-producer or
retries-exhausted).

In batches (opt-in, `batch_commit=True`, for handlers whose effects may share a transaction: no
effect outside the database — reading another service is fine, the fallback below reads again —,
nothing that must commit alone; notify's consumers run so): the messages of one fetch are handled in
one transaction — their processed ids recorded by one statement, each handler called in stream
order under its message's trace context — committed once, then acked. If any handler of the batch
raises, the whole transaction rolls back and the batch is handled again one message at a time as
above, so one bad message is retried and dead-lettered alone and the others still take effect.

Batch handlers (opt-in, `batch_handler(apply)` in place of a handler; issue 17): `apply(session,
events)` receives the checked events of a fetch as `Event(envelope, payload)`s and applies them with
one statement (a multi-row INSERT or upsert) in the transaction that records their processed ids in
one statement too; committed once, then every message acked. Each message is still checked alone
first: an undecodable or foreign one is dead-lettered alone and the rest go on. A redelivered event
(its id already recorded) is left out of `events`, as is the second copy of an event fetched twice.
`events` are in stream order, so several events of one aggregate arrive in their order (`apply`
must keep it); a consumer whose filter takes several subjects calls `apply` once per run of one
subject. If `apply` raises, the transaction rolls back and the batch is handled one message at a
time with `apply(session, [event])`: the failing one is retried and dead-lettered alone as above,
the others take effect. Tracing: one CONSUMER span "<subject> process" per batch, with a span link
to each event's producer context (the per-message handling of the fallback has its own spans).

The consumer is declared by code at start (create or update). If the owning service's stream does
not exist yet, it waits and retries. `stop` (or cancelling the task) ends it after the message in
hand is finished; a fetch still waiting for messages is given up at once (what it would have brought
is redelivered), so stopping takes no longer than the message in hand.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

import nats.errors
from google.protobuf.message import Message
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from opentelemetry import metrics, propagate, trace
from sqlalchemy import DateTime, String, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import transaction
from shared.inbound_events import PoisonMessage, decode, foreign_claims
from shared.outbox import MSG_ID_HEADER, TABLES, service_of
from shared.streams import MAX_AGE
from zgov.events.v1 import envelope_pb2

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.consumer")

Handler = Callable[[AsyncSession, envelope_pb2.EventEnvelope, Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Event:
    """A checked event handed to a batch handler: its envelope and its decoded payload."""

    envelope: envelope_pb2.EventEnvelope
    payload: Message


ApplyEvents = Callable[[AsyncSession, Sequence[Event]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BatchHandler:
    """A handler applying a fetched batch of checked events of one subject at once (see the module
    docstring). Called with one envelope and payload, as a per-message handler is (the one-by-one
    fallback, a fetch of one message), it applies a batch of one."""

    apply: ApplyEvents

    async def __call__(self, session: AsyncSession, envelope: envelope_pb2.EventEnvelope, payload: Message):
        await self.apply(session, [Event(envelope, payload)])


def batch_handler(apply: ApplyEvents) -> BatchHandler:
    """Mark `apply(session, events)` as a batch handler, given to EventConsumer (or in a service's
    subscriptions) where a per-message handler would be."""
    return BatchHandler(apply)


MAX_DELIVER = 10
# delay before the n-th redelivery of a message whose handler failed (seconds); the last repeats
RETRY_DELAYS: tuple[float, ...] = (1, 2, 5, 10, 30, 60, 120, 300, 600)
ACK_WAIT = 30.0


def consumer_config(
    durable: str, filter_subject: str, *, max_deliver: int = MAX_DELIVER, ack_wait: float = ACK_WAIT
) -> api.ConsumerConfig:
    return api.ConsumerConfig(
        name=durable,
        durable_name=durable,
        filter_subject=filter_subject,
        deliver_policy=api.DeliverPolicy.ALL,
        ack_policy=api.AckPolicy.EXPLICIT,
        # covers a crash mid-handler: redelivered after ack_wait (handler failures nak with a delay)
        ack_wait=ack_wait,
        max_deliver=max_deliver,
        max_ack_pending=1000,
    )


class EventConsumer:
    """One durable pull consumer run as a task. See the module docstring."""

    def __init__(
        self,
        js: JetStreamContext,
        sessions: async_sessionmaker[AsyncSession],
        stream: str,
        durable: str,
        filter_subject: str,
        handler: Handler | BatchHandler,
        consumer_name: str | None = None,
        *,
        max_deliver: int = MAX_DELIVER,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        ack_wait: float = ACK_WAIT,
        batch: int = 10,
        fetch_timeout: float = 1.0,
        batch_commit: bool = False,
        keep_processed: timedelta = MAX_AGE + timedelta(days=5),
        meter: metrics.Meter | None = None,
    ) -> None:
        self.js = js
        self.sessions = sessions
        self.stream = stream
        self.durable = durable
        self.filter_subject = filter_subject
        self.handler = handler
        # the name recorded in processed_messages and dead_letters
        self.consumer_name = consumer_name or durable
        self.max_deliver = max_deliver
        self.retry_delays = tuple(retry_delays) or (1.0,)
        self.ack_wait = ack_wait
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        # the handler's effects may share one transaction with other messages' (see the module docstring)
        self.batch_commit = batch_commit
        # the handler applies a fetch's events at once (see the module docstring)
        self.applies_batches = isinstance(handler, BatchHandler)
        # ids of processed messages are kept longer than the stream keeps messages
        self.keep_processed = keep_processed
        self._last_purge = time.monotonic()
        # the process's meter (exported when telemetry is); tests pass their own
        self.dead_lettered = (meter or metrics.get_meter("shared.consumer")).create_counter(
            "zgov.events.dead_lettered",
            unit="{message}",
            description="messages a consumer gave up on, by reason",
        )
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self.run(), name=f"consumer:{self.durable}")

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the message in hand, then stop; unprocessed fetched messages are redelivered later."""
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout)
            except asyncio.TimeoutError:
                log.warning("consumer %s did not stop in %.0f s; cancelled", self.durable, timeout)
            self._task = None

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or self._stop
        sub = await self._subscribe(stop)
        if sub is None:
            return
        self.ready.set()
        try:
            while not stop.is_set() and not self._stop.is_set():
                try:
                    msgs = await self._fetch_unless_stopped(sub, stop)
                except (asyncio.TimeoutError, nats.errors.TimeoutError):
                    continue
                except Exception as exc:  # NATS unreachable: the client reconnects on its own
                    log.warning("consumer %s: fetch failed: %s", self.durable, exc)
                    await _sleep_unless(stop, 1.0)
                    continue
                if (self.batch_commit or self.applies_batches) and len(msgs) > 1:
                    try:
                        await self.process_batch(msgs)
                        continue
                    except Exception as exc:  # e.g. an ack could not be sent: JetStream redelivers
                        log.warning(
                            "consumer %s: batch of %d left for redelivery: %s", self.durable, len(msgs), exc
                        )
                        continue
                for msg in msgs:
                    try:
                        await self.process(msg)
                    except Exception as exc:  # e.g. the ack could not be sent: JetStream redelivers
                        log.warning(
                            "consumer %s: message %s left for redelivery: %s", self.durable, msg.subject, exc
                        )
        finally:
            self.ready.clear()
            try:
                await sub.unsubscribe()
            except Exception:
                pass

    async def _fetch_unless_stopped(
        self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event
    ) -> list[Msg]:
        """The next fetch, given up as soon as the consumer is told to stop: no message is in hand
        while a fetch waits, and what it would have brought stays unacknowledged, so JetStream
        delivers it again (to this service's next instance). A server's shutdown then no longer
        waits out the fetch timeout of each of its consumers."""
        fetch = asyncio.ensure_future(sub.fetch(self.batch, timeout=self.fetch_timeout))
        stopping = [asyncio.ensure_future(event.wait()) for event in {stop, self._stop}]
        try:
            await asyncio.wait([fetch, *stopping], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in stopping:
                waiter.cancel()
            if not fetch.done():
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
        return [] if fetch.cancelled() else fetch.result()

    async def _subscribe(self, stop: asyncio.Event) -> JetStreamContext.PullSubscription | None:
        config = consumer_config(
            self.durable, self.filter_subject, max_deliver=self.max_deliver, ack_wait=self.ack_wait
        )
        delay = 0.5
        while not stop.is_set() and not self._stop.is_set():
            try:
                await self.js.add_consumer(self.stream, config)
                return await self.js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
            except (NotFoundError, nats.errors.Error, asyncio.TimeoutError) as exc:
                # typically the owning service has not declared its stream yet
                log.warning(
                    "consumer %s: cannot bind to stream %s yet (%s); retrying in %.1f s",
                    self.durable,
                    self.stream,
                    exc,
                    delay,
                )
                await _sleep_unless(stop, delay)
                delay = min(delay * 2, 10.0)
        return None

    async def process(self, msg: Msg) -> None:
        """Handle one message: at most one effect per message id, ack only after commit."""
        headers = dict(msg.headers or {})
        meta = msg.metadata
        with tracer.start_as_current_span(
            f"{msg.subject} process",
            context=propagate.extract(headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": msg.subject,
                "messaging.consumer.group.name": self.durable,
                "messaging.message.id": headers.get(MSG_ID_HEADER, ""),
                "messaging.message.delivery_count": meta.num_delivered,
            },
        ) as span:
            try:
                envelope, payload = decode(msg.data)
            except PoisonMessage as exc:
                span.record_exception(exc)
                await self._dead_letter(msg, headers, headers.get(MSG_ID_HEADER, ""), str(exc), "undecodable")
                return
            if refused := foreign_claims(msg.subject, envelope):
                span.set_status(trace.Status(trace.StatusCode.ERROR, "envelope names another producer"))
                await self._refuse(msg, headers, envelope, refused)
                return
            # the event id (= Nats-Msg-Id of relayed events) also catches a re-publish that the
            # stream's duplicate window no longer remembers
            message_id = _message_id(msg, envelope)
            heartbeat = asyncio.create_task(self._keep_alive(msg))
            try:
                async with transaction(self.sessions) as session:
                    if await _first_time(session, self.consumer_name, message_id):
                        await self.handler(session, envelope, payload)
            except PoisonMessage as exc:  # the handler refused it for good (e.g. the wrong producer)
                span.record_exception(exc)
                await self._dead_letter(msg, headers, message_id, str(exc))
                return
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
                await self._failed(msg, headers, message_id, exc)
                return
            finally:
                heartbeat.cancel()
        await msg.ack()
        await self._purge_processed()

    async def process_batch(self, msgs: Sequence[Msg]) -> None:
        """Handle fetched messages in one transaction, acked after its commit; one by one if any fails."""
        ready: list[tuple[Msg, str, envelope_pb2.EventEnvelope, Message]] = []
        for msg in msgs:
            decoded = _decoded(msg)
            if decoded is None:  # undecodable or naming another producer: dead-lettered alone
                await self.process(msg)
                continue
            envelope, payload = decoded
            ready.append((msg, _message_id(msg, envelope), envelope, payload))
        if not ready:
            return
        heartbeat = asyncio.create_task(self._keep_alive(*(msg for msg, *_ in ready)))
        try:
            async with transaction(self.sessions) as session:
                fresh = await _first_times(session, self.consumer_name, [mid for _, mid, _, _ in ready])
                first = []
                for item in ready:
                    if item[1] in fresh:
                        fresh.discard(item[1])  # the same event twice in one batch: once in effect
                        first.append(item)
                if self.applies_batches:
                    await self._apply_batch(session, first)
                else:
                    for msg, message_id, envelope, payload in first:
                        with self._span(msg, message_id):
                            await self.handler(session, envelope, payload)
        except Exception as exc:
            log.info(
                "consumer %s: batch of %d rolled back (%s); handling it one by one",
                self.durable,
                len(ready),
                exc,
            )
            # the batch's keep-alive runs on until the last is handled: those still waiting their
            # turn would otherwise be redelivered by JetStream after ack_wait (finally cancels it)
            for msg, *_ in ready:
                try:
                    await self.process(msg)
                except Exception as one:  # e.g. its ack could not be sent: JetStream redelivers it
                    log.warning(
                        "consumer %s: message %s left for redelivery: %s", self.durable, msg.subject, one
                    )
            return
        finally:
            heartbeat.cancel()
        for msg, *_ in ready:
            await msg.ack()
        await self._purge_processed()

    async def _apply_batch(
        self, session: AsyncSession, fresh: list[tuple[Msg, str, envelope_pb2.EventEnvelope, Message]]
    ) -> None:
        """The batch handler, once per run of one subject in stream order, each run under one span
        linked to its events' producer contexts."""
        apply = self.handler.apply
        for subject, run in groupby(fresh, key=lambda item: item[0].subject):
            run = list(run)
            with tracer.start_as_current_span(
                f"{subject} process",
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": subject,
                    "messaging.consumer.group.name": self.durable,
                    "messaging.batch.message_count": len(run),
                },
            ) as span:
                if span.is_recording():  # no propagation work when tracing is off
                    for msg, message_id, *_ in run:
                        producer = trace.get_current_span(propagate.extract(msg.headers or {}))
                        span.add_link(producer.get_span_context(), {"messaging.message.id": message_id})
                await apply(session, [Event(envelope, payload) for _, _, envelope, payload in run])

    def _span(self, msg: Msg, message_id: str):
        """The handler of one message of a batch runs under the trace context that message carries."""
        return tracer.start_as_current_span(
            f"{msg.subject} process",
            context=propagate.extract(dict(msg.headers or {})),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": msg.subject,
                "messaging.consumer.group.name": self.durable,
                "messaging.message.id": message_id,
                "messaging.batch.message_count": self.batch,
            },
        )

    async def _keep_alive(self, *msgs: Msg) -> None:
        """A slow handler tells JetStream it is still working, so the message is not redelivered meanwhile."""
        while True:
            await asyncio.sleep(self.ack_wait / 3)
            try:
                for msg in msgs:
                    await msg.in_progress()
            except Exception:
                return

    async def _purge_processed(self) -> None:
        """Forget processed ids older than the stream keeps messages (checked at most every ten minutes)."""
        if time.monotonic() - self._last_purge < 600:
            return
        self._last_purge = time.monotonic()
        p = TABLES.processed_messages
        try:
            async with transaction(self.sessions) as session:
                await session.execute(
                    p.delete().where(
                        p.c.consumer == self.consumer_name,
                        p.c.processed_at < datetime.now(UTC) - self.keep_processed,
                    )
                )
        except Exception as exc:
            log.warning("consumer %s: purge of processed ids failed: %s", self.durable, exc)

    async def _refuse(
        self, msg: Msg, headers: dict, envelope: envelope_pb2.EventEnvelope, claims: list[str]
    ) -> None:
        """An envelope that says another service than the subject's produced it: forged or misrouted."""
        error = (
            f"refused: came on {msg.subject!r}, published by {service_of(msg.subject)!r}, "
            f"but its envelope names {', '.join(claims)}"
        )
        # one error line, written by _dead_letter once the message is recorded
        await self._dead_letter(
            msg, headers, envelope.event_id or headers.get(MSG_ID_HEADER, ""), error, "foreign-producer"
        )

    async def _failed(self, msg: Msg, headers: dict, message_id: str, exc: Exception) -> None:
        delivered = msg.metadata.num_delivered
        if delivered >= self.max_deliver:
            await self._dead_letter(
                msg, headers, message_id, f"{type(exc).__name__}: {exc}", "retries-exhausted"
            )
            return
        delay = self.retry_delays[min(delivered, len(self.retry_delays)) - 1]
        log.warning(
            "consumer %s: %s failed on delivery %d of %d (%s); retry in %.1f s",
            self.durable,
            message_id,
            delivered,
            self.max_deliver,
            exc,
            delay,
        )
        await msg.nak(delay=delay)

    async def _dead_letter(self, msg: Msg, headers: dict, message_id: str, error: str, reason: str) -> None:
        meta = msg.metadata
        try:
            async with transaction(self.sessions) as session:
                await session.execute(
                    insert(TABLES.dead_letters).values(
                        id=uuid.uuid4(),
                        consumer=self.consumer_name,
                        message_id=message_id or "",
                        subject=msg.subject,
                        stream=meta.stream,
                        stream_seq=meta.sequence.stream,
                        deliveries=meta.num_delivered,
                        payload=msg.data,
                        headers=headers,
                        error=error,
                        dead_at=datetime.now(UTC),
                    )
                )
        except Exception as db_exc:
            # not recorded: leave it to redelivery (if deliveries remain) rather than lose it silently
            log.error("consumer %s: cannot record dead letter %s: %s", self.durable, message_id, db_exc)
            await msg.nak(delay=self.retry_delays[-1])
            return
        log.error(
            "consumer %s: dead-lettered %s after %d deliveries: %s",
            self.durable,
            message_id,
            meta.num_delivered,
            error,
        )
        self.dead_lettered.add(1, {"consumer": self.consumer_name, "stream": meta.stream, "reason": reason})
        await msg.term()


async def _first_time(session: AsyncSession, consumer: str, message_id: str) -> bool:
    """Record the message as processed; False if it already was (by us, or a concurrent instance)."""
    p = TABLES.processed_messages
    inserted = await session.execute(
        pg_insert(p)
        .values(consumer=consumer, message_id=message_id, processed_at=datetime.now(UTC))
        .on_conflict_do_nothing()
        .returning(p.c.message_id)
    )
    return inserted.first() is not None


async def _first_times(session: AsyncSession, consumer: str, message_ids: list[str]) -> set[str]:
    """Record a batch's messages as processed in one statement; the ids not recorded before."""
    p = TABLES.processed_messages
    # The ids as one array parameter (unnest), not one VALUES row each: the statement is the same for
    # every batch, so SQLAlchemy compiles it once (a VALUES list of n rows was compiled anew each batch).
    ids = select(
        literal(consumer, String),
        func.unnest(literal(list(dict.fromkeys(message_ids)), ARRAY(String))),
        literal(datetime.now(UTC), DateTime(timezone=True)),
    )
    inserted = await session.execute(
        pg_insert(p)
        .from_select(["consumer", "message_id", "processed_at"], ids)
        .on_conflict_do_nothing()
        .returning(p.c.message_id)
    )
    return set(inserted.scalars())


def _decoded(msg: Msg) -> tuple[envelope_pb2.EventEnvelope, Message] | None:
    """The envelope and payload of a message fit for a batch; None if it must be refused alone."""
    try:
        envelope, payload = decode(msg.data)
    except PoisonMessage:
        return None
    return None if foreign_claims(msg.subject, envelope) else (envelope, payload)


def _message_id(msg: Msg, envelope: envelope_pb2.EventEnvelope) -> str:
    """The id processed_messages records: the event id, else Nats-Msg-Id, else the stream position."""
    if envelope.event_id:  # every relayed event: the reply subject's metadata need not be parsed
        return envelope.event_id
    meta = msg.metadata
    return (msg.headers or {}).get(MSG_ID_HEADER) or f"{meta.stream}:{meta.sequence.stream}"


async def _sleep_unless(stop: asyncio.Event, delay: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), delay)
    except asyncio.TimeoutError:
        pass


async def run_consumer(
    js: JetStreamContext,
    sessions: async_sessionmaker[AsyncSession],
    stream: str,
    durable: str,
    filter_subject: str,
    handler: Handler,
    consumer_name: str | None = None,
    *,
    stop: asyncio.Event | None = None,
    **options,
) -> None:
    """Run a durable consumer until `stop` is set or the task is cancelled (options: see EventConsumer)."""
    consumer = EventConsumer(js, sessions, stream, durable, filter_subject, handler, consumer_name, **options)
    await consumer.run(stop)
