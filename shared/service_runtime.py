"""The start-up wiring of a service, written once (docs/design.md "Architecture").

Every gRPC service of the platform starts the same way: its database (migrated before the port
opens, readiness NOT_SERVING while it is down), its own NATS user (shared/bus.py) and its stream
(deploy/nats/streams.yaml), the relay of its outbox, its event consumers, its sweeps, the anchoring
of its audit chain's head on NATS (shared/audit_anchor.py, every service: every service records acts), the holiday
schedules followed (shared.workdays.watch_schedules), and on shutdown the consumers stopped, NATS
drained, org's client closed, the database pool disposed and the traces flushed. A service says only
what is its own:

    runtime = ServiceRuntime("documents", settings, MIGRATIONS)
    org = runtime.org_client()
    runtime.sweep(lambda: run_countersign_clock(runtime.sessions, ...))
    return runtime.server([DocumentsServicer(runtime.sessions, org, calendar())])

and its `main()` is `run_service("documents", DocumentsSettings, build)`.

A service that only consumes (notify: it publishes no event, so it has no outbox and no stream of
its own) says `ServiceRuntime("notify", settings, MIGRATIONS, publishes=False)`: no stream is
declared, no relay runs and the outbox is not sampled; the rest is the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from shared import bus
from shared.audit_anchor import AuditAnchor, ensure_anchor_stream
from shared.consumer import EventConsumer
from shared.db import database_ping, engine_from, session_factory
from shared.grpc_server import GrpcServer, PortTaken
from shared.logging import configure_logging
from shared.metrics import watch_service
from shared.migrations import run_migrations
from shared.org_client import OrgClient
from shared.outbox import OutboxRelay, outbox_channel
from shared.service_auth import ClientCredentials
from shared.streams import ensure_stream
from shared.sweep import run_every
from shared.telemetry import configure_telemetry, shutdown_telemetry
from shared.workdays import watch_schedules

Hook = Callable[[], Awaitable[Any]]
# What a consumer factory returns: (stream, durable, subject, handler) per subscription.
Subscriptions = Callable[[], Iterable[tuple]]


class ServiceRuntime:
    """One service's engine, sessions, NATS connection, outbox relay, consumers and sweeps.

    `name` is the service's name: its stream (shared.streams), its outbox channel and its NATS user.
    `hide_parameters` keeps statement parameters out of database errors (services holding personal
    data: disclosure, petitions). `publishes=False`: the service publishes no event (no outbox table,
    no stream of its own), so neither a stream nor an outbox relay is started for it.
    """

    def __init__(
        self,
        name: str,
        settings: Any,
        migrations: Path,
        *,
        hide_parameters: bool = False,
        publishes: bool = True,
    ):
        self.name = name
        self.publishes = publishes
        self.settings = settings
        self.migrations = migrations
        # Pool sizes and the statement cache are settings (ZGOV_DB_POOL_SIZE …; PgBouncer: charts/zgov/README.md).
        self.engine = engine_from(settings, hide_parameters=hide_parameters)
        self.sessions = session_factory(self.engine)
        self._subscriptions: list[tuple[Subscriptions, bool, dict[str, Any]]] = []
        self._sweeps: list[Hook] = []
        self._after_migrations: list[Hook] = []
        self._on_shutdown: list[Hook] = []
        self._closes: list[Hook] = []
        self._consumers: list[EventConsumer] = []
        self._nats = None
        self._relay: OutboxRelay | None = None
        self._anchor: AuditAnchor | None = None

    # ---- what a service declares ----------------------------------------------------------------

    def org_client(self, without_secret=None) -> OrgClient:
        """A client of org with the service's own client-credentials token, closed on shutdown.
        Without a client secret the service still starts (`without_secret` is the token source
        then); the acts that need org answer UNAVAILABLE with the reason."""
        settings = self.settings
        tokens = ClientCredentials.from_settings(settings) if settings.client_secret else without_secret
        org = OrgClient(settings.org_address, tokens, ttl_seconds=settings.org_cache_seconds)
        self._closes.append(org.close)
        return org

    def consumers(self, subscriptions: Subscriptions, *, batch_commit: bool = False, **options: Any) -> None:
        """Event consumers (shared/consumer.py), made once NATS is connected; each waits for its
        stream (the producing service may start later). A subscription's handler may be a batch
        handler (`shared.consumer.batch_handler`): a fetch's events applied at once. `batch_commit`:
        a fetch's messages are handled in one transaction (shared/consumer.py: only for handlers with
        no effect outside the database). `options`: EventConsumer's own (e.g. `batch`, the messages
        per fetch)."""
        self._subscriptions.append((subscriptions, batch_commit, options))

    def sweep(self, run: Hook) -> None:
        """A background task for the server's life (a sweep, a clock, an extra HTTP server)."""
        self._sweeps.append(run)

    def after_migrations(self, hook: Hook) -> Hook:
        """Start-up work after the migrations, before NATS and before the port reports SERVING."""
        self._after_migrations.append(hook)
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        """Shutdown work before NATS is drained and the database disposed (an extra server closed)."""
        self._on_shutdown.append(hook)
        return hook

    # ---- the server ------------------------------------------------------------------------------

    def server(self, servicers: Iterable[object], **grpc_options: Any) -> GrpcServer:
        server = GrpcServer.from_settings(list(servicers), self.settings, **grpc_options)
        server.readiness(database_ping(self.engine))  # NOT_SERVING while the database is down
        server.on_startup(self._start)
        if self.publishes:
            server.background(self._relay_outbox)
        server.background(self._consume)
        server.background(self._anchor_audit_chain)
        server.background(self._sample_metrics)
        for run in self._sweeps:
            server.background(run)
        # Limits are computed from the working calendar: it adopts an operator's new schedule in place.
        server.background(lambda: watch_schedules(self.settings.calendar_dir))
        server.on_shutdown(self._stop)
        return server

    async def _start(self) -> None:
        await run_migrations(self.settings.database_url, self.migrations)
        for hook in self._after_migrations:
            await hook()
        # As its own NATS user (shared/bus.py); reconnects for ever: meanwhile events wait in the outbox.
        self._nats = await bus.connect(self.settings)
        js = bus.jetstream(self._nats)
        if self.publishes:
            await ensure_stream(
                js, self.name, replicas=self.settings.stream_replicas
            )  # never lowered at start
            self._relay = OutboxRelay(
                self.engine,
                js,
                outbox_channel(self.name),
                listen_url=self.settings.leader_database_url or None,  # direct, behind PgBouncer
            )
        # every service records acts, publishing events or not (notify)
        await ensure_anchor_stream(js, self.name, replicas=self.settings.stream_replicas)
        self._anchor = AuditAnchor(self.name, self.engine, js)
        for subscriptions, batch_commit, options in self._subscriptions:
            for stream, durable, subject, handler in subscriptions():
                self._consumers.append(
                    EventConsumer(
                        js,
                        self.sessions,
                        stream,
                        durable,
                        subject,
                        handler,
                        batch_commit=batch_commit,
                        **options,
                    )
                )

    async def _relay_outbox(self) -> None:
        await self._relay.run()

    async def _anchor_audit_chain(self) -> None:
        # in every replica, no leader: see AuditAnchor
        await run_every(self.settings.audit_anchor_seconds, self._anchor.round, name="audit anchor")

    async def _sample_metrics(self) -> None:
        # outbox backlog and age (when it publishes), consumer lag, pool use (shared/metrics.py)
        await watch_service(
            self.name, self.engine, bus.jetstream(self._nats), self._consumers, outbox=self.publishes
        )

    async def _consume(self) -> None:
        for consumer in self._consumers:
            await consumer.start()
        try:
            await asyncio.Event().wait()
        finally:
            # together: each finishes the message in hand (its transaction is never cut), none waits on another
            await asyncio.gather(*(consumer.stop() for consumer in self._consumers), return_exceptions=True)

    async def _stop(self) -> None:
        for hook in self._on_shutdown:
            await hook()
        if self._nats is not None:
            await bus.close(self._nats)
        for close in self._closes:
            await close()
        await self.engine.dispose()
        shutdown_telemetry()


def run_service(name: str, settings_type: Callable[[], Any], build: Callable[[Any], GrpcServer]) -> None:
    """`python -m services.<name>`: settings from the environment, logs and traces configured, the
    server built and served until SIGTERM."""
    settings = settings_type()
    configure_logging(name, settings.log_level)
    configure_telemetry(name, settings.otlp_endpoint)
    try:
        asyncio.run(build(settings).serve_forever())
    except PortTaken as taken:
        # one clear line and exit status 1, not a traceback: `make up` shows it from the log
        raise SystemExit(f"{name}: {taken}") from None
