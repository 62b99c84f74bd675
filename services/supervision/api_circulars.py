"""Circulars' gRPC surface (情况通报, A61): permission, parse, one act, reply.

item:read    read a circular (whoever reads items: the circular names bodies and items)
item:verify  draft a circular and send it to be issued (the supervision office)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.acts import circulars as acts
from services.supervision.domain.circulars import CircularState, Entry
from services.supervision.models import Circular
from services.supervision.store import circulars as store
from shared import audit
from shared.convert import today_in_china
from shared.db import transaction
from shared.rpc_auth import current_actor, requires
from zgov.supervision.v1 import circulars_pb2 as pb
from zgov.supervision.v1 import circulars_pb2_grpc

VERDICT_FROM_PROTO = {v: k for k, v in acts.VERDICT_TO_PROTO.items()}
STATE_TO_PROTO = {s: pb.CircularState.Value(f"CIRCULAR_STATE_{s.name}") for s in CircularState}


def circular_to_proto(row: Circular, history=()) -> pb.Circular:
    return pb.Circular(
        id=str(row.id),
        year=row.year,
        month=row.month,
        state=STATE_TO_PROTO[CircularState(row.state)],
        title=row.title,
        entries=[acts.entry_to_proto(e) for e in row.entries],
        bodies=[pb.BodyTally(**t) for t in row.tallies],
        history=[audit.to_proto(h) for h in history],
    )


class CircularServicer(circulars_pb2_grpc.CircularServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        office_code: str,
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.office_code = office_code
        self.today = today

    async def reply(self, session: AsyncSession, row: Circular) -> pb.Circular:
        return circular_to_proto(row, await audit.history(session, acts.ref_of(row)))

    @requires("item:verify")
    async def DraftCircular(self, request, context):
        chosen = [
            Entry(e.item_id.strip(), VERDICT_FROM_PROTO.get(e.verdict), e.reason) for e in request.entries
        ]
        async with transaction(self.sessions) as session:
            row = await acts.draft(
                session, current_actor(), request.year, request.month, chosen, self.today()
            )
            return await self.reply(session, row)

    @requires("item:verify")
    async def RequestCircularIssue(self, request, context):
        async with transaction(self.sessions) as session:
            row = await store.get_circular(session, request.circular_id, for_update=True)
            return await self.reply(
                session, await acts.request_issue(session, current_actor(), row, self.office_code)
            )

    @requires("item:read")
    async def GetCircular(self, request, context):
        async with transaction(self.sessions) as session:
            return await self.reply(session, await store.get_circular(session, request.circular_id))
