"""What the supervision service does with other services' events (durable, idempotent consumers of
shared/consumer.py: each message has its effect once, in one transaction with its processed id).

  meetings.decision.recorded      a decision of signed minutes → one item (A60–A62); a decision of a
                                  plenary or executive meeting on an A28 matter is a major decision (A29)
  meetings.decision.superseded    corrected minutes (A26): the item follows the restating decision,
                                  or is withdrawn with the decision
  petitions.case.leader-instructed  a leader's instruction (批示) on a petition → one item, lead body
                                  the case's handling body, instructing leader (and acting holder, A10/A59)
  petitions.case.overdue          a petition past a limit → one overdue item per case and stage
  disclosure.concern.overdue      a public concern past a limit → one overdue item per concern and limit
  documents.document.overdue      a filed document past its A53 handling limit → one overdue item per
                                  document and limit, led by the general office (it runs the handling)
  petitions.reconsideration.overdue  an administrative reconsideration step past its statutory limit
                                  (A69) → one overdue item per application and step, led by the body
                                  that must act (the reconsideration office, or the respondent body
                                  for its answer)
  org.attendance.decided          a city leader agreed to attend an inspection or research visit
                                  (调研、视察, A54) → one research day of his on its day (A31), once per
                                  attendance (`research_visit.source_ref`), once per calendar day
                                  (a day entered by hand too is corroborated, not counted twice)
  org.attendance.outcome_recorded the office recorded whether he attended it: not attended, the day
                                  is counted no more (`research_visit.attended`, migration 0016)
  org.trip.overdue                a trip abroad's report after return (A57) or a gift's hand-over
                                  (A58) past its limit → one overdue item per trip and step (and
                                  gift), led by the body that sent the trip

Facts for the computed performance indicators (A64, acts/performance.py `record_fact`), one per source:
  petitions.case.replied          a reply of the handling body, on time or late (MEASURE_PETITIONS_ON_TIME)
  petitions.case.rated            the petitioner's rating of the reply, the latest counting
                                  (MEASURE_PETITIONS_SATISFIED)
  documents.countersign.answered  a countersign answered in time by the body asked (A49) …
  documents.countersign.deemed-agreed  … or left to deemed agreement (MEASURE_COUNTERSIGNS_ANSWERED);
                                  both batch handlers: a fetch's facts in one statement (documents'
                                  countersign clock deems all that fell due in one round, a burst)
  disclosure.application.replied  an application for information answered by the body that handled it,
                                  within the legal limit or late (MEASURE_DISCLOSURE_REPLIES_ON_TIME);
                                  an event from before it named the body counts nowhere (logged once)

Who sent it: shared/consumer.py refuses (dead-letters, no effect) an envelope whose producer, own
subject or payload does not match the subject it came on, so only the owning service's own event
reaches a handler here. A source (service + ref) makes at most one item (store.claim_source), so
a replayed event — a new message id for the same decision — also changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import items as acts
from services.supervision.acts import performance as performance_acts
from services.supervision.acts import research as research_acts
from services.supervision.acts.people import People
from services.supervision.domain import items as domain
from services.supervision.domain.performance import Fact, Measure
from services.supervision.domain.research import Visit
from services.supervision.store import items as store
from shared.consumer import Event, batch_handler
from shared.convert import CHINA, date_from_proto
from shared.workdays import WorkingCalendar
from zgov.disclosure.v1 import events_pb2 as disclosure_events  # noqa: F401 (payload types known to decode)
from zgov.disclosure.v1 import applications_pb2, publications_pb2
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.events.v1 import envelope_pb2
from zgov.meetings.v1 import events_pb2 as meetings_events
from zgov.meetings.v1 import meetings_pb2
from zgov.org.v1 import events_pb2 as org_events
from zgov.org.v1 import org_pb2
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.petitions.v1 import petitions_pb2, reconsiderations_pb2
from zgov.petitions.v1 import reconsideration_events_pb2 as reconsideration_events

log = structlog.get_logger(__name__)

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


def _actor(envelope: envelope_pb2.EventEnvelope):
    return envelope.actor if envelope.HasField("actor") and envelope.actor.user_id else acts.SYSTEM_ACTOR


def _day(value) -> date | None:
    return date_from_proto(value, "date", required=False)


def _sent_on(envelope: envelope_pb2.EventEnvelope, today: date) -> date:
    """The day in China the event happened (its envelope's time), else today."""
    if not envelope.HasField("occurred_at"):
        return today
    return envelope.occurred_at.ToDatetime(tzinfo=UTC).astimezone(CHINA).date()


# A31: what org reported of an agreed inspection (attended or not).
ATTENDED = {org_pb2.ATTENDANCE_STATE_ATTENDED: True, org_pb2.ATTENDANCE_STATE_NOT_ATTENDED: False}
SATISFIED = {petitions_pb2.SATISFACTION_SATISFIED, petitions_pb2.SATISFACTION_BASICALLY_SATISFIED}


@dataclass
class EventConsumers:
    """The handlers, with what the acts need."""

    cal: WorkingCalendar
    limits: domain.Limits
    people: People
    today: Callable[[], date]
    # A53: the body that runs the handling of filed documents (the general office, 市政府办公室).
    general_office_code: str = "general-office"
    # An application's reply from before the event named its body was logged (once per process).
    unattributed_reply_logged: bool = field(default=False, init=False)

    def context(self) -> acts.Context:
        return acts.Context(self.cal, self.today(), self.limits, self.people)

    def subscriptions(self) -> list[tuple[str, str, str, Callable]]:
        """(stream, durable name, subject, handler) of every consumer."""
        return [
            ("MEETINGS", "supervision-decision-recorded", "meetings.decision.recorded", self.on_decision),
            (
                "MEETINGS",
                "supervision-decision-superseded",
                "meetings.decision.superseded",
                self.on_superseded,
            ),
            (
                "PETITIONS",
                "supervision-leader-instructed",
                "petitions.case.leader-instructed",
                self.on_instructed,
            ),
            ("PETITIONS", "supervision-case-overdue", "petitions.case.overdue", self.on_case_overdue),
            (
                "DISCLOSURE",
                "supervision-concern-overdue",
                "disclosure.concern.overdue",
                self.on_concern_overdue,
            ),
            (
                "DOCUMENTS",
                "supervision-document-overdue",
                "documents.document.overdue",
                self.on_document_overdue,
            ),
            (
                "PETITIONS",
                "supervision-reconsideration-overdue",
                "petitions.reconsideration.overdue",
                self.on_reconsideration_overdue,
            ),
            ("ORG", "supervision-trip-overdue", "org.trip.overdue", self.on_trip_overdue),
            # A31: a city leader's agreed inspection or research visit (调研、视察) is a research day
            ("ORG", "supervision-attendance-decided", "org.attendance.decided", self.on_attendance_decided),
            (
                "ORG",
                "supervision-attendance-outcome",
                "org.attendance.outcome_recorded",
                self.on_attendance_outcome,
            ),
            # A64: facts for the computed performance indicators
            ("PETITIONS", "supervision-case-replied", "petitions.case.replied", self.on_case_replied),
            ("PETITIONS", "supervision-case-rated", "petitions.case.rated", self.on_case_rated),
            (
                "DOCUMENTS",
                "supervision-countersign-answered",
                "documents.countersign.answered",
                batch_handler(self.on_countersigns_answered),
            ),
            (
                "DOCUMENTS",
                "supervision-countersign-deemed-agreed",
                "documents.countersign.deemed-agreed",
                batch_handler(self.on_countersigns_deemed_agreed),
            ),
            (
                "DISCLOSURE",
                "supervision-application-replied",
                "disclosure.application.replied",
                self.on_application_replied,
            ),
        ]

    async def _lead(self, code: str) -> str:
        """A body the directory knows, else none: the office assigns the item by hand then."""
        return code if code and await self.people.known_body(code) else ""

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
            due=_day(decision.due),
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
                await acts.restate(
                    session,
                    _actor(envelope),
                    known,
                    decision.reference,
                    decision.text.strip(),
                    _day(decision.due),
                    ctx,
                )
            return
        new = self.decision_item(decision, await self._lead(decision.owner_organisation_code))
        await acts.register(session, _actor(envelope), new, ctx, by_hand=False)

    async def on_superseded(
        self, session: AsyncSession, envelope, event: meetings_events.DecisionSuperseded
    ) -> None:
        """A26: the item follows the restating decision; a withdrawn decision withdraws its item."""
        old = event.decision
        ctx = self.context()
        actor = _actor(envelope)
        row = await store.item_of_source(session, "meetings", f"decision/{old.id}", for_update=True)
        if row is None or domain.State(row.state) is domain.State.WITHDRAWN:
            return
        new_id = old.superseded_by_decision_id
        if not new_id:
            if domain.State(row.state) in domain.OPEN:
                await acts.withdraw(
                    session, actor, row, f"{old.reference} withdrawn by corrected minutes", ctx
                )
            return
        new_ref = f"decision/{new_id}"
        twin = await store.item_of_source(session, "meetings", new_ref, for_update=True)
        if twin is not None and twin.id != row.id:
            # the restating decision arrived first and made its own item: keep the older one (its
            # reports and steps), take the new decision's text, withdraw the twin
            await store.move_source(session, "meetings", new_ref, row.id)
            await acts.move_to_source(
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
                await acts.withdraw(
                    session, actor, twin, f"the same decision is followed by {row.number}", ctx
                )
            return
        if twin is None:
            await store.claim_source(session, "meetings", new_ref, row.id)
            # the text follows when meetings.decision.recorded of the new decision arrives
            await acts.move_to_source(session, actor, row, "meetings", new_ref, "", ctx)

    # ---- petitions --------------------------------------------------------------------------------

    async def on_instructed(
        self, session: AsyncSession, envelope, event: petitions_events.CaseLeaderInstructed
    ) -> None:
        case = event.case
        actor = _actor(envelope)
        acting = actor.user_id if actor.on_behalf_of_user_id == event.leader_user_id else ""
        instructed_on = _day(event.instructed_on) or self.today()
        new = domain.NewItem(
            kind=domain.Kind.LEADER_INSTRUCTION,
            title=f"信访事项{case.number}领导批示",
            requirement=event.instruction.strip() or "按领导批示办理",
            source_service="petitions",
            source_ref=f"case/{case.case_id}/instruction/{event.leader_user_id}/{instructed_on.isoformat()}",
            source_reference=case.number,
            due=_day(event.due),
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
        await acts.register(session, _actor(envelope), new, self.context(), by_hand=False)

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
            requirement=f"信访事项{case.number}{stage}期限已过（{_day(event.due)}），督促办理并报告",
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
        received = _day(application.received_on)
        due = _day(event.due)
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
        due = _day(event.handling_due)
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
        due = _day(event.due)
        countries = "、".join(trip.countries)
        what = f"因公出国（境）{countries}（{_day(trip.first_day)}至{_day(trip.last_day)}）"
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

    async def _visit(self, attendance: org_pb2.EventAttendance) -> Visit:
        """The research day an inspection (调研、视察) a county or department asked for is (A31, A54)."""
        host = attendance.requesting_organisation_code
        return Visit(
            leader_user_id=attendance.leader_user_id,
            started_on=_day(attendance.event_day),
            days=1,
            place=attendance.venue,
            county_codes=(host,) if host in await self.people.counties() else (),
            purpose=attendance.title,
            reporting_meeting=None,
        )

    async def on_attendance_decided(
        self, session: AsyncSession, envelope, event: org_events.EventAttendanceDecided
    ) -> None:
        """A31: a city leader agreed to attend an inspection or research visit (调研、视察) a county or
        department asked for (A54); its day becomes one research day of his, counted once it has come
        (and once for his calendar day). Any other kind of event, or a decline, is no research."""
        attendance = event.attendance
        if (
            attendance.state != org_pb2.ATTENDANCE_STATE_AGREED
            or attendance.activity_kind != org_pb2.ACTIVITY_KIND_INSPECTION
        ):
            return
        await research_acts.record_visit_from_org(
            session,
            _actor(envelope),
            await self._visit(attendance),
            f"org/attendance/{attendance.id}",
            self.people,
        )

    async def on_attendance_outcome(
        self, session: AsyncSession, envelope, event: org_events.EventAttendanceOutcomeRecorded
    ) -> None:
        """A31: the general office recorded whether the leader attended the inspection he agreed to:
        attended, its day counts; not attended, it no longer does (whichever of the two events comes
        first, the visit is one per attendance)."""
        attendance = event.attendance
        outcome = ATTENDED.get(attendance.state)
        if outcome is None or attendance.activity_kind != org_pb2.ACTIVITY_KIND_INSPECTION:
            return
        await research_acts.record_attendance_outcome(
            session,
            _actor(envelope),
            await self._visit(attendance),
            f"org/attendance/{attendance.id}",
            outcome,
            self.people,
        )

    # ---- facts for the computed performance indicators (A64) ----------------------------------------

    async def on_case_replied(
        self, session: AsyncSession, envelope, event: petitions_events.CaseReplied
    ) -> None:
        case = event.case
        replied_on = _day(event.replied_on) or _sent_on(envelope, self.today())
        fact = Fact(
            Measure.PETITIONS_ON_TIME,
            f"case/{case.case_id}/reply/{replied_on.isoformat()}",
            case.handling_body_code,
            not event.late,
            replied_on,
        )
        await performance_acts.record_fact(session, fact)

    async def on_case_rated(self, session: AsyncSession, envelope, event: petitions_events.CaseRated) -> None:
        case = event.case
        fact = Fact(
            Measure.PETITIONS_SATISFIED,
            f"case/{case.case_id}/rating",
            case.handling_body_code,
            event.satisfaction in SATISFIED,
            _sent_on(envelope, self.today()),
        )
        await performance_acts.record_fact(session, fact, latest=True)

    def _countersign(self, envelope, document_id: str, countersign, answered: bool) -> Fact:
        on = (_day(countersign.answered_on) if answered else None) or _sent_on(envelope, self.today())
        return Fact(
            Measure.COUNTERSIGNS_ANSWERED,
            f"document/{document_id}/countersign/{countersign.organisation_code}",
            countersign.organisation_code,
            answered,
            on,
        )

    async def on_countersigns_answered(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """A batch handler (shared/consumer.py): the facts of a fetch's events in one statement."""
        facts = [
            self._countersign(e.envelope, e.payload.document_id, e.payload.countersign, answered=True)
            for e in events
        ]
        await performance_acts.record_facts(session, facts)

    async def on_countersigns_deemed_agreed(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """A49: no answer by the limit counts as no objection, and against the body's indicator. A
        batch handler: documents' countersign clock deems every countersign fallen due in one round,
        so these events come in bursts; their facts are recorded in one statement."""
        facts = [
            self._countersign(e.envelope, e.payload.document_id, e.payload.countersign, answered=False)
            for e in events
        ]
        await performance_acts.record_facts(session, facts)

    async def on_application_replied(
        self, session: AsyncSession, envelope, event: applications_pb2.ApplicationReplied
    ) -> None:
        """OGI art. 33: an application for information answered within the legal limit or late, counted
        for the body that handled it. An event published before it named that body is counted nowhere:
        said once in the log, not retried (it will never name one)."""
        if not event.handling_body_code:
            if not self.unattributed_reply_logged:
                self.unattributed_reply_logged = True
                log.warning(
                    "a disclosure reply names no handling body (published before it did): not counted",
                    application_id=event.application.application_id,
                )
            return
        replied_on = _day(event.replied_on) or _sent_on(envelope, self.today())
        fact = Fact(
            Measure.DISCLOSURE_REPLIES_ON_TIME,
            f"application/{event.application.application_id}/reply",
            event.handling_body_code,
            not event.late,
            replied_on,
        )
        await performance_acts.record_fact(session, fact)
