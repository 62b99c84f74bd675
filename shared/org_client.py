"""What a service asks the `org` service, with the service's own client-credentials token.

- `directory()`: the organisations, and the positions with their holders, as org reads them from
  Keycloak. They change rarely, so the answer is reused for `ttl_seconds` (0: asked every time).
- `who_may_act(position, day=..., holder_user_id=...)`: who acts for the holder of a position on a
  day (A10, A59). Asked every time: a leave may have started a minute ago.
- `portfolio_holder(organisation_code=..., matters=...)`: the leader whose portfolio covers an
  organisation or a matter (A8). Asked every time.

The calling service's service account holds the org permissions it needs (positions:read,
acting:read, portfolio:read). When org cannot answer — down, the token refused or not obtainable,
no client secret configured — the call raises OrgUnavailable (UNAVAILABLE): the act waits and
nothing changes. A position org reports vacant is NotFound; a question org refuses as asked (e.g. a
position with several holders asked without naming one) is OrgRefused, which is UNAVAILABLE too
unless the caller handles it.

    org = OrgClient(settings.org_address, ClientCredentials.from_settings(settings))
    acting = await org.who_may_act("mayor", day=meeting_day)
    ...
    await org.close()
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
from shared.errors import DomainError, NotFound
from shared.service_auth import TokenSource, TokenUnavailable, channel_to
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2, org_pb2_grpc

ORGANISATION_KINDS = {
    common_pb2.ORGANISATION_KIND_OFFICE: "office",
    common_pb2.ORGANISATION_KIND_DEPARTMENT: "department",
    common_pb2.ORGANISATION_KIND_COUNTY: "county",
}


class OrgUnavailable(DomainError):
    """org could not answer (down, or refused the service's token): the act waits, nothing changes."""

    code = code_pb2.UNAVAILABLE


class OrgRefused(OrgUnavailable):
    """org refused the question as asked (INVALID_ARGUMENT), e.g. a position with several holders
    asked without naming one, or a holder who does not (or no longer) hold the position."""


@dataclass(frozen=True)
class Acting:
    """org's answer to "who may act for the holder of `position`" (A10, A59)."""

    position: str
    holder_user_id: str
    acting_user_id: str
    holder_away: bool
    basis: str


@dataclass
class Directory:
    """Organisations and position holders as org read them from Keycloak at `taken_at`."""

    organisations: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name, kind)
    holders: dict[str, list[str]] = field(default_factory=dict)  # position -> user ids
    organisation_of: dict[str, str] = field(default_factory=dict)  # user id -> organisation code
    names: dict[str, str] = field(default_factory=dict)  # user id -> display name
    taken_at: float = 0.0

    def positions_of(self, user_id: str) -> frozenset[str]:
        return frozenset(p for p, users in self.holders.items() if user_id in users)

    def known(self, user_id: str) -> bool:
        """Whether the user holds any position."""
        return user_id in self.organisation_of

    def sole_holder(self, position: str) -> str:
        """The (first) holder of `position`, '' when it is vacant."""
        users = self.holders.get(position, [])
        return users[0] if users else ""


def noon_of(day: date) -> timestamp_pb2.Timestamp:
    """A moment inside `day` in China Standard Time (org answers for the day of the instant)."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.combine(day, clock(12), tzinfo=CHINA))
    return stamp


class OrgClient:
    def __init__(
        self, address: str, tokens: TokenSource | None, *, ttl_seconds: float = 30.0, timeout: float = 10.0
    ):
        """`tokens` None: the service has no client secret; every question then raises OrgUnavailable."""
        self.address = address
        self._tokens = tokens
        self._ttl = ttl_seconds
        self._timeout = timeout
        self._channel: grpc.aio.Channel | None = None
        self._org: org_pb2_grpc.OrgServiceStub | None = None
        self._directory = Directory()
        self._lock = asyncio.Lock()

    def _stub(self) -> org_pb2_grpc.OrgServiceStub:
        if self._tokens is None:
            raise OrgUnavailable("this service has no client secret (ZGOV_CLIENT_SECRET): it cannot ask org")
        if self._channel is None:  # opened on first use: a service starts before org does
            self._channel = channel_to(self.address, self._tokens)
            self._org = org_pb2_grpc.OrgServiceStub(self._channel)  # its calls built once, not per question
        return self._org

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
            if err.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise OrgRefused(f"org refused the question: {err.details()}") from err
            raise OrgUnavailable(f"org did not answer: {err.code().name} {err.details()}") from err
        except TokenUnavailable as err:
            raise OrgUnavailable(f"cannot get a token to ask org: {err}") from err

    def _fresh(self) -> bool:
        return bool(self._directory.taken_at) and time.monotonic() - self._directory.taken_at < self._ttl

    async def directory(self) -> Directory:
        if self._fresh():
            return self._directory
        async with self._lock:  # one refresh at a time; the others wait for its answer
            if not self._fresh():
                self._directory = await self._load_directory()
        return self._directory

    async def _load_directory(self) -> Directory:
        stub = self._stub()
        organisations = await self._call(stub.ListOrganisations, org_pb2.ListOrganisationsRequest())
        positions = await self._call(stub.ListPositions, org_pb2.ListPositionsRequest())
        found = Directory(taken_at=time.monotonic())
        for o in organisations.organisations:
            found.organisations[o.code] = (o.name, ORGANISATION_KINDS.get(o.kind, ""))
        for p in positions.positions:
            found.holders[p.position.code] = [h.user_id for h in p.holders]
            for h in p.holders:
                found.organisation_of.setdefault(h.user_id, h.organisation_code)
                found.names[h.user_id] = h.display_name or h.username
        return found

    async def who_may_act(
        self, position: str, *, day: date | None = None, holder_user_id: str = ""
    ) -> Acting:
        """A10, A59: who acts for the holder of `position` on `day` (today in China when None)."""
        request = org_pb2.WhoMayActRequest(position=position, holder_user_id=holder_user_id)
        if day is not None:
            request.at.CopyFrom(noon_of(day))
        reply = await self._call(self._stub().WhoMayAct, request)
        return Acting(
            reply.position, reply.holder_user_id, reply.acting_user_id, reply.holder_away, reply.basis
        )

    async def portfolio_holder(
        self, *, organisation_code: str = "", matters: tuple[str, ...] = ()
    ) -> str | None:
        """A8: the leader whose portfolio covers the organisation, else the first matter covered."""
        asks = []
        if organisation_code:
            asks.append(org_pb2.FindPortfolioHolderRequest(organisation_code=organisation_code))
        asks += [org_pb2.FindPortfolioHolderRequest(matter=m) for m in matters if m]
        for ask in asks:
            answer = await self._call(self._stub().FindPortfolioHolder, ask)
            if answer.leader_user_id:
                return answer.leader_user_id
        return None
