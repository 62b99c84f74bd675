"""Fuzzing every RPC of every running service (hypothesis): no reply is UNKNOWN or INTERNAL, none carries
SQL, a Python exception or a stack.

All six gRPC services run in-process against the tests' PostgreSQL, NATS and Keycloak. Every RPC gets
generated requests (any field set or not, text with NUL, bidirectional overrides and very long strings,
enum numbers no enum declares, timestamps out of range) and a few requests of random bytes, with the
token of a user who holds most of that service's permissions, so calls get past authentication to the
input guard and the servicer. Bounded: ten generated requests and three of random bytes per RPC,
about twenty seconds of calls on a busy machine (the servers start in a minute or three).

Closes (each was seen before the input guard): a NUL byte or an over-long string reached PostgreSQL and
the reply was UNKNOWN with the SQL statement; a corrupt message got grpc's own error; a timestamp out of
range raised in the servicer (UNKNOWN with the Python exception text).
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import message_factory, symbol_database
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


pytestmark = pytest.mark.integration

EXAMPLES_PER_RPC = 10
# Who calls each service: the demo user holding most of its permissions (deploy/local/keycloak.py).
CALLERS = {
    "zgov.org.v1.OrgService": "mayor",
    "zgov.org.v1.ReceptionService": "secretary-general",
    "zgov.org.v1.TripService": "mayor",
    "zgov.petitions.v1.ReconsiderationService": "justice-reviewer",
    "zgov.petitions.v1.PetitionsService": "petition-officer",
    "zgov.documents.v1.DocumentsService": "office-staff",
    "zgov.meetings.v1.MeetingsService": "mayor",
    "zgov.disclosure.v1.PublicationService": "disclosure-officer",
    "zgov.disclosure.v1.ApplicationService": "disclosure-officer",
    "zgov.disclosure.v1.ComplaintService": "disclosure-officer",
    "zgov.supervision.v1.SupervisionService": "supervision-officer",
    "zgov.supervision.v1.InspectionPlanService": "mayor",
    "zgov.supervision.v1.ProposalService": "supervision-officer",
    "zgov.supervision.v1.PerformanceService": "supervision-officer",
    "zgov.supervision.v1.ResearchService": "mayor",
    "zgov.supervision.v1.CircularService": "supervision-officer",
    "zgov.supervision.v1.DeadlineFeedService": "supervision-officer",
    "zgov.notify.v1.NotifyService": "office-staff",
}
# What must never reach a caller: SQL, driver or library names, Python exception class names, stacks.
LEAKS = re.compile(
    r"Traceback|File \"|\b(SELECT|INSERT INTO|DELETE FROM)\b|\bUPDATE \w+ SET\b|sqlalchemy|asyncpg|"
    r"psycopg|<class '|\b[A-Z]\w*(Error|Exception)(\(|: )|\b(Value|Key|Type|Attribute|Index|Runtime|"
    r"Assertion|Overflow|UnicodeDecode|ZeroDivision|Lookup)Error\b|Connect call failed"
)
NASTY_TEXT = [
    "a\x00b",
    "\u202eexe.pdf",
    "x\x1b[31m",
    "'; DROP TABLE audit_record; --",
    "x" * 300_000,
    "\u2066名字\u2069",
    "%s%n{0}",
    "\ud7ff\ufffd",
]


# -- messages generated from the descriptors ---------------------------------------------------------


def text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=12),
        st.sampled_from(NASTY_TEXT),
        st.uuids().map(str),
        st.sampled_from(["mayor", "education-bureau", "petition-bureau", "2025-09-16"]),
    )


SCALARS = {
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: st.integers(0, 2**64 - 1),
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=True),
    FieldDescriptor.TYPE_FLOAT: st.floats(width=32, allow_nan=True),
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=64),
}


def value_of(field: FieldDescriptor, depth: int) -> st.SearchStrategy:
    if field.type == FieldDescriptor.TYPE_STRING:
        return text()
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = [v.number for v in field.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(-3, 10_000))
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return message_of(field.message_type, depth + 1)
    return SCALARS[field.type]


@st.composite
def _message(draw, descriptor, depth: int):
    message = message_factory.GetMessageClass(descriptor)()
    if depth > 3:
        return message
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue
        if not draw(st.booleans()):
            continue
        if field.is_repeated:
            values = draw(st.lists(value_of(field, depth), max_size=3))
            container = getattr(message, field.name)
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                for value in values:
                    container.add().CopyFrom(value)
            else:
                container.extend(values)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            getattr(message, field.name).CopyFrom(draw(value_of(field, depth)))
        else:
            setattr(message, field.name, draw(value_of(field, depth)))
    return message


def message_of(descriptor, depth: int = 0) -> st.SearchStrategy:
    return _message(descriptor, depth)


# -- the platform (tests/fixtures/platform.py) ----------------------------------------------------------


@dataclass(frozen=True)
class Rpc:
    service: str
    method: str
    request_type: object
    address: str


def rpcs_of(servers) -> list[Rpc]:
    found = []
    for server in servers:
        for binding in server.bindings:
            service = symbol_database.Default().pool.FindServiceByName(binding.full_name)
            for method in service.methods:
                found.append(Rpc(binding.full_name, method.name, method.input_type, server.address))
    return found


# -- the calls ------------------------------------------------------------------------------------------


def check_reply(rpc: Rpc, call, payload, problems: list[str]) -> None:
    """Call; note the reply when it is UNKNOWN or INTERNAL or its text leaks what it must not."""
    try:
        call(payload, timeout=20)
    except grpc.RpcError as error:
        code, details = error.code(), error.details() or ""
        if code in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL) or LEAKS.search(details):
            problems.append(f"{rpc.service}/{rpc.method}: {code.name} {details[:300]!r}")


def fuzz(rpcs: list[Rpc], tokens: dict[str, str], problems: list[str]) -> int:
    """Run in a worker thread with blocking stubs; the servers keep serving on the test's event loop."""
    calls = 0
    channels: dict[str, grpc.Channel] = {}
    try:
        for rpc in rpcs:
            channel = channels.setdefault(
                rpc.address,
                grpc.insecure_channel(
                    rpc.address, options=[("grpc.max_send_message_length", 8 * 1024 * 1024)]
                ),
            )
            metadata = (("authorization", f"Bearer {tokens[CALLERS[rpc.service]]}"),)
            path = f"/{rpc.service}/{rpc.method}"
            typed = channel.unary_unary(
                path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=lambda b: b
            )
            raw = channel.unary_unary(path)

            @settings(
                max_examples=EXAMPLES_PER_RPC,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(message_of(rpc.request_type))
            def generated(message):
                check_reply(rpc, lambda m, **kw: typed(m, metadata=metadata, **kw), message, problems)

            generated()
            randomness = random.Random(f"{rpc.service}/{rpc.method}")
            for size in (1, 7, 64):
                check_reply(
                    rpc, lambda b, **kw: raw(b, metadata=metadata, **kw), randomness.randbytes(size), problems
                )
            calls += EXAMPLES_PER_RPC + 3
    finally:
        for channel in channels.values():
            channel.close()
    return calls


async def test_fuzzed_requests_to_every_rpc_get_no_unknown_internal_or_leaked_text(whole_platform, keycloak):
    rpcs = rpcs_of(whole_platform.servers)
    assert {r.service for r in rpcs} == set(CALLERS) and len(rpcs) > 100
    tokens = {user: keycloak.token_for(user) for user in set(CALLERS.values())}
    problems: list[str] = []
    calls = await asyncio.wait_for(asyncio.to_thread(fuzz, rpcs, tokens, problems), timeout=240)
    assert calls >= len(rpcs) * (EXAMPLES_PER_RPC + 3)
    assert not problems, "\n".join(sorted(set(problems)))
