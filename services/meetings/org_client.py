"""What the meetings service asks `org`: who holds which position, and who may act for an absent
holder on a day (A10, A59). Called with the meetings service's own client-credentials token
(its service account holds org's positions:read and acting:read)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import code_pb2
from zgov.org.v1 import org_pb2, org_pb2_grpc

from shared.convert import CHINA
from shared.errors import DomainError, NotFound
from shared.service_auth import TokenSource, TokenUnavailable, channel_to


class OrgUnavailable(DomainError):
    """`org` could not answer (down, or refused the service's token): the act waits, nothing changes."""

    code = code_pb2.UNAVAILABLE


@dataclass(frozen=True)
class Acting:
    position: str
    holder_user_id: str
    acting_user_id: str
    holder_away: bool
    basis: str


@dataclass
class Holders:
    """Position → user ids of its holders, and user id → organisation, as org read them from Keycloak."""

    by_position: dict[str, list[str]] = field(default_factory=dict)
    organisation_of: dict[str, str] = field(default_factory=dict)
    taken_at: float = 0.0

    def positions_of(self, user_id: str) -> frozenset[str]:
        return frozenset(p for p, users in self.by_position.items() if user_id in users)

    def known(self, user_id: str) -> bool:
        return user_id in self.organisation_of


def noon_of(day: date) -> timestamp_pb2.Timestamp:
    """A moment inside `day` in China Standard Time (org answers for the day of the instant)."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.combine(day, clock(12), tzinfo=CHINA))
    return stamp


class OrgClient:
    def __init__(
        self, address: str, tokens: TokenSource | None, *, ttl_seconds: float = 30.0, timeout: float = 10.0
    ):
        self.address = address
        self._tokens = tokens
        self._ttl = ttl_seconds
        self._timeout = timeout
        self._channel: grpc.aio.Channel | None = None
        self._holders = Holders()
        self._lock = asyncio.Lock()

    def _stub(self) -> org_pb2_grpc.OrgServiceStub:
        if self._tokens is None:
            raise OrgUnavailable("the meetings service has no client secret: it cannot ask org who may act")
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
            if err.code() == grpc.StatusCode.NOT_FOUND:
                # e.g. the mayor's position is vacant: say so rather than "org is down".
                raise NotFound(f"in org: {err.details()}") from err
            raise OrgUnavailable(f"org did not answer: {err.code().name} {err.details()}") from err
        except TokenUnavailable as err:
            raise OrgUnavailable(str(err)) from err

    async def holders(self) -> Holders:
        if time.monotonic() - self._holders.taken_at < self._ttl and self._holders.taken_at:
            return self._holders
        async with self._lock:
            if not (time.monotonic() - self._holders.taken_at < self._ttl and self._holders.taken_at):
                reply = await self._call(self._stub().ListPositions, org_pb2.ListPositionsRequest())
                found = Holders(taken_at=time.monotonic())
                for p in reply.positions:
                    found.by_position[p.position.code] = [h.user_id for h in p.holders]
                    for h in p.holders:
                        found.organisation_of.setdefault(h.user_id, h.organisation_code)
                self._holders = found
        return self._holders

    async def who_may_act(self, position: str, day: date, holder_user_id: str = "") -> Acting:
        reply = await self._call(
            self._stub().WhoMayAct,
            org_pb2.WhoMayActRequest(position=position, at=noon_of(day), holder_user_id=holder_user_id),
        )
        return Acting(
            reply.position, reply.holder_user_id, reply.acting_user_id, reply.holder_away, reply.basis
        )
