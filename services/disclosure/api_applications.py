"""ApplicationService: applications for government information (依申请公开) and the yearly report.

Each RPC names its permission (a client role of the `disclosure` client); which positions hold it is
configured in Keycloak (deploy/keycloak/realm-zgov.json), not here:
  application:submit  apply; follow, complete and download one's own application (citizens; the
                      portal's service account for applicants without an account — they follow by code)
  application:handle  register, confirm receipt, ask to complete, consult, reply, record reviews and
                      lawsuits; read and list every application (disclosure officers)
  application:extend  approve the one extension of art. 33 (the head of the disclosure office)
  application:report  generate and publish the yearly report (art. 49–50)
  publication:read    read published yearly reports

Each RPC turns the request into the typed input of an act (protos/applications.py), runs the act in
one transaction (acts/applications.py, acts/replies.py, acts/annual_report.py) and returns its reply;
lists and the yearly reports are read from the store. A read refused is recorded too, in a
transaction of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import acts, letters
from services.disclosure.acts import Env, annual_report, applications, replies
from services.disclosure.domain import applications as domain
from services.disclosure.protos import applications as wire
from services.disclosure.store import applications as store
from shared.convert import date_from_proto, decode_page_token, encode_page_token, page_limit
from shared.db import transaction
from shared.errors import InvalidInput, NotFound
from shared.identity import Actor
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import applications_pb2 as pb
from zgov.disclosure.v1 import applications_pb2_grpc


class ApplicationServicer(applications_pb2_grpc.ApplicationServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar, *, today=None):
        self.sessions = sessions
        self.calendar = calendar
        # looked up on each call, so a test can set the day the service lives on (acts.today_in_china)
        self.today = today or (lambda: acts.today_in_china())
        self.env = Env(calendar=calendar, today=lambda: self.today())

    def _on_or_today(self, value: common_pb2.Date, field: str):
        return date_from_proto(value, field, required=False) or self.today()

    async def _sweep(self) -> None:
        """Art. 30 before any act: lapses due by today are written (and published) in their own
        transaction, so they stand even when the act that follows is refused."""
        async with transaction(self.sessions) as session:
            await applications.lapse_due(session, self.today(), 100)

    @contextlib.asynccontextmanager
    async def _act(self, actor: Actor) -> AsyncIterator[AsyncSession]:
        """One transaction around one act, after the art. 30 sweep; a read of someone else's
        application is refused and recorded in a transaction of its own (the act's rolls back)."""
        await self._sweep()
        try:
            async with transaction(self.sessions) as session:
                yield session
        except applications.NotOwner as refused:
            async with transaction(self.sessions) as session:
                await applications.record_refused_read(session, actor, refused.application_id)
            raise

    # ---- applying ---------------------------------------------------------------------------------

    @requires("application:submit")
    async def SubmitApplication(self, request, context):
        """Online (互联网渠道): received when the office confirms it (art. 31(3)). With an idempotency
        key, a second submit of the same application returns the first (`replayed`, no query code)."""
        actor = current_actor()
        key = request.idempotency_key.strip() or None
        applicant, wanted = (
            wire.applicant_from_proto(request.applicant),
            wire.request_from_proto(request.content),
        )
        fingerprint = wire.submission_fingerprint(request) if key else None
        async with transaction(self.sessions) as session:
            return await applications.submit(
                session, actor, self.env, applicant, wanted, key=key, fingerprint=fingerprint
            )

    @requires("application:handle")
    async def RegisterApplication(self, request, context):
        """An application handed in, posted or faxed, registered by the office (art. 31)."""
        applicant, wanted = (
            wire.applicant_from_proto(request.applicant),
            wire.request_from_proto(request.content),
        )
        channel = wire.CHANNEL_FROM.get(request.channel)
        submitted_on = self._on_or_today(request.submitted_on, "submitted_on")
        signed = date_from_proto(request.signed_for_on, "signed_for_on", required=False)
        confirmed = date_from_proto(request.confirmed_on, "confirmed_on", required=False)
        async with transaction(self.sessions) as session:
            return await applications.register(
                session,
                current_actor(),
                self.env,
                applicant,
                wanted,
                channel=channel,
                submitted_on=submitted_on,
                signed_for_on=signed,
                confirmed_on=confirmed,
            )

    @requires("application:handle")
    async def ConfirmReceipt(self, request, context):
        actor = current_actor()
        confirmed = self._on_or_today(request.confirmed_on, "confirmed_on")
        async with self._act(actor) as session:
            return await applications.confirm_receipt(
                session, actor, self.env, request.application_id, confirmed
            )

    # ---- reading ----------------------------------------------------------------------------------

    @requires("application:submit")
    async def GetApplication(self, request, context):
        """The owner (the account that filed it) or an officer; anyone else is refused and recorded."""
        actor = current_actor()
        async with self._act(actor) as session:
            return await applications.read(session, actor, self.env, application_id=request.application_id)

    @requires("application:submit")
    async def FollowApplication(self, request, context):
        actor = current_actor()
        if not request.query_code.strip():
            raise InvalidInput({"query_code": "the code given when applying"})
        async with self._act(actor) as session:
            return await applications.read(session, actor, self.env, query_code=request.query_code)

    async def _list(self, f: store.ListFilter, page: common_pb2.PageRequest, *, officer: bool):
        limit = page_limit(page)
        position = decode_page_token(page.page_token)
        if position is not None and (len(position) != 2 or not all(isinstance(p, str) for p in position)):
            raise InvalidInput({"page.page_token": "not a token of this list"})
        await self._sweep()
        try:
            async with transaction(self.sessions) as session:
                rows = await store.list_page(session, f, limit + 1, tuple(position) if position else None)
                more = len(rows) > limit
                rows = rows[:limit]
                items = [
                    wire.application_to_proto(r, self.calendar, officer=officer, today=self.today())
                    for r in rows
                ]
        except ValueError:
            raise InvalidInput({"page.page_token": "not a token of this list"}) from None
        token = encode_page_token(rows[-1].created_at.isoformat(), str(rows[-1].id)) if more else ""
        return pb.ListApplicationsResponse(
            applications=items, page=common_pb2.PageResponse(next_page_token=token)
        )

    @requires("application:handle")
    async def ListApplications(self, request, context):
        if len(request.number) > 32:
            raise InvalidInput({"number": "at most 32 characters"})
        f = store.ListFilter(
            state=wire.STATE_FROM[request.state].value if request.state in wire.STATE_FROM else "",
            overdue_on=self.today() if request.overdue_only else None,
            number=request.number.strip().upper(),
        )
        return await self._list(f, request.page, officer=True)

    @requires("application:submit")
    async def ListMyApplications(self, request, context):
        actor = current_actor()
        if actor.is_service:
            raise InvalidInput(
                {
                    "authorization": "an applicant's own token: the portal's identity has no "
                    "applications of its own (follow by query code)"
                }
            )
        return await self._list(
            store.ListFilter(submitted_by_user_id=actor.user_id), request.page, officer=False
        )

    # ---- art. 30: completion ------------------------------------------------------------------------

    @requires("application:handle")
    async def RequestCompletion(self, request, context):
        actor = current_actor()
        requested = self._on_or_today(request.requested_on, "requested_on")
        async with self._act(actor) as session:
            return await applications.request_completion(
                session,
                actor,
                self.env,
                request.application_id,
                requested=requested,
                items=request.items,
                period_working_days=request.period_working_days,
            )

    @requires("application:submit")
    async def CompleteApplication(self, request, context):
        """Art. 30: the completion arrives; the reply limit restarts from that day."""
        actor = current_actor()
        completed = None
        if request.completed_on.year:
            if not actor.may("application:handle"):
                raise InvalidInput({"completed_on": "set by the office; an applicant completes today"})
            completed = date_from_proto(request.completed_on, "completed_on")
        async with self._act(actor) as session:
            return await applications.complete(
                session,
                actor,
                self.env,
                request.application_id,
                request.query_code,
                completed_on=completed,
                content=request.content,
            )

    @requires("application:submit")
    async def WithdrawApplication(self, request, context):
        """The applicant withdraws (撤回) an open application, or an officer records it."""
        actor = current_actor()
        async with self._act(actor) as session:
            return await applications.withdraw(
                session, actor, self.env, request.application_id, request.query_code, request.reason
            )

    # ---- art. 32, 34: consultation ------------------------------------------------------------------

    @requires("application:handle")
    async def StartConsultation(self, request, context):
        actor = current_actor()
        sent = self._on_or_today(request.sent_on, "sent_on")
        async with self._act(actor) as session:
            return await replies.start_consultation(
                session,
                actor,
                self.env,
                request.application_id,
                party=wire.PARTY_FROM.get(request.party),
                party_name=request.party_name,
                sent=sent,
            )

    @requires("application:handle")
    async def RecordOpinion(self, request, context):
        actor = current_actor()
        answered = self._on_or_today(request.answered_on, "answered_on")
        async with self._act(actor) as session:
            return await replies.record_opinion(
                session,
                actor,
                self.env,
                request.application_id,
                consultation_id=request.consultation_id,
                answered=answered,
                consents=wire.CONSENTS_FROM.get(request.answer),
                opinion=request.opinion,
            )

    # ---- art. 33, 35: more time -----------------------------------------------------------------------

    @requires("application:extend")
    async def ExtendReplyLimit(self, request, context):
        """Approved by the head of the disclosure office (the permission), the applicant told."""
        actor = current_actor()
        approved = self._on_or_today(request.approved_on, "approved_on")
        async with self._act(actor) as session:
            return await replies.extend(
                session,
                actor,
                self.env,
                request.application_id,
                working_days=request.working_days,
                reason=request.reason,
                notice=request.notice,
                approved=approved,
            )

    @requires("application:handle")
    async def RequestReasons(self, request, context):
        actor = current_actor()
        on = self._on_or_today(request.requested_on, "requested_on")
        async with self._act(actor) as session:
            return await replies.request_reasons(
                session, actor, self.env, request.application_id, on=on, note=request.note
            )

    @requires("application:handle")
    async def DeferReply(self, request, context):
        actor = current_actor()
        deferred_to = date_from_proto(request.deferred_to, "deferred_to")
        async with self._act(actor) as session:
            return await replies.defer(
                session,
                actor,
                self.env,
                request.application_id,
                deferred_to=deferred_to,
                notice=request.notice,
            )

    # ---- art. 36–39: the reply ------------------------------------------------------------------------

    @requires("application:handle")
    async def ReplyToApplication(self, request, context):
        actor = current_actor()
        replied = self._on_or_today(request.replied_on, "replied_on")
        answer = wire.reply_from_proto(request.reply)
        async with self._act(actor) as session:
            return await replies.reply(
                session, actor, self.env, request.application_id, answer, replied=replied
            )

    @requires("application:submit")
    async def RenderReply(self, request, context):
        actor = current_actor()
        async with self._act(actor) as session:
            row = await replies.download_reply(
                session, actor, self.env, request.application_id, request.query_code
            )
        # A render takes about a second of CPU (the fonts are parsed per document): off the event loop
        pdf = await asyncio.to_thread(letters.reply_pdf, row)
        return pb.RenderReplyResponse(pdf=pdf, file_name=f"{row.number}-答复书.pdf")

    @requires("application:submit")
    async def RenderNotice(self, request, context):
        """The applicant's written notices (receipt, art. 30 completion, art. 33 extension, art. 35
        deferral), as PDF, for the owner (account or code) or an officer."""
        actor = current_actor()
        async with self._act(actor) as session:
            row = await replies.download_notice(
                session,
                actor,
                self.env,
                request.application_id,
                request.query_code,
                pb.NoticeKind.Name(request.kind),
            )
            # in the transaction: a notice the application does not have records no download
            pdf, file_name = await asyncio.to_thread(letters.notice_pdf, row, request.kind, self.calendar)
        return pb.RenderReplyResponse(pdf=pdf, file_name=file_name)

    # ---- art. 50(3), 51: reviews and lawsuits ----------------------------------------------------------

    @requires("application:handle")
    async def RecordRemedy(self, request, context):
        actor = current_actor()
        outcome = wire.OUTCOME_FROM.get(request.outcome, domain.RemedyOutcome.PENDING)
        decided = date_from_proto(request.decided_on, "decided_on", required=False)
        async with self._act(actor) as session:
            return await replies.record_remedy(
                session,
                actor,
                self.env,
                request.application_id,
                remedy_id=request.remedy_id,
                kind=wire.REMEDY_FROM.get(request.kind),
                filed_on=lambda: date_from_proto(request.filed_on, "filed_on"),
                outcome=outcome,
                decided=decided,
                note=request.note,
            )

    # ---- art. 49–50: the yearly report --------------------------------------------------------------

    @requires("application:report")
    async def GenerateAnnualReport(self, request, context):
        async with transaction(self.sessions) as session:
            return await annual_report.generate(session, current_actor(), self.env, request)

    @requires("publication:read")
    async def GetAnnualReport(self, request, context):
        async with transaction(self.sessions) as session:
            record = await store.get_report(session, request.year)
            if record is None:
                raise NotFound(f"the annual report of {request.year}", resource_type="annual report")
            return wire.report_to_proto(record)

    @requires("publication:read")
    async def ListAnnualReports(self, request, context):
        async with transaction(self.sessions) as session:
            records = await store.list_reports(session)
            reports = []
            for record in records:
                full = wire.report_to_proto(record)
                del full.rows[:]
                del full.remedies[:]
                reports.append(full)
        return pb.ListAnnualReportsResponse(reports=reports)
