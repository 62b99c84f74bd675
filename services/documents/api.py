"""The documents service's gRPC surface: resolve input, call the rules and the store, map the result.

Each RPC states the permission (a client role of the `documents` client in Keycloak) it needs;
which positions hold it is configured in Keycloak (composite roles), not here:
document:draft (draft, ask for countersign), document:file (file with the city government),
document:process (the general office's check and routing), document:countersign,
document:sign (leaders' sign-off and decisions), document:issue (numbering), document:read.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.documents import domain, models, store
from services.documents.protos import (
    AUTHORITY_TO_PROTO,
    CLEANUP_FROM_PROTO,
    DIRECTION_FROM_PROTO,
    FILING_BODY_FROM_PROTO,
    KIND_FROM_PROTO,
    ROUTING_TO_PROTO,
    SENDER_FROM_PROTO,
    STATE_FROM_PROTO,
    content_from_proto,
    content_of,
    content_to_json,
    countersign_to_proto,
    countersign_view,
    document_to_proto,
    filing_to_proto,
    sign_off_to_proto,
)
from services.documents.layout import layout_of
from shared.audit import actor_record, history, record_act
from shared.convert import (
    date_from_proto,
    date_to_proto,
    decode_page_token,
    encode_page_token,
    page_limit,
    today_in_china,
)
from shared.db import transaction
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.gbt9704 import render_pdf
from shared.grpc_server import current_actor, requires
from shared.identity import Actor
from shared.org_client import Directory, OrgClient, OrgRefused
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import documents_pb2_grpc, events_pb2

LEADER_POSITIONS = (domain.MAYOR, domain.EXECUTIVE_VICE_MAYOR, domain.VICE_MAYOR, domain.SECRETARY_GENERAL)


def sees_every_document(actor: Actor) -> bool:
    # The office, the leaders, the justice bureau's reviewers and other services see every document;
    # a department or county sees what it drafted or filed, and what it was asked to countersign.
    wide = ("document:process", "document:sign", "document:review")
    return actor.is_service or any(actor.may(p) for p in wide)


def ref_of(row: models.Document) -> str:
    return f"document/{row.id}"


class DocumentsServicer(documents_pb2_grpc.DocumentsServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], org: OrgClient, calendar: WorkingCalendar,
                 today: Callable[[], date] = today_in_china):
        self.sessions = sessions
        self.org = org
        self.calendar = calendar
        self.today = today

    # ---- helpers -------------------------------------------------------------------------------------

    async def _reply(
        self, session: AsyncSession, row: models.Document, *, with_history: bool = True
    ) -> pb.Document:
        return document_to_proto(
            row, today=self.today(), countersigns=await store.countersigns_of(session, row.id),
            sign_offs=await store.sign_offs_of(session, row.id),
            history=await history(session, ref_of(row)) if with_history else (),
        )

    @staticmethod
    def _sender(actor: Actor, given: pb.Sender, directory: Directory) -> domain.Sender:
        """Who sends it: the filer's own organisation, a body under it, or (registered by the office)
        any sender."""
        own = directory.organisations.get(actor.organisation_code)
        if not (given.organisation_code or given.name.strip() or given.category):
            if own is None:
                raise InvalidInput({"content.sender": "your account belongs to no organisation: "
                                                      "name the sender"})
            category = domain.CATEGORY_OF_ORGANISATION_KIND.get(own[1])
            if category is None:
                raise InvalidInput({"content.sender": f"{actor.organisation_code} is not an office, "
                                                      "department or county: name the sender"})
            return domain.Sender(actor.organisation_code, own[0], category)
        category = SENDER_FROM_PROTO.get(given.category)
        if category is None:
            raise InvalidInput({"content.sender.category": "what kind of body the sender is (A47)"})
        code = given.organisation_code.strip()
        name = given.name.strip() or directory.organisations.get(code, ("", ""))[0]
        if not name:
            raise InvalidInput({"content.sender.name": "the sender's name"})
        if actor.may("document:process"):
            return domain.Sender(code, name, category)
        if category in domain.SUBORDINATE_CATEGORIES and code in ("", actor.organisation_code):
            return domain.Sender("", name, category)
        raise Forbidden("you file for your own organisation or a body under it; the general office registers "
                        "documents of other senders")

    async def _new_document(self, session: AsyncSession, actor: Actor, direction: domain.Direction,
                            content_pb: pb.DocumentContent, content: domain.Content, sender: domain.Sender,
                            state: domain.State) -> models.Document:
        assert content.kind and content.urgency
        return await store.add_document(
            session, direction=direction.value, state=state.value, kind=content.kind.value,
            title=content.title.strip(), urgency=content.urgency.value, content=content_to_json(content_pb),
            organisation_code=actor.organisation_code, sender_organisation_code=sender.organisation_code,
            sender_name=sender.name, sender_category=sender.category.value, created_by=actor_record(actor),
            created_on=self.today(), handling_working_days=0, handling_provisional=False, return_reason="",
            proposed_opinion="", major_matter=content.major_matter, routed_to_user_id="", routing_basis="",
            authority=content.authority.value if content.authority else "", issuer_code=content.issuer_code,
            document_number="", valid_until=content.valid_until,
            issue_due=domain.provincial_issue_due(content.provincial_received_on,
                                                  content.provincial_plan_or_regulation),
        )

    @staticmethod
    def _check_addressed_leader(content: domain.Content, directory: Directory) -> None:
        leader = content.addressed_leader_user_id
        if leader and not any(leader in directory.holders.get(p, []) for p in LEADER_POSITIONS):
            raise InvalidInput({"content.addressed_leader_user_id": f"{leader} is not a city leader"})

    @staticmethod
    def _check_lead_body(actor: Actor, row: models.Document) -> None:
        if actor.organisation_code != row.organisation_code:
            raise Forbidden(f"only the lead body (主办单位) {row.organisation_code} acts on its document here")

    def _check_visible(self, actor: Actor, row: models.Document, countersigns) -> None:
        if sees_every_document(actor) or row.organisation_code == actor.organisation_code:
            return
        if any(c.organisation_code == actor.organisation_code for c in countersigns):
            return
        raise NotFound(f"document {row.id}", resource_type="document")

    # ---- drafting and filing (A47, A48, A53) -----------------------------------------------------------

    @requires("document:draft")
    async def DraftDocument(self, request, context):
        actor = current_actor()
        direction = DIRECTION_FROM_PROTO.get(request.direction)
        if direction is None:
            raise InvalidInput({"direction": "incoming (to file with the city government) or outgoing"})
        content = content_from_proto(request.content)
        domain.check_content(content, direction)
        domain.check_not_classified(content.classification)
        directory = await self.org.directory()
        self._check_addressed_leader(content, directory)
        if content.lead_organisation_code and content.lead_organisation_code not in directory.organisations:
            raise InvalidInput({"content.lead_organisation_code": f"unknown organisation "
                                                                  f"{content.lead_organisation_code}"})
        if direction is domain.Direction.INCOMING:
            sender = self._sender(actor, request.content.sender, directory)
        else:
            domain.check_not_a_reprint(content)
            domain.check_validity(content, self.today())
            sender = self._sender(actor, pb.Sender(), directory)
        async with transaction(self.sessions) as session:
            row = await self._new_document(session, actor, direction, request.content, content, sender,
                                           domain.State.DRAFT)
            await record_act(session, ref_of(row), "document.drafted", actor, row.title)
            return await self._reply(session, row)

    @requires("document:file")
    async def FileDocument(self, request, context):
        """A53, A47, A48, A49: the city government accepts the document for the office's check."""
        actor = current_actor()
        if request.draft_id and request.HasField("content"):
            raise InvalidInput({"draft_id": "file either a draft or new content, not both"})
        if not request.draft_id and not request.HasField("content"):
            raise InvalidInput({"content": "the document to file (or draft_id of a draft)"})
        directory = await self.org.directory()
        today = self.today()
        async with transaction(self.sessions) as session:
            if request.draft_id:
                row = await store.get_document(session, request.draft_id, for_update=True)
                if row.direction != domain.Direction.INCOMING.value:
                    raise InvalidInput({"draft_id": "an outgoing document is signed off and issued, "
                                                    "not filed"})
                self._check_lead_body(actor, row)
                domain.FILE.check(domain.State(row.state))
                content = content_from_proto(content_of(row))
                sender = domain.Sender(row.sender_organisation_code, row.sender_name,
                                       domain.SenderCategory(row.sender_category))
                domain.check_filing(content, sender)
                countersigns = await store.countersigns_of(session, row.id)
                domain.check_countersigns_settled([countersign_view(c) for c in countersigns],
                                                  row.coordination is not None)
            else:
                content = content_from_proto(request.content)
                domain.check_content(content, domain.Direction.INCOMING)
                self._check_addressed_leader(content, directory)
                sender = self._sender(actor, request.content.sender, directory)
                domain.check_filing(content, sender)
                if content.valid_until and content.valid_until <= today:
                    raise InvalidInput({"content.valid_until": "the validity ends after today"})
                row = await self._new_document(session, actor, domain.Direction.INCOMING, request.content,
                                               content, sender, domain.State.FILED)
            if content.briefing_series:
                domain.check_one_briefing(content.briefing_series, sender.name,
                                          await store.briefing_series_of(session, row.organisation_code))
            assert content.urgency
            days, deadline = domain.handling_deadline(self.calendar, today, content.urgency)
            row.state = domain.State.FILED.value
            row.filed_on = today
            row.handling_working_days = days
            row.handling_due = deadline.due
            row.handling_provisional = deadline.provisional
            await session.flush()
            await record_act(session, ref_of(row), "document.filed", actor,
                             f"{sender.name}: {row.title} (handle by {deadline.due.isoformat()})")
            reply = await self._reply(session, row)
            await add_event(session, "documents.document.filed", events_pb2.DocumentFiled(document=reply),
                            ref_of(row), actor)
        return reply

    # ---- the office's check (A50) ------------------------------------------------------------------------

    @requires("document:process")
    async def ReviewDocument(self, request, context):
        actor = current_actor()
        if request.outcome not in (pb.REVIEW_OUTCOME_RETURN, pb.REVIEW_OUTCOME_ACCEPT):
            raise InvalidInput({"outcome": "return (退文) or accept (拟办)"})
        accept = request.outcome == pb.REVIEW_OUTCOME_ACCEPT
        domain.check_review(accept, request.opinion)
        opinion = request.opinion.strip()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            domain.REVIEW.check(domain.State(row.state))
            if not accept:
                row.state = domain.State.RETURNED.value
                row.return_reason = opinion
                await session.flush()
                await record_act(session, ref_of(row), "document.returned", actor, opinion)
                reply = await self._reply(session, row)
                await add_event(session, "documents.document.returned",
                                events_pb2.DocumentReturned(document=reply, reason=opinion), ref_of(row),
                                actor)
                return reply
            content = content_from_proto(content_of(row))
            row.major_matter = row.major_matter or request.major_matter
            leader, basis = await self._route(row, content)
            row.state = domain.State.ROUTED.value
            row.proposed_opinion = opinion
            row.routed_to_user_id = leader
            row.routing_basis = basis.value
            await session.flush()
            # One act (acts of one transaction share their time, so two would have no order).
            await record_act(session, ref_of(row), "document.accepted", actor,
                             f"{opinion} — routed to {leader} ({basis.value}, A50)")
            reply = await self._reply(session, row)
            await add_event(session, "documents.document.accepted",
                            events_pb2.DocumentAccepted(document=reply), ref_of(row), actor)
            await add_event(session, "documents.document.routed",
                            events_pb2.DocumentRouted(document=reply, leader_user_id=leader,
                                                      basis=ROUTING_TO_PROTO[basis]), ref_of(row), actor)
        return reply

    async def _route(self, row: models.Document, content: domain.Content) -> tuple[str, domain.RoutingBasis]:
        """A50, A8: the portfolio holder of the sender or of the matter, else the mayor."""
        directory = await self.org.directory()
        mayor = directory.sole_holder(domain.MAYOR)
        if not mayor:
            raise NotFound("a holder of 'mayor' (the position is vacant)")
        category = domain.SenderCategory(row.sender_category)
        to_mayor = (category in domain.HIGHER_LEVEL or row.major_matter or content.leaders_instruction
                    or content.speech_on_behalf or bool(content.addressed_leader_user_id))
        portfolio = None if to_mayor else await self.org.portfolio_holder(
            organisation_code=row.sender_organisation_code or row.organisation_code, matters=content.matters)
        return domain.route(sender_category=category, major_matter=row.major_matter,
                            leaders_instruction=content.leaders_instruction,
                            portfolio_leader_user_id=portfolio, mayor_user_id=mayor,
                            speech_on_behalf=content.speech_on_behalf,
                            addressed_leader_user_id=content.addressed_leader_user_id)

    # ---- countersign (A49) ---------------------------------------------------------------------------------

    @requires("document:draft")
    async def RequestCountersign(self, request, context):
        actor = current_actor()
        codes = [c.strip() for c in request.organisation_codes]
        directory = await self.org.directory()
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            self._check_lead_body(actor, row)
            domain.COUNTERSIGN.check(domain.State(row.state))
            existing = await store.countersigns_of(session, row.id)
            domain.check_countersign_request(row.organisation_code, codes, directory.organisations,
                                             [c.organisation_code for c in existing])
            days, deadline = domain.countersign_deadline(self.calendar, today, request.working_days)
            added = [await store.add_countersign(session, document_id=row.id, organisation_code=code,
                                                 requested_on=today, working_days=days, due=deadline.due,
                                                 provisional=deadline.provisional)
                     for code in codes]
            await record_act(session, ref_of(row), "countersign.requested", actor,
                             f"{', '.join(codes)}: answer within {days} working days, by {deadline.due}")
            for countersign in added:
                await add_event(session, "documents.countersign.requested",
                                events_pb2.CountersignRequested(
                                    document_id=str(row.id), lead_organisation_code=row.organisation_code,
                                    countersign=countersign_to_proto(countersign)),
                                ref_of(row), actor)
            return await self._reply(session, row)

    @requires("document:countersign")
    async def AnswerCountersign(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            countersign = await store.countersign_of(session, row.id, actor.organisation_code)
            domain.check_countersign_answer(domain.CountersignState(countersign.state), request.objection,
                                            request.reasons)
            state = domain.CountersignState.OBJECTED if request.objection else domain.CountersignState.AGREED
            countersign.state = state.value
            countersign.reasons = request.reasons.strip()
            countersign.answered_by = actor_record(actor)
            countersign.answered_on = self.today()
            await session.flush()
            await record_act(session, ref_of(row), f"countersign.{state.value}", actor,
                             f"{countersign.organisation_code}: {countersign.reasons}".rstrip(": "))
            await add_event(session, "documents.countersign.answered",
                            events_pb2.CountersignAnswered(document_id=str(row.id),
                                                           countersign=countersign_to_proto(countersign)),
                            ref_of(row), actor)
            return await self._reply(session, row)

    @requires("document:draft")
    async def RecordCoordination(self, request, context):
        """A49: objections still standing go to the leaders with the coordination record."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            self._check_lead_body(actor, row)
            domain.COUNTERSIGN.check(domain.State(row.state))
            countersigns = await store.countersigns_of(session, row.id)
            domain.check_coordination([countersign_view(c) for c in countersigns], request.process,
                                      request.proposal)
            row.coordination = {"process": request.process.strip(), "proposal": request.proposal.strip(),
                                "recorded_by": actor_record(actor), "recorded_on": self.today().isoformat()}
            await session.flush()
            await record_act(session, ref_of(row), "document.coordinated", actor, request.proposal.strip())
            return await self._reply(session, row)

    # ---- sign-off (A51) ------------------------------------------------------------------------------------

    async def _candidate(self, signer: domain.Signer, position: str,
                         holder_user_id: str = "") -> domain.Candidate | None:
        """A10, A59: who may act today for the holder of `position`; None when org names nobody (the
        position is vacant, or the holder given does not hold it)."""
        try:
            acting = await self.org.who_may_act(position, holder_user_id=holder_user_id)
        except (NotFound, OrgRefused):
            return None
        return domain.Candidate(
            signer=signer, position=acting.position, holder_user_id=acting.holder_user_id,
            acting_user_id=acting.acting_user_id, holder_away=acting.holder_away, basis=acting.basis,
        )

    async def _signers(self, row: models.Document, content: domain.Content) -> list[domain.Candidate]:
        """A51 with A10/A59: whose authority may sign this document off, and who acts for each today."""
        directory = await self.org.directory()
        if row.direction == domain.Direction.INCOMING.value:
            routed = row.routed_to_user_id
            position = next((p for p in LEADER_POSITIONS if routed in directory.holders.get(p, [])), None)
            if position is None:
                return []
            candidate = await self._candidate(domain.Signer.MAYOR if position == domain.MAYOR
                                              else domain.Signer.PORTFOLIO_LEADER, position,
                                              row.routed_to_user_id)
            return [candidate] if candidate else []
        candidates = []
        for signer in domain.signers_for(domain.Authority(row.authority)):
            if signer is domain.Signer.MAYOR:
                candidate = await self._candidate(signer, domain.MAYOR)
            elif signer is domain.Signer.SECRETARY_GENERAL:
                candidate = await self._candidate(signer, domain.SECRETARY_GENERAL)
            else:
                leader = await self.org.portfolio_holder(
                    organisation_code=content.lead_organisation_code or row.organisation_code,
                    matters=content.matters)
                position = next((p for p in domain.PORTFOLIO_POSITIONS if leader and leader in
                                 directory.holders.get(p, [])), None)
                candidate = await self._candidate(signer, position, leader) if position else None
            if candidate:
                candidates.append(candidate)
        return candidates

    @requires("document:sign")
    async def SignOffDocument(self, request, context):
        """A51: the right leader, or the one acting in his or her place, signs off with an explicit
        opinion (or a circle-read), name and full date; an incoming document is decided by the leader
        it was routed to (A50)."""
        actor = current_actor()
        domain.check_sign_off(request.opinion, request.circle_read)
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            direction = domain.Direction(row.direction)
            content = content_from_proto(content_of(row))
            if direction is domain.Direction.INCOMING:
                domain.SIGN_INCOMING.check(domain.State(row.state))
                rule_id = "A50.routed-leader"
            else:
                domain.SIGN_OUTGOING.check(domain.State(row.state))
                countersigns = await store.countersigns_of(session, row.id)
                domain.check_countersigns_settled([countersign_view(c) for c in countersigns],
                                                  row.coordination is not None)
                domain.check_legality_reviewed(content.authority, row.legality_review)
                domain.check_public_comment(content.authority, row.comment_until,
                                            content.comment_exempt_reason, today)
                rule_id = "A51.signer"
            match = domain.match_signer(actor.user_id, await self._signers(row, content), rule_id)
            holder = match.candidate
            signer = actor
            if match.in_place_of_holder:
                signer = actor.acting_for(holder.holder_user_id, holder.position)
            assert content.kind
            meaning = domain.sign_off_meaning(direction, content.kind, request.circle_read)
            opinion = request.opinion.strip() or "圈阅"
            sign_off = await store.add_sign_off(
                session, document_id=row.id, signer_user_id=actor.user_id,
                signer_name=actor.display_name or actor.username,
                on_behalf_of_user_id=holder.holder_user_id if match.in_place_of_holder else "",
                on_behalf_of_position=holder.position if match.in_place_of_holder else "",
                authority_position=holder.position, opinion=opinion, circle_read=request.circle_read,
                meaning=meaning.value, signed_on=today,
            )
            row.state = domain.State.SIGNED.value
            await session.flush()
            await record_act(session, ref_of(row), "document.signed", signer, f"{opinion} ({meaning.value})")
            reply = await self._reply(session, row)
            await add_event(session, "documents.document.signed",
                            events_pb2.DocumentSigned(document=reply, sign_off=sign_off_to_proto(sign_off)),
                            ref_of(row), signer)
        return reply

    # ---- issue and number -------------------------------------------------------------------------------

    @requires("document:issue")
    async def IssueDocument(self, request, context):
        """印发: the next number of the issuer and year, in the issuing transaction (never repeated, never
        skipped)."""
        actor = current_actor()
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            if row.direction != domain.Direction.OUTGOING.value:
                raise InvalidInput({"document_id": "an incoming document is decided, not issued"})
            domain.ISSUE.check(domain.State(row.state))
            content_pb = content_of(row)
            sequence = await store.next_sequence(session, row.issuer_code, today.year)
            row.number_year = today.year
            row.number_sequence = sequence
            row.document_number = domain.document_number(row.issuer_code, today.year, sequence)
            row.issued_on = today
            row.state = domain.State.ISSUED.value
            await session.flush()
            late = ""
            if row.issue_due and today > row.issue_due:
                late = f"; after the 6-month limit of {row.issue_due} (A53)"
            await record_act(session, ref_of(row), "document.issued", actor, row.document_number + late)
            reply = await self._reply(session, row)
            await add_event(session, "documents.document.issued",
                            events_pb2.DocumentIssued(document=reply, document_number=row.document_number,
                                                      disclosure=content_pb.disclosure),
                            ref_of(row), actor)
        return reply

    # ---- A52 check before issue, A23 legality review ------------------------------------------------------

    @requires("document:read")
    async def CheckBeforeIssue(self, request, context):
        """A52: documents already in force that look like this one (already covered? merge them?)."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id)
            self._check_visible(actor, row, await store.countersigns_of(session, row.id))
            issued = {str(d.id): d for d in await store.issued_documents(session) if d.id != row.id}
        candidates = [(key, d.title, d.valid_until) for key, d in issued.items()]
        similar = domain.similar_in_force(row.title, candidates, self.today())
        return pb.CheckBeforeIssueResponse(similar=[
            pb.SimilarDocument(document_id=key, title=issued[key].title,
                               document_number=issued[key].document_number, similarity=round(score, 3))
            for key, score in similar
        ])

    @requires("document:review")
    async def ReviewLegality(self, request, context):
        """A21, A23: the justice bureau reviews a normative document or rule before sign-off."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            filing = row.direction == domain.Direction.INCOMING.value and content_of(row).normative_filing
            if filing:  # A24: review of a department's filing (备案审查), any time after it was filed
                domain.FILING_REVIEW.check(domain.State(row.state))
                authority = domain.Authority.NORMATIVE_DOCUMENT
            else:
                domain.SIGN_OUTGOING.check(domain.State(row.state))
                authority = domain.Authority(row.authority) if row.authority else None
            domain.check_legality_review_request(authority, request.opinion)
            row.legality_review = {"passed": request.passed, "opinion": request.opinion.strip(),
                                   "reviewed_by": actor_record(actor),
                                   "reviewed_on": self.today().isoformat()}
            await session.flush()
            verdict = "passed" if request.passed else "not passed"
            act = "document.filing-reviewed" if filing else "document.legality-reviewed"
            await record_act(session, ref_of(row), act, actor, f"{verdict}: {request.opinion.strip()}")
            return await self._reply(session, row)

    # ---- A22 public comment, A22/A24 filing ----------------------------------------------------------------

    @requires("document:draft")
    async def OpenPublicComment(self, request, context):
        """A22: the draft of a government rule is opened for public comment; the disclosure portal
        publishes it from the `documents.rule.comment-opened` event."""
        actor = current_actor()
        until = date_from_proto(request.until, "until", required=False)
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            self._check_lead_body(actor, row)
            authority = domain.Authority(row.authority) if row.authority else None
            domain.check_comment_period(authority, domain.State(row.state), until, self.today())
            row.comment_until = until
            await session.flush()
            await record_act(session, ref_of(row), "document.comment-opened", actor, f"until {until}")
            reply = await self._reply(session, row)
            await add_event(session, "documents.rule.comment-opened",
                            events_pb2.RuleCommentOpened(document=reply, until=date_to_proto(until)),
                            ref_of(row), actor)
        return reply

    @requires("document:issue")
    async def RecordFiling(self, request, context):
        """A22, A24: an issued rule or normative document is filed (备案) with each body the rules name."""
        actor = current_actor()
        body = FILING_BODY_FROM_PROTO.get(request.filed_with)
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            authority = domain.Authority(row.authority) if row.authority else None
            domain.check_filing_record(authority, domain.State(row.state), body, request.filing_reference,
                                       [f["filed_with"] for f in row.filings or []])
            assert body
            record = {"filed_with": body.value, "filing_reference": request.filing_reference.strip(),
                      "recorded_by": actor_record(actor), "filed_on": self.today().isoformat()}
            row.filings = [*(row.filings or []), record]
            await session.flush()
            await record_act(session, ref_of(row), "document.filed-with", actor,
                             f"{body.value}: {record['filing_reference']}")
            reply = await self._reply(session, row)
            await add_event(session, "documents.normative.filed",
                            events_pb2.NormativeFiled(document=reply, filing=filing_to_proto(record)),
                            ref_of(row), actor)
        return reply

    @requires("document:issue")
    async def RecordCleanup(self, request, context):
        """A25: revise, repeal or continue an issued rule or normative document."""
        actor = current_actor()
        decision = CLEANUP_FROM_PROTO.get(request.decision)
        continue_until = date_from_proto(request.continue_until, "continue_until", required=False)
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id, for_update=True)
            authority = domain.Authority(row.authority) if row.authority else None
            domain.check_cleanup(authority, domain.State(row.state), row.repealed_on is not None, decision,
                                 request.reason, continue_until, today)
            assert decision
            row.cleanup = {"decision": decision.value, "reason": request.reason.strip(),
                           "recorded_by": actor_record(actor), "recorded_on": today.isoformat()}
            if decision is domain.CleanupDecision.REPEAL:
                row.repealed_on = today
            if decision is domain.CleanupDecision.CONTINUE:
                assert continue_until
                row.valid_until = continue_until
                row.content = {**row.content, "valid_until": {"year": continue_until.year,
                                                              "month": continue_until.month,
                                                              "day": continue_until.day}}
                row.expiry_recorded_on = None  # a later expiry is recorded again
            await session.flush()
            await record_act(session, ref_of(row), f"document.cleanup-{decision.value}", actor,
                             request.reason.strip())
            reply = await self._reply(session, row)
            await add_event(session, "documents.normative.cleaned-up",
                            events_pb2.NormativeCleanedUp(document=reply, decision=request.decision),
                            ref_of(row), actor)
        return reply

    @requires("document:read")
    async def GetNormativeCatalogue(self, request, context):
        """A24: the yearly catalogue of rules and normative documents; A25: the one of those in force."""
        if request.year and not 2000 <= request.year <= 2100:
            raise InvalidInput({"year": "a year between 2000 and 2100, or 0 with in_force_only"})
        if not request.year and not request.in_force_only:
            raise InvalidInput({"year": "the year of the catalogue (or in_force_only for every year)"})
        today = self.today()
        async with transaction(self.sessions) as session:
            rows = await store.issued_of_authorities(session, [a.value for a in domain.NEEDS_LEGALITY_REVIEW])
            filed = await store.normative_filings(session)
        entries = []
        # The city government's own (issued here), then its departments' (filed here, A24).
        listed = [(r, domain.Authority(r.authority), r.issued_on, r.document_number, "资阳市人民政府") for r in rows]
        listed += [(r, domain.Authority.NORMATIVE_DOCUMENT, r.filed_on, content_of(r).filed_document_number,
                    r.sender_name) for r in filed]
        for row, authority, made_on, number, made_by in listed:
            repealed = row.repealed_on is not None
            if not domain.catalogue_selects(authority, made_on, row.valid_until, year=request.year,
                                            in_force_only=request.in_force_only, today=today,
                                            repealed=repealed):
                continue
            entry = pb.CatalogueEntry(
                document_id=str(row.id), document_number=number, title=row.title,
                authority=AUTHORITY_TO_PROTO[authority], issued_on=date_to_proto(made_on),
                in_force=not (repealed or domain.is_expired(row.valid_until, today)),
                filings=[filing_to_proto(f) for f in row.filings or []], made_by=made_by,
            )
            if row.valid_until:
                entry.valid_until.CopyFrom(date_to_proto(row.valid_until))
            entries.append(entry)
        return pb.GetNormativeCatalogueResponse(entries=entries)

    @requires("document:read")
    async def RenderDocument(self, request, context):
        """An issued document as PDF (GB/T 9704-2012); drawn off the event loop (it takes CPU)."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id)
            self._check_visible(actor, row, await store.countersigns_of(session, row.id))
            if row.state != domain.State.ISSUED.value:
                raise InvalidInput({"document_id": f"the document is {row.state}; only issued ones render"})
            document = await self._reply(session, row, with_history=False)
        pdf = await asyncio.to_thread(render_pdf, layout_of(document))
        return pb.RenderDocumentResponse(pdf=pdf, file_name=f"{row.document_number}.pdf")

    # ---- reading -------------------------------------------------------------------------------------------

    @requires("document:read")
    async def GetDocument(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id)
            countersigns = await store.countersigns_of(session, row.id)
            self._check_visible(actor, row, countersigns)
            return await self._reply(session, row)

    @requires("document:read")
    async def ListDocuments(self, request, context):
        actor = current_actor()
        limit = page_limit(request.page)
        position = decode_page_token(request.page.page_token)
        after = None
        if position is not None:
            try:
                after = (datetime.fromisoformat(position[0]), position[1])
                uuid.UUID(position[1])
            except (ValueError, IndexError):
                raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None
        direction = DIRECTION_FROM_PROTO.get(request.direction)
        kind = KIND_FROM_PROTO.get(request.kind)
        state = STATE_FROM_PROTO.get(request.state)
        async with transaction(self.sessions) as session:
            rows = await store.list_documents(
                session,
                visible_to_organisation=None if sees_every_document(actor) else actor.organisation_code,
                direction=direction.value if direction else "", kind=kind.value if kind else "",
                state=state.value if state else "", sender_organisation_code=request.sender_organisation_code,
                document_number=request.document_number.strip(),
                from_day=date_from_proto(request.from_day, "from_day", required=False),
                to_day=date_from_proto(request.to_day, "to_day", required=False),
                overdue_on=self.today() if request.overdue_only else None, after=after, limit=limit + 1,
            )
            more = len(rows) > limit
            rows = rows[:limit]
            ids = [r.id for r in rows]
            countersigns = await store.countersigns_of_many(session, ids)
            sign_offs = await store.sign_offs_of_many(session, ids)
            today = self.today()
            documents = [document_to_proto(r, today=today, countersigns=countersigns[r.id],
                                           sign_offs=sign_offs[r.id]) for r in rows]
        token = encode_page_token(rows[-1].created_at.isoformat(), str(rows[-1].id)) if more else ""
        return pb.ListDocumentsResponse(documents=documents,
                                        page=common_pb2.PageResponse(next_page_token=token))
