"""One input guard in front of every servicer (输入把关): what reaches a service's code is clean.

`InputGuard` is a gRPC server interceptor that shared.grpc_server installs after
authentication, so every service gets it without a line of its own:

- a request that does not decode (corrupt bytes, invalid UTF-8 in a string) is refused with
  INVALID_ARGUMENT, not the INTERNAL/UNKNOWN of grpc's own deserialiser;
- every string field, recursively through nested, repeated and map fields, is checked for
  NUL and other control characters (line feed, carriage return and tab are text) and for the
  Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make
  a file name or a reason read differently from what is stored;
- every enum field holds a value its enum declares (proto3 enums are open: an unknown number
  decodes silently and would otherwise be stored or ignored); a google.protobuf.Timestamp or
  Duration is within the range the library can convert;
- every string field fits its column: the limit of a field is the smallest `String(n)` of the
  service's own columns with the same name (services/<name>/models.py, read at start), so a value
  the database would refuse is refused first, naming the field; a field with no such column (free
  text kept in `Text`) gets `DEFAULT_MAX_CHARS`. Matching by name is the simplest rule that keeps
  the limits in one place (the models) and cannot drift from them; where a field's value goes to a
  column of another name, `field_limits` overrides it by the field's full name;
- no exception text, SQL or stack trace leaves the server: a database that cannot be reached
  answers UNAVAILABLE (so clients retry) and tells the readiness check; any other unexpected
  exception answers INTERNAL "internal error, trace id <id>" and is logged with that id.

Refusals carry google.rpc.BadRequest with one violation per field (shared.errors.InvalidInput).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.rpc import code_pb2
from sqlalchemy import MetaData, String

from shared.errors import DomainError, InvalidInput, abort

log = logging.getLogger(__name__)

# Free text with no column of its own name: generous for a document's body, yet bounded.
DEFAULT_MAX_CHARS = 200_000
# At most this many fields are named in one refusal (a fuzzed message may break thousands).
MAX_VIOLATIONS = 20

# C0 controls except \t \n \r, DEL, C1 controls, bidirectional embeddings/overrides and isolates.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# -- the checks (pure) ---------------------------------------------------------------


def forbidden_character(text: str) -> str | None:
    """A description of the first character refused in free text, None when the text is clean."""
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    return f"contains the control or bidirectional character {code} at position {found.start()}"


# Tables of the event machinery (shared.outbox, shared.consumer): never filled from a request.
EVENT_TABLES = frozenset({"outbox", "processed_messages", "dead_letters"})


def column_limits(metadata: MetaData) -> dict[str, int]:
    """Column name → the smallest String(n) length among a service's columns of that name.

    ARRAY(String(n)) columns count too (a repeated field of ids is stored as one)."""
    limits: dict[str, int] = {}
    for table in metadata.tables.values():
        if table.name in EVENT_TABLES:
            continue
        for column in table.columns:
            kind = getattr(column.type, "item_type", column.type)
            length = getattr(kind, "length", None) if isinstance(kind, String) else None
            if length:
                limits[column.name] = min(length, limits.get(column.name, length))
    return limits


class Limits:
    """The longest text each field may hold: by full field name, by column name, or the default."""

    def __init__(
        self,
        by_column: Mapping[str, int] | None = None,
        by_field: Mapping[str, int] | None = None,
        default: int = DEFAULT_MAX_CHARS,
    ):
        self.by_column = dict(by_column or {})
        self.by_field = dict(by_field or {})
        self.default = default

    def of(self, field: FieldDescriptor) -> int:
        if field.full_name in self.by_field:
            return self.by_field[field.full_name]
        return self.by_column.get(field.name, self.default)


def violations(message: Message, limits: Limits, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field path, what is wrong) for every refused value in `message`, depth first."""
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if _is_map(field):
            yield from _map_violations(field, value, limits, path)
        elif field.is_repeated:
            for index, item in enumerate(value):
                yield from _value_violations(field, item, limits, f"{path}[{index}]")
        else:
            yield from _value_violations(field, value, limits, path)


def _is_map(field: FieldDescriptor) -> bool:
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE
        and field.is_repeated
        and field.message_type.GetOptions().map_entry
    )


Violation = tuple[str, str]


def _map_violations(field: FieldDescriptor, value: Any, limits: Limits, path: str) -> Iterator[Violation]:
    key_field = field.message_type.fields_by_name["key"]
    value_field = field.message_type.fields_by_name["value"]
    for key in value:
        yield from _value_violations(key_field, key, limits, f"{path}[{key!r}].key")
        yield from _value_violations(value_field, value[key], limits, f"{path}[{key!r}]")


