"""The supervision service's gRPC surface: each RPC states its permission, reads the request
(protos.py), calls one act (acts/items.py) in one transaction and replies with the item.

Permissions are client roles of the `supervision` client in Keycloak; which positions hold them
is configured there (deploy/keycloak/realm-zgov.json), not here:
  item:read      read and list items (what each reader sees: `scope_of`)
  item:register  open an item by hand (the supervision office)
  item:assign    assign and reassign (the supervision office)
  item:handle    acknowledge, object, report, give a co-body's opinion, claim completion, ask for an
                 extension (the heads of departments and counties, for their own body)
  item:verify    verify, re-check, attach an evaluation (the supervision office)
  item:extend    decide an extension (city leaders; the act checks it is the right one, A10/A59)
  accountability:read    read accountability cases (the office, the mayor, the secretary-general)
  accountability:decide  refer a case, record its outcome, exempt it (the mayor, the secretary-general)
  (the office proposes a case for a neglected item with item:verify)
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision import protos
from services.supervision.acts import accountability, extensions
from services.supervision.acts import items as acts
from services.supervision.acts.people import People
from services.supervision.domain import items as domain
from services.supervision.domain.readers import Scope, reader_scope
from services.supervision.models import SupervisionItem
from services.supervision.store import accountability as cases
from services.supervision.store import items as store
from shared import audit
from shared.convert import Page, decode_page_token, today_in_china
from shared.db import transaction
from shared.errors import Forbidden, InvalidInput, RuleViolation
from shared.identity import Actor
from shared.rpc_auth import current_actor, requires
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.supervision.v1 import supervision_pb2 as pb
from zgov.supervision.v1 import supervision_pb2_grpc

Act = Callable[[AsyncSession, Actor, SupervisionItem, acts.Context], Awaitable[SupervisionItem]]


class SupervisionServicer(supervision_pb2_grpc.SupervisionServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cal: WorkingCalendar,
        limits: domain.Limits,
        people: People,
        *,
        office_organisation_code: str = "supervision-office",
        today: Callable[[], date] = today_in_china,
    ):
        self.sessions = sessions
        self.cal = cal
        self.limits = limits
        self.people = people
        self.office = office_organisation_code
        self.today = today

    def context(self) -> acts.Context:
        return acts.Context(self.cal, self.today(), self.limits, self.people)

    # ---- who sees what ----------------------------------------------------------------------------

    def scope_of(self, actor: Actor) -> Scope:
        """The office and the city-wide leaders see every item; a leader the items he or she supervises
        (the portfolio holder of the lead body at assignment) or instructed; a body its own."""
        return reader_scope(actor, self.office, "item:verify")

    def sees(self, actor: Actor, row: SupervisionItem) -> bool:
        scope = self.scope_of(actor)
        return (
            scope.everything
            or (
                scope.leader_user_id
                and scope.leader_user_id in (row.supervising_leader_user_id, row.instructing_leader_user_id)
            )
            or (
                scope.body_code
                and (scope.body_code == row.lead_body_code or scope.body_code in row.co_body_codes)
            )
        )

    async def reply(self, session: AsyncSession, row: SupervisionItem) -> pb.Item:
        steps = await store.steps_of(session, row.id)
        history = await audit.history(session, f"item/{row.id}")
        return protos.item_to_proto(row, steps, history)

    async def act_on(self, item_id: str, act: Act, *, readers_only: bool = True) -> pb.Item:
        """Lock the item, check the caller may see it, run the act, reply — one transaction.

        `readers_only=False` for an act whose own rule says who may do it (an acting holder deciding
        for an absent leader need not be one of the item's readers)."""
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            row = await store.get_item(session, item_id, for_update=True)
            if readers_only and not self.sees(actor, row):
                raise Forbidden(f"item {row.number} is not one of yours")
            row = await act(session, actor, row, ctx)
            return await self.reply(session, row)

    # ---- registration and assignment --------------------------------------------------------------

    @requires("item:register")
    async def RegisterItem(self, request, context):
        actor = current_actor()
        # A finding or instruction with its own reference is one source: entered twice, one item.
        reference = request.source_reference.strip()
        source_ref = f"reference/{reference}" if reference else f"register/{uuid.uuid4()}"
        new = protos.new_item(request, source_ref)
        async with transaction(self.sessions) as session:
            row = await acts.register(session, actor, new, self.context(), by_hand=True)
            if row is None:
                known = await store.item_of_source(session, "supervision", source_ref)
                raise RuleViolation(
                    "A61.once",
                    f"{reference} is already registered as {known.number}",
                    subject=f"item/{known.id}",
                )
            return await self.reply(session, row)

    @requires("item:assign")
    async def AssignItem(self, request, context):
        due = protos.day(request.due, "due")
        return await self.act_on(
            request.item_id,
            lambda s, a, row, ctx: acts.assign(
                s,
                a,
                row,
                request.lead_body_code.strip(),
                list(request.co_body_codes),
                due,
                request.reason,
                ctx,
            ),
        )

    # ---- the lead body and its co-bodies ----------------------------------------------------------

    @requires("item:handle")
    async def AcknowledgeItem(self, request, context):
        return await self.act_on(
            request.item_id, lambda s, a, row, ctx: acts.acknowledge(s, a, row, request.note, ctx)
        )

    @requires("item:handle")
    async def ObjectToItem(self, request, context):
        return await self.act_on(
            request.item_id, lambda s, a, row, ctx: acts.object_to(s, a, row, request.reason, ctx)
        )

    @requires("item:handle")
    async def ReportProgress(self, request, context):
        return await self.act_on(
            request.item_id, lambda s, a, row, ctx: acts.report(s, a, row, request.text, ctx)
        )

    @requires("item:handle")
    async def GiveCoOpinion(self, request, context):
        return await self.act_on(
            request.item_id, lambda s, a, row, ctx: acts.give_co_opinion(s, a, row, request.opinion, ctx)
        )

    @requires("item:handle")
    async def ClaimCompletion(self, request, context):
        claim = protos.claim(request)
        return await self.act_on(
            request.item_id, lambda s, a, row, ctx: acts.claim_completion(s, a, row, claim, ctx)
        )

    @requires("item:handle")
    async def RequestExtension(self, request, context):
        due = protos.day(request.requested_due, "requested_due")
        return await self.act_on(
            request.item_id,
            lambda s, a, row, ctx: extensions.request_extension(s, a, row, due, request.reason, ctx),
        )

    @requires("item:extend")
    async def DecideExtension(self, request, context):
        return await self.act_on(
            request.item_id,
            lambda s, a, row, ctx: extensions.decide_extension(
                s, a, row, request.approve, request.opinion, ctx
            ),
            readers_only=False,
        )

    # ---- verification (A61) -----------------------------------------------------------------------

    @requires("item:verify")
    async def VerifyItem(self, request, context):
        outcome = protos.outcome(request)
        due = protos.day(request.rectification_due, "rectification_due")
        return await self.act_on(
            request.item_id,
            lambda s, a, row, ctx: acts.verify(
                s, a, row, outcome, request.opinion, request.rectification_requirement, due, ctx
            ),
        )

    @requires("item:verify")
    async def RecheckItem(self, request, context):
        outcome = protos.recheck_outcome(request)
        due = protos.day(request.rectification_due, "rectification_due")
        return await self.act_on(
            request.item_id,
            lambda s, a, row, ctx: acts.recheck(s, a, row, outcome, request.opinion, due, ctx),
        )

    @requires("item:verify")
    async def AttachEvaluation(self, request, context):
        day = protos.day(request.evaluated_on, "evaluated_on")
        return await self.act_on(
            request.item_id,
            lambda s, a, row, ctx: acts.attach_evaluation(
                s, a, row, request.evaluator, request.conclusion, request.rating, day, ctx
            ),
        )

    # ---- reading ----------------------------------------------------------------------------------

    @requires("item:read")
    async def GetItem(self, request, context):
        actor = current_actor()
        async with transaction(self.sessions) as session:
            row = await store.get_item(session, request.item_id)
            if not self.sees(actor, row):
                raise Forbidden(f"item {row.number} is not one of yours")
            return await self.reply(session, row)

    @requires("item:read")
    async def ListItems(self, request, context):
        actor = current_actor()
        page = Page.of(request.page)
        for field, value, known in (
            ("state", request.state, protos.STATE_FROM_PROTO),
            ("kind", request.kind, protos.KIND_FROM_PROTO),
            ("colour", request.colour, protos.COLOUR_FROM_PROTO),
        ):
            if value and value not in known:
                raise InvalidInput({field: f"unknown value {value}"})
        filters = store.Filters(
            state=_value(protos.STATE_FROM_PROTO, request.state),
            body_code=request.body_code.strip(),
            leader_user_id=request.leader_user_id.strip(),
            kind=_value(protos.KIND_FROM_PROTO, request.kind),
            colour=_value(protos.COLOUR_FROM_PROTO, request.colour),
            due_by=protos.day(request.due_by, "due_by"),
            open_states=tuple(s.value for s in domain.OPEN) if request.open_only else (),
        )
        after = _cursor(request.page.page_token)
        async with transaction(self.sessions) as session:
            rows = await store.list_items(session, self.scope_of(actor), filters, after, page.fetch)
            rows, token = page.cut(rows, lambda r: (str(r.year), str(r.sequence)))
            steps = await store.steps_of_many(session, [r.id for r in rows])
            items = [protos.item_to_proto(r, steps[r.id]) for r in rows]
        return pb.ListItemsResponse(items=items, page=common_pb2.PageResponse(next_page_token=token))

    # ---- accountability (A72, A76) ------------------------------------------------------------------

    async def case_reply(self, session: AsyncSession, case) -> pb.AccountabilityCase:
        item = await store.get_item(session, case.item_id)
        history = await audit.history(session, accountability.ref_of(case))
        timeline = await audit.history(session, f"item/{item.id}")
        return protos.case_to_proto(case, item.number, history, timeline)

    async def on_case(self, case_id: str, act) -> pb.AccountabilityCase:
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            case = await cases.get_case(session, case_id, for_update=True)
            number = (await store.get_item(session, case.item_id)).number
            case = await act(session, actor, case, number, ctx)
            return await self.case_reply(session, case)

    @requires("item:verify")
    async def ProposeAccountability(self, request, context):
        actor = current_actor()
        ctx = self.context()
        async with transaction(self.sessions) as session:
            item = await store.get_item(session, request.item_id, for_update=True)
            case = await accountability.propose_for_neglect(session, actor, item, request.reason, ctx)
            return await self.case_reply(session, case)

    @requires("accountability:decide")
    async def ReferAccountabilityCase(self, request, context):
        return await self.on_case(
            request.case_id,
            lambda s, a, case, number, ctx: accountability.refer(
                s, a, case, request.referred_to, request.reason, number, ctx
            ),
        )

    @requires("accountability:decide")
    async def RecordAccountabilityOutcome(self, request, context):
        return await self.on_case(
            request.case_id,
            lambda s, a, case, number, ctx: accountability.record_outcome(
                s, a, case, request.outcome, number, ctx
            ),
        )

    @requires("accountability:decide")
    async def ExemptAccountabilityCase(self, request, context):
        return await self.on_case(
            request.case_id,
            lambda s, a, case, number, ctx: accountability.exempt(s, a, case, request.reason, number, ctx),
        )

    @requires("accountability:read")
    async def GetAccountabilityCase(self, request, context):
        async with transaction(self.sessions) as session:
            return await self.case_reply(session, await cases.get_case(session, request.case_id))

    @requires("accountability:read")
    async def ListAccountabilityCases(self, request, context):
        page = Page.of(request.page)
        if request.state and request.state not in protos.ACCOUNTABILITY_STATE_FROM_PROTO:
            raise InvalidInput({"state": f"unknown value {request.state}"})
        state = protos.ACCOUNTABILITY_STATE_FROM_PROTO[request.state].value if request.state else ""
        position = decode_page_token(request.page.page_token)
        after = _case_cursor(position)
        async with transaction(self.sessions) as session:
            rows = await cases.list_cases(session, state, request.body_code.strip(), after, page.fetch)
            rows, token = page.cut(rows, lambda r: (r.created_at.isoformat(), str(r.id)))
            found = [protos.case_to_proto(r, (await store.get_item(session, r.item_id)).number) for r in rows]
        return pb.ListAccountabilityCasesResponse(
            cases=found, page=common_pb2.PageResponse(next_page_token=token)
        )


def _cursor(token: str) -> tuple[int, int] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    if len(position) != 2 or not all(p.isdigit() for p in position):
        raise InvalidInput({"page.page_token": "not a page token this service issued"})
    return int(position[0]), int(position[1])


def _value(mapping: dict, number: int) -> str:
    return mapping[number].value if number else ""


def _case_cursor(position: list[str] | None):
    if position is None:
        return None
    try:
        return datetime.fromisoformat(position[0]), str(uuid.UUID(position[1]))
    except (ValueError, IndexError):
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None
