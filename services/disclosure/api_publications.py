"""PublicationService: proactive disclosure (主动公开) over gRPC.

Permissions (client roles of the `disclosure` client in Keycloak):
  publication:read     public reads — every position, citizens, the portal's service account
  publication:comment  comment on a draft open for public comment (A22)
  publication:write    disclosure officers: the queue, add, publish, decline, change validity, comments

Public reads show published items only, never the recorded acts or commenters' names; a caller who
may write also sees queued and declined items and their history.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure import search as words
from services.disclosure import store_concerns
from services.disclosure.api_concerns import ConcernRpcs, facts_of
from services.disclosure import store_publications as store
from services.disclosure.domain import publications as domain
from services.disclosure.domain.publications import Category, Kind, State, Validity
from services.disclosure.models import Publication
from shared import audit
from shared.audit import record_act
from shared.convert import (
    Page,
    date_from_proto,
    date_to_proto,
    decode_page_token,
    encode_page_token,
    page_limit,
    today_in_china,
)
from shared.db import read, transaction
from shared.errors import InvalidInput, NotFound
from shared.grpc_server import current_actor, requires
from shared.identity import Actor
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import events_pb2
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.disclosure.v1 import publications_pb2_grpc

CATEGORY_TO_PROTO = {c: pb.Category.Value(f"CATEGORY_{c.name}") for c in Category}
CATEGORY_FROM_PROTO = {v: k for k, v in CATEGORY_TO_PROTO.items()}
KIND_TO_PROTO = {k: pb.PublicationKind.Value(f"PUBLICATION_KIND_{k.name}") for k in Kind}
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}
VALIDITY_TO_PROTO = {v: pb.Validity.Value(f"VALIDITY_{v.name}") for v in Validity}
VALIDITY_FROM_PROTO = {v: k for k, v in VALIDITY_TO_PROTO.items()}
STATE_TO_PROTO = {s: pb.PublicationState.Value(f"PUBLICATION_STATE_{s.name}") for s in State}
PROPOSAL_KIND_TO_PROTO = {k.value: pb.ProposalKind.Value(f"PROPOSAL_KIND_{k.name}")
                          for k in domain.ProposalKind}
PROPOSAL_KIND_FROM_PROTO = {v: k for k, v in PROPOSAL_KIND_TO_PROTO.items()}

WRITE = "publication:write"
# How often the words' frequencies (search.walk_newest_first) are re-read from pg_stats.
FREQUENCIES_SECONDS = 600.0
MAX_LATEST = 50


# Who records a limit moved by a newly loaded holiday schedule: the platform itself.
SCHEDULE_SWEEP = Actor(user_id="", username="system:disclosure", display_name="政务公开系统（节假日安排更新）",
                       is_service=True)


def ref_of(publication_id) -> str:
    return f"publication/{publication_id}"


# ---- to the wire -----------------------------------------------------------------------------------------

def _date(value: date | None) -> common_pb2.Date | None:
    return date_to_proto(value) if value else None


def to_proto(row, today: date, *, body: bool = False) -> pb.Publication:
    """A publication row (ORM object or LIST_COLUMNS row) as the proto, without links and history."""
    kind, state = Kind(row.kind), State(row.state)
    message = pb.Publication(
        id=str(row.id), kind=KIND_TO_PROTO[kind], category=CATEGORY_TO_PROTO[Category(row.category)],
        title=row.title, issuer_code=row.issuer_code, issuer_name=row.issuer_name,
        document_number=row.document_number, made_on=_date(row.made_on), published_on=_date(row.published_on),
        valid_until=_date(row.valid_until),
        validity=VALIDITY_TO_PROTO[domain.effective_validity(Validity(row.validity), row.valid_until, today)],
        state=STATE_TO_PROTO[state], normative=row.normative, requires_interpretation=row.requires_interpretation,
        policy_id=str(row.policy_id) if row.policy_id else "",
        late=domain.is_late(row.publish_due, today, row.published_on) if row.made_on else False,
        comment_until=_date(row.comment_until), comment_count=row.comment_count,
        comment_open=domain.comment_open(kind, state, row.comment_until, today),
        source_document_id=row.source_document_id or "", decline_reason=row.decline_reason,
    )
    if body:
        message.body = row.body
    if row.made_on and row.publish_due:
        message.publish_due.CopyFrom(common_pb2.WorkingDayDeadline(
            start=date_to_proto(row.made_on), working_days=domain.PUBLISH_LIMIT_WORKING_DAYS,
            due=date_to_proto(row.publish_due), provisional=row.publish_due_provisional))
    if row.proposal:
        p = row.proposal
        message.proposal.CopyFrom(pb.ProposalResult(
            proposal_kind=PROPOSAL_KIND_TO_PROTO.get(p.get("proposal_kind", ""), 0),
            proposal_number=p.get("proposal_number", ""), proposer=p.get("proposer", ""),
            session=p.get("session", "")))
    # A22: the account of the comments is public once the period has closed (not while it is reopened)
    if row.comment_feedback and not message.comment_open:
        f = row.comment_feedback
        message.comment_feedback.CopyFrom(pb.CommentFeedback(
            summary=f["summary"], received=f["received"], adopted=f["adopted"],
            partly_adopted=f["partly_adopted"], not_adopted=f["not_adopted"], published_on=date_to_proto(date.fromisoformat(f["published_on"])),
            version=f["version"]))
    if row.power:
        message.power.CopyFrom(pb.Power(**{k: row.power.get(k, "") for k in
                                           ("subject", "basis", "procedure", "supervision", "power_type")}))
    return message


def link_of(row) -> pb.PublicationLink:
    return pb.PublicationLink(id=str(row.id), title=row.title, kind=KIND_TO_PROTO[Kind(row.kind)],
                              state=STATE_TO_PROTO[State(row.state)])


# ---- from the wire ---------------------------------------------------------------------------------------

def content_from_proto(message: pb.PublicationContent) -> domain.Content:
    proposal = None
    if message.HasField("proposal"):
        p = message.proposal
        proposal = {"proposal_kind": PROPOSAL_KIND_FROM_PROTO.get(p.proposal_kind, ""),
                    "proposal_number": p.proposal_number.strip(), "proposer": p.proposer.strip(),
                    "session": p.session.strip()}
    power = None
    if message.HasField("power"):
        w = message.power
        power = {"subject": w.subject.strip(), "basis": w.basis.strip(), "procedure": w.procedure.strip(),
                 "supervision": w.supervision.strip(), "power_type": w.power_type.strip()}
    return domain.Content(
        kind=KIND_FROM_PROTO.get(message.kind), category=CATEGORY_FROM_PROTO.get(message.category),
        title=message.title.strip(), body=message.body, issuer_code=message.issuer_code.strip(),
        issuer_name=message.issuer_name.strip(), document_number=message.document_number.strip(),
        made_on=date_from_proto(message.made_on, "content.made_on", required=False),
        valid_until=date_from_proto(message.valid_until, "content.valid_until", required=False),
        normative=message.normative, requires_interpretation=message.requires_interpretation,
        policy_id=message.policy_id.strip(),
        comment_until=date_from_proto(message.comment_until, "content.comment_until", required=False),
        proposal=proposal, power=power,
    )


def filter_from_proto(message: pb.PublicationFilter) -> store.Filter:
    if message.year and not 1949 <= message.year <= 2100:
        raise InvalidInput({"filter.year": "a year between 1949 and 2100"})
    if len(message.issuer_code) > 64:
        raise InvalidInput({"filter.issuer_code": "at most 64 characters"})
    category = CATEGORY_FROM_PROTO.get(message.category)
    kind = KIND_FROM_PROTO.get(message.kind)
    return store.Filter(category=category.value if category else None, issuer_code=message.issuer_code.strip(),
                        year=message.year, validity=VALIDITY_FROM_PROTO.get(message.validity),
                        kind=kind.value if kind else None)


def date_cursor(token: str) -> tuple[date, uuid.UUID] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        return date.fromisoformat(position[0]), uuid.UUID(position[1])
    except (ValueError, IndexError):
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None


# ---- the service -----------------------------------------------------------------------------------------

class PublicationServicer(ConcernRpcs, publications_pb2_grpc.PublicationServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar, *,
                 today: Callable[[], date] = today_in_china, search_candidates: int = 300) -> None:
        self.sessions = sessions
        # reads run on read-only connections of the sessions' engine (shared.db.read)
        self.engine = sessions.kw["bind"]
        self.calendar = calendar
        self.today = today
        self.search_candidates = search_candidates
        self._word_frequencies: tuple[dict[str, float], float] = ({}, 0.0)
        self._frequencies_read_at = float("-inf")

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

    async def _full(self, session: AsyncSession, row: Publication, today: date, officer: bool) -> pb.Publication:
        reply = to_proto(row, today, body=True)
        if row.policy_id:
            (policy,) = await store.links_of(session, [row.policy_id]) or [None]
            if policy is not None and (officer or policy.state == State.PUBLISHED.value):
                reply.policy.CopyFrom(link_of(policy))
        reply.interpretations.extend(
            link_of(r) for r in await store.interpretations_of(session, row.id, published_only=not officer))
        if row.kind == Kind.CONCERN_RESPONSE.value:
            concern = await store_concerns.by_response(session, row.id)
            if concern is not None:
                reply.concern.CopyFrom(facts_of(concern))
        if officer:
            reply.history.extend(audit.to_proto(r) for r in await audit.history(session, ref_of(row.id)))
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
        return pb.ListPublicationsResponse(publications=[to_proto(r, today) for r in rows],
                                           page=common_pb2.PageResponse(next_page_token=token))

    @requires("publication:read")
    async def ListLatest(self, request, context):
        if not 0 <= request.limit <= MAX_LATEST:
            raise InvalidInput({"limit": f"between 1 and {MAX_LATEST} (0: 10)"})
        kind = KIND_FROM_PROTO.get(request.kind)
        today = self.today()
        rows = await read(self.engine, store.list_published, store.Filter(kind=kind.value if kind else None),
                          today, request.limit or 10, None)
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
        filters = words.filter_lexemes(category=f.category, issuer_code=f.issuer_code, year=f.year, kind=f.kind)
        frequencies, rows = await self._frequencies()
        options = dict(candidates=self.search_candidates, offset=offset, limit=limit)
        if words.walk_newest_first(searched.grams, frequencies, rows, filters, self.search_candidates):
            async with transaction(self.sessions) as session:  # for its SET LOCAL
                page = await store.search(session, searched, f, today, walk=True, **options)
        else:  # one statement on a read-only connection: no BEGIN / COMMIT round trips
            page = await read(self.engine, store.search, searched, f, today, walk=False, **options)
        hits = []
        for row in page.rows:
            parts = words.snippet(row.body, terms)
            hits.append(pb.SearchHit(publication=to_proto(row, today), rank=row.rank,
                                     snippet=[pb.SnippetPart(text=p.text, match=p.match) for p in parts]))
        more = offset + len(hits) < page.ranked and len(hits) == limit
        token = encode_page_token(str(offset + limit)) if more else ""
        return pb.SearchPublicationsResponse(hits=hits, terms=terms, ranked=page.ranked, capped=page.capped,
                                             page=common_pb2.PageResponse(next_page_token=token))

    async def _frequencies(self) -> tuple[dict[str, float], float]:
        """Word frequencies from the planner's statistics, re-read every FREQUENCIES_SECONDS."""
        if time.monotonic() - self._frequencies_read_at > FREQUENCIES_SECONDS:
            self._word_frequencies = await read(self.engine, store.word_frequencies)
            self._frequencies_read_at = time.monotonic()
        return self._word_frequencies

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
        return pb.ListPublicationsResponse(publications=[to_proto(r, today) for r in rows],
                                           page=common_pb2.PageResponse(next_page_token=token))

    # ---- A22 comments ------------------------------------------------------------------------------------

    @requires("publication:comment")
    async def SubmitComment(self, request, context):
        """A22: a comment on a draft, on or before its closing day."""
        actor = current_actor()
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id, for_update=True)
            domain.check_comment(Kind(row.kind), State(row.state), row.comment_until, today,
                                 request.author_name, request.contact, request.text)
            comment = await store.add_comment(
                session, publication_id=row.id, author_name=request.author_name.strip(),
                contact=request.contact.strip(), text=request.text.strip(), submitted_by=actor.user_id,
                received_on=today)
            row.comment_count += 1
            await session.flush()
            # The commenter's name and contact stay out of the act and the event.
            await record_act(session, ref_of(row.id), "publication.comment-received", actor,
                             f"comment {comment.id}")
            await add_event(session, "disclosure.comment.received",
                            events_pb2.CommentReceived(publication_id=str(row.id),
                                                       comment_count=row.comment_count),
                            ref_of(row.id))
        return pb.Comment(id=str(comment.id), publication_id=str(row.id), text=comment.text,
                          received_on=date_to_proto(today))

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
            comments=[pb.Comment(id=str(c.id), publication_id=str(c.publication_id), author_name=c.author_name,
                                 contact=c.contact, text=c.text, received_on=date_to_proto(c.received_on))
                      for c in rows],
            page=common_pb2.PageResponse(next_page_token=token))

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
        return pb.ListQueueResponse(publications=[to_proto(r, today) for r in rows], late_count=late,
                                    page=common_pb2.PageResponse(next_page_token=token))

    @requires(WRITE)
    async def CreatePublication(self, request, context):
        """An item added by hand (statistics, powers A39, proposal results A67, interpretations A37, ...):
        queued with its article 26 limit."""
        actor = current_actor()
        today = self.today()
        content = content_from_proto(request.content)
        domain.check_content(content, today)
        async with transaction(self.sessions) as session:
            policy_id = None
            if content.policy_id:
                policy = await store.get(session, content.policy_id, field="content.policy_id")
                if policy.kind != Kind.POLICY.value:
                    raise InvalidInput({"content.policy_id": "an interpretation explains a policy"})
                policy_id = policy.id
            row = await queue_publication(
                session, self.calendar, today, kind=content.kind, category=content.category, title=content.title,
                body=content.body, issuer_code=content.issuer_code, issuer_name=content.issuer_name,
                document_number=content.document_number, made_on=content.made_on,
                valid_until=content.valid_until, normative=content.normative,
                requires_interpretation=content.requires_interpretation, policy_id=policy_id,
                comment_until=content.comment_until, proposal=content.proposal, power=content.power,
            )
            await record_act(session, ref_of(row.id), "publication.queued", actor, row.title)
            await add_event(session, "disclosure.publication.queued",
                            events_pb2.PublicationQueued(publication=to_proto(row, today)), ref_of(row.id), actor)
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def PublishPublication(self, request, context):
        """Publish a queued item (A35); a policy with the interpretations given, in one act (A37)."""
        actor = current_actor()
        today = self.today()
        category = CATEGORY_FROM_PROTO.get(request.category)
        together_ids = [store.parse_id(i, "interpretation_ids") for i in request.interpretation_ids]
        if len(set(together_ids)) != len(together_ids):
            raise InvalidInput({"interpretation_ids": "an interpretation is named twice"})
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id, for_update=True)
            together = await store.get_many(session, together_ids, for_update=True)
            if len(together) != len(together_ids):
                raise NotFound("an interpretation named", resource_type="publication")
            policy = await store.get(session, row.policy_id) if row.policy_id else None
            published = await store.count_published_interpretations(session, row.id)
            domain.check_publish(item_of(row), item_of(policy) if policy else None,
                                 [item_of(t) for t in together], published)
            if category is not None:
                row.category = category.value
            for item in [row, *together]:
                await publish(session, item, today, actor)
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def DeclinePublication(self, request, context):
        actor = current_actor()
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id, for_update=True)
            domain.check_decline(item_of(row), request.reason)
            row.state = State.DECLINED.value
            row.decline_reason = request.reason.strip()
            await session.flush()
            await record_act(session, ref_of(row.id), "publication.declined", actor, row.decline_reason)
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def ChangeValidity(self, request, context):
        """Amended, repealed or expired by the officer (documents' clean-up events do it for rules)."""
        actor = current_actor()
        today = self.today()
        validity = VALIDITY_FROM_PROTO.get(request.validity)
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id, for_update=True)
            domain.check_validity_change(Validity(row.validity), validity, request.reason)
            assert validity is not None
            await change_validity(session, row, validity, today, actor, request.reason.strip())
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def EditPublication(self, request, context):
        """A queued item corrected before it is published, with the reason (a recorded act naming the
        fields changed). A published one is not edited (domain.check_edit)."""
        actor = current_actor()
        today = self.today()
        changes: dict = {}
        for name in ("title", "body", "document_number"):
            if request.HasField(name):
                changes[name] = getattr(request, name) if name == "body" else getattr(request, name).strip()
        category = CATEGORY_FROM_PROTO.get(request.category)
        if category is not None:
            changes["category"] = category.value
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id, for_update=True)
            domain.check_edit(State(row.state), changes, request.reason)
            changed = sorted(name for name, value in changes.items() if getattr(row, name) != value)
            for name in changed:
                setattr(row, name, changes[name])
            await session.flush()
            await record_act(session, ref_of(row.id), "publication.edited", actor,
                             f"{', '.join(changed) or 'nothing changed'}: {request.reason.strip()}")
            return await self._full(session, row, today, True)

    @requires(WRITE)
    async def PublishCommentFeedback(self, request, context):
        """A22: 意见采纳情况 — after the comment period closed, how the comments were taken into account;
        public with the draft. Published again, it is a corrected version (a recorded act each time)."""
        actor = current_actor()
        today = self.today()
        async with transaction(self.sessions) as session:
            row = await store.get(session, request.publication_id, for_update=True)
            domain.check_feedback(Kind(row.kind), State(row.state), row.comment_until, today,
                                  row.comment_count, request.summary, request.adopted, request.partly_adopted,
                                  request.not_adopted)
            version = (row.comment_feedback or {}).get("version", 0) + 1
            row.comment_feedback = {
                "summary": request.summary.strip(), "received": row.comment_count, "adopted": request.adopted,
                "partly_adopted": request.partly_adopted, "not_adopted": request.not_adopted,
                "published_on": today.isoformat(), "version": version}
            await session.flush()
            await record_act(session, ref_of(row.id), "publication.comment-feedback", actor,
                             f"version {version}: {row.comment_count} received, {request.adopted} adopted, "
                             f"{request.partly_adopted} partly, {request.not_adopted} not adopted")
            return await self._full(session, row, today, True)

    @requires("publication:read")
    async def ListIssuers(self, request, context):
        """发布机构 with their numbers of published items, most first."""
        rows = await read(self.engine, store.issuers)
        return pb.ListIssuersResponse(
            issuers=[pb.Issuer(code=r.issuer_code, name=r.issuer_name, count=r.count) for r in rows])


