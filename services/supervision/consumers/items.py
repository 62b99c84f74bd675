"""The event handlers that make supervision items (督查事项): a decision of signed minutes (A60–A62, A29)
and its correction (A26), a leader's instruction on a petition, and a limit passed elsewhere (a
petition's stage, a reconsideration step, a public concern, a filed document, a trip abroad) made an
urgent escalation item (督办). Each source makes at most one item (store.claim_source)."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import items as acts
from services.supervision.acts import restatements
from services.supervision.consumers.base import Handlers, actor_of, day_of
from services.supervision.domain import items as domain
from services.supervision.store import items as store
from shared.convert import CHINA
from zgov.disclosure.v1 import events_pb2 as disclosure_events  # noqa: F401 (payload types known to decode)
from zgov.disclosure.v1 import publications_pb2
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.meetings.v1 import events_pb2 as meetings_events
from zgov.meetings.v1 import meetings_pb2
from zgov.org.v1 import events_pb2 as org_events
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.petitions.v1 import petitions_pb2, reconsiderations_pb2
from zgov.petitions.v1 import reconsideration_events_pb2 as reconsideration_events

# A28 matters decided by a plenary or executive meeting: major decisions, followed after adoption (A29).
MAJOR_SERIES = {meetings_pb2.MEETING_KIND_PLENARY, meetings_pb2.MEETING_KIND_EXECUTIVE}
MAJOR_MATTERS = {
    meetings_pb2.MATTER_CATEGORY_DEVELOPMENT_PLAN,
    meetings_pb2.MATTER_CATEGORY_BUDGET,
    meetings_pb2.MATTER_CATEGORY_MAJOR_PLANNING,
    meetings_pb2.MATTER_CATEGORY_MAJOR_POLICY,
    meetings_pb2.MATTER_CATEGORY_REGULATION,
    meetings_pb2.MATTER_CATEGORY_MAJOR_FUNDING,
}
STAGE_NAMES = {
    petitions_pb2.STAGE_TRIAGE: "登记受理",
    petitions_pb2.STAGE_ACKNOWLEDGEMENT: "告知受理",
    petitions_pb2.STAGE_HANDLING: "办理",
    petitions_pb2.STAGE_REVIEW: "复查",
    petitions_pb2.STAGE_RE_REVIEW: "复核",
}
# A69: the steps of an administrative reconsideration (行政复议) with a statutory limit.
RECONSIDERATION_STEP_NAMES = {
    reconsiderations_pb2.RECONSIDERATION_STEP_ACCEPTANCE: "受理审查",
    reconsiderations_pb2.RECONSIDERATION_STEP_ANSWER: "被申请人答复",
    reconsiderations_pb2.RECONSIDERATION_STEP_DECISION: "复议决定",
}
# A57, A58: what of a trip abroad came due.
TRIP_STEP_NAMES = {
    org_events.TRIP_OVERDUE_STEP_REPORT: "出访报告",
    org_events.TRIP_OVERDUE_STEP_GIFT_HAND_OVER: "礼品上缴",
}
LIMIT_NAMES = {
    publications_pb2.CONCERN_LIMIT_RESPONSE: "回应",
    publications_pb2.CONCERN_LIMIT_PRESS_CONFERENCE: "新闻发布会",
}


class ItemConsumers(Handlers):
    # ---- meetings ---------------------------------------------------------------------------------

    def decision_item(self, decision: meetings_pb2.Decision, lead: str) -> domain.NewItem:
        major = decision.series in MAJOR_SERIES and decision.category in MAJOR_MATTERS
        text = decision.text.strip()
        return domain.NewItem(
            kind=domain.Kind.MAJOR_DECISION if major else domain.Kind.MEETING_DECISION,
            title=f"{decision.reference} {text[:60]}".strip()[:200],
            requirement=text or decision.reference,
            source_service="meetings",
            source_ref=f"decision/{decision.id}",
            source_reference=decision.reference,
            due=day_of(decision.due),
            lead_body_code=lead,
        )

    async def on_decision(
        self, session: AsyncSession, envelope, event: meetings_events.DecisionRecorded
    ) -> None:
        decision = event.decision
        ctx = self.context()
        known = await store.item_of_source(session, "meetings", f"decision/{decision.id}", for_update=True)
        if known is not None:
            # an item moved here from the decision this one restates, before this event arrived
            if not known.source_reference:
                await restatements.restate(
                    session,
                    actor_of(envelope),
                    known,
                    decision.reference,
                    decision.text.strip(),
                    day_of(decision.due),
                    ctx,
                )
            return
        new = self.decision_item(decision, await self._lead(decision.owner_organisation_code))
        await acts.register(session, actor_of(envelope), new, ctx, by_hand=False)

    async def on_superseded(
        self, session: AsyncSession, envelope, event: meetings_events.DecisionSuperseded
    ) -> None:
        """A26: the item follows the restating decision; a withdrawn decision withdraws its item."""
        old = event.decision
        ctx = self.context()
        actor = actor_of(envelope)
        row = await store.item_of_source(session, "meetings", f"decision/{old.id}", for_update=True)
        if row is None or domain.State(row.state) is domain.State.WITHDRAWN:
            return
        new_id = old.superseded_by_decision_id
        if not new_id:
            if domain.State(row.state) in domain.OPEN:
                await restatements.withdraw(
                    session, actor, row, f"{old.reference} withdrawn by corrected minutes", ctx
                )
            return
        new_ref = f"decision/{new_id}"
        twin = await store.item_of_source(session, "meetings", new_ref, for_update=True)
        if twin is not None and twin.id != row.id:
            # the restating decision arrived first and made its own item: keep the older one (its
            # reports and steps), take the new decision's text, withdraw the twin
            await store.move_source(session, "meetings", new_ref, row.id)
            await restatements.move_to_source(
                session,
                actor,
                row,
                "meetings",
                new_ref,
                twin.source_reference,
                ctx,
                text=twin.requirement,
                due=twin.due,
            )
            if domain.State(twin.state) in domain.OPEN:
                await restatements.withdraw(
                    session, actor, twin, f"the same decision is followed by {row.number}", ctx
                )
            return
        if twin is None:
            await store.claim_source(session, "meetings", new_ref, row.id)
            # the text follows when meetings.decision.recorded of the new decision arrives
            await restatements.move_to_source(session, actor, row, "meetings", new_ref, "", ctx)

    # ---- petitions --------------------------------------------------------------------------------

    async def on_instructed(
        self, session: AsyncSession, envelope, event: petitions_events.CaseLeaderInstructed
    ) -> None:
        case = event.case
        actor = actor_of(envelope)
        acting = actor.user_id if actor.on_behalf_of_user_id == event.leader_user_id else ""
        instructed_on = day_of(event.instructed_on) or self.today()
        new = domain.NewItem(
            kind=domain.Kind.LEADER_INSTRUCTION,
            title=f"信访事项{case.number}领导批示",
            requirement=event.instruction.strip() or "按领导批示办理",
            source_service="petitions",
            source_ref=f"case/{case.case_id}/instruction/{event.leader_user_id}/{instructed_on.isoformat()}",
            source_reference=case.number,
            due=day_of(event.due),
            instructing_leader_user_id=event.leader_user_id,
            instructed_by_acting_user_id=acting,
            lead_body_code=await self._lead(case.handling_body_code),
        )
        await acts.register(session, actor, new, self.context(), by_hand=False)

    async def _escalate(self, session: AsyncSession, envelope, lead_body_code: str, **item) -> None:
        """A step past its limit elsewhere becomes one urgent escalation item (督办), once per source_ref."""
        new = domain.NewItem(
            kind=domain.Kind.OVERDUE_ESCALATION,
            urgency=domain.Urgency.URGENT,
            lead_body_code=await self._lead(lead_body_code),
            **item,
        )
        await acts.register(session, actor_of(envelope), new, self.context(), by_hand=False)

    async def on_case_overdue(
        self, session: AsyncSession, envelope, event: petitions_events.CaseOverdue
    ) -> None:
        case = event.case
        stage = STAGE_NAMES.get(event.stage, "办理")
        await self._escalate(
            session,
            envelope,
            event.responsible_body_code,
            title=f"信访事项{case.number}{stage}逾期",
            requirement=f"信访事项{case.number}{stage}期限已过（{day_of(event.due)}），督促办理并报告",
            source_service="petitions",
            source_ref=f"case/{case.case_id}/overdue/{event.stage}",
            source_reference=case.number,
        )

    async def on_reconsideration_overdue(
        self, session: AsyncSession, envelope, event: reconsideration_events.ReconsiderationOverdue
    ) -> None:
        """A69: a reconsideration step (acceptance check, the respondent's answer, the decision) passed
        its statutory limit; the body that must act is urged. The event carries no applicant and no
        request text (A80), so neither does the item."""
        application = event.reconsideration
        step = RECONSIDERATION_STEP_NAMES.get(event.step, "办理")
        received = day_of(application.received_on)
        due = day_of(event.due)
        reference = f"行政复议申请（{received}收到）" if received else "行政复议申请"
        await self._escalate(
            session,
            envelope,
            event.responsible_body_code,
            title=f"行政复议{step}逾期：{reference}",
            requirement=f"{reference}{step}法定期限已过（{due}），督促依法办理并报告",
            source_service="petitions",
            source_ref=f"reconsideration/{application.reconsideration_id}/overdue/{event.step}",
            source_reference=reference,
        )

    # ---- disclosure -------------------------------------------------------------------------------

    async def on_concern_overdue(
        self, session: AsyncSession, envelope, event: disclosure_events.ConcernOverdue
    ) -> None:
        concern = event.concern
        limit = LIMIT_NAMES.get(event.limit, "回应")
        due = (
            concern.response_due.ToDatetime(tzinfo=UTC).astimezone(CHINA).date()
            if concern.HasField("response_due")
            else None
        )
        department = concern.department_name or "责任单位"
        await self._escalate(
            session,
            envelope,
            concern.department_code,
            title=f"政务舆情关切{limit}逾期：{concern.summary[:60]}",
            requirement=f"关切事项{limit}期限已过{f'（{due}）' if due else ''}，督促{department}调查核实并回应："
            f"{concern.summary}",
            source_service="disclosure",
            source_ref=f"concern/{concern.id}/overdue/{event.limit}",
        )

    # ---- documents --------------------------------------------------------------------------------

    async def on_document_overdue(
        self, session: AsyncSession, envelope, event: documents_events.DocumentOverdue
    ) -> None:
        """A53: the document's handling limit passed while it waits for the office's check or the
        leader's decision; the general office is urged (the routed leader is named in the text)."""
        document = event.document
        due = day_of(event.handling_due)
        waiting = "领导批示" if document.state == documents_pb2.DOCUMENT_STATE_ROUTED else "办公室审核"
        await self._escalate(
            session,
            envelope,
            self.general_office_code,
            title=f"公文办理逾期：{document.content.title[:60]}",
            requirement=f"来文《{document.content.title}》办理时限已过（{due}），尚待{waiting}，督促按时办结",
            source_service="documents",
            source_ref=f"document/{document.id}/overdue/{due}",
            source_reference=document.content.title[:200],
        )

    # ---- org --------------------------------------------------------------------------------------

    async def on_trip_overdue(self, session: AsyncSession, envelope, event: org_events.TripOverdue) -> None:
        """A57, A58: the report after a trip abroad, or the hand-over of a gift received on it, passed
        its limit; the body that sent the trip is urged (the member who must act is named)."""
        trip = event.trip
        step = TRIP_STEP_NAMES.get(event.step, "出访事项")
        due = day_of(event.due)
        countries = "、".join(trip.countries)
        what = f"因公出国（境）{countries}（{day_of(trip.first_day)}至{day_of(trip.last_day)}）"
        who = next((m.name for m in trip.members if m.user_id == event.responsible_user_id), "")
        gift = next((g for g in trip.gifts if g.id == event.gift_id), None)
        thing = f"所收礼品“{gift.description}”（{gift.giver}赠）上缴" if gift else step
        ref = f"trip/{trip.id}/overdue/{event.step}" + (f"/{event.gift_id}" if event.gift_id else "")
        await self._escalate(
            session,
            envelope,
            event.responsible_body_code,
            title=f"{step}逾期：{what}"[:200],
            requirement=f"{what}{thing}期限已过（{due}），督促{who or '相关人员'}按规定办理并报告",
            source_service="org",
            source_ref=ref,
            source_reference=trip.purpose[:200],
        )
