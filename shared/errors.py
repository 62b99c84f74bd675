"""Errors of the platform, as domain exceptions and as rich gRPC statuses (google.rpc.Status).

Domain code (no I/O) raises the exceptions; the gRPC edge turns them into statuses, either
by `DomainErrorInterceptor` on the server or by `await abort(context, exc)`:

| exception        | gRPC code           | details                                           |
| ---------------- | ------------------- | ------------------------------------------------- |
| InvalidInput     | INVALID_ARGUMENT    | google.rpc.BadRequest, one field violation each   |
| RuleViolation    | FAILED_PRECONDITION | google.rpc.ErrorInfo (reason = rule id such as    |
|                  |                     | "A82", domain "zgov") + google.rpc.PreconditionFailure |
| Forbidden        | PERMISSION_DENIED   | ErrorInfo: reason = the rule id where a rule      |
|                  |                     | decides (metadata "rule"), else why in upper case |
|                  |                     | ("PERMISSION_MISSING" with metadata "permissions",|
|                  |                     | "NOT_LEAD_BODY" …; "PERMISSION_DENIED" by default) |
| Unauthenticated  | UNAUTHENTICATED     | ErrorInfo reason "UNAUTHENTICATED"                |
| NotFound         | NOT_FOUND           | google.rpc.ResourceInfo                           |

Clients (other services, tests) read them back with `rule_id_of(err)`, `error_info_of(err)`
(reason and metadata) and `field_violations_of(err)`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

__all__ = [
    "DOMAIN",
    "DomainError",
    "DomainErrorInterceptor",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "RuleViolation",
    "Unauthenticated",
    "abort",
    "error_info_of",
    "field_violations_of",
    "invalid_argument",
    "not_found",
    "permission_denied",
    "rich_status_of",
    "rule_id_of",
    "rule_violation",
    "to_status",
    "translate_errors",
    "unauthenticated",
]

DOMAIN = "zgov"
DETAILS_KEY = "grpc-status-details-bin"

Violations = Mapping[str, str] | Iterable[tuple[str, str]]


class DomainError(Exception):
    """Base of the errors the rules raise; each knows its rich gRPC status."""

    code: int = code_pb2.UNKNOWN

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def details(self) -> list[Any]:
        """google.rpc detail messages for the status."""
        return []

    def status(self) -> status_pb2.Status:
        return _rich_status(self.code, self.message, self.details())


class InvalidInput(DomainError):
    """Bad input: the fields that are wrong, each with what is wrong (google.rpc.BadRequest)."""

    code = code_pb2.INVALID_ARGUMENT

    def __init__(self, violations: Violations, message: str = ""):
        items = list(violations.items()) if isinstance(violations, Mapping) else list(violations)
        if not items:
            raise ValueError("InvalidInput needs at least one field violation")
        self.violations: dict[str, str] = {}
        for field, description in items:
            # Two problems with one field read as one sentence rather than one hiding the other.
            known = self.violations.get(field)
            self.violations[field] = f"{known}; {description}" if known else description
        self.field_violations: list[tuple[str, str]] = items
        super().__init__(message or "; ".join(f"{field}: {text}" for field, text in items))

    def details(self) -> list[Any]:
        return [
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
                    for field, description in self.field_violations
                ]
            )
        ]


class RuleViolation(DomainError):
    """A working rule forbids the act; `rule_id` names it (e.g. "A82", "A47.one-matter")."""

    code = code_pb2.FAILED_PRECONDITION

    def __init__(
        self, rule_id: str, message: str, *, subject: str = "", metadata: Mapping[str, str] | None = None
    ):
        if not rule_id:
            raise ValueError("RuleViolation needs the id of the rule")
        self.rule_id = rule_id
        self.subject = subject
        self.metadata = dict(metadata or {})
        # The rule id leads the message so that a person reading only the text knows the rule.
        super().__init__(message if message.startswith(f"{rule_id}:") else f"{rule_id}: {message}")
        self.reason = message

    def details(self) -> list[Any]:
        metadata = {"rule": self.rule_id, **self.metadata}
        if self.subject:
            metadata.setdefault("subject", self.subject)
        return [
            error_details_pb2.ErrorInfo(reason=self.rule_id, domain=DOMAIN, metadata=metadata),
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=self.rule_id, subject=self.subject, description=self.reason
                    )
                ]
            ),
        ]


class Forbidden(DomainError):
    """The caller's position or permission does not allow the act.

    `reason` says why in a word a program can test (ErrorInfo.reason, upper snake case, e.g.
    "NOT_LEAD_BODY"); where a working rule decides, `rule_id` names it instead and leads the
    message, as for a RuleViolation. `metadata` adds what the caller needs to put it right (e.g.
    the permissions lacking).
    """

    code = code_pb2.PERMISSION_DENIED

    def __init__(
        self,
        message: str,
        *,
        reason: str = "PERMISSION_DENIED",
        rule_id: str = "",
        metadata: Mapping[str, str] | None = None,
    ):
        self.rule_id = rule_id
        self.reason = rule_id or reason
        self.metadata = dict(metadata or {})
        if rule_id and not message.startswith(f"{rule_id}:"):
            message = f"{rule_id}: {message}"
        super().__init__(message)

    def details(self) -> list[Any]:
        metadata = {"rule": self.rule_id, **self.metadata} if self.rule_id else self.metadata
        return [error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=metadata)]


class Unauthenticated(DomainError):
    """No valid access token."""

    code = code_pb2.UNAUTHENTICATED

    def details(self) -> list[Any]:
        return [error_details_pb2.ErrorInfo(reason="UNAUTHENTICATED", domain=DOMAIN)]


class NotFound(DomainError):
    """`what` does not exist (e.g. "leave L-17")."""

    code = code_pb2.NOT_FOUND

    def __init__(self, what: str, *, resource_type: str = ""):
        self.what = what
        self.resource_type = resource_type
        super().__init__(f"{what} not found")

    def details(self) -> list[Any]:
        return [error_details_pb2.ResourceInfo(resource_type=self.resource_type, resource_name=self.what)]


def _rich_status(code: int, message: str, details: Iterable[Any]) -> status_pb2.Status:
    packed = []
    for detail in details:
        item = any_pb2.Any()
        item.Pack(detail)
        packed.append(item)
    return status_pb2.Status(code=code, message=message, details=packed)


def to_status(exc: DomainError) -> grpc.Status:
    """The grpc.Status (code, details, trailing metadata with the rich status) of a domain error."""
    return rpc_status.to_status(exc.status())


async def abort(context: grpc.aio.ServicerContext, exc: DomainError) -> NoReturn:
    """End the RPC with the rich status of `exc`.

    Through `context.abort` (not `abort_with_status`): OpenTelemetry's server wrapper records
    the status code on the span only for the former.
    """
    status = to_status(exc)
    await context.abort(status.code, status.details, status.trailing_metadata)
    raise AssertionError("abort returned")  # pragma: no cover - grpc always raises


async def invalid_argument(context: grpc.aio.ServicerContext, violations: Violations) -> NoReturn:
    await abort(context, InvalidInput(violations))


async def rule_violation(
    context: grpc.aio.ServicerContext, rule_id: str, message: str, *, subject: str = "", **metadata: str
) -> NoReturn:
    await abort(context, RuleViolation(rule_id, message, subject=subject, metadata=metadata))


async def permission_denied(
    context: grpc.aio.ServicerContext, message: str, *, reason: str = "PERMISSION_DENIED", rule_id: str = ""
) -> NoReturn:
    await abort(context, Forbidden(message, reason=reason, rule_id=rule_id))


async def unauthenticated(context: grpc.aio.ServicerContext, message: str) -> NoReturn:
    await abort(context, Unauthenticated(message))


async def not_found(context: grpc.aio.ServicerContext, what: str) -> NoReturn:
    await abort(context, NotFound(what))


# --- server side: raised domain errors become statuses ---------------------------------------


def translate_errors(method):
    """Decorate an async servicer method (unary or streaming) so a DomainError aborts the RPC."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream(self, request, context):
            try:
                async for item in method(self, request, context):
                    yield item
            except DomainError as exc:
                await abort(context, exc)

        return stream

    @functools.wraps(method)
    async def unary(self, request, context):
        try:
            return await method(self, request, context)
        except DomainError as exc:
            await abort(context, exc)

    return unary