# google.protobuf.Timestamp's valid range (0001-01-01 to 9999-12-31): beyond it ToDatetime raises.
TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)


def _value_violations(field: FieldDescriptor, value: Any, limits: Limits, path: str) -> Iterator[Violation]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
            yield from _time_violations(field.message_type.full_name, value, path)
        yield from violations(value, limits, f"{path}.")
    elif field.type == FieldDescriptor.TYPE_STRING:
        yield from _text_violations(field, value, limits, path)
    elif field.type == FieldDescriptor.TYPE_ENUM and value not in field.enum_type.values_by_number:
        yield path, f"{value} is not a value of {field.enum_type.name}"


def _time_violations(kind: str, value: Any, path: str) -> Iterator[tuple[str, str]]:
    low, high = TIMESTAMP_SECONDS
    if kind.endswith("Timestamp") and not low <= value.seconds <= high:
        yield path, "a time between the years 1 and 9999"
    elif kind.endswith("Duration") and not -315_576_000_000 <= value.seconds <= 315_576_000_000:
        yield path, "a duration of at most 10 000 years"
    if not -999_999_999 <= value.nanos <= 999_999_999 or (kind.endswith("Timestamp") and value.nanos < 0):
        yield path, "nanos out of range"


def _text_violations(field: FieldDescriptor, value: str, limits: Limits, path: str) -> Iterator[Violation]:
    problem = forbidden_character(value)
    if problem:
        yield path, problem
    longest = limits.of(field)
    if len(value) > longest:
        yield path, f"is {len(value)} characters long; at most {longest} are allowed"


def refusal(message: Message, limits: Limits) -> InvalidInput | None:
    """The INVALID_ARGUMENT for a request, None when every field passes."""
    found = []
    for item in violations(message, limits):
        found.append(item)
        if len(found) >= MAX_VIOLATIONS:
            break
    return InvalidInput(found) if found else None


# -- unexpected failures ----------------------------------------------------------------


class DatabaseUnavailable(DomainError):
    """The service's database cannot be reached now: the caller should retry."""

    code = code_pb2.UNAVAILABLE


class InternalError(DomainError):
    """A failure of ours; the reply names only the trace id under which the log has the details."""

    code = code_pb2.INTERNAL


def _connection_error_types() -> tuple[type[BaseException], ...]:
    import asyncpg.exceptions as pg
    from sqlalchemy import exc as sa

    return (
        ConnectionError,
        TimeoutError,
        sa.DisconnectionError,
        sa.TimeoutError,
        pg.PostgresConnectionError,
        pg.ConnectionDoesNotExistError,
        pg.OperatorInterventionError,
    )


_CONNECTION_ERRORS = _connection_error_types()


def is_database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database — or a service this one calls — cannot be
    reached or the link broke: a condition that a retry later may clear."""
    from sqlalchemy.exc import DBAPIError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        if (
            isinstance(current, grpc.RpcError)
            and callable(getattr(current, "code", None))
            and current.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
        ):
            return True  # a service this one depends on (org, …) is away: retrying later helps too
        current = current.__cause__ or current.__context__
    return False


def is_refused_value(exc: BaseException) -> bool:
    """A value the database refused as data (too long, out of range, malformed: SQLSTATE class 22)."""
    import asyncpg.exceptions as pg

    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return False
        if isinstance(current, pg.DataError):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def trace_id() -> str:
    """The current trace's id (what the logs show), or a fresh id when nothing traces this call."""
    try:
        from shared.telemetry import current_trace_ids
    except ImportError:  # pragma: no cover - telemetry is part of the platform
        ids = None
    else:
        ids = current_trace_ids()
    return ids[0] if ids else uuid.uuid4().hex


def translated(exc: Exception, method: str) -> DomainError:
    """What the caller is told of an exception the servicer did not turn into a status itself."""
    if is_database_unreachable(exc):
        log.warning("%s: database unreachable: %r", method, exc)
        return DatabaseUnavailable(
            "the service cannot reach its database or a service it depends on now; retry later"
        )
    if is_refused_value(exc):
        log.warning("%s: the database refused a value: %r", method, exc)
        return InvalidInput(
            [("request", "a value is too long, out of range or malformed for where it is kept")]
        )
    ident = trace_id()
    log.error("%s failed, trace id %s", method, ident, exc_info=exc)
    return InternalError(f"internal error, trace id {ident}")


