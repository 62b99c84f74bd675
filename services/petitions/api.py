"""The petitions service's gRPC surface: each RPC states its permission, turns the request into the
typed input of an act (protos/), runs the act in one transaction (acts/) and returns its reply.

Each RPC states the permission (a client role of the `petitions` client in Keycloak) it needs;
which positions hold it is configured in Keycloak (composite roles), not here:
  petition:submit    file online, follow one's own cases, rate (every person, by default)
  petition:register  register a petition from any channel (the bureau)
  petition:read      read and list cases (what each shows depends on who reads: domain.case_view)
  petition:assign    triage, record review requests, mark a case for a leader (the bureau)
  petition:handle    acknowledge, object, reply (the assigned body)
  petition:extend    approve an extension of the handling limit (the assigned body's head)
  petition:review    give a review or re-review opinion (the reviewing body)
  petition:instruct  a leader's instruction on a case marked for him or her
  petition:stats     the register (登记簿)
  petition:open-statistics  the aggregate statistics (no case in them): every holder of petition:stats,
                     and the portal's service account for the open data of A38

Privacy (A71, A80): a case shows the petitioner's identity and contacts, the person complained
about and the attachments (their names, and their bytes through GetAttachment) only to the bureau
and to the body assigned to handle or review it, and to the petitioner (GetOwnAttachment);
the body complained about gets PERMISSION_DENIED (and never finds the case in a list); leaders
get the case redacted. Every read — allowed or refused — is recorded as an act ("case.read" /
"case.read.denied"). Events never carry personal data (events.py), and the petitioner's own
acts are published without an actor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.petitions import domain
from services.petitions.store import cases as store
from services.petitions.acts import DEFAULT_ROUTE_ABOVE_BUREAU, Env, ReadRefused, check_organisation
from services.petitions.acts import handling, intake, leaders, reads
from services.petitions.protos.cases import (
    CATEGORY_FROM_PROTO,
    CHANNEL_FROM_PROTO,
    DIMENSION_FROM_PROTO,
    OUTCOME_FROM_PROTO,
    ROUTE_FROM_PROTO,
    SATISFACTION_FROM_PROTO,
    STATE_FROM_PROTO,
    idempotency_key_of,
    intake_from_proto,
    register_csv,
)
from shared import audit
from shared.convert import (
    date_from_proto,
    date_to_proto,
    decode_day_cursor,
    encode_page_token,
    page_limit,
    today_in_china,
)
from shared.db import transaction
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.org_client import OrgClient
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import petitions_pb2, petitions_pb2_grpc


def on_or_today(value: common_pb2.Date, field: str):
    return date_from_proto(value, field, required=False) or today_in_china()


class PetitionsServicer(petitions_pb2_grpc.PetitionsServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        calendar: WorkingCalendar,
        *,
        bureau_organisation_code: str = "petition-bureau",
        person_key_secret: bytes = b"",
        org: OrgClient | None = None,
        routes_above: Mapping[str, str] | None = None,
    ):
        self.sessions = sessions
        self.calendar = calendar
        # 回避: body complained about → the body that handles such a case in the bureau's place.
        routes = dict(
            routes_above
            if routes_above is not None
            else {bureau_organisation_code: DEFAULT_ROUTE_ABOVE_BUREAU}
        )
        # org is None only where no org runs (the intake benchmark): organisation codes are then checked
        # for form only.
        self.env = Env(
            calendar=calendar,
            bureau=bureau_organisation_code,
            routes_above=routes,
            person_key_secret=person_key_secret,
            org=org,
        )

    @contextlib.asynccontextmanager
    async def _act(self, actor: Actor) -> AsyncIterator[AsyncSession]:
        """One transaction around one act; a read or act refused (A71) is recorded in a transaction of
        its own (A80: the act's rolls back), then PERMISSION_DENIED."""
        try:
            async with transaction(self.sessions) as session:
                yield session
        except ReadRefused as refused:
            async with transaction(self.sessions) as session:
                await audit.record_act(session, f"case/{refused.case_id}", refused.act, actor)
            raise

    # ---- intake --------------------------------------------------------------------------------------

    @requires("petition:register")
    async def RegisterCase(self, request, context):
        """The bureau registers a petition from any channel (登记)."""
        actor = current_actor()
        case = intake_from_proto(request.intake)
        domain.check_intake(case, today_in_china())
        await check_organisation(self.env, case.body_complained_about, "intake.body_complained_about")
        searched = await asyncio.to_thread(intake.search_words, case)  # off the event loop
        async with transaction(self.sessions) as session:
            return await intake.register_case(
                session,
                actor,
                self.env,
                case,
                repeat_of=request.intake.repeat_of_case_id.strip(),
                searched=searched,
            )

    @requires("petition:submit")
    async def SubmitPetition(self, request, context):
        """Online filing (网上信访) under the citizen's account: today, channel online, rate-limited.
        The citizen is the petitioner, so the events name no actor.

        A visitor without an account files through the portal's service account, which holds
        `petition:submit-anonymous`: the case then belongs to no account (followed by its query code
        only, never listed as anyone's own) and the portal limits such filings per visitor (by IP)."""
        actor = current_actor()
        anonymous = actor.is_service and actor.may("petition:submit-anonymous")
        today = today_in_china()
        case = intake_from_proto(request.intake)
        if request.intake.channel not in (petitions_pb2.CHANNEL_UNSPECIFIED, petitions_pb2.CHANNEL_ONLINE):
            raise InvalidInput({"intake.channel": "a petition filed on the portal is online"})
        if case.received_on not in (None, today):
            raise InvalidInput({"intake.received_on": "an online petition is received the day it is filed"})
        if request.intake.repeat_of_case_id:
            raise InvalidInput({"intake.repeat_of_case_id": "set by the bureau, not by the petitioner"})
        case = domain.Intake(**{**vars(case), "channel": domain.Channel.ONLINE, "received_on": today})
        domain.check_intake(case, today)
        await check_organisation(self.env, case.body_complained_about, "intake.body_complained_about")
        key = idempotency_key_of(request)
        searched = await asyncio.to_thread(intake.search_words, case)  # off the event loop
        async with transaction(self.sessions) as session:
            return await intake.submit_petition(
                session, actor, self.env, case, anonymous=anonymous, searched=searched, idempotency=key
            )

    # ---- reads (each one recorded, A80) ---------------------------------------------------------------

    @requires("petition:read")
    async def GetCase(self, request, context):
        actor = current_actor()
        async with self._act(actor) as session:
            return await reads.read_case(session, actor, self.env, request.case_id)

    @requires("petition:read")
    async def ListCases(self, request, context):
        actor = current_actor()
        # Words match only what each case shows this reader (store.list_cases): a search must not tell a
        # redacted reader what a complaint's hidden title or a petitioner's masked name says (A71).
        return await self._list(actor, reads.scope_of(self.env, actor), request, request.page)

    @requires("petition:submit")
    async def ListMyCases(self, request, context):
        actor = current_actor()
        return await self._list(
            actor,
            store.Scope(submitted_by_user_id=actor.user_id),
            petitions_pb2.ListCasesRequest(),
            request.page,
        )

    async def _list(self, actor: Actor, scope: store.Scope, request, page) -> petitions_pb2.ListCasesResponse:
        limit = page_limit(page)
        if len(request.text) > 200:
            raise InvalidInput({"text": "at most 200 characters"})
        after = decode_day_cursor(page.page_token)
        async with transaction(self.sessions) as session:
            cases, last = await reads.list_cases(
                session,
                actor,
                self.env,
                scope,
                limit=limit,
                state=STATE_FROM_PROTO[request.state].value if request.state else "",
                handling_body_code=request.handling_body_code.strip(),
                category=CATEGORY_FROM_PROTO[request.category].value if request.category else "",
                channel=CHANNEL_FROM_PROTO[request.channel].value if request.channel else "",
                overdue_on=today_in_china() if request.overdue_only else None,
                received_from=date_from_proto(request.received_from, "received_from", required=False),
                received_to=date_from_proto(request.received_to, "received_to", required=False),
                after=after,
                text_query=request.text.strip(),
            )
        token = encode_page_token(last.received_on.isoformat(), str(last.id)) if last else ""
        return petitions_pb2.ListCasesResponse(
            cases=cases, page=common_pb2.PageResponse(next_page_token=token)
        )

    # ---- attached files (A71, A80: the case's privacy, every read recorded) -------------------------

    @requires("petition:read")
    async def GetAttachment(self, request, context):
        """A file of a case, to readers who see the case in full; refused (and recorded) otherwise."""
        actor = current_actor()
        async with self._act(actor) as session:
            return await reads.attachment(session, actor, self.env, request.case_id, request.attachment_id)

    @requires("petition:submit")
    async def GetOwnAttachment(self, request, context):
        """The petitioner's own file: by query code (the portal, for a visitor without an account), or
        by case id under the account that filed the case."""
        actor = current_actor()
        if bool(request.case_id) == bool(request.query_code):
            raise InvalidInput({"case_id": "give the case id or the query code, one of them"})
        async with self._act(actor) as session:
            return await reads.own_attachment(
                session, actor, request.case_id, request.query_code, request.attachment_id
            )

    @requires("petition:submit")
    async def FollowCase(self, request, context):
        """The petitioner's own case by query code, without an account (or from the portal)."""
        actor = current_actor()
        if not request.query_code.strip():
            raise InvalidInput({"query_code": "the code given at intake"})
        async with transaction(self.sessions) as session:
            return await reads.follow(session, actor, self.env, request.query_code)

    # ---- triage by the bureau ----------------------------------------------------------------------

    @requires("petition:assign")
    async def TriageCase(self, request, context):
        actor = current_actor()
        triage = domain.Triage(
            outcome=OUTCOME_FROM_PROTO.get(request.outcome),
            handling_body_code=request.handling_body_code.strip(),
            transfer_to=request.transfer_to.strip(),
            legal_route=ROUTE_FROM_PROTO.get(request.legal_route),
            notice=request.notice.strip(),
            new_facts_and_reasons=request.new_facts_and_reasons.strip(),
        )
        on = on_or_today(request.triaged_on, "triaged_on")
        if triage.outcome is domain.TriageOutcome.ACCEPT_AND_ASSIGN:
            await check_organisation(self.env, triage.handling_body_code, "handling_body_code")
        async with self._act(actor) as session:
            return await handling.triage(session, actor, self.env, request.case_id, triage, on)

    # ---- the assigned body -----------------------------------------------------------------------------

    @requires("petition:handle")
    async def AcknowledgeCase(self, request, context):
        """The body accepts (受理) and tells the petitioner how it will handle the case."""
        actor = current_actor()
        on = on_or_today(request.acknowledged_on, "acknowledged_on")
        async with transaction(self.sessions) as session:
            return await handling.acknowledge(
                session, actor, self.env, request.case_id, on=on, handling_plan=request.handling_plan
            )

    @requires("petition:handle")
    async def ObjectToAssignment(self, request, context):
        actor = current_actor()
        on = on_or_today(request.objected_on, "objected_on")
        async with transaction(self.sessions) as session:
            return await handling.object_to_assignment(
                session, actor, self.env, request.case_id, on=on, reason=request.reason
            )

    @requires("petition:extend")
    async def ExtendHandling(self, request, context):
        """Approved by the handling body's head (who holds petition:extend), once, ≤ 30 days."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            notice = date_from_proto(request.notice_sent_on, "notice_sent_on", required=False)
            return await handling.extend(
                session,
                actor,
                self.env,
                request.case_id,
                days=request.days,
                reason=request.reason,
                notice=notice,
            )

    @requires("petition:handle")
    async def ReplyCase(self, request, context):
        actor = current_actor()
        on = on_or_today(request.replied_on, "replied_on")
        async with transaction(self.sessions) as session:
            return await handling.reply(session, actor, self.env, request.case_id, on=on, text=request.reply)

    # ---- review and re-review --------------------------------------------------------------------------

    @requires("petition:assign")
    async def RequestReview(self, request, context):
        """The bureau records the petitioner's request and the body one level up that answers it."""
        actor = current_actor()
        on = on_or_today(request.requested_on, "requested_on")
        async with self._act(actor) as session:
            return await handling.request_review(
                session,
                actor,
                self.env,
                request.case_id,
                on=on,
                reviewing_body_code=request.reviewing_body_code.strip(),
                reason=request.reason,
            )

    @requires("petition:review")
    async def DecideReview(self, request, context):
        """The reviewing body's opinion; the bureau may record one given by a body outside the city."""
        actor = current_actor()
        on = on_or_today(request.decided_on, "decided_on")
        async with self._act(actor) as session:
            return await handling.decide_review(
                session, actor, self.env, request.case_id, on=on, opinion=request.opinion
            )

    # ---- leaders (A71) -----------------------------------------------------------------------------

    @requires("petition:assign")
    async def MarkForLeader(self, request, context):
        actor = current_actor()
        leader = request.leader_user_id.strip()
        await leaders.check_leader(self.env, leader, request.reason)
        async with self._act(actor) as session:
            return await leaders.mark_for_leader(
                session, actor, self.env, request.case_id, leader, request.reason
            )

    @requires("petition:instruct")
    async def InstructCase(self, request, context):
        """The marked leader's instruction (批示); supervision makes it an instructed item."""
        actor = current_actor()
        today = today_in_china()
        due = date_from_proto(request.due, "due", required=False)
        async with transaction(self.sessions) as session:
            marked = list((await store.get_case(session, request.case_id)).marked_leader_ids)
        leader, instructing = await leaders.instructing_for(self.env, actor, marked, today)
        async with transaction(self.sessions) as session:
            return await leaders.instruct(
                session,
                actor,
                self.env,
                request.case_id,
                leader=leader,
                instructing=instructing,
                instruction=request.instruction,
                due=due,
                today=today,
            )

    # ---- satisfaction --------------------------------------------------------------------------------

    @requires("petition:submit")
    async def RateCase(self, request, context):
        """The petitioner rates (by account or query code), or the bureau records a rating given by phone."""
        actor = current_actor()
        satisfaction = SATISFACTION_FROM_PROTO.get(request.satisfaction)
        if bool(request.case_id) == bool(request.query_code):
            raise InvalidInput({"case_id": "give the case id or the query code, one of them"})
        async with transaction(self.sessions) as session:
            return await leaders.rate(
                session,
                actor,
                self.env,
                case_id=request.case_id,
                query_code=request.query_code,
                satisfaction=satisfaction,
                comment=request.comment,
            )

    # ---- statistics and the register (登记簿) -----------------------------------------------------------

    @staticmethod
    def _period(request) -> tuple:
        received_from = date_from_proto(request.received_from, "received_from", required=False)
        received_to = date_from_proto(request.received_to, "received_to", required=False)
        if received_from and received_to and received_to < received_from:
            raise InvalidInput({"received_to": "not before received_from"})
        return received_from, received_to

    @requires("petition:open-statistics")
    async def GetStatistics(self, request, context):
        dimension = DIMENSION_FROM_PROTO.get(request.dimension)
        if dimension is None:
            raise InvalidInput({"dimension": "handling body, category, channel or month"})
        received_from, received_to = self._period(request)
        today = today_in_china()
        async with transaction(self.sessions) as session:
            rows = await reads.statistics(
                session,
                current_actor(),
                dimension,
                today,
                received_from=received_from,
                received_to=received_to,
            )
        return petitions_pb2.GetStatisticsResponse(
            dimension=request.dimension,
            as_of=date_to_proto(today),
            rows=[petitions_pb2.StatisticsRow(**r) for r in rows],
        )

    @requires("petition:stats")
    async def GetRegister(self, request, context):
        """The printable register of a period: no identity, no complained party, no content (A71)."""
        received_from, received_to = self._period(request)
        limit = page_limit(request.page)
        after = decode_day_cursor(request.page.page_token)
        async with transaction(self.sessions) as session:
            lines, last = await reads.register(
                session,
                current_actor(),
                today_in_china(),
                received_from=received_from,
                received_to=received_to,
                after=after,
                limit=limit,
            )
        token = encode_page_token(last.received_on.isoformat(), str(last.id)) if last else ""
        return petitions_pb2.GetRegisterResponse(
            lines=lines, csv=register_csv(lines), page=common_pb2.PageResponse(next_page_token=token)
        )
