"""Every service's gRPC server: health, reflection, readiness, drain; authentication in front.

How a service uses it (services/<name>/api.py and __main__.py):

    class OrgApi(org_pb2_grpc.OrgServiceServicer):
        @requires("positions:read")
        async def ListPositions(self, request, context):
            actor = current_actor()
            ...

    server = GrpcServer.from_settings([OrgApi(...)], settings)
    server.on_startup(open_database)          # awaited before the port opens
    server.background(outbox_relay.run)       # started once serving, cancelled on drain
    server.on_shutdown(close_database)        # awaited after the last call finished
    await server.serve_forever()              # returns after SIGTERM/SIGINT and a clean drain

`requires` and `current_actor` live in shared.rpc_auth: the bearer token, per-RPC permissions
(an RPC without a declaration is denied to everyone) and the AuthInterceptor this server installs.
Health checking and reflection need no token.

Behind authentication every RPC passes shared.input_guard.InputGuard: undecodable messages,
control and bidirectional characters, unknown enum values and strings longer than their
column are refused (INVALID_ARGUMENT naming the field) before the servicer runs, and no
exception text reaches a caller (UNAVAILABLE while the database is unreachable, otherwise
INTERNAL with a trace id). Readiness: `server.readiness(check)` registers a probe (e.g.
shared.db.database_ping(engine)); while one fails, health reports NOT_SERVING.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from shared.heap import freeze_startup_heap
from shared.identity import KeySetUnavailable, TokenVerifier, jwks_url_of, realm_issuer
from shared.input_guard import InputGuard, Limits, limits_for
from shared.rpc_auth import EXEMPT_SERVICES, AuthInterceptor, declared_permissions

log = logging.getLogger(__name__)


# -- servicers and their services ------------------------------------------------------


@dataclass(frozen=True)
class ServiceBinding:
    """A servicer with its generated add-function and its full service name."""

    servicer: object
    add_to_server: Callable[[object, grpc.aio.Server], None]
    full_name: str
    method_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, servicer: object) -> ServiceBinding:
        """Found from the generated base class, e.g. org_pb2_grpc.OrgServiceServicer."""
        for base in type(servicer).__mro__:
            if base.__module__.endswith("_pb2_grpc") and base.__name__.endswith("Servicer"):
                grpc_module = sys.modules[base.__module__]
                add = getattr(grpc_module, f"add_{base.__name__}_to_server")
                messages = importlib.import_module(base.__module__.removesuffix("_grpc"))
                service = messages.DESCRIPTOR.services_by_name[base.__name__.removesuffix("Servicer")]
                return cls(servicer, add, service.full_name, tuple(m.name for m in service.methods))
        raise TypeError(
            f"{type(servicer).__name__} does not derive from a generated *Servicer class; "
            "pass ServiceBinding(servicer, add_XServicer_to_server, 'pkg.Service') instead"
        )

    def undeclared_methods(self) -> list[str]:
        return [
            name
            for name in self.method_names
            if declared_permissions(getattr(self.servicer, name, None)) is None
        ]


Hook = Callable[[], Awaitable[Any]]

# Seconds between readiness probes, the longest one probe may take, and how many probes in a row must
# fail before NOT_SERVING (one slow probe on a busy machine must not take a serving replica away).
READINESS_INTERVAL = 2.0
READINESS_TIMEOUT = 5.0
READINESS_FAILURES = 2


class PortTaken(OSError):
    """The port a server was told to listen on is in use: the service stops at once and says so."""


class GrpcServer:
    """A grpc.aio server with auth, health per service, reflection, hooks and graceful drain."""

    def __init__(
        self,
        servicers: Sequence[object],
        *,
        verifier: TokenVerifier | None,
        host: str = "127.0.0.1",
        port: int = 0,
        drain_delay: float = 1.0,
        stop_grace: float = 10.0,
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
        telemetry: bool = True,
        options: Sequence[tuple[str, Any]] = (),
        readiness_interval: float = READINESS_INTERVAL,
        input_limits: Mapping[str, Limits] | None = None,
    ):
        """`verifier=None` serves without authentication: only for benchmarks and tests
        that say so. `drain_delay`: seconds NOT_SERVING is reported before the port
        closes (so probes and balancers stop sending); `stop_grace`: seconds in-flight
        calls get to finish after that. `input_limits`: the longest text of each field per service
        (full name → shared.input_guard.Limits), by default read from the service's models."""
        self.bindings = [s if isinstance(s, ServiceBinding) else ServiceBinding.of(s) for s in servicers]
        self.verifier = verifier
        self.host = host
        self.requested_port = port
        self.drain_delay = drain_delay
        self.stop_grace = stop_grace
        self.port: int | None = None
        self.health = health_aio.HealthServicer()
        self._interceptors = list(_telemetry_interceptors() if telemetry else [])
        if verifier is not None:
            self._interceptors.append(AuthInterceptor(verifier))
        limits = {b.full_name: limits_for(b.servicer) for b in self.bindings} | dict(input_limits or {})
        self._interceptors.append(
            InputGuard(
                limits,
                exempt_services=EXEMPT_SERVICES,
                on_database_unreachable=self._probe_now,
            )
        )
        self._interceptors.extend(interceptors)
        self.readiness_interval = readiness_interval
        self._readiness: list[Hook] = []
        self._probe_wanted = asyncio.Event()
        self.ready = True
        self._options = [("grpc.so_reuseport", 0), *options]
        self._server: grpc.aio.Server | None = None
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []
        self._background: list[Callable[[], Awaitable[Any]]] = []
        self._tasks: list[asyncio.Task] = []
        self._draining: asyncio.Task | None = None
        self._stopped = asyncio.Event()

    @classmethod
    def from_settings(cls, servicers: Sequence[object], settings: Any, **kwargs: Any) -> GrpcServer:
        """Host, port and the token verifier from a service's settings (shared.config): tokens must
        name the public issuer, their keys are fetched over the back channel (keycloak_url)."""
        back_channel = realm_issuer(settings.keycloak_url, settings.keycloak_realm)
        public = getattr(settings, "keycloak_issuer_url", "") or settings.keycloak_url
        issuer = realm_issuer(public, settings.keycloak_realm)
        kwargs.setdefault(
            "verifier", TokenVerifier(issuer, settings.client_id, jwks_url=jwks_url_of(back_channel))
        )
        return cls(servicers, host=settings.grpc_host, port=settings.grpc_port, **kwargs)

    # -- hooks ---------------------------------------------------------------------
    def on_startup(self, hook: Hook) -> Hook:
        """Awaited in order before the port opens (e.g. migrations, connecting to NATS)."""
        self._startup.append(hook)
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        """Awaited in reverse order after the last in-flight call (e.g. closing pools)."""
        self._shutdown.append(hook)
        return hook

    def readiness(self, check: Hook) -> Hook:
        """A probe awaited every `readiness_interval` seconds once serving (and at once when a call
        met an unreachable database); while one raises or times out, health reports NOT_SERVING."""
        self._readiness.append(check)
        return check

    def background(self, run: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        """A long-running task (e.g. the outbox relay) started once serving, cancelled on
        drain after in-flight calls finished (their outbox rows are committed by then)."""
        self._background.append(run)
        return run

    # -- lifecycle -------------------------------------------------------------------
    @property
    def service_names(self) -> list[str]:
        return [b.full_name for b in self.bindings]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self, *, freeze_heap: bool = False) -> int:
        """Open the port, run start-up hooks, report SERVING; returns the bound port.

        The port is taken first, so a service whose port is in use stops at once (PortTaken), before
        it migrates or connects to anything. `freeze_heap`: a service process (serve_forever) keeps what
        start-up built out of the garbage collector's reach before it serves (see freeze_startup_heap);
        tests that start servers inside pytest do not freeze pytest's heap."""
        server = grpc.aio.server(interceptors=self._interceptors, options=self._options)
        for binding in self.bindings:
            binding.add_to_server(binding.servicer, server)
            for name in binding.undeclared_methods():
                log.info("%s/%s declares no permission: denied to every caller", binding.full_name, name)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
        reflection.enable_server_reflection(
            [*self.service_names, health_name, reflection.SERVICE_NAME], server
        )
        try:
            self.port = server.add_insecure_port(f"{self.host}:{self.requested_port}")
        except RuntimeError:  # grpcio raises "Failed to bind" where older releases returned 0
            self.port = 0
        if not self.port:
            raise PortTaken(
                f"cannot listen on {self.host}:{self.requested_port}: the port is taken;"
                " stop what uses it or set ZGOV_GRPC_PORT to a free port"
            )
        try:
            for hook in self._startup:
                await hook()
            if self.verifier is not None:
                await self._warm_up_keys()
        except BaseException:
            await server.stop(None)  # give the port back: the server never served
            raise
        if freeze_heap:
            log.info("start-up heap frozen: %d objects kept out of garbage collection", freeze_startup_heap())
        await server.start()
        self._server = server
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        runs = [*self._background, *([self._watch_readiness] if self._readiness else [])]
        self._tasks = [
            asyncio.create_task(_logged(run), name=getattr(run, "__qualname__", "background")) for run in runs
        ]
        log.info("gRPC server serving %s on %s", ", ".join(self.service_names), self.address)
        return self.port

    def _probe_now(self) -> None:
        self._probe_wanted.set()

    async def _watch_readiness(self) -> None:
        """NOT_SERVING while a readiness probe fails (e.g. the database is down), SERVING again after."""
        failures = 0
        while True:
            failures = 0 if await self._probe() else failures + 1
            ready = failures < READINESS_FAILURES
            if ready != self.ready:
                self.ready = ready
                serving = health_pb2.HealthCheckResponse
                status = serving.SERVING if ready else serving.NOT_SERVING
                for name in ["", *self.service_names]:
                    await self.health.set(name, status)
                log.warning("readiness: %s", "serving again" if ready else "NOT_SERVING until a probe passes")
            self._probe_wanted.clear()
            # After a failure the next probe comes sooner: a database that is down is confirmed quickly.
            wait = self.readiness_interval / 4 if failures else self.readiness_interval
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._probe_wanted.wait(), wait)

    async def _probe(self) -> bool:
        for check in self._readiness:
            try:
                await asyncio.wait_for(check(), READINESS_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — any failure means not ready
                log.warning("readiness probe %s failed: %r", getattr(check, "__qualname__", check), exc)
                return False
        return True

    async def _warm_up_keys(self) -> None:
        # Best effort: a Keycloak that starts later is tolerated (keys are fetched on demand).
        try:
            await self.verifier.refresh()
        except KeySetUnavailable as exc:
            log.warning("realm keys not fetched at start (will retry on demand): %s", exc.reason)

    def shutdown(self) -> asyncio.Task:
        """Start the drain once (idempotent); await the returned task to wait for it."""
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain(), name="grpc-drain")
        return self._draining

    async def _drain(self) -> None:
        log.info(
            "draining: reporting NOT_SERVING, then stopping within %.1fs", self.drain_delay + self.stop_grace
        )
        await self.health.enter_graceful_shutdown()
        await asyncio.sleep(self.drain_delay)
        if self._server is not None:
            await self._server.stop(self.stop_grace)
        await _cancel_all(self._tasks)
        for hook in reversed(self._shutdown):
            try:
                await hook()
            except Exception:
                log.exception("shutdown hook %r failed", hook)
        self._stopped.set()
        log.info("gRPC server stopped")

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    def install_signal_handlers(self, signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT)) -> None:
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.add_signal_handler(sig, self.shutdown)

    async def serve_forever(self) -> None:
        """Start, then serve until SIGTERM/SIGINT has drained the server."""
        await self.start(freeze_heap=True)
        self.install_signal_handlers()
        await self.wait_stopped()

    async def __aenter__(self) -> GrpcServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.shutdown()


