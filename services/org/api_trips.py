"""Trips abroad's gRPC surface (A57, A58): permission, parse, one act, reply.

trip:request  ask for a trip, report after return (units, the general office for the city leaders)
trip:approve  approve or reject (the mayor, the secretary-general); for a city leader's trip this
              records the province's approval with its number
trip:gift     record a gift received on the trip (the member who received it)
trip:gifts    record a gift handed over (the general office)
trip:read     read a trip and the limits
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.org.protos import trips as wire
from services.org.store import trips as store
from services.org.acts import trips as acts
from services.org.directory import KeycloakDirectory
from services.org.domain.trips import TripLimits, TripRequest
from services.org.models import Trip
from shared import audit
from shared.convert import date_from_proto, today_in_china
from shared.db import transaction
from shared.rpc_auth import current_actor, requires
from zgov.org.v1 import trips_pb2 as pb
from zgov.org.v1 import trips_pb2_grpc


class TripServicer(trips_pb2_grpc.TripServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: KeycloakDirectory,
        limits: TripLimits,
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.directory = directory
        self.limits = limits
        self.today = today

    async def context(self) -> acts.TripContext:
        return acts.TripContext(self.today(), self.limits, await self.directory.snapshot())

    async def reply(self, session: AsyncSession, row: Trip) -> pb.Trip:
        return wire.trip_to_proto(row, await audit.history(session, acts.ref_of(row)))

    async def on_trip(self, trip_id: str, act) -> pb.Trip:
        actor = current_actor()
        ctx = await self.context()
        async with transaction(self.sessions) as session:
            row = await store.get(session, trip_id, for_update=True)
            return await self.reply(session, await act(session, actor, row, ctx))

    @requires("trip:request")
    async def RequestTrip(self, request, context):
        actor = current_actor()
        trip = TripRequest(
            wire.TASK.from_proto.get(request.task_kind),
            request.purpose,
            request.invitation_ref,
            tuple(c.strip().upper() for c in request.countries if c.strip()),
            request.far_region,
            date_from_proto(request.first_day, "first_day", required=False),
            date_from_proto(request.last_day, "last_day", required=False),
            wire.members_from_proto(request.members),
            wire.PAYER.from_proto.get(request.payer),
        )
        ctx = await self.context()
        async with transaction(self.sessions) as session:
            return await self.reply(session, await acts.request(session, actor, trip, ctx))

    @requires("trip:approve")
    async def ApproveTrip(self, request, context):
        return await self.on_trip(
            request.trip_id,
            lambda s, a, row, ctx: acts.approve(
                s,
                a,
                row,
                request.authority_reference,
                request.opinion,
                request.both_away_override_reason,
                ctx,
            ),
        )

    @requires("trip:approve")
    async def RejectTrip(self, request, context):
        return await self.on_trip(
            request.trip_id, lambda s, a, row, ctx: acts.reject(s, a, row, request.reason)
        )

    @requires("trip:gift")
    async def RecordTripGift(self, request, context):
        received_on = date_from_proto(request.received_on, "received_on", required=False)
        return await self.on_trip(
            request.trip_id,
            lambda s, a, row, ctx: acts.record_gift(
                s, a, row, request.giver, request.description, request.value_fen, received_on, ctx
            ),
        )

    @requires("trip:gifts")
    async def HandOverTripGift(self, request, context):
        return await self.on_trip(
            request.trip_id, lambda s, a, row, ctx: acts.hand_over_gift(s, a, row, request.gift_id, ctx)
        )

    @requires("trip:request")
    async def SubmitTripReport(self, request, context):
        return await self.on_trip(
            request.trip_id, lambda s, a, row, ctx: acts.report(s, a, row, request.report, ctx)
        )

    @requires("trip:read")
    async def GetTrip(self, request, context):
        async with transaction(self.sessions) as session:
            return await self.reply(session, await store.get(session, request.trip_id))

    @requires("trip:read")
    async def GetTripLimits(self, request, context):
        return wire.limits_to_proto(self.limits)