def _guard(behaviour, streaming_response: bool):
    """Wrap one handler behaviour (request or request iterator, context) of a grpc.aio server.

    The wrapper has the kind of the wrapped one: grpc.aio serves an async generator by
    iterating it, and a coroutine (which may stream with context.write) by awaiting it.
    """
    if behaviour is None:
        return None
    if streaming_response and inspect.isasyncgenfunction(behaviour):

        async def stream(request, context):
            try:
                async for item in behaviour(request, context):
                    yield item
            except DomainError as exc:
                await abort(context, exc)

        return stream

    async def call(request, context):
        try:
            return await behaviour(request, context)
        except DomainError as exc:
            await abort(context, exc)

    return call


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):
    """Turns a DomainError raised by any handler into its rich status; register once per server."""

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _guard(handler.unary_unary, False), handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _guard(handler.unary_stream, True), handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _guard(handler.stream_unary, False), handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                _guard(handler.stream_stream, True), handler.request_deserializer, handler.response_serializer
            )
        return handler


# --- client side: read the rich status of a failed call -----------------------------------


def rich_status_of(error: grpc.RpcError) -> status_pb2.Status | None:
    """The google.rpc.Status carried by a failed call (grpc.RpcError or grpc.aio.AioRpcError)."""
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


def _details_of(error: grpc.RpcError, kind):
    status = rich_status_of(error)
    found = []
    for item in status.details if status else ():
        if item.Is(kind.DESCRIPTOR):
            message = kind()
            item.Unpack(message)
            found.append(message)
    return found


def error_info_of(error: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The platform's google.rpc.ErrorInfo of a failed call (reason and metadata), or None."""
    for info in _details_of(error, error_details_pb2.ErrorInfo):
        if info.domain == DOMAIN:
            return info
    return None


def rule_id_of(error: grpc.RpcError) -> str | None:
    """The id of the working rule that refused the call (FAILED_PRECONDITION, or PERMISSION_DENIED
    where a rule decides who may act), or None."""
    info = error_info_of(error)
    if info is not None and error.code() == grpc.StatusCode.FAILED_PRECONDITION:
        return info.reason
    if info is not None and info.metadata.get("rule"):
        return info.metadata["rule"]
    for failure in _details_of(error, error_details_pb2.PreconditionFailure):
        for violation in failure.violations:
            return violation.type
    return None


def field_violations_of(error: grpc.RpcError) -> dict[str, str]:
    """Field → what is wrong, from the BadRequest of an INVALID_ARGUMENT ({} when none)."""
    violations: dict[str, str] = {}
    for bad_request in _details_of(error, error_details_pb2.BadRequest):
        for violation in bad_request.field_violations:
            known = violations.get(violation.field)
            violations[violation.field] = (
                f"{known}; {violation.description}" if known else violation.description
            )
    return violations
