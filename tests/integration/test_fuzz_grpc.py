"""Fuzzing every RPC of every running service (hypothesis): no reply is UNKNOWN or INTERNAL, none carries
SQL, a Python exception or a stack, and a refused call writes no row in any service's database.

All six gRPC services run in-process against the tests' PostgreSQL, NATS and Keycloak. Every RPC gets
generated requests (any field set or not, text with NUL, bidirectional overrides and very long strings,
enum numbers no enum declares, timestamps out of range) and a few requests of random bytes, with the
token of a user who holds most of that service's permissions, so calls get past authentication to the
input guard and the servicer. Bounded: ten generated requests and three of random bytes per RPC,
about two minutes of calls on a busy machine (the servers start in a minute or three).

No row written by a refused call: the calls are serial, and around each one the test takes a census of
every table of every service's database, the outbox included (row count and a checksum of the rows,
tests/fixtures/census.py). A call refused with any status (INVALID_ARGUMENT, PERMISSION_DENIED,
FAILED_PRECONDITION, NOT_FOUND …) must leave every table as it was; a failure names the RPC, the table
and the input. After an accepted call the census is taken again until it stays the same (the outbox
relay and the other services' consumers have acted), so nothing else writes around a refused call.

Closes (each was seen before the input guard): a NUL byte or an over-long string reached PostgreSQL and
the reply was UNKNOWN with the SQL statement; a corrupt message got grpc's own error; a timestamp out of
range raised in the servicer (UNKNOWN with the Python exception text).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import message_factory, symbol_database, text_format
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.census import Census, State, changes


pytestmark = pytest.mark.integration

EXAMPLES_PER_RPC = 10
SERVICES_WITH_A_DATABASE = {"petitions", "documents", "meetings", "disclosure", "supervision", "notify"}
# A refused call must have written nothing; a call cut short by the client may or may not have.
REFUSED = set(grpc.StatusCode) - {
    grpc.StatusCode.OK,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
}
# How long the databases must stay the same after an accepted call before the next call is made.
SETTLED_SECONDS = 0.3
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


def check_reply(rpc: Rpc, call, payload, problems: list[str]) -> grpc.StatusCode:
    """Call; note the reply when it is UNKNOWN or INTERNAL or its text leaks what it must not."""
    try:
        call(payload, timeout=20)
    except grpc.RpcError as error:
        code, details = error.code(), error.details() or ""
        if code in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL) or LEAKS.search(details):
            problems.append(f"{rpc.service}/{rpc.method}: {code.name} {details[:300]!r}")
        return code
    return grpc.StatusCode.OK


@dataclass
class Watch:
    """The state of every service's database between calls (tests/fixtures/census.py): a refused call
    must leave it as it was. Calls are serial, and the state is taken again once an accepted call's
    consequences (outbox relay, other services' consumers) have landed, so nothing else writes between
    the two takes around a refused call."""

    take: Callable[[], State]
    state: State
    refused: int = 0
    accepted_writes: int = 0  # accepted calls that changed a database: proof the census sees writes

    def after(self, rpc: Rpc, code: grpc.StatusCode, shown: str, problems: list[str]) -> None:
        now = self.take()
        if code in REFUSED:
            self.refused += 1
            written = changes(self.state, now)
            if written:
                problems.append(
                    f"{rpc.service}/{rpc.method}: refused {code.name} but wrote {'; '.join(written)}"
                    f" — input {shown}"
                )
            self.state = now
        else:
            settled = self.settled(now)
            self.accepted_writes += settled != self.state
            self.state = settled

    def settled(self, now: State) -> State:
        """The state once it stays the same for SETTLED_SECONDS (at most 5 s)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(SETTLED_SECONDS)
            later = self.take()
            if later == now:
                break
            now = later
        return now


def shown(payload) -> str:
    """A refused input as a failure shows it: the message in text format, or the random bytes."""
    if isinstance(payload, bytes):
        return f"bytes {payload.hex()}"
    text = text_format.MessageToString(payload, as_one_line=True)
    return repr(text[:300] + ("…" if len(text) > 300 else ""))


def fuzz(rpcs: list[Rpc], tokens: dict[str, str], watch: Watch, problems: list[str]) -> int:
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

            def call_and_watch(stub, payload) -> None:
                code = check_reply(rpc, lambda p, **kw: stub(p, metadata=metadata, **kw), payload, problems)
                watch.after(rpc, code, shown(payload), problems)

            @settings(
                max_examples=EXAMPLES_PER_RPC,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(message_of(rpc.request_type))
            def generated(message):
                call_and_watch(typed, message)

            generated()
            randomness = random.Random(f"{rpc.service}/{rpc.method}")
            for size in (1, 7, 64):
                call_and_watch(raw, randomness.randbytes(size))
            calls += EXAMPLES_PER_RPC + 3
    finally:
        for channel in channels.values():
            channel.close()
    return calls


@pytest.mark.long
async def test_fuzzed_requests_to_every_rpc_get_no_unknown_internal_or_leaked_text_and_refused_ones_write_nothing(
    whole_platform, keycloak
):
    rpcs = rpcs_of(whole_platform.servers)
    assert {r.service for r in rpcs} == set(CALLERS) and len(rpcs) > 100
    assert set(whole_platform.databases) == {"org", *SERVICES_WITH_A_DATABASE}
    tokens = {user: keycloak.token_for(user) for user in set(CALLERS.values())}
    census = await Census.open(whole_platform.databases)
    loop = asyncio.get_running_loop()

    def take() -> State:
        return asyncio.run_coroutine_threadsafe(census.take(), loop).result(timeout=30)

    problems: list[str] = []
    try:
        watch = Watch(take, await census.take())
        calls = await asyncio.wait_for(asyncio.to_thread(fuzz, rpcs, tokens, watch, problems), timeout=600)
    finally:
        await census.close()
    assert calls >= len(rpcs) * (EXAMPLES_PER_RPC + 3)
    # most generated requests are refused: the check of "wrote nothing" ran on most calls
    assert watch.refused >= calls // 2 and watch.accepted_writes > 0
    assert not problems, "\n".join(sorted(set(problems)))
