"""Domain errors become rich gRPC statuses, and clients read the rule id and fields back.

The round trips use a real grpc.aio server on a local port with raw-bytes methods (no stubs).
"""

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2

from shared.errors import (
    DETAILS_KEY,
    DomainErrorInterceptor,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    Unauthenticated,
    error_info_of,
    field_violations_of,
    invalid_argument,
    rich_status_of,
    rule_id_of,
    rule_violation,
    to_status,
    translate_errors,
)

SERVICE = "zgov.test.v1.Errors"


def unpack(status: status_pb2.Status, kind):
    found = []
    for item in status.details:
        if item.Is(kind.DESCRIPTOR):
            message = kind()
            item.Unpack(message)
            found.append(message)
    return found


def rich(grpc_status) -> status_pb2.Status:
    [value] = [v for k, v in grpc_status.trailing_metadata if k == DETAILS_KEY]
    return status_pb2.Status.FromString(value)


def test_invalid_input_carries_bad_request_field_violations():
    status = to_status(InvalidInput({"last_day": "before the first day", "reason": "required"}))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    [bad] = unpack(rich(status), error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("last_day", "before the first day"),
        ("reason", "required"),
    ]
    assert "last_day: before the first day" in status.details


def test_invalid_input_from_pairs_keeps_both_problems_of_one_field():
    error = InvalidInput([("day", "not a date"), ("day", "in the past")])
    assert error.violations == {"day": "not a date; in the past"}
    [bad] = unpack(rich(to_status(error)), error_details_pb2.BadRequest)
    assert len(bad.field_violations) == 2
    with pytest.raises(ValueError):
        InvalidInput({})


def test_A82_rule_violation_names_the_rule():
    error = RuleViolation("A82", "the executive vice mayor is away", subject="leave/L-9")
    status = to_status(error)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    assert status.details == "A82: the executive vice mayor is away"
    [info] = unpack(rich(status), error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain) == ("A82", "zgov")
    assert info.metadata["subject"] == "leave/L-9"
    [failure] = unpack(rich(status), error_details_pb2.PreconditionFailure)
    [violation] = failure.violations
    assert (violation.type, violation.subject, violation.description) == (
        "A82",
        "leave/L-9",
        "the executive vice mayor is away",
    )


def test_other_errors_map_to_their_codes():
    assert to_status(Forbidden("no")).code == grpc.StatusCode.PERMISSION_DENIED
    assert to_status(Unauthenticated("no token")).code == grpc.StatusCode.UNAUTHENTICATED
    status = to_status(NotFound("leave L-17", resource_type="leave"))
    assert status.code == grpc.StatusCode.NOT_FOUND
    assert status.details == "leave L-17 not found"
    [info] = unpack(rich(status), error_details_pb2.ResourceInfo)
    assert info.resource_name == "leave L-17"
    assert rich(status).code == code_pb2.NOT_FOUND


def test_forbidden_says_why_in_error_info():
    status = to_status(
        Forbidden("only the lead body acts", reason="NOT_LEAD_BODY", metadata={"lead_body": "edu"})
    )
    assert status.code == grpc.StatusCode.PERMISSION_DENIED
    assert status.details == "only the lead body acts"
    [info] = unpack(rich(status), error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain, dict(info.metadata)) == ("NOT_LEAD_BODY", "zgov", {"lead_body": "edu"})
    [plain] = unpack(rich(to_status(Forbidden("no"))), error_details_pb2.ErrorInfo)
    assert plain.reason == "PERMISSION_DENIED"


def test_A71_forbidden_decided_by_a_rule_names_the_rule():
    status = to_status(Forbidden("this case is not open to your organisation", rule_id="A71"))
    assert status.code == grpc.StatusCode.PERMISSION_DENIED
    assert status.details == "A71: this case is not open to your organisation"
    [info] = unpack(rich(status), error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain, info.metadata["rule"]) == ("A71", "zgov", "A71")


# --- round trips through a real grpc.aio server ------------------------------------------------


async def fail_with_rule(request, context):
    raise RuleViolation("A47.one-matter", "one matter per document", subject="doc/1")


async def fail_with_fields(request, context):
    raise InvalidInput({"title": "required"})


