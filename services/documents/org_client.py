"""What the documents service asks the org service, with its own client-credentials token.

Positions and organisations change rarely and are cached briefly; portfolios and who may
act are asked each time (a leave may have started a minute ago).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import grpc
from google.rpc import code_pb2

from services.documents import domain
from shared.errors import DomainError
from shared.service_auth import TokenSource, TokenUnavailable, channel_to
from zgov.org.v1 import org_pb2, org_pb2_grpc

ORGANISATION_KINDS = {1: "office", 2: "department", 3: "county"}


class OrgUnavailable(DomainError):
    """org cannot answer now: the caller may retry (UNAVAILABLE), nothing was changed."""

    code = code_pb2.UNAVAILABLE


def _unavailable(err: grpc.aio.AioRpcError) -> OrgUnavailable:
    return OrgUnavailable(f"org did not answer ({err.code().name}: {err.details()}); try again")


@dataclass
class Directory:
    organisations: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name, kind)
    holders: dict[str, list[str]] = field(default_factory=dict)  # position -> user ids
    names: dict[str, str] = field(default_factory=dict)  # user id -> display name
    taken_at: float = 0.0

    def positions_of(self, user_id: str) -> list[str]:
        return [p for p, users in self.holders.items() if user_id in users]

    def sole_holder(self, position: str) -> str:
        users = self.holders.get(position, [])
        return users[0] if users else ""


class OrgClient:
    def __init__(
        self, address: str, tokens: TokenSource, *, cache_seconds: float = 30.0, timeout: float = 10.0
    ):
        self.channel = channel_to(address, tokens)
        self.stub = org_pb2_grpc.OrgServiceStub(self.channel)
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._directory: Directory | None = None

    async def close(self) -> None:
        await self.channel.close()

    async def _call(self, method, request):
        try:
            return await method(request, timeout=self.timeout)
        except TokenUnavailable as err:
            raise OrgUnavailable(f"cannot get a token to ask org: {err}") from err
        except grpc.aio.AioRpcError as err:
            raise _unavailable(err) from err

    async def directory(self) -> Directory:
        cached = self._directory
        if cached and time.monotonic() - cached.taken_at < self.cache_seconds:
            return cached
        orgs = await self._call(self.stub.ListOrganisations, org_pb2.ListOrganisationsRequest())
        positions = await self._call(self.stub.ListPositions, org_pb2.ListPositionsRequest())
        directory = Directory(taken_at=time.monotonic())
        for o in orgs.organisations:
            directory.organisations[o.code] = (o.name, ORGANISATION_KINDS.get(o.kind, ""))
        for p in positions.positions:
            directory.holders[p.position.code] = [h.user_id for h in p.holders]
            for h in p.holders:
                directory.names[h.user_id] = h.display_name or h.username
        self._directory = directory
        return directory

    async def portfolio_holder(
        self, *, organisation_code: str = "", matters: tuple[str, ...] = ()
    ) -> str | None:
        """A8: the leader whose portfolio covers the organisation, else the first matter covered."""
        asks = []
        if organisation_code:
            asks.append(org_pb2.FindPortfolioHolderRequest(organisation_code=organisation_code))
        asks += [org_pb2.FindPortfolioHolderRequest(matter=m) for m in matters if m]
        for ask in asks:
            answer = await self._call(self.stub.FindPortfolioHolder, ask)
            if answer.leader_user_id:
                return answer.leader_user_id
        return None

    async def candidate(
        self, signer: domain.Signer, position: str, holder_user_id: str = ""
    ) -> domain.Candidate | None:
        """A10, A59: who may act today for the holder of `position` (None: the position is vacant)."""
        request = org_pb2.WhoMayActRequest(position=position, holder_user_id=holder_user_id)
        try:
            answer = await self.stub.WhoMayAct(request, timeout=self.timeout)
        except TokenUnavailable as err:
            raise OrgUnavailable(f"cannot get a token to ask org: {err}") from err
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise _unavailable(err) from err
        return domain.Candidate(
            signer=signer, position=answer.position, holder_user_id=answer.holder_user_id,
            acting_user_id=answer.acting_user_id, holder_away=answer.holder_away, basis=answer.basis,
        )
