"""Who may call an RPC: the bearer token, the caller in `current_actor()`, per-RPC permissions.

Who may call an RPC is declared at the method with `@requires("<permission>")`: a
client role of this API in Keycloak. `AuthInterceptor` verifies the bearer token
(UNAUTHENTICATED otherwise), then checks the declared permissions (PERMISSION_DENIED
naming the missing ones, with google.rpc.ErrorInfo reason PERMISSION_MISSING and metadata
"permissions"; PERMISSION_UNDECLARED for an RPC that declares none). An RPC without a declaration is denied to everyone, so a
forgotten decorator fails closed. Health checking and reflection need no token.

shared.grpc_server.GrpcServer installs the interceptor in front of every service it serves.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from google.rpc import code_pb2
from grpc_health.v1 import health_pb2
from opentelemetry import trace

from shared.errors import DomainError, Forbidden, RuleViolation, Unauthenticated, to_status
from shared.identity import Actor, InvalidToken, KeySetUnavailable, TokenVerifier

log = logging.getLogger(__name__)
# The attribute of a refused call's server span that holds the rule id (e.g. "A42.route").
RULE_ID_SPAN_ATTRIBUTE = "zgov.rule_id"

# Services any caller may use without a token: probes and tooling (grpcurl, grpc_health_probe).
EXEMPT_SERVICES = frozenset(
    {
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)

PERMISSIONS_ATTRIBUTE = "__zgov_permissions__"

_current_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("zgov_actor", default=None)


# -- the caller of the current RPC ------------------------------------------------


def current_actor() -> Actor:
    """The authenticated caller of the RPC being served (set by AuthInterceptor)."""
    actor = _current_actor.get()
    if actor is None:
        raise LookupError("no authenticated actor: not inside an RPC served behind AuthInterceptor")
    return actor


def current_actor_or_none() -> Actor | None:
    return _current_actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor):
    """Run code as `actor` outside an RPC: event consumers, jobs, tests of servicers."""
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)


# -- per-RPC permissions ------------------------------------------------------------


def requires(*permissions: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the permissions (client roles of this API) an RPC needs; all are required.

    The wrapped method also re-checks them (so it stays closed even if served without
    AuthInterceptor) and turns domain exceptions of shared.errors into rich statuses.
    """
    if not permissions or not all(isinstance(p, str) and p for p in permissions):
        raise TypeError("requires() needs at least one permission name, e.g. @requires('leave:approve')")
    needed = frozenset(permissions)

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isasyncgenfunction(method):

            @functools.wraps(method)
            async def streaming_rpc(self, request, context):
                await _check_in_method(needed, method.__name__, context)
                try:
                    async for response in method(self, request, context):
                        yield response
                except DomainError as exc:
                    await _abort(context, exc)

            wrapper = streaming_rpc
        elif inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def rpc(self, request, context):
                await _check_in_method(needed, method.__name__, context)
                try:
                    return await method(self, request, context)
                except DomainError as exc:
                    await _abort(context, exc)

            wrapper = rpc
        else:
            raise TypeError(f"@requires works on async servicer methods; {method.__qualname__} is not async")
        setattr(wrapper, PERMISSIONS_ATTRIBUTE, needed)
        return wrapper

    return decorate


def declared_permissions(method: Any) -> frozenset[str] | None:
    """The permissions declared with @requires on a servicer method, None when undeclared."""
    return getattr(method, PERMISSIONS_ATTRIBUTE, None)


def missing_permission_message(method: str, missing: Iterable[str], actor: Actor, audience: str = "") -> str:
    names = ", ".join(sorted(missing))
    who = actor.username or actor.user_id
    role_of = f" (client role of {audience!r})" if audience else ""
    return f"{method} needs permission {names}{role_of}; {who} does not hold it"


def missing_permission(method: str, missing: Iterable[str], actor: Actor, audience: str = "") -> Forbidden:
    """PERMISSION_DENIED with ErrorInfo reason PERMISSION_MISSING, naming the permissions lacking
    (metadata "permissions", comma-separated), the RPC and the API whose client roles they are."""
    missing = sorted(missing)
    metadata = {"permissions": ",".join(missing), "method": method}
    if audience:
        metadata["audience"] = audience
    return Forbidden(
        missing_permission_message(method, missing, actor, audience),
        reason="PERMISSION_MISSING",
        metadata=metadata,
    )


