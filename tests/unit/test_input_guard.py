"""The input guard in front of every servicer (shared/input_guard.py), on a real GrpcServer port.

Each test names the hole it closes: before the guard, these requests reached the servicer (and
its database) as they were, and unexpected exceptions reached the caller as UNKNOWN with their text.
"""

from __future__ import annotations

import logging

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import ARRAY, Column, MetaData, String, Table, Text

from services.org import models as org_models
from shared.errors import field_violations_of
from shared.grpc_server import GrpcServer
from shared.identity import TokenVerifier
from shared.input_guard import Limits, column_limits, forbidden_character, refusal
from shared.rpc_auth import requires
from tests.fixtures.polling import eventually_equal
from tests.fixtures.rpc import rpc_error
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2, org_pb2_grpc

PERMISSIONS = ["leave:request", "leave:read", "positions:read", "acting:read"]


class Recording(org_pb2_grpc.OrgServiceServicer):
    """Records what reached it; some RPCs fail the way a broken store would."""

    def __init__(self):
        self.received: list = []
        self.database_down = False

    @requires("leave:request")
    async def RequestLeave(self, request, context):
        self.received.append(request)
        return org_pb2.Leave(id="L-1", reason=request.reason)

    @requires("leave:read")
    async def GetLeave(self, request, context):
        raise RuntimeError(
            "duplicate key value violates unique constraint: INSERT INTO leave (reason) VALUES ($1)"
        )

    @requires("leave:read")
    async def ListLeaves(self, request, context):
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


@pytest.fixture
async def guarded(local_issuer):
    servicer = Recording()

    async def database_reachable() -> None:
        if servicer.database_down:
            raise ConnectionRefusedError(111, "Connect call failed")

    verifier = TokenVerifier(local_issuer.issuer, "org", local_issuer.jwks_url)
    org_columns = Limits(column_limits(org_models.metadata))  # the test servicer has no models of its own
    server = GrpcServer(
        [servicer],
        verifier=verifier,
        drain_delay=0,
        readiness_interval=0.2,
        input_limits={"zgov.org.v1.OrgService": org_columns},
    )
    server.readiness(database_reachable)
    await server.start()
    channel = grpc.aio.insecure_channel(server.address)
    token = local_issuer.token_for("mayor", permissions=PERMISSIONS, positions=["mayor"])
    yield servicer, channel, (("authorization", f"Bearer {token}"),), server
    await channel.close()
    await server.shutdown()


def leave_request(**fields) -> org_pb2.RequestLeaveRequest:
    values = {
        "position": "mayor",
        "kind": org_pb2.LEAVE_KIND_LEAVE,
        "reason": "公务安排\n第二行\t缩进",
        "first_day": common_pb2.Date(year=2026, month=1, day=5),
        "last_day": common_pb2.Date(year=2026, month=1, day=6),
    }
    values.update(fields)
    return org_pb2.RequestLeaveRequest(**values)


async def test_clean_text_with_line_breaks_and_tabs_is_served(guarded):
    servicer, channel, auth, _ = guarded
    reply = await org_pb2_grpc.OrgServiceStub(channel).RequestLeave(leave_request(), metadata=auth)
    assert reply.reason == "公务安排\n第二行\t缩进"


