"""Official receptions' gRPC surface (A56): permission, parse, one act, reply.

reception:standards  load the standards in force (the general office)
reception:request    ask for a reception and close it with its list (the host organisation)
reception:approve    approve a reception before it happens (the secretary-general and deputies)
reception:read       read a reception and the standards
reception:audit      the closed receptions with their lists and flags (supervision, the mayor)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.org.protos import receptions as wire
from services.org.store import receptions as store
from services.org.acts import receptions as acts
from services.org.domain.receptions import ReceptionPlan
from services.org.models import Reception
from shared import audit
from shared.convert import date_from_proto, today_in_china
from shared.db import transaction
from shared.errors import NotFound
from shared.rpc_auth import current_actor, requires
from zgov.org.v1 import receptions_pb2 as pb
from zgov.org.v1 import receptions_pb2_grpc


class ReceptionServicer(receptions_pb2_grpc.ReceptionServiceServicer):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], today: Callable[[], date] = today_in_china
    ):
        self.sessions = sessions
        self.today = today

    async def reply(self, session: AsyncSession, row: Reception) -> pb.Reception:
        return wire.reception_to_proto(row, await audit.history(session, acts.ref_of(row)))

    async def on_reception(self, reception_id: str, act) -> pb.Reception:
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get(session, reception_id, for_update=True)
            return await self.reply(session, await act(session, actor, row))

    @requires("reception:standards")
    async def SetReceptionStandards(self, request, context):
        actor = current_actor()
        standards = wire.standards_from_proto(request.standards)
        async with transaction(self.sessions) as session:
            return wire.standards_to_proto(await acts.set_standards(session, actor, standards))

    @requires("reception:read")
    async def GetReceptionStandards(self, request, context):
        async with transaction(self.sessions) as session:
            row = await store.standards_in_force(session)
        if row is None:
            raise NotFound("reception standards", resource_type="reception_standards")
        return wire.standards_to_proto(row)

    @requires("reception:request")
    async def RequestReception(self, request, context):
        actor = current_actor()
        plan = ReceptionPlan(
            request.guest_unit,
            request.guest_kind.strip(),
            request.guests,
            request.accompanying,
            request.meals,
            request.planned_cost_fen,
            date_from_proto(request.day, "day", required=False),
            request.letter_ref,
        )
        async with transaction(self.sessions) as session:
            return await self.reply(session, await acts.request(session, actor, plan, self.today()))

    @requires("reception:approve")
    async def ApproveReception(self, request, context):
        today = self.today()
        return await self.on_reception(
            request.reception_id, lambda s, a, row: acts.approve(s, a, row, request.opinion, today)
        )

    @requires("reception:request")
    async def CloseReception(self, request, context):
        attendees, items = wire.attendees_from_proto(request.attendees), wire.items_from_proto(request.items)
        return await self.on_reception(
            request.reception_id, lambda s, a, row: acts.close(s, a, row, attendees, items)
        )

    @requires("reception:read")
    async def GetReception(self, request, context):
        async with transaction(self.sessions) as session:
            return await self.reply(session, await store.get(session, request.reception_id))

    @requires("reception:audit")
    async def ListReceptionRecords(self, request, context):
        async with transaction(self.sessions) as session:
            rows = await store.closed(
                session,
                host=request.host_organisation_code.strip(),
                flagged_only=request.flagged_only,
                from_day=date_from_proto(request.from_day, "from_day", required=False),
                to_day=date_from_proto(request.to_day, "to_day", required=False),
            )
            return pb.ListReceptionRecordsResponse(receptions=[await self.reply(session, r) for r in rows])