async def _logged(run: Callable[[], Awaitable[Any]]) -> None:
    try:
        await run()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background task %r failed", run)


def _telemetry_interceptors() -> list[grpc.aio.ServerInterceptor]:
    """OpenTelemetry's server interceptor, first in the chain so rejected calls are traced too."""
    try:
        telemetry = importlib.import_module("shared.telemetry")
    except ImportError:
        return []
    make = getattr(telemetry, "grpc_server_interceptors", None)
    return list(make()) if make else []


async def serve(
    servicers: Sequence[object],
    settings: Any,
    *,
    on_startup: Iterable[Hook] = (),
    on_shutdown: Iterable[Hook] = (),
    background: Iterable[Callable[[], Awaitable[Any]]] = (),
    **kwargs: Any,
) -> None:
    """Serve `servicers` with the settings' host, port and realm until SIGTERM/SIGINT."""
    server = GrpcServer.from_settings(servicers, settings, **kwargs)
    for hook in on_startup:
        server.on_startup(hook)
    for hook in on_shutdown:
        server.on_shutdown(hook)
    for run in background:
        server.background(run)
    await server.serve_forever()


__all__ = [
    "GrpcServer",
    "ServiceBinding",
    "serve",
]


# Python 3.11's asyncio.wait_for returns the inner result instead of raising when a cancellation
# arrives as the awaited future completes: a background loop built on it (readiness, sweeps, the
# metrics sampler, the NATS client's requests) then swallows the one cancellation and runs on, and
# a drain that waited for it never ended (seen as test servers that did not stop within 30 s).
CANCEL_AGAIN_SECONDS = 0.5
CANCEL_GIVE_UP_SECONDS = 10.0


async def _cancel_all(tasks: Sequence[asyncio.Task]) -> None:
    """Cancel the tasks and wait for them, cancelling again any that swallowed the cancellation;
    after CANCEL_GIVE_UP_SECONDS the stragglers are named in the log and left behind."""
    pending = {task for task in tasks if not task.done()}
    for task in pending:
        task.cancel()
    loop = asyncio.get_running_loop()
    give_up = loop.time() + CANCEL_GIVE_UP_SECONDS
    while pending:
        _, pending = await asyncio.wait(pending, timeout=CANCEL_AGAIN_SECONDS)
        if pending and loop.time() >= give_up:
            log.error(
                "background tasks still running after the drain: %s", sorted(t.get_name() for t in pending)
            )
            return
        for task in pending:
            task.cancel()
    for task in tasks:  # their failures were logged where they ran; retrieved so asyncio stays quiet
        if task.done() and not task.cancelled():
            task.exception()
