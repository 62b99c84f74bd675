"""What the notify service does with other services' events (durable, idempotent consumers of
shared/consumer.py: each message has its effect once, in one transaction with its processed id).
Each event that names a person or a body to act becomes notices (domain/notices.py: one method per
subject below, the only mapping event → notices), planned into deliveries (acts/notices.py) that the
dispatcher sends. Those events come in bursts (other services' sweeps: escalations, overdue cases,
countersigns due), so each such consumer is a batch handler (shared/consumer.py `batch_handler`):
the notices of a whole fetch are planned with one `plan_all` — one read of the recipients'
preferences and one insert, not two statements per event; a fetch whose planning fails is planned
again one event at a time by the consumer, so one bad event is retried and dead-lettered alone.

  meetings.topic.refused            the filing department's contact (议题未获同意)
  meetings.meeting.scheduled        members and invitees (or who acts for them); an emergency
                                    meeting (A42) is urgent
  documents.countersign.due         the countersigning body's contact: answer today or it counts as
                                    no objection (A49); urgent
  documents.document.routed         the leader who signs (A50), or who acts for the leader (A10, A59)
  org.leave.approved                the person on leave (low) and the acting holder (normal)
  org.trip.overdue                  a trip abroad's report (A57) or a gift's hand-over (A58) past its
                                    limit: the member who must act, in person (his own duty, not his
                                    position's: no stand-in), the body that sent the trip and the
                                    general office (which keeps the reports and records hand-overs);
                                    urgent
  supervision.item.assigned         the lead body's contact and its first responsible person (A60)
  supervision.item.escalated        the step's recipient (supervision already chose the acting
                                    holder) and body; reminders past due (催办) and escalations urgent
  supervision.circular.requested    the supervision office's contact: the month's circular (A61) goes
                                    to documents to be drafted, signed and issued; low
  petitions.case.assigned           the handling body's contact: the case number and a link only
  petitions.case.overdue            the responsible body's contact; urgent; number and link only
  disclosure.concern.overdue        the investigating department's contact; urgent

Citizens, only with their consent (acts/consent.py, domain/consent.py): the state changes of a
petition (petitions.case.accepted, .not-accepted, .transferred, .legal-route, .extended, .replied,
.reviewed) and of an application for information (disclosure.application.received,
.completion-requested, .extended, .replied, .lapsed) reach the citizen who agreed to be told of
that case, by the channels agreed: the number and the new state, and a link to the portal — held
through the consent's quiet hours unless the citizen must act by a near day (a request to complete an
application names the day: urgent).

Not yet: disclosure publishes no "application near its limit" event, so applications are not
notified (services/notify/README.md).

Who sent it: shared/consumer.py refuses (dead-letters, no effect) an envelope whose producer, own
subject or payload does not match the subject it came on, so only the owning service's own event
reaches a handler here. The deliveries are unique per event, person and channel, so a replayed
event sends nothing twice either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from google.protobuf.message import Message
from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.acts import consent as citizen_acts
from services.notify.acts import notices as acts
from services.notify.acts.people import People
from services.notify.domain import consent as consent_domain
from services.notify.domain import privacy
from services.notify.domain.consent import CaseKind
from services.notify.domain.notices import Channel, Kind, Notice, Target, Urgency
from shared.convert import CHINA, date_from_proto
from shared.consumer import BatchHandler, Event, batch_handler
from shared.errors import InvalidInput
from zgov.disclosure.v1 import applications_pb2  # noqa: F401  (payload types known to decode)
from zgov.disclosure.v1 import events_pb2 as disclosure_events
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.events.v1 import envelope_pb2
from zgov.meetings.v1 import events_pb2 as meetings_events
from zgov.org.v1 import events_pb2 as org_events
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.supervision.v1 import circulars_pb2 as supervision_circulars
from zgov.supervision.v1 import events_pb2 as supervision_events
from zgov.supervision.v1 import supervision_pb2

Envelope = envelope_pb2.EventEnvelope
# An event's notices (the mapping event → notices, one method per subject below); planned by `planned`.
NoticesOf = Callable[[Envelope, Message], list[Notice]]
# The day a citizen must act by, where a state change asks him or her to act (its field in the event).
CITIZEN_ACT_BY = {"disclosure.application.completion-requested": "completion_due"}
URGENT_STEPS = {
    supervision_pb2.ESCALATION_STEP_URGED,
    supervision_pb2.ESCALATION_STEP_TO_SUPERVISING_LEADER,
    supervision_pb2.ESCALATION_STEP_TO_MAYOR,
}
STEP_NAMES = {
    supervision_pb2.ESCALATION_STEP_WARNED: "预警",
    supervision_pb2.ESCALATION_STEP_REMINDED: "到期提醒",
    supervision_pb2.ESCALATION_STEP_REPORT_MISSED: "未按时报送进展（黄灯）",
    supervision_pb2.ESCALATION_STEP_URGED: "逾期催办（红灯）",
    supervision_pb2.ESCALATION_STEP_TO_SUPERVISING_LEADER: "逾期报分管领导",
    supervision_pb2.ESCALATION_STEP_TO_MAYOR: "逾期报市长",
    supervision_pb2.ESCALATION_STEP_ACCOUNTABILITY_PROPOSED: "建议问责",
}


def _act_by(subject: str, event) -> date | None:
    """The day the citizen must act by, when the change asks him or her to act; a day the event got
    wrong is left out (the message still goes, not urgent) rather than the message lost."""
    field = CITIZEN_ACT_BY.get(subject)
    if not field:
        return None
    try:
        return date_from_proto(getattr(event, field), field, required=False)
    except InvalidInput:
        return None


def _day(value) -> str:
    day = date_from_proto(value, "date", required=False)
    return day.isoformat() if day else ""


@dataclass
class EventConsumers:
    """The handlers, with what the acts need."""

    people: People
    offered: frozenset[Channel]
    link_base: str
    now: Callable[[], datetime]
    woken: Callable[[], None] = lambda: None  # the dispatcher, once the deliveries are committed
    # the portal's address, for the links in citizens' messages
    portal_base: str = "https://www.ziyang.gov.cn"
    # The general office (市政府办公室): keeps trips' reports and records gifts handed over (org trip:gifts).
    office_code: str = "general-office"

    def subscriptions(self) -> list[tuple[str, str, str, Callable]]:
        """(stream, durable name, subject, handler) of every consumer: the officers' (a fetch planned at
        once, `planned`), then the citizens' (per event)."""
        return [
            (stream, durable, subject, self.planned(notices_of))
            for stream, durable, subject, notices_of in self.officer_subscriptions()
        ] + self.citizen_subscriptions()

    def officer_subscriptions(self) -> list[tuple[str, str, str, NoticesOf]]:
        """(stream, durable name, subject, the event's notices) of the events that tell officers: they
        come in bursts (other services' sweeps), so a fetch of them is planned at once."""
        return [
            ("MEETINGS", "notify-topic-refused", "meetings.topic.refused", self.topic_refused),
            ("MEETINGS", "notify-meeting-scheduled", "meetings.meeting.scheduled", self.meeting_scheduled),
            ("DOCUMENTS", "notify-countersign-due", "documents.countersign.due", self.countersign_due),
            ("DOCUMENTS", "notify-document-routed", "documents.document.routed", self.document_routed),
            ("ORG", "notify-leave-approved", "org.leave.approved", self.leave_approved),
            ("ORG", "notify-trip-overdue", "org.trip.overdue", self.trip_overdue),
            ("SUPERVISION", "notify-item-assigned", "supervision.item.assigned", self.item_assigned),
            ("SUPERVISION", "notify-item-escalated", "supervision.item.escalated", self.item_escalated),
            (
                "SUPERVISION",
                "notify-circular-requested",
                "supervision.circular.requested",
                self.circular_requested,
            ),
            ("PETITIONS", "notify-case-assigned", "petitions.case.assigned", self.case_assigned),
            ("PETITIONS", "notify-case-overdue", "petitions.case.overdue", self.case_overdue),
            ("DISCLOSURE", "notify-concern-overdue", "disclosure.concern.overdue", self.concern_overdue),
        ]

    def handler(self, subject: str) -> Callable:
        """The handler of a subject, as subscriptions() gives it to its consumer."""
        return next(h for _, _, s, h in self.subscriptions() if s == subject)

    def citizen_subscriptions(self) -> list[tuple[str, str, str, Callable]]:
        """One durable consumer per state change a citizen may be told of (notify-citizen-<event>)."""
        found = []
        for kind, stream, states in (
            (CaseKind.PETITION, "PETITIONS", consent_domain.PETITION_STATES),
            (CaseKind.APPLICATION, "DISCLOSURE", consent_domain.APPLICATION_STATES),
        ):
            for subject, state in states.items():
                durable = "notify-citizen-" + "-".join(subject.split(".")[1:])
                found.append((stream, durable, subject, self.on_citizen_case(kind, state)))
        return found

    def on_citizen_case(self, kind: CaseKind, state: str) -> Callable:
        follow = {CaseKind.PETITION: "petitions/follow", CaseKind.APPLICATION: "applications/follow"}[kind]

        async def handle(session, envelope, event) -> None:
            case_id = event.case.case_id if kind is CaseKind.PETITION else event.application.application_id
            link = f"{self.portal_base.rstrip('/')}/{follow}"
            planned = await citizen_acts.plan(
                session,
                envelope.event_id,
                envelope.subject,
                kind,
                case_id,
                state,
                link,
                self.offered,
                self.now(),
                envelope.occurred_at.ToDatetime(UTC) if envelope.HasField("occurred_at") else None,
                _act_by(envelope.subject, event),
            )
            if planned:
                orm_event.listen(session.sync_session, "after_commit", lambda _: self.woken(), once=True)

        return handle

    def link(self, path: str) -> str:
        return f"{self.link_base.rstrip('/')}/{path}"

    def notice(
        self,
        envelope: Envelope,
        kind: Kind,
        urgency: Urgency,
        title: str,
        text: str,
        link: str,
        targets: list[Target],
        classified: bool = False,
    ) -> Notice:
        """The event's notice to the targets it names (a target naming nobody is left out)."""
        return Notice(
            envelope.event_id,
            envelope.subject,
            envelope.producer or envelope.subject.split(".")[0],
            kind,
            urgency,
            title,
            text,
            link,
            tuple(t for t in targets if t.user_id or t.body_code),
            classified,
        )

    def planned(self, notices_of: NoticesOf) -> BatchHandler:
        """The handler of one subject: the notices of a fetch's events (`notices_of`, per event, the
        mapping event → notices) planned together, with one read of the preferences and one insert
        (acts.notices.plan_all). Called with one event (the consumer's fallback, a fetch of one) it
        plans that event's notices alone."""

        async def apply(session: AsyncSession, events: Sequence[Event]) -> None:
            notices = [n for e in events for n in notices_of(e.envelope, e.payload)]
            now = self.now()
            day = now.astimezone(CHINA).date()
            if await acts.plan_all(session, notices, self.people, self.offered, now, day):
                orm_event.listen(session.sync_session, "after_commit", lambda _: self.woken(), once=True)

        return batch_handler(apply)

    # ---- meetings ---------------------------------------------------------------------------------

    def topic_refused(self, envelope: Envelope, event: meetings_events.TopicRefused) -> list[Notice]:
        topic = event.topic
        return [
            self.notice(
                envelope,
                Kind.MEETING,
                Urgency.NORMAL,
                f"议题未获同意：{topic.title}",
                f"贵单位报送的议题《{topic.title}》未列入会议议程。{topic.decision_reason}".strip(),
                self.link(f"meetings/topics/{topic.id}"),
                [Target(body_code=topic.owning_organisation_code)],
            )
        ]

    def meeting_scheduled(self, envelope: Envelope, event: meetings_events.MeetingScheduled) -> list[Notice]:
        m = event.meeting
        people = list(dict.fromkeys([*m.member_user_ids, *m.invitee_user_ids]))
        when = f"{_day(m.day)} {m.start_time}".strip()
        return [
            self.notice(
                envelope,
                Kind.MEETING,
                Urgency.URGENT if m.emergency else Urgency.NORMAL,
                f"{'紧急' if m.emergency else ''}会议通知：{m.title}",
                f"{m.title}定于{when}在{m.location or '另行通知的地点'}召开，请准时参加。",
                self.link(f"meetings/{m.id}"),
                [Target(user_id=u) for u in people],
            )
        ]

    # ---- documents --------------------------------------------------------------------------------

    def countersign_due(self, envelope: Envelope, event: documents_events.CountersignDue) -> list[Notice]:
        return [
            self.notice(
                envelope,
                Kind.DOCUMENT,
                Urgency.URGENT,
                "会签今日到期",
                "一件公文的会签今日到期，逾期未答复视为无不同意见（A49）。",
                self.link(f"documents/{event.document_id}/countersign"),
                [Target(body_code=event.countersign.organisation_code)],
            )
        ]

    def document_routed(self, envelope: Envelope, event: documents_events.DocumentRouted) -> list[Notice]:
        content = event.document.content
        urgent = content.urgency in (documents_pb2.URGENCY_URGENT, documents_pb2.URGENCY_EXTRA_URGENT)
        classified = content.classification > documents_pb2.CLASSIFICATION_NONE
        return [
            self.notice(
                envelope,
                Kind.DOCUMENT,
                Urgency.URGENT if urgent else Urgency.NORMAL,
                f"待签批公文：{content.title}",
                f"公文《{content.title}》已呈送，请审签。",
                self.link(f"documents/{event.document.id}"),
                [Target(user_id=event.leader_user_id)],
                classified=classified,
            )
        ]

    # ---- org --------------------------------------------------------------------------------------

    def leave_approved(self, envelope: Envelope, event: org_events.LeaveApproved) -> list[Notice]:
        leave = event.leave
        days = f"{_day(leave.first_day)}至{_day(leave.last_day)}"
        link = self.link(f"org/leave/{leave.id}")
        told = [
            self.notice(
                envelope,
                Kind.LEAVE,
                Urgency.LOW,
                "请假已批准",
                f"您{days}的请假已批准。",
                link,
                [Target(user_id=leave.user_id)],
            )
        ]
        if leave.acting_user_id:
            told.append(
                self.notice(
                    envelope,
                    Kind.LEAVE,
                    Urgency.NORMAL,
                    "代行职责通知",
                    f"{days}期间，请您代行其职责（A10、A59）。",
                    link,
                    [Target(user_id=leave.acting_user_id)],
                )
            )
        return told

    def trip_overdue(self, envelope: Envelope, event: org_events.TripOverdue) -> list[Notice]:
        """A57, A58: the member reports or hands the gift over himself; his body and the office follow."""
        trip = event.trip
        gift = next((g for g in trip.gifts if g.id == event.gift_id), None)
        what = f"所收礼品“{gift.description}”的上缴" if gift else "出访报告"
        step = "礼品上缴" if gift else "出访报告"
        countries = "、".join(trip.countries)
        return [
            self.notice(
                envelope,
                Kind.SUPERVISION,
                Urgency.URGENT,
                f"{step}逾期：因公出国（境）{countries}",
                f"因公出国（境）{countries}（{_day(trip.first_day)}至{_day(trip.last_day)}）{what}"
                f"期限（{_day(event.due)}）已过，请按规定办理。",
                self.link(f"org/trips/{trip.id}"),
                [
                    Target(user_id=event.responsible_user_id, in_person=True),
                    Target(body_code=event.responsible_body_code),
                    Target(body_code=self.office_code),
                ],
            )
        ]

    # ---- supervision ------------------------------------------------------------------------------

    def item_assigned(self, envelope: Envelope, event: supervision_events.ItemAssigned) -> list[Notice]:
        item = event.item
        return [
            self.notice(
                envelope,
                Kind.SUPERVISION,
                Urgency.NORMAL,
                f"督办事项交办：{item.number}",
                f"督办事项{item.number}已交贵单位牵头办理，请于{_day(event.acknowledge_due)}前签收，"
                f"办结时限{_day(item.due)}。",
                self.link(f"supervision/items/{item.item_id}"),
                [Target(body_code=item.lead_body_code), Target(user_id=event.first_responsible_user_id)],
            )
        ]

    def item_escalated(self, envelope: Envelope, event: supervision_events.ItemEscalated) -> list[Notice]:
        item, step = event.item, event.escalation
        name = STEP_NAMES.get(step.step, "督办")
        urgency = (
            Urgency.URGENT
            if step.step in URGENT_STEPS
            else Urgency.LOW
            if step.step == supervision_pb2.ESCALATION_STEP_WARNED
            else Urgency.NORMAL
        )
        return [
            self.notice(
                envelope,
                Kind.SUPERVISION,
                urgency,
                f"督办{name}：{item.number}",
                f"督办事项{item.number}（时限{_day(step.against_due)}）：{name}，请抓紧办理并报告。",
                self.link(f"supervision/items/{item.item_id}"),
                [Target(user_id=step.recipient_user_id), Target(body_code=step.recipient_body_code)],
            )
        ]

    def circular_requested(
        self, envelope: Envelope, event: supervision_circulars.CircularRequested
    ) -> list[Notice]:
        return [
            self.notice(
                envelope,
                Kind.SUPERVISION,
                Urgency.LOW,
                f"督查通报已送起草：{event.title}",
                f"{event.title}已送公文系统起草，会签、签发后印发（A61）。",
                self.link(f"supervision/circulars/{event.circular_id}"),
                [Target(body_code=event.organisation_code)],
            )
        ]

    # ---- petitions (A71, A80: the number and a link, never the petitioner or the letter) ----------

    def case_assigned(self, envelope: Envelope, event: petitions_events.CaseAssigned) -> list[Notice]:
        case = event.case
        link = self.link(f"petitions/cases/{case.case_id}")
        return [
            self.notice(
                envelope,
                Kind.PETITION,
                Urgency.NORMAL,
                f"信访事项交办：{case.number}",
                privacy.protected_text(case.number, "一件信访事项已交贵单位办理", link),
                link,
                [Target(body_code=case.handling_body_code)],
            )
        ]

    def case_overdue(self, envelope: Envelope, event: petitions_events.CaseOverdue) -> list[Notice]:
        case = event.case
        link = self.link(f"petitions/cases/{case.case_id}")
        return [
            self.notice(
                envelope,
                Kind.PETITION,
                Urgency.URGENT,
                f"信访事项逾期：{case.number}",
                privacy.protected_text(case.number, f"一件信访事项已过期限（{_day(event.due)}）", link),
                link,
                [Target(body_code=event.responsible_body_code)],
            )
        ]

    # ---- disclosure -------------------------------------------------------------------------------

    def concern_overdue(self, envelope: Envelope, event: disclosure_events.ConcernOverdue) -> list[Notice]:
        concern = event.concern
        return [
            self.notice(
                envelope,
                Kind.DISCLOSURE,
                Urgency.URGENT,
                "政务舆情回应逾期",
                f"关切事项“{concern.summary[:60]}”回应期限已过，请尽快调查核实并回应。",
                self.link(f"disclosure/concerns/{concern.id}"),
                [Target(body_code=concern.department_code)],
            )
        ]