def item_of(row: Publication) -> domain.Item:
    return domain.Item(id=str(row.id), kind=Kind(row.kind), state=State(row.state),
                       requires_interpretation=row.requires_interpretation,
                       policy_id=str(row.policy_id) if row.policy_id else "")


# ---- acts shared with the event consumers (events.py) ------------------------------------------------------

async def queue_publication(session: AsyncSession, calendar: WorkingCalendar, today: date, *, kind: Kind,
                            category: Category, made_on: date | None, **fields) -> Publication:
    """A new queued publication with its article 26 limit (none when the date made is unknown)."""
    due = domain.publish_limit(calendar, made_on) if made_on else None
    return await store.add(
        session, kind=kind.value, category=category.value, made_on=made_on,
        year=(made_on or today).year, state=State.QUEUED.value, validity=Validity.IN_FORCE.value,
        publish_due=due.due if due else None, publish_due_provisional=due.provisional if due else False,
        **fields)


async def recompute_provisional_limits(session: AsyncSession, calendar: WorkingCalendar, batch: int = 500) -> int:
    """docs/design.md "Time": an article 26 limit computed into a year whose official schedule was not
    known takes its official day once the schedule is loaded; each changed day is a recorded act."""
    changed = 0
    for row in await store.queued_with_provisional_limit(session, calendar.first_unknown_day, batch):
        due = domain.publish_limit(calendar, row.made_on)
        old, row.publish_due, row.publish_due_provisional = row.publish_due, due.due, due.provisional
        if old != due.due:
            changed += 1
            await record_act(session, ref_of(row.id), "publication.limit-recomputed", SCHEDULE_SWEEP,
                             f"article 26: {old} → {due.due} (official schedule of {old.year} loaded)")
    await session.flush()
    return changed


async def publish(session: AsyncSession, row: Publication, today: date, actor) -> None:
    """Published today: indexed for search, a recorded act, the disclosure.publication.published event."""
    row.state = State.PUBLISHED.value
    row.published_on = today
    await session.flush()
    await store.index_for_search(session, row)
    late = domain.is_late(row.publish_due, today, today)
    reason = row.title + (f"; after the article 26 limit of {row.publish_due}" if late else "")
    await record_act(session, ref_of(row.id), "publication.published", actor, reason)
    await add_event(session, "disclosure.publication.published",
                    events_pb2.PublicationPublished(publication=to_proto(row, today)), ref_of(row.id), actor)


async def change_validity(session: AsyncSession, row: Publication, validity: Validity, today: date, actor,
                          reason: str) -> None:
    previous = domain.effective_validity(Validity(row.validity), row.valid_until, today)
    row.validity = validity.value
    await session.flush()
    await record_act(session, ref_of(row.id), f"publication.{validity.value}", actor, reason)
    await add_event(session, "disclosure.publication.validity-changed",
                    events_pb2.PublicationValidityChanged(publication=to_proto(row, today),
                                                          previous=VALIDITY_TO_PROTO[previous]),
                    ref_of(row.id), actor)
