"""Administrative reconsideration's gRPC surface (A69): permission, parse, one act, reply.

reconsideration:apply     apply: a citizen under his or her own account; with reconsideration:register
                          too, the office registers an application from a letter or a visit
reconsideration:handle    accept or refuse, decide (the reconsideration office)
reconsideration:extend    the one extension of the decision limit (the office's head)
reconsideration:answer    the respondent body's written answer (department and county heads)
reconsideration:read      read any application (the office, the city leaders)
reconsideration:follow    the applicant's own case, by query code or under the account that filed it
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.petitions.protos import reconsiderations as wire
from services.petitions.store import reconsiderations as store
from services.petitions.acts import reconsiderations as acts
from services.petitions.domain.reconsiderations import Application, ReconsiderationLimits, query_code_hash
from services.petitions.models import Reconsideration
from shared import audit
from shared.convert import date_from_proto, today_in_china
from shared.db import transaction
from shared.errors import InvalidInput, NotFound
from shared.org_client import OrgClient
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar
from zgov.petitions.v1 import reconsiderations_pb2 as pb
from zgov.petitions.v1 import reconsiderations_pb2_grpc


class ReconsiderationServicer(reconsiderations_pb2_grpc.ReconsiderationServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        calendar: WorkingCalendar,
        limits: ReconsiderationLimits,
        org: OrgClient | None,
        office_code: str,
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.calendar = calendar
        self.limits = limits
        self.org = org
        self.office_code = office_code
        self.today = today

    def context(self) -> acts.Context:
        return acts.Context(self.calendar, self.limits, self.today(), self.office_code)

    def _day(self, value, field: str) -> date:
        day = date_from_proto(value, field, required=False) or self.today()
        if day > self.today():
            raise InvalidInput({field: "not after today"})
        return day

    async def _bodies(self) -> set[str]:
        return set((await self.org.directory()).organisations) if self.org is not None else set()

    async def reply(self, session: AsyncSession, row: Reconsideration) -> pb.Reconsideration:
        return wire.reconsideration_to_proto(row, await audit.history(session, acts.ref_of(row)))

    async def on_case(self, reconsideration_id: str, act) -> pb.Reconsideration:
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            row = await store.get(session, reconsideration_id, for_update=True)
            return await self.reply(session, await act(session, actor, row, ctx))

    @requires("reconsideration:apply")
    async def ApplyForReconsideration(self, request, context):
        actor = current_actor()
        name = request.applicant_name
        if not actor.may("reconsideration:register"):
            name = name or actor.display_name or actor.username  # one's own application
        application = Application(
            name,
            request.contested_act,
            request.respondent_body_code.strip(),
            request.request,
            self._day(request.received_on, "received_on"),
        )
        bodies = await self._bodies()
        async with transaction(self.sessions) as session:
            row, code = await acts.apply(session, actor, application, bodies, self.context())
            return pb.ApplyForReconsiderationResponse(
                reconsideration=await self.reply(session, row), query_code=code
            )

    @requires("reconsideration:handle")
    async def AcceptReconsideration(self, request, context):
        day = self._day(request.accepted_on, "accepted_on")
        ground = wire.GROUND.from_proto.get(request.simplified_ground)
        return await self.on_case(
            request.reconsideration_id,
            lambda s, a, row, ctx: acts.accept(s, a, row, day, ground, request.amount_yuan, ctx),
        )

    @requires("reconsideration:handle")
    async def RefuseReconsideration(self, request, context):
        day = self._day(request.refused_on, "refused_on")
        return await self.on_case(
            request.reconsideration_id,
            lambda s, a, row, ctx: acts.refuse(s, a, row, day, request.reason, ctx),
        )

    @requires("reconsideration:answer")
    async def AnswerReconsideration(self, request, context):
        day = self._day(request.answered_on, "answered_on")
        return await self.on_case(
            request.reconsideration_id,
            lambda s, a, row, ctx: acts.answer(s, a, row, request.answer, day, ctx),
        )

    @requires("reconsideration:extend")
    async def ExtendReconsideration(self, request, context):
        return await self.on_case(
            request.reconsideration_id,
            lambda s, a, row, ctx: acts.extend(s, a, row, request.days, request.reason, ctx),
        )

    @requires("reconsideration:handle")
    async def DecideReconsideration(self, request, context):
        day = self._day(request.decided_on, "decided_on")
        kind = wire.DECISION.from_proto.get(request.decision)
        return await self.on_case(
            request.reconsideration_id,
            lambda s, a, row, ctx: acts.decide(s, a, row, kind, request.reasons, request.remedy, day, ctx),
        )

    @requires("reconsideration:read")
    async def GetReconsideration(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.reconsideration_id)
            await acts.record_read(session, actor, row, "office")
            return await self.reply(session, row)

    @requires("reconsideration:follow")
    async def FollowReconsideration(self, request, context):
        """The applicant's own case: by query code (the portal, for a visitor without an account), or by
        id under the account that filed it; anything else reads as not found."""
        actor = current_actor()
        if bool(request.query_code.strip()) == bool(request.reconsideration_id):
            raise InvalidInput({"query_code": "give the query code or the reconsideration id, one of them"})
        async with transaction(self.sessions) as session:
            if request.query_code.strip():
                row, how = (
                    await store.by_query_code(session, query_code_hash(request.query_code)),
                    "query code",
                )
            else:
                row, how = await store.get(session, request.reconsideration_id), "own account"
                if not row.applicant_user_id or row.applicant_user_id != actor.user_id:
                    row = None
            if row is None:
                raise NotFound(
                    "a reconsideration with this query code or of this account",
                    resource_type="reconsideration",
                )
            await acts.record_read(session, actor, row, how)
            return await self.reply(session, row)

    @requires("reconsideration:follow")
    async def ListMyReconsiderations(self, request, context):
        actor = current_actor()
        if actor.is_service:  # the portal's own identity has no applications of its own
            return pb.ListMyReconsiderationsResponse()
        async with transaction(self.sessions) as session:
            rows = await store.of_applicant(session, actor.user_id)
            return pb.ListMyReconsiderationsResponse(
                reconsiderations=[wire.reconsideration_to_proto(r) for r in rows]
            )

    @requires("reconsideration:follow")
    async def GetReconsiderationLimits(self, request, context):
        return wire.limits_to_proto(self.limits)
