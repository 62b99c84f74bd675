"""The documents service's gRPC surface: each RPC states its permission, turns the request into the
typed input of an act (protos.py), calls the act in one transaction (acts/) and returns its reply;
reads go to the store and back through protos.py.

Each permission is a client role of the `documents` client in Keycloak; which positions hold it is
configured in Keycloak (composite roles), not here: document:draft (draft, ask for countersign,
open a rule for comment), document:file (file with the city government), document:process (the
general office's check and routing), document:countersign, document:sign (leaders' sign-off and
decisions), document:review (the justice bureau's legality review), document:issue (numbering,
filing, clean-up), document:read. The acts then check who acts (the lead body, the leader routed
to or acting, A10, A59).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb
from zgov.documents.v1 import documents_pb2_grpc

from services.documents import domain, models, protos, store
from services.documents.acts import Env, countersign, drafting, issue, normative, review, sign_off
from services.documents.pdfs import PdfKeeper, kept_pdf, render_and_keep
from services.documents.protos import (
    DIRECTION_FROM_PROTO,
    KIND_FROM_PROTO,
    STATE_FROM_PROTO,
    content_of,
    document_to_proto,
    catalogue_entry,
)
from shared.convert import (
    date_from_proto,
    decode_page_token,
    encode_page_token,
    page_limit,
    today_in_china,
)
from shared.db import transaction
from shared.errors import InvalidInput, NotFound
from shared.identity import Actor
from shared.org_client import OrgClient
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar


def sees_every_document(actor: Actor) -> bool:
    # The office, the leaders, the justice bureau's reviewers and other services see every document;
    # a department or county sees what it drafted or filed, and what it was asked to countersign.
    wide = ("document:process", "document:sign", "document:review")
    return actor.is_service or any(actor.may(p) for p in wide)


def check_visible(actor: Actor, row: models.Document, countersigns) -> None:
    if sees_every_document(actor) or row.organisation_code == actor.organisation_code:
        return
    if any(c.organisation_code == actor.organisation_code for c in countersigns):
        return
    raise NotFound(f"document {row.id}", resource_type="document")


class DocumentsServicer(documents_pb2_grpc.DocumentsServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        org: OrgClient,
        calendar: WorkingCalendar,
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.env = Env(org=org, calendar=calendar, today=today)
        self.today = today
        # issued documents' PDFs, rendered after issue and kept (pdfs.py)
        self.pdfs = PdfKeeper(sessions, today)

    # ---- drafting and filing (A47, A48, A53) -----------------------------------------------------

    @requires("document:draft")
    async def DraftDocument(self, request, context):
        new = protos.draft(request)
        async with transaction(self.sessions) as session:
            return await drafting.draft_document(session, current_actor(), new, self.env)

    @requires("document:file")
    async def FileDocument(self, request, context):
        """A53, A47, A48, A49: the city government accepts the document for the office's check."""
        filing = protos.filing(request)
        async with transaction(self.sessions) as session:
            return await drafting.file_document(session, current_actor(), filing, self.env)

    # ---- the office's check (A50) ----------------------------------------------------------------

    @requires("document:process")
    async def ReviewDocument(self, request, context):
        verdict = protos.office_review(request)
        async with transaction(self.sessions) as session:
            return await review.review_document(session, current_actor(), verdict, self.env)

    # ---- countersign (A49) -----------------------------------------------------------------------

    @requires("document:draft")
    async def RequestCountersign(self, request, context):
        asked = protos.countersign_request(request)
        async with transaction(self.sessions) as session:
            return await countersign.request_countersign(session, current_actor(), asked, self.env)

    @requires("document:countersign")
    async def AnswerCountersign(self, request, context):
        answer = protos.countersign_answer(request)
        async with transaction(self.sessions) as session:
            return await countersign.answer_countersign(session, current_actor(), answer, self.env)

    @requires("document:draft")
    async def RecordCoordination(self, request, context):
        """A49: objections still standing go to the leaders with the coordination record."""
        record = protos.coordination(request)
        async with transaction(self.sessions) as session:
            return await countersign.record_coordination(session, current_actor(), record, self.env)

    # ---- sign-off (A51) and issue ----------------------------------------------------------------

    @requires("document:sign")
    async def SignOffDocument(self, request, context):
        """A51: the right leader, or the one acting in his or her place, signs off with an explicit
        opinion (or a circle-read), name and full date; an incoming document is decided by the leader
        it was routed to (A50)."""
        given = protos.sign_off(request)
        async with transaction(self.sessions) as session:
            return await sign_off.sign_off_document(session, current_actor(), given, self.env)

    @requires("document:issue")
    async def IssueDocument(self, request, context):
        """印发: the next number of the issuer and year, in the issuing transaction (never repeated, never
        skipped)."""
        async with transaction(self.sessions) as session:
            reply = await issue.issue_document(session, current_actor(), request.document_id, self.env)
        self.pdfs.issued(reply)  # committed: its PDF is rendered and kept meanwhile
        return reply

    # ---- A23 legality review, A22 public comment, A22/A24 filing, A25 clean-up -------------------

    @requires("document:review")
    async def ReviewLegality(self, request, context):
        """A21, A23: the justice bureau reviews a normative document or rule before sign-off."""
        verdict = protos.legality_verdict(request)
        async with transaction(self.sessions) as session:
            return await normative.review_legality(session, current_actor(), verdict, self.env)

    @requires("document:draft")
    async def OpenPublicComment(self, request, context):
        """A22: the draft of a government rule is opened for public comment."""
        period = protos.comment_period(request)
        async with transaction(self.sessions) as session:
            return await normative.open_public_comment(session, current_actor(), period, self.env)

    @requires("document:issue")
    async def RecordFiling(self, request, context):
        """A22, A24: an issued rule or normative document is filed (备案) with each body the rules name."""
        record = protos.filing_record(request)
        async with transaction(self.sessions) as session:
            return await normative.record_filing(session, current_actor(), record, self.env)

    @requires("document:issue")
    async def RecordCleanup(self, request, context):
        """A25: revise, repeal or continue an issued rule or normative document."""
        cleanup = protos.cleanup(request)
        async with transaction(self.sessions) as session:
            return await normative.record_cleanup(session, current_actor(), cleanup, self.env)

    # ---- reading ---------------------------------------------------------------------------------

    @requires("document:read")
    async def CheckBeforeIssue(self, request, context):
        """A52: documents already in force that look like this one (already covered? merge them?)."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id)
            check_visible(actor, row, await store.countersigns_of(session, row.id))
            issued = {str(d.id): d for d in await store.issued_documents(session) if d.id != row.id}
        candidates = [(key, d.title, d.valid_until) for key, d in issued.items()]
        similar = domain.similar_in_force(row.title, candidates, self.today())
        return pb.CheckBeforeIssueResponse(
            similar=[
                pb.SimilarDocument(
                    document_id=key,
                    title=issued[key].title,
                    document_number=issued[key].document_number,
                    similarity=round(score, 3),
                )
                for key, score in similar
            ]
        )

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
        listed = [
            (r, domain.Authority(r.authority), r.issued_on, r.document_number, "资阳市人民政府") for r in rows
        ]
        listed += [
            (
                r,
                domain.Authority.NORMATIVE_DOCUMENT,
                r.filed_on,
                content_of(r).filed_document_number,
                r.sender_name,
            )
            for r in filed
        ]
        for row, authority, made_on, number, made_by in listed:
            repealed = row.repealed_on is not None
            if not domain.catalogue_selects(
                authority,
                made_on,
                row.valid_until,
                year=request.year,
                in_force_only=request.in_force_only,
                today=today,
                repealed=repealed,
            ):
                continue
            in_force = not (repealed or domain.is_expired(row.valid_until, today))
            entries.append(catalogue_entry(row, authority, made_on, number, made_by, in_force=in_force))
        return pb.GetNormativeCatalogueResponse(entries=entries)

    @requires("document:read")
    async def RenderDocument(self, request, context):
        """An issued document as PDF (GB/T 9704-2012): the one kept at issue, a read; rendered (off the
        event loop, it takes CPU) and kept if not there yet."""
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id)
            check_visible(actor, row, await store.countersigns_of(session, row.id))
            if row.state != domain.State.ISSUED.value:
                raise InvalidInput({"document_id": f"the document is {row.state}; only issued ones render"})
            pdf, file_name = await kept_pdf(session, row.id) or await render_and_keep(
                session, row, self.today()
            )
        return pb.RenderDocumentResponse(pdf=pdf, file_name=file_name)

    @requires("document:read")
    async def GetDocument(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_document(session, request.document_id)
            relations = await store.relations_of(session, row.id)
            check_visible(actor, row, relations.countersigns)
        return document_to_proto(
            row,
            today=self.today(),
            countersigns=relations.countersigns,
            sign_offs=relations.sign_offs,
            history=relations.history,
        )

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
                direction=direction.value if direction else "",
                kind=kind.value if kind else "",
                state=state.value if state else "",
                sender_organisation_code=request.sender_organisation_code,
                document_number=request.document_number.strip(),
                from_day=date_from_proto(request.from_day, "from_day", required=False),
                to_day=date_from_proto(request.to_day, "to_day", required=False),
                overdue_on=self.today() if request.overdue_only else None,
                after=after,
                limit=limit + 1,
            )
            more = len(rows) > limit
            rows = rows[:limit]
            ids = [r.id for r in rows]
            countersigns = await store.countersigns_of_many(session, ids)
            sign_offs = await store.sign_offs_of_many(session, ids)
            today = self.today()
            documents = [
                document_to_proto(r, today=today, countersigns=countersigns[r.id], sign_offs=sign_offs[r.id])
                for r in rows
            ]
        token = encode_page_token(rows[-1].created_at.isoformat(), str(rows[-1].id)) if more else ""
        return pb.ListDocumentsResponse(
            documents=documents, page=common_pb2.PageResponse(next_page_token=token)
        )
