"""PublicationService: proactive disclosure (主动公开) over gRPC.

Permissions (client roles of the `disclosure` client in Keycloak):
  publication:read     public reads — every position, citizens, the portal's service account
  publication:comment  comment on a draft open for public comment (A22)
  publication:write    disclosure officers: the queue, add, publish, decline, change validity, comments

Public reads show published items only, never the recorded acts or commenters' names; a caller who
may write also sees queued and declined items and their history. The acts are in
acts/publications.py, the wire in protos/publications.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import search
from services.disclosure.acts import publications
from services.disclosure.api_concerns import ConcernRpcs
from services.disclosure.domain.publications import Kind, State
from services.disclosure.models import Publication
from services.disclosure.protos.concerns import facts_of
from services.disclosure.protos.publications import (
    CATEGORY_FROM_PROTO,
    KIND_FROM_PROTO,
    VALIDITY_FROM_PROTO,
    content_from_proto,
    date_cursor,
    filter_from_proto,
    link_of,
    to_proto,
)
from services.disclosure.store import concerns as store_concerns
from services.disclosure.store import publications as store
from shared import audit, words
from shared.convert import (
    Page,
    date_to_proto,
    decode_page_token,
    encode_page_token,
    page_limit,
    today_in_china,
)
from shared.db import read, transaction
from shared.errors import InvalidInput, NotFound
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.disclosure.v1 import publications_pb2_grpc

WRITE = "publication:write"
MAX_LATEST = 50


class PublicationServicer(ConcernRpcs, publications_pb2_grpc.PublicationServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        calendar: WorkingCalendar,
        *,
        today: Callable[[], date] = today_in_china,
        search_candidates: int = 300,
    ) -> None:
        self.sessions = sessions
        # reads run on read-only connections of the sessions' engine (shared.db.read)
        self.engine = sessions.kw["bind"]
        self.calendar = calendar
        self.today = today
        self.search_candidates = search_candidates

    # ---- public reads ------------------------------------------------------------------------------------

    @requires("publication:read")
    async def GetPublication(self, request, context):
        """A publication with its policy or interpretations (A37) linked, its status and validity."""
        actor = current_actor()
        officer = actor.may(WRITE)
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id)
            if row.state != State.PUBLISHED.value and not officer:
                raise NotFound(f"publication {request.publication_id}", resource_type="publication")
            return await self._full(session, row, today, officer)

    async def _full(
        self, session: AsyncSession, row: Publication, today: date, officer: bool
    ) -> pb.Publication:
        reply = to_proto(row, today, body=True)
        if row.policy_id:
            (policy,) = await store.links_of(session, [row.policy_id]) or [None]
            if policy is not None and (officer or policy.state == State.PUBLISHED.value):
                reply.policy.CopyFrom(link_of(policy))
        reply.interpretations.extend(
            link_of(r) for r in await store.interpretations_of(session, row.id, published_only=not officer)
        )
        if row.kind == Kind.CONCERN_RESPONSE.value:
            concern = await store_concerns.by_response(session, row.id)
            if concern is not None:
                reply.concern.CopyFrom(facts_of(concern))
        if officer:
            reply.history.extend(
                audit.to_proto(r) for r in await audit.history(session, publications.ref_of(row.id))
            )
        return reply

    @requires("publication:read")
    async def ListPublications(self, request, context):
        """Published items by category, issuer, year, validity or kind (A39 powers, A67 results), newest first."""
        page = Page.of(request.page)
        f = filter_from_proto(request.filter)
        after = date_cursor(request.page.page_token)
        today = self.today()
        rows = await read(self.engine, store.list_published, f, today, page.fetch, after)
        rows, token = page.cut(rows, lambda r: (r.published_on.isoformat(), str(r.id)))
        return pb.ListPublicationsResponse(
            publications=[to_proto(r, today) for r in rows],
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires("publication:read")
    async def ListLatest(self, request, context):
        if not 0 <= request.limit <= MAX_LATEST:
            raise InvalidInput({"limit": f"between 1 and {MAX_LATEST} (0: 10)"})
        kind = KIND_FROM_PROTO.get(request.kind)
        today = self.today()
        rows = await read(
            self.engine,
            store.list_published,
            store.Filter(kind=kind.value if kind else None),
            today,
            request.limit or 10,
            None,
        )
        return pb.ListPublicationsResponse(publications=[to_proto(r, today) for r in rows])

    @requires("publication:read")
    async def SearchPublications(self, request, context):
        """Chinese full-text search: every bigram of the query must match (any run of characters is
        found), ranked among the newest matches: in the title, as whole words, newer (search.py); a
        snippet per hit."""
        query = request.query.strip()
        if not query:
            raise InvalidInput({"query": "words to search for"})
        if len(query) > 200:
            raise InvalidInput({"query": "at most 200 characters"})
        limit = min(page_limit(request.page), 100)
        f = filter_from_proto(request.filter)
        offset = self._offset(request.page.page_token)
        searched = words.search_query(query)
        terms = searched.terms
        today = self.today()
        if not searched or offset >= self.search_candidates:
            return pb.SearchPublicationsResponse(terms=terms)
        async with transaction(self.sessions) as session:  # SET LOCAL of the windows (store.search)
            page = await store.search(
                session,
                searched,
                f,
                today,
                candidates=self.search_candidates,
                offset=offset,
                limit=limit,
            )
        hits = []
        for row in page.rows:
            parts = search.snippet(row.body, terms)
            hits.append(
                pb.SearchHit(
                    publication=to_proto(row, today),
                    rank=row.rank,
                    snippet=[pb.SnippetPart(text=p.text, match=p.match) for p in parts],
                )
            )
        more = offset + len(hits) < page.ranked and len(hits) == limit
        token = encode_page_token(str(offset + limit)) if more else ""
        return pb.SearchPublicationsResponse(
            hits=hits,
            terms=terms,
            ranked=page.ranked,
            capped=page.capped,
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @staticmethod
    def _offset(token: str) -> int:
        position = decode_page_token(token)
        if position is None:
            return 0
        try:
            offset = int(position[0])
        except (ValueError, IndexError):
            offset = -1
        if offset < 0:
            raise InvalidInput({"page.page_token": "not a page token this service issued"})
        return offset

    @requires("publication:read")
    async def GetNormativeCatalogue(self, request, context):
        """A24: the yearly catalogue of normative documents, in the order they were made."""
        if not 2000 <= request.year <= 2100:
            raise InvalidInput({"year": "a year between 2000 and 2100"})
        today = self.today()
        rows = await read(self.engine, store.normative_catalogue, request.year)
        return pb.NormativeCatalogue(year=request.year, entries=[to_proto(r, today) for r in rows])

    @requires("publication:read")
    async def ListCommentDrafts(self, request, context):
        """A22: drafts for public comment with their closing day and the number of comments received."""
        page = Page.of(request.page)
        after = date_cursor(request.page.page_token)
        today = self.today()
        rows = await read(self.engine, store.comment_drafts, request.open_only, today, page.fetch, after)
        rows, token = page.cut(rows, lambda r: (r.published_on.isoformat(), str(r.id)))
        return pb.ListPublicationsResponse(
            publications=[to_proto(r, today) for r in rows],
            page=common_pb2.PageResponse(next_page_token=token),
        )

    # ---- A22 comments ------------------------------------------------------------------------------------

    @requires("publication:comment")
    async def SubmitComment(self, request, context):
        """A22: a comment on a draft, on or before its closing day."""
        today = self.today()
        async with transaction(self.sessions) as session:
            row, comment = await publications.comment(
                session,
                current_actor(),
                today,
                request.publication_id,
                author_name=request.author_name,
                contact=request.contact,
                text=request.text,
            )
        return pb.Comment(
            id=str(comment.id),
            publication_id=str(row.id),
            text=comment.text,
            received_on=date_to_proto(today),
        )

    @requires(WRITE)
    async def ListComments(self, request, context):
        page = Page.of(request.page)
        position = decode_page_token(request.page.page_token)
        after = None
        if position is not None:
            try:
                after = (datetime.fromisoformat(position[0]), uuid.UUID(position[1]))
            except (ValueError, IndexError):
                raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id)
            rows = await store.comments(session, row.id, page.fetch, after)
        rows, token = page.cut(rows, lambda c: (c.created_at.isoformat(), str(c.id)))
        return pb.ListCommentsResponse(
            comments=[
                pb.Comment(
                    id=str(c.id),
                    publication_id=str(c.publication_id),
                    author_name=c.author_name,
                    contact=c.contact,
                    text=c.text,
                    received_on=date_to_proto(c.received_on),
                )
                for c in rows
            ],
            page=common_pb2.PageResponse(next_page_token=token),
        )

    # ---- the officer's work ------------------------------------------------------------------------------

    @requires(WRITE)
    async def ListQueue(self, request, context):
        """Article 26: what waits for publishing, the earliest limit first; late items marked and counted."""
        page = Page.of(request.page)
        after = date_cursor(request.page.page_token)
        today = self.today()
        async with transaction(self.sessions) as session:
            rows = await store.queue(session, request.late_only, today, page.fetch, after)
            late = await store.count_late(session, today)
        rows, token = page.cut(rows, lambda r: ((r.publish_due or date(2100, 12, 31)).isoformat(), str(r.id)))
        return pb.ListQueueResponse(
            publications=[to_proto(r, today) for r in rows],
            late_count=late,
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires(WRITE)
    async def CreatePublication(self, request, context):
        """An item added by hand (statistics, powers A39, proposal results A67, interpretations A37, ...):
        queued with its article 26 limit."""
        today = self.today()
        content = content_from_proto(request.content)
        async with transaction(self.sessions) as session:
            row = await publications.create(session, current_actor(), self.calendar, today, content)
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def PublishPublication(self, request, context):
        """Publish a queued item (A35); a policy with the interpretations given, in one act (A37)."""
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await publications.publish_queued(
                session,
                current_actor(),
                today,
                request.publication_id,
                category=CATEGORY_FROM_PROTO.get(request.category),
                interpretation_ids=list(request.interpretation_ids),
            )
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def DeclinePublication(self, request, context):
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await publications.decline(session, current_actor(), request.publication_id, request.reason)
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def ChangeValidity(self, request, context):
        """Amended, repealed or expired by the officer (documents' clean-up events do it for rules)."""
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await publications.set_validity(
                session,
                current_actor(),
                today,
                request.publication_id,
                VALIDITY_FROM_PROTO.get(request.validity),
                request.reason,
            )
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def EditPublication(self, request, context):
        """A queued item corrected before it is published, with the reason."""
        today = self.today()
        changes: dict = {}
        for name in ("title", "body", "document_number"):
            if request.HasField(name):
                changes[name] = getattr(request, name) if name == "body" else getattr(request, name).strip()
        category = CATEGORY_FROM_PROTO.get(request.category)
        if category is not None:
            changes["category"] = category.value
        async with transaction(self.sessions) as session:
            row = await publications.edit(
                session, current_actor(), request.publication_id, changes, request.reason
            )
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def PublishCommentFeedback(self, request, context):
        """A22: 意见采纳情况, after the comment period closed; published again, a corrected version."""
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await publications.publish_feedback(
                session,
                current_actor(),
                today,
                request.publication_id,
                summary=request.summary,
                adopted=request.adopted,
                partly_adopted=request.partly_adopted,
                not_adopted=request.not_adopted,
            )
            return await self._full(session, row, today, True)

    @requires("publication:read")
    async def ListIssuers(self, request, context):
        """发布机构 with their numbers of published items, most first."""
        rows = await read(self.engine, store.issuers)
        return pb.ListIssuersResponse(
            issuers=[pb.Issuer(code=r.issuer_code, name=r.issuer_name, count=r.count) for r in rows]
        )