async def stream_then_fail(request, context):
    yield b"first"
    raise NotFound("meeting M-1")


async def write_then_fail(request, context):
    await context.write(b"first")
    raise NotFound("meeting M-2")


async def succeed(request, context):
    return b"ok:" + request


class Servicer:
    @translate_errors
    async def decorated(self, request, context):
        raise Forbidden("only the general office")

    @translate_errors
    async def by_rule(self, request, context):
        raise Forbidden("only the leader asked, or the one acting for him or her, decides", rule_id="A54")

    async def helper(self, request, context):
        await rule_violation(context, "A79", "the leader is away", subject="duty/2024-10-01")

    async def helper_fields(self, request, context):
        await invalid_argument(context, [("year", "between 2000 and 2100")])


def handlers(servicer: Servicer) -> grpc.GenericRpcHandler:
    unary = grpc.unary_unary_rpc_method_handler
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Rule": unary(fail_with_rule),
            "Fields": unary(fail_with_fields),
            "Stream": grpc.unary_stream_rpc_method_handler(stream_then_fail),
            "Write": grpc.unary_stream_rpc_method_handler(write_then_fail),
            "Ok": unary(succeed),
            "Decorated": unary(servicer.decorated),
            "ByRule": unary(servicer.by_rule),
            "Helper": unary(servicer.helper),
            "HelperFields": unary(servicer.helper_fields),
        },
    )


@pytest.fixture
async def channel():
    server = grpc.aio.server(interceptors=[DomainErrorInterceptor()])
    server.add_generic_rpc_handlers([handlers(Servicer())])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel
    await server.stop(None)


async def call(channel, method: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await channel.unary_unary(f"/{SERVICE}/{method}")(b"x")
    return err.value


async def test_raised_rule_violation_reaches_the_client_with_its_rule_id(channel):
    error = await call(channel, "Rule")
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(error) == "A47.one-matter"
    assert error.details() == "A47.one-matter: one matter per document"
    assert field_violations_of(error) == {}


async def test_raised_invalid_input_reaches_the_client_with_its_fields(channel):
    error = await call(channel, "Fields")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations_of(error) == {"title": "required"}
    assert rule_id_of(error) is None


@pytest.mark.parametrize(("method", "meeting"), [("Stream", "M-1"), ("Write", "M-2")])
async def test_streaming_handler_error_after_first_message(channel, method, meeting):
    """Both ways of streaming: an async generator, and a coroutine calling context.write."""
    stream = channel.unary_stream(f"/{SERVICE}/{method}")(b"x")
    assert await stream.read() == b"first"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stream.read()
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert rich_status_of(err.value).message == f"meeting {meeting} not found"


async def test_successful_calls_pass_through(channel):
    assert await channel.unary_unary(f"/{SERVICE}/Ok")(b"x") == b"ok:x"


async def test_decorator_and_abort_helpers(channel):
    assert (await call(channel, "Decorated")).code() == grpc.StatusCode.PERMISSION_DENIED
    error = await call(channel, "Helper")
    assert rule_id_of(error) == "A79"
    assert field_violations_of(await call(channel, "HelperFields")) == {"year": "between 2000 and 2100"}


async def test_A54_permission_denied_by_a_rule_reaches_the_client_with_its_rule_id(channel):
    error = await call(channel, "ByRule")
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert rule_id_of(error) == "A54"
    assert error_info_of(error).reason == "A54"
    plain = await call(channel, "Decorated")
    assert (rule_id_of(plain), error_info_of(plain).reason) == (None, "PERMISSION_DENIED")
    assert error_info_of(await call(channel, "Fields")) is None


async def test_unknown_method_is_still_unimplemented(channel):
    assert (await call(channel, "Nope")).code() == grpc.StatusCode.UNIMPLEMENTED


async def test_decorator_alone_without_interceptor():
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([handlers(Servicer())])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            assert (await call(channel, "Decorated")).code() == grpc.StatusCode.PERMISSION_DENIED
            # without the interceptor a raised domain error is only UNKNOWN: the interceptor matters
            assert (await call(channel, "Rule")).code() == grpc.StatusCode.UNKNOWN
    finally:
        await server.stop(None)