# -- the interceptor ---------------------------------------------------------------------

UNDECODABLE = InvalidInput([("request", "the message cannot be decoded (corrupt or not this RPC's type)")])


class InputGuard(grpc.aio.ServerInterceptor):
    """Decode, check and shield every RPC of the services in `limits` (service full name → Limits).

    `on_database_unreachable` is called (no arguments) when a call met an unreachable database,
    so readiness can turn NOT_SERVING at once rather than at its next probe."""

    def __init__(
        self,
        limits: Mapping[str, Limits],
        *,
        exempt_services: Iterable[str] = (),
        on_database_unreachable: Callable[[], None] | None = None,
    ):
        self._limits = dict(limits)
        self._exempt = frozenset(exempt_services)
        self._on_database_unreachable = on_database_unreachable

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        service = method.rsplit("/", 1)[0].lstrip("/")
        if handler is None or service in self._exempt or handler.request_streaming:
            return handler
        limits = self._limits.get(service, Limits())
        return _guarded(handler, method, limits, self._on_database_unreachable)


def _guarded(
    handler: grpc.RpcMethodHandler, method: str, limits: Limits, on_unreachable: Callable[[], None] | None
) -> grpc.RpcMethodHandler:
    decode = handler.request_deserializer
    behaviour = handler.unary_unary or handler.unary_stream

    async def checked(raw: bytes, context) -> Any:
        try:
            request = decode(raw) if decode else raw
        except Exception:  # noqa: BLE001 — any decoding failure is the caller's bytes
            await abort(context, UNDECODABLE)
        problem = refusal(request, limits) if isinstance(request, Message) else None
        if problem is not None:
            await abort(context, problem)
        return request

    async def fail(exc: Exception, context) -> None:
        error = exc if isinstance(exc, DomainError) else translated(exc, method)
        if isinstance(error, DatabaseUnavailable) and on_unreachable is not None:
            on_unreachable()
        await abort(context, error)

    async def unary(raw, context):
        try:
            request = await checked(raw, context)
            return await behaviour(request, context)
        except _PASS_THROUGH:
            raise
        except Exception as exc:  # noqa: BLE001 — shielded: see the module docstring
            await fail(exc, context)

    if handler.unary_stream is None:
        return grpc.unary_unary_rpc_method_handler(_like(unary, behaviour), None, handler.response_serializer)
    # A server-streaming method that returns its responses (rather than yielding them) is awaited
    # like a unary one; grpc.aio streams what it returns.
    stream = unary
    if inspect.isasyncgenfunction(behaviour):

        async def stream(raw, context):
            try:
                request = await checked(raw, context)
                async for item in behaviour(request, context):
                    yield item
            except _PASS_THROUGH:
                raise
            except Exception as exc:  # noqa: BLE001
                await fail(exc, context)

    return grpc.unary_stream_rpc_method_handler(_like(stream, behaviour), None, handler.response_serializer)


def _like(wrapper: Callable, behaviour: Callable) -> Callable:
    """The wrapper keeps what the servicer method declared (e.g. @requires' permissions for auth)."""
    wrapper.__dict__.update(getattr(behaviour, "__dict__", {}))
    wrapper.__name__ = getattr(behaviour, "__name__", wrapper.__name__)
    return wrapper


# An abort (the servicer's own status) and cancellation go through untouched.
_PASS_THROUGH = (grpc.aio.AbortError, asyncio.CancelledError)


def limits_for(servicer: object) -> Limits:
    """The limits of a servicer's RPCs: from the `metadata` of its service's models module, if any."""
    package = type(servicer).__module__.rsplit(".", 1)[0]
    try:
        import importlib

        models = importlib.import_module(f"{package}.models")
    except ImportError:
        return Limits()
    metadata = getattr(models, "metadata", None)
    if metadata is None:
        base = getattr(models, "Base", None)
        metadata = getattr(base, "metadata", None)
    return Limits(column_limits(metadata)) if isinstance(metadata, MetaData) else Limits()


__all__ = [
    "DEFAULT_MAX_CHARS",
    "DatabaseUnavailable",
    "InputGuard",
    "InternalError",
    "Limits",
    "column_limits",
    "forbidden_character",
    "is_database_unreachable",
    "limits_for",
    "refusal",
    "translated",
    "violations",
]