async def _check_in_method(needed: frozenset[str], name: str, context: grpc.aio.ServicerContext) -> None:
    actor = _current_actor.get()
    if actor is None:
        await _abort(context, Unauthenticated("no authenticated caller"))
    missing = needed - actor.permissions
    if missing:
        await _abort(context, missing_permission(name, missing, actor))


async def _abort(context: grpc.aio.ServicerContext, error: DomainError) -> None:
    """End the call with `error`'s rich status.

    Through context.abort rather than abort_with_status: OpenTelemetry's server
    interceptor records the status code only from abort, so the span shows the failure.
    """
    status = to_status(error)
    if isinstance(error, RuleViolation | Forbidden) and error.rule_id:
        # The trace names the working rule that refused the act, as ErrorInfo does the caller.
        trace.get_current_span().set_attribute(RULE_ID_SPAN_ATTRIBUTE, error.rule_id)
    await context.abort(status.code, status.details, status.trailing_metadata)


# -- the interceptor ------------------------------------------------------------------


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Bearer token → Actor (in `current_actor()`), then the RPC's declared permissions."""

    def __init__(self, verifier: TokenVerifier, *, exempt_services: Iterable[str] = EXEMPT_SERVICES):
        self.verifier = verifier
        self.audience = verifier.audience
        self._exempt = frozenset(exempt_services)

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        handler = await continuation(handler_call_details)
        if handler is None or _service_of(method) in self._exempt:
            return handler
        token = _bearer_token(handler_call_details.invocation_metadata)
        if token is None:
            return _rejection(
                handler,
                Unauthenticated("missing access token: send metadata 'authorization: Bearer <token>'"),
            )
        try:
            actor = await self.verifier.verify(token)
        except KeySetUnavailable as exc:
            log.warning("cannot check access tokens: %s", exc.reason)
            return _rejection(handler, _Unavailable(f"cannot check the access token now: {exc.reason}"))
        except InvalidToken as exc:
            return _rejection(handler, Unauthenticated(f"invalid access token: {exc.reason}"))
        needed = declared_permissions(_behaviour(handler))
        if needed is None:
            return _rejection(
                handler,
                Forbidden(
                    f"{method} declares no permission, so nobody may call it (secure default)",
                    reason="PERMISSION_UNDECLARED",
                    metadata={"method": method},
                ),
            )
        missing = needed - actor.permissions
        if missing:
            return _rejection(handler, missing_permission(method, missing, actor, self.audience))
        # The handler runs in the same contextvars.Context as the interceptors (grpc.aio's contract).
        _current_actor.set(actor)
        return handler


def _service_of(method: str) -> str:
    # "/zgov.org.v1.OrgService/ListPositions" → "zgov.org.v1.OrgService"
    return method.rsplit("/", 1)[0].lstrip("/")


def _bearer_token(metadata) -> str | None:
    for key, value in metadata or ():
        if key == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


def _behaviour(handler: grpc.RpcMethodHandler):
    return handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream


class _Unavailable(DomainError):
    """Keycloak's keys cannot be fetched: retry later (not the caller's fault)."""

    code = code_pb2.UNAVAILABLE


def _rejection(handler: grpc.RpcMethodHandler, error: DomainError) -> grpc.RpcMethodHandler:
    """A handler of the same shape as `handler` that only ends the call with `error`'s status."""

    async def reject(request_or_iterator, context):
        await _abort(context, error)

    kinds = {
        "unary_unary": grpc.unary_unary_rpc_method_handler,
        "unary_stream": grpc.unary_stream_rpc_method_handler,
        "stream_unary": grpc.stream_unary_rpc_method_handler,
        "stream_stream": grpc.stream_stream_rpc_method_handler,
    }
    for attribute, make in kinds.items():
        if getattr(handler, attribute) is not None:
            return make(
                reject,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
    raise TypeError(f"unknown RPC handler kind: {handler!r}")


__all__ = [
    "AuthInterceptor",
    "EXEMPT_SERVICES",
    "acting_as",
    "current_actor",
    "current_actor_or_none",
    "declared_permissions",
    "requires",
]
