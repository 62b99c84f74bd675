"""Suggestions and proposals' gRPC surface (A67): permission, parse, one act, reply.

proposal:read     read and list proposals, the leaders' coverage (the office, city leaders, department
                  and county heads); what each sees: `scope_of`
proposal:manage   register, assign, extend, record the proposer's rating (the supervision office)
proposal:reply    reply for one's own body when it is the lead body (department and county heads)
proposal:contact  see the proposers' contact details in GetProposal (A80: the office and the heads of
                  the bodies handling it); never in lists, events or recorded acts
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.acts import proposals as acts
from services.supervision.acts.people import People
from services.supervision.domain import proposals as domain
from services.supervision.domain.readers import Scope, reader_scope
from services.supervision.models import Proposal
from services.supervision.store import proposals as store
from shared import audit
from shared.convert import Page, date_from_proto, date_to_proto, decode_page_token, today_in_china
from shared.db import transaction
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from shared.rpc_auth import current_actor, requires
from zgov.common.v1 import common_pb2
from zgov.supervision.v1 import proposals_pb2 as pb
from zgov.supervision.v1 import proposals_pb2_grpc

KIND_FROM_PROTO = {v: k for k, v in acts.KIND_TO_PROTO.items()}
STATE_FROM_PROTO = {v: k for k, v in acts.STATE_TO_PROTO.items()}
CLASS_FROM_PROTO = {v: k for k, v in acts.CLASS_TO_PROTO.items()}
RATING_FROM_PROTO = {v: k for k, v in acts.RATING_TO_PROTO.items()}


def _enum(mapping: dict, value: int, field: str):
    if value and value not in mapping:
        raise InvalidInput({field: f"unknown value {value}"})
    return mapping.get(value)


def new_proposal(request: pb.RegisterProposalRequest) -> domain.NewProposal:
    return domain.NewProposal(
        kind=_enum(KIND_FROM_PROTO, request.kind, "kind"),
        session=request.session,
        number=request.number,
        title=request.title,
        content=request.content,
        proposers=tuple(
            domain.Proposer(p.name, p.contact.phone, p.contact.address, p.contact.work_unit)
            for p in request.proposers
        ),
    )


def _day(value: date | None) -> common_pb2.Date | None:
    return date_to_proto(value) if value else None


def _proposer(name: str, contact: dict) -> pb.Proposer:
    message = pb.Proposer(name=name)
    if contact:
        message.contact.CopyFrom(pb.ProposerContact(**contact))
    return message


def proposal_to_proto(row: Proposal, *, with_contacts: bool = False, history=()) -> pb.Proposal:
    """A80: the contacts only when asked for (GetProposal, a holder of proposal:contact)."""
    contacts = row.proposer_contacts if with_contacts else [{}] * len(row.proposers)
    return pb.Proposal(
        id=str(row.id),
        kind=acts.KIND_TO_PROTO[domain.ProposalKind(row.kind)],
        session=row.session,
        number=row.number,
        year=row.year,
        title=row.title,
        content=row.content,
        proposers=[_proposer(name, contact) for name, contact in zip(row.proposers, contacts, strict=True)],
        state=acts.STATE_TO_PROTO[domain.ProposalState(row.state)],
        lead_body_code=row.lead_body_code,
        co_body_codes=list(row.co_body_codes),
        lead_leader_user_id=row.lead_leader_user_id,
        registered_on=_day(row.registered_on),
        assigned_on=_day(row.assigned_on),
        due=_day(row.due),
        extended=row.extended,
        replies=[acts.reply_to_proto(r) for r in row.replies],
        history=[audit.to_proto(h) for h in history],
        co_opinions=[
            pb.ProposalCoOpinion(
                body_code=o["body_code"],
                round=o["round"],
                text=o["text"],
                given_on=_day(date.fromisoformat(o["given_on"])),
                given_by_user_id=o["given_by_user_id"],
            )
            for o in row.co_opinions
        ],
    )


class ProposalServicer(proposals_pb2_grpc.ProposalServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        limits: domain.ProposalLimits,
        people: People,
        *,
        office_organisation_code: str = "supervision-office",
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.limits = limits
        self.people = people
        self.office = office_organisation_code
        self.today = today

    def context(self) -> acts.ProposalContext:
        return acts.ProposalContext(self.today(), self.limits, self.people)

    # ---- who sees what ---------------------------------------------------------------------------

    def scope_of(self, actor: Actor) -> Scope:
        """The office and the city-wide leaders everything; another leader what he or she leads; a body
        what it leads or helps with."""
        return reader_scope(actor, self.office, "proposal:manage")

    def sees(self, actor: Actor, row: Proposal) -> bool:
        scope = self.scope_of(actor)
        return bool(
            scope.everything
            or (scope.leader_user_id and scope.leader_user_id == row.lead_leader_user_id)
            or (
                scope.body_code
                and (scope.body_code == row.lead_body_code or scope.body_code in row.co_body_codes)
            )
        )

    async def reply(self, session: AsyncSession, row: Proposal, actor: Actor) -> pb.Proposal:
        with_contacts = actor.may("proposal:contact")
        if with_contacts and any(row.proposer_contacts):
            # A80: every read of the proposers' contact details is a recorded act (who, when), never the
            # details themselves
            await audit.record_act(session, acts.ref_of(row), "proposal.contacts-read", actor, "A80")
        history = await audit.history(session, acts.ref_of(row))
        return proposal_to_proto(row, with_contacts=with_contacts, history=history)

    async def on_proposal(self, proposal_id: str, act) -> pb.Proposal:
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            row = await store.get_proposal(session, proposal_id, for_update=True)
            if not self.sees(actor, row):
                raise Forbidden("this proposal is not one of yours")
            row = await act(session, actor, row, ctx)
            return await self.reply(session, row, actor)

    # ---- the acts --------------------------------------------------------------------------------

    @requires("proposal:manage")
    async def RegisterProposal(self, request, context):
        actor = current_actor()
        new = new_proposal(request)
        async with transaction(self.sessions) as session:
            row = await acts.register(session, actor, new, self.context())
            return await self.reply(session, row, actor)

    @requires("proposal:manage")
    async def AssignProposal(self, request, context):
        lead = request.lead_body_code.strip()
        co_bodies = [c.strip() for c in request.co_body_codes if c.strip()]
        leader = request.lead_leader_user_id.strip()
        return await self.on_proposal(
            request.proposal_id, lambda s, a, row, ctx: acts.assign(s, a, row, lead, co_bodies, leader, ctx)
        )

    @requires("proposal:manage")
    async def ExtendProposal(self, request, context):
        due = date_from_proto(request.due, "due", required=False)
        return await self.on_proposal(
            request.proposal_id, lambda s, a, row, ctx: acts.extend(s, a, row, due, request.reason, ctx)
        )

    @requires("proposal:reply")
    async def ReplyToProposal(self, request, context):
        reply_class = _enum(CLASS_FROM_PROTO, request.reply_class, "reply_class")
        return await self.on_proposal(
            request.proposal_id,
            lambda s, a, row, ctx: acts.reply(
                s, a, row, reply_class, request.text, request.document_number, ctx
            ),
        )

    @requires("proposal:reply")
    async def GiveProposalCoOpinion(self, request, context):
        return await self.on_proposal(
            request.proposal_id, lambda s, a, row, ctx: acts.give_co_opinion(s, a, row, request.text, ctx)
        )

    @requires("proposal:manage")
    async def RateProposal(self, request, context):
        rating = _enum(RATING_FROM_PROTO, request.rating, "rating")
        return await self.on_proposal(
            request.proposal_id, lambda s, a, row, ctx: acts.rate(s, a, row, rating, request.note, ctx)
        )

    # ---- reading ---------------------------------------------------------------------------------

    @requires("proposal:read")
    async def GetProposal(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_proposal(session, request.proposal_id)
            if not self.sees(actor, row):
                raise Forbidden("this proposal is not one of yours")
            return await self.reply(session, row, actor)

    @requires("proposal:read")
    async def ListProposals(self, request, context):
        actor = current_actor()
        page = Page.of(request.page)
        kind = _enum(KIND_FROM_PROTO, request.kind, "kind")
        state = _enum(STATE_FROM_PROTO, request.state, "state")
        filters = store.Filters(
            year=max(request.year, 0),
            kind=kind.value if kind else "",
            state=state.value if state else "",
            lead_body_code=request.lead_body_code.strip(),
            lead_leader_user_id=request.lead_leader_user_id.strip(),
        )
        after = _cursor(request.page.page_token)
        async with transaction(self.sessions) as session:
            rows = await store.list_proposals(session, self.scope_of(actor), filters, after, page.fetch)
        rows, token = page.cut(rows, lambda r: (r.created_at.isoformat(), str(r.id)))
        # A80: a list never carries the proposers' contact details, whoever reads it.
        return pb.ListProposalsResponse(
            proposals=[proposal_to_proto(r) for r in rows],
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires("proposal:read")
    async def GetLeadCoverage(self, request, context):
        year = request.year or self.today().year
        if not 2000 <= year <= 2100:
            raise InvalidInput({"year": "a year between 2000 and 2100"})
        leaders = await self.people.holders_of(domain.LEADING_POSITIONS)
        async with transaction(self.sessions) as session:
            led = [
                domain.Led(leader, domain.ProposalKind(kind))
                for leader, kind in await store.led_in(session, year)
            ]
        counts = domain.coverage([user for user, _ in leaders], led)
        missing = domain.uncovered(counts)
        return pb.GetLeadCoverageResponse(
            year=year,
            not_covered_user_ids=missing,
            leaders=[
                pb.LeaderCoverage(
                    user_id=user,
                    display_name=name,
                    suggestions_led=counts[user][0],
                    proposals_led=counts[user][1],
                    covered=user not in missing,
                )
                for user, name in leaders
            ],
        )


def _cursor(token: str) -> tuple[datetime, str] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        created, key = datetime.fromisoformat(position[0]), str(uuid.UUID(position[1]))
    except (ValueError, IndexError, TypeError):
        created = None
    if created is None or created.tzinfo is None:  # the service issues aware times only
        raise InvalidInput({"page.page_token": "not a page token this service issued"})
    return created, key