@pytest.mark.parametrize("text", ["病假\x00", "a\x1bb", "\x7f", "\u202eexe.pdf", "名字\u2066x\u2069"])
async def test_control_and_bidi_characters_are_refused_naming_the_field(guarded, text):
    """Closes: NUL reached PostgreSQL (UNKNOWN with the SQL in the reply); bidi overrides were stored."""
    servicer, channel, auth, _ = guarded
    err = await rpc_error(
        org_pb2_grpc.OrgServiceStub(channel).RequestLeave(leave_request(reason=text), metadata=auth)
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "reason" in field_violations_of(err)
    assert servicer.received == []


async def test_unknown_enum_value_is_refused_naming_the_field(guarded):
    """Closes: proto3 open enums let an unknown number through, silently stored or ignored."""
    servicer, channel, auth, _ = guarded
    err = await rpc_error(
        org_pb2_grpc.OrgServiceStub(channel).RequestLeave(leave_request(kind=77), metadata=auth)
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "77" in field_violations_of(err)["kind"]
    assert servicer.received == []


async def test_text_longer_than_its_column_is_refused_before_the_database(guarded):
    """Closes: a 65-character position reached the String(64) column (a database error in the reply)."""
    servicer, channel, auth, _ = guarded
    err = await rpc_error(
        org_pb2_grpc.OrgServiceStub(channel).RequestLeave(leave_request(position="m" * 65), metadata=auth)
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 64" in field_violations_of(err)["position"]
    assert servicer.received == []


async def test_undecodable_message_is_invalid_argument(guarded):
    """Closes: corrupt bytes got grpc's own INTERNAL/UNKNOWN instead of the caller's error."""
    _, channel, auth, _ = guarded
    call = channel.unary_unary("/zgov.org.v1.OrgService/RequestLeave")
    for raw in (b"\xff\xff\xff\xff", b"\x32\x03\xff\xfe\xfd"):  # a broken tag; invalid UTF-8 in `reason`
        err = await rpc_error(call(raw, metadata=auth))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "cannot be decoded" in err.details()


async def test_unexpected_exception_is_internal_with_a_trace_id_and_no_text(guarded, caplog):
    """Closes: an exception's text (here SQL) reached the caller as UNKNOWN."""
    _, channel, auth, _ = guarded
    with caplog.at_level(logging.ERROR, logger="shared.input_guard"):
        err = await rpc_error(
            org_pb2_grpc.OrgServiceStub(channel).GetLeave(
                org_pb2.GetLeaveRequest(leave_id="x"), metadata=auth
            )
        )
    assert err.code() == grpc.StatusCode.INTERNAL
    assert err.details().startswith("internal error, trace id ")
    assert "INSERT" not in err.details() and "duplicate" not in err.details()
    trace_id = err.details().rsplit(" ", 1)[1]
    assert any(trace_id in record.getMessage() and record.exc_info for record in caplog.records)


async def test_unreachable_database_is_unavailable_and_readiness_follows_it(guarded):
    """Closes: "Connect call failed" reached the caller as UNKNOWN; health stayed SERVING."""
    servicer, channel, auth, _ = guarded
    err = await rpc_error(
        org_pb2_grpc.OrgServiceStub(channel).ListLeaves(org_pb2.ListLeavesRequest(), metadata=auth)
    )
    assert err.code() == grpc.StatusCode.UNAVAILABLE
    assert "Connect call failed" not in err.details()

    health = health_pb2_grpc.HealthStub(channel)

    async def status() -> int:
        return (await health.Check(health_pb2.HealthCheckRequest(service=""))).status

    servicer.database_down = True
    await eventually_equal(status, health_pb2.HealthCheckResponse.NOT_SERVING, timeout=5.0)
    servicer.database_down = False
    await eventually_equal(status, health_pb2.HealthCheckResponse.SERVING, timeout=5.0)


# -- the pure parts ------------------------------------------------------------------------


def test_forbidden_characters():
    assert forbidden_character("普通文字\r\n\t") is None
    assert "U+0000" in forbidden_character("a\x00")
    assert "U+202E" in forbidden_character("\u202e")
    assert "U+0085" in forbidden_character("\x85")


def test_column_limits_take_the_smallest_string_of_a_name_and_skip_event_tables():
    metadata = MetaData()
    Table("a", metadata, Column("code", String(64)), Column("body", Text), Column("ids", ARRAY(String(32))))
    Table("b", metadata, Column("code", String(16)))
    Table("outbox", metadata, Column("subject", String(8)))
    assert column_limits(metadata) == {"code": 16, "ids": 32}


def test_nested_and_repeated_fields_are_named_by_their_path():
    request = org_pb2.ListPositionsResponse(
        positions=[
            org_pb2.PositionWithHolders(
                holders=[org_pb2.PositionHolder(username="ok"), org_pb2.PositionHolder(username="bad\x00")]
            ),
        ]
    )
    error = refusal(request, Limits())
    assert list(error.violations) == ["positions[0].holders[1].username"]
