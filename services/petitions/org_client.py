"""What the petitions service asks `org`: which organisations exist (a case is assigned to a real
body, and the body complained about is named exactly, or the privacy rule would miss it), who
holds a leader's position (a case is marked for a leader), and who acts for an absent leader
(A10, A59: the acting holder instructs in the leader's place).

Called with the petitions service's own client-credentials token (its service account holds
org's positions:read and acting:read). Answers are cached for `ttl_seconds`; when org cannot
answer, the act is refused with UNAVAILABLE and nothing changes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import code_pb2

from shared.convert import CHINA
from shared.errors import DomainError
from shared.service_auth import TokenSource, TokenUnavailable, channel_to
from zgov.org.v1 import org_pb2, org_pb2_grpc

# The city leaders a case may be marked for (A71: leaders read letters and follow major cases).
LEADER_POSITIONS = ("mayor", "executive-vice-mayor", "vice-mayor", "secretary-general")


class OrgUnavailable(DomainError):
    """`org` could not answer (down, or refused the service's token)."""

    code = code_pb2.UNAVAILABLE


@dataclass
class Directory:
    organisations: frozenset[str] = frozenset()
    # user id → the leader positions held
    leaders: dict[str, list[str]] = field(default_factory=dict)
    taken_at: float = 0.0


@dataclass(frozen=True)
class Acting:
    holder_user_id: str
    acting_user_id: str
    holder_away: bool


def noon_of(day: date) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.combine(day, clock(12), tzinfo=CHINA))
    return stamp


class OrgClient:
    def __init__(self, address: str, tokens: TokenSource | None, *, ttl_seconds: float = 60.0,
                 timeout: float = 10.0):
        self.address = address
        self._tokens = tokens
        self._ttl = ttl_seconds
        self._timeout = timeout
        self._channel: grpc.aio.Channel | None = None
        self._directory = Directory()
        self._lock = asyncio.Lock()

    def _stub(self) -> org_pb2_grpc.OrgServiceStub:
        if self._tokens is None:
            raise OrgUnavailable("the petitions service has no client secret: it cannot ask org")
        if self._channel is None:
            self._channel = channel_to(self.address, self._tokens)
        return org_pb2_grpc.OrgServiceStub(self._channel)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def _call(self, rpc, request):
        try:
            return await rpc(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            raise OrgUnavailable(f"org did not answer: {err.code().name}") from err
        except TokenUnavailable as err:
            raise OrgUnavailable(str(err)) from err

    def _fresh(self) -> bool:
        return bool(self._directory.taken_at) and time.monotonic() - self._directory.taken_at < self._ttl

    async def directory(self) -> Directory:
        if self._fresh():
            return self._directory
        async with self._lock:
            if not self._fresh():
                stub = self._stub()
                organisations = await self._call(stub.ListOrganisations, org_pb2.ListOrganisationsRequest())
                positions = await self._call(stub.ListPositions, org_pb2.ListPositionsRequest())
                leaders: dict[str, list[str]] = {}
                for p in positions.positions:
                    if p.position.code in LEADER_POSITIONS:
                        for holder in p.holders:
                            leaders.setdefault(holder.user_id, []).append(p.position.code)
                self._directory = Directory(frozenset(o.code for o in organisations.organisations), leaders,
                                            time.monotonic())
        return self._directory

    async def who_may_act(self, position: str, holder_user_id: str, day: date) -> Acting:
        reply = await self._call(self._stub().WhoMayAct, org_pb2.WhoMayActRequest(
            position=position, at=noon_of(day), holder_user_id=holder_user_id))
        return Acting(reply.holder_user_id, reply.acting_user_id, reply.holder_away)
