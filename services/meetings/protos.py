"""The wire of the meetings service: zgov.meetings.v1 messages ↔ the typed input of the acts and the
rows they return. No rules here beyond the shape of the input (required fields, enum values, dates):
those are INVALID_ARGUMENT naming the field; everything else is the acts' and the rules' (domain/).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from zgov.common.v1 import common_pb2
from zgov.meetings.v1 import meetings_pb2

from services.meetings import domain, models
from services.meetings.domain import MeetingKind, MeetingState, TopicState
from shared import audit
from shared.convert import EnumMap, date_from_proto, date_to_proto, decode_page_token
from shared.errors import InvalidInput

pb = meetings_pb2


KIND = EnumMap(MeetingKind, pb.MeetingKind, "MEETING_KIND")
MEETING_STATE = EnumMap(MeetingState, pb.MeetingState, "MEETING_STATE")
ROUTE = EnumMap(domain.TopicRoute, pb.TopicRoute, "TOPIC_ROUTE")
TOPIC_STATE = EnumMap(TopicState, pb.TopicState, "TOPIC_STATE")
OUTCOME = EnumMap(domain.TopicOutcome, pb.TopicOutcome, "TOPIC_OUTCOME")
LEAVE_STATE = EnumMap(domain.LeaveState, pb.MeetingLeaveState, "MEETING_LEAVE_STATE")
MINUTES_STATE = EnumMap(domain.MinutesState, pb.MinutesState, "MINUTES_STATE")
CATEGORY = EnumMap(domain.MatterCategory, pb.MatterCategory, "MATTER_CATEGORY")
FORMAT = EnumMap(domain.MeetingFormat, pb.MeetingFormat, "MEETING_FORMAT")
DEPARTMENT_STATE = EnumMap(
    domain.DepartmentMeetingState, pb.DepartmentMeetingState, "DEPARTMENT_MEETING_STATE"
)
AGENDA = EnumMap(domain.AgendaItemKind, pb.AgendaItemKind, "AGENDA_ITEM_KIND")

KIND_TO_PROTO, KIND_FROM_PROTO = KIND.to_proto, KIND.from_proto
MEETING_STATE_TO_PROTO, MEETING_STATE_FROM_PROTO = MEETING_STATE.to_proto, MEETING_STATE.from_proto
ROUTE_TO_PROTO, ROUTE_FROM_PROTO = ROUTE.to_proto, ROUTE.from_proto
TOPIC_STATE_TO_PROTO, TOPIC_STATE_FROM_PROTO = TOPIC_STATE.to_proto, TOPIC_STATE.from_proto
OUTCOME_TO_PROTO, OUTCOME_FROM_PROTO = OUTCOME.to_proto, OUTCOME.from_proto
LEAVE_STATE_TO_PROTO = LEAVE_STATE.to_proto
MINUTES_STATE_TO_PROTO = MINUTES_STATE.to_proto
CATEGORY_TO_PROTO, CATEGORY_FROM_PROTO = CATEGORY.to_proto, CATEGORY.from_proto
FORMAT_TO_PROTO, FORMAT_FROM_PROTO = FORMAT.to_proto, FORMAT.from_proto
DEPARTMENT_STATE_TO_PROTO = DEPARTMENT_STATE.to_proto
AGENDA_TO_PROTO = AGENDA.to_proto

# ---- proto conversions ---------------------------------------------------------------------------


def _history(rows) -> list[common_pb2.AuditRecord]:
    return [audit.to_proto(r) for r in rows]


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def meeting_to_proto(row: models.Meeting, history=()) -> pb.Meeting:
    return pb.Meeting(
        id=str(row.id),
        kind=KIND_TO_PROTO[MeetingKind(row.kind)],
        title=row.title,
        convener_user_id=row.convener_user_id,
        convener_organisation_code=row.convener_organisation_code,
        chair_user_id=row.chair_user_id,
        delegated_by_user_id=row.delegated_by_user_id,
        day=date_to_proto(row.day),
        start_time=_hhmm(row.start_minute),
        duration_minutes=row.duration_minutes,
        location=row.location,
        emergency=row.emergency,
        emergency_reason=row.emergency_reason,
        state=MEETING_STATE_TO_PROTO[MeetingState(row.state)],
        member_user_ids=row.member_user_ids,
        invitee_user_ids=row.invitee_user_ids,
        attending_organisation_codes=row.attending_organisation_codes,
        present_user_ids=row.present_user_ids,
        fixed_agenda=[
            pb.AgendaItem(kind=AGENDA_TO_PROTO[domain.AgendaItemKind(k)], title=t)
            for k, t in row.fixed_agenda
        ],
        history=_history(history),
    )


def topic_to_proto(row: models.Topic, history=(), *, with_documents: bool = True) -> pb.Topic:
    return pb.Topic(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        title=row.title,
        summary=row.summary,
        owning_organisation_code=row.owning_organisation_code,
        route=ROUTE_TO_PROTO[domain.TopicRoute(row.route)],
        proposed_by_user_id=row.proposed_by_user_id,
        filed_by_user_id=row.filed_by_user_id,
        approval_form_filed_on=date_to_proto(row.approval_form_filed_on),
        documents=[pb.TopicDocument(name=d["name"], ref=d["ref"]) for d in row.documents]
        if with_documents
        else [],
        state=TOPIC_STATE_TO_PROTO[TopicState(row.state)],
        ad_hoc=row.ad_hoc,
        ad_hoc_consent_id=row.ad_hoc_consent_id,
        decidable_within_portfolio=row.decidable_within_portfolio,
        decision_reason=row.decision_reason,
        outcome=OUTCOME_TO_PROTO[domain.TopicOutcome(row.outcome)] if row.outcome else 0,
        matter_ref=row.matter_ref,
        history=_history(history),
        materials_release_time=_timestamp(row.materials_released_at),
    )


def _timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def leave_to_proto(row: models.MeetingLeave, history=()) -> pb.MeetingLeave:
    return pb.MeetingLeave(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        user_id=row.user_id,
        reason=row.reason,
        leader=row.leader,
        state=LEAVE_STATE_TO_PROTO[domain.LeaveState(row.state)],
        history=_history(history),
    )


def item_to_proto(item: dict) -> pb.DecisionItem:
    return pb.DecisionItem(
        topic_id=item["topic_id"],
        text=item["text"],
        owner_organisation_code=item["owner_organisation_code"],
        due=date_to_proto(date.fromisoformat(item["due"])),
        category=CATEGORY_TO_PROTO[domain.MatterCategory(item["category"])],
        matter_ref=item["matter_ref"],
    )


def minutes_to_proto(row: models.Minutes, decision_ids=(), history=()) -> pb.Minutes:
    reply = pb.Minutes(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        state=MINUTES_STATE_TO_PROTO[domain.MinutesState(row.state)],
        text=row.text,
        decisions=[item_to_proto(i) for i in row.decisions],
        drafted_by_user_id=row.drafted_by_user_id,
        drafted_by_organisation_code=row.drafted_by_organisation_code,
        signed_by_user_id=row.signed_by_user_id,
        corrects_minutes_id=str(row.corrects_minutes_id) if row.corrects_minutes_id else "",
        decision_ids=[str(i) for i in decision_ids],
        history=_history(history),
    )
    if row.signed_at:
        reply.signed_at.FromDatetime(row.signed_at)
    return reply


def decision_to_proto(row: models.Decision) -> pb.Decision:
    return pb.Decision(
        id=str(row.id),
        series=KIND_TO_PROTO[MeetingKind(row.series)],
        year=row.year,
        number=row.number,
        reference=row.reference,
        meeting_id=str(row.meeting_id),
        minutes_id=str(row.minutes_id),
        topic_id=row.topic_id,
        text=row.text,
        owner_organisation_code=row.owner_organisation_code,
        due=date_to_proto(row.due),
        category=CATEGORY_TO_PROTO[domain.MatterCategory(row.category)],
        matter_ref=row.matter_ref,
        decided_on=date_to_proto(row.decided_on),
        superseded_by_minutes_id=str(row.superseded_by_minutes_id or ""),
        superseded_by_decision_id=str(row.superseded_by_decision_id or ""),
        superseded_on=date_to_proto(row.superseded_on) if row.superseded_on else None,
    )


def department_meeting_to_proto(row: models.DepartmentMeeting, history=()) -> pb.DepartmentMeeting:
    return pb.DepartmentMeeting(
        id=str(row.id),
        organisation_code=row.organisation_code,
        title=row.title,
        day=date_to_proto(row.day),
        city_wide=row.city_wide,
        invites_county_heads=row.invites_county_heads,
        leader_user_ids=row.leader_user_ids,
        format=FORMAT_TO_PROTO[domain.MeetingFormat(row.format)],
        in_person_reason=row.in_person_reason,
        exception_reason=row.exception_reason,
        state=DEPARTMENT_STATE_TO_PROTO[domain.DepartmentMeetingState(row.state)],
        decision_reason=row.decision_reason,
        history=_history(history),
    )


def cursor(token: str, parse):
    """The keyset position of a page token, parsed; a token not issued here is bad input."""
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        return parse(position)
    except (ValueError, IndexError, TypeError):
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None


def required(value: str, field: str, what: str) -> str:
    if not value.strip():
        raise InvalidInput({field: f"{what} is required"})
    return value.strip()


# ---- typed input of the acts -------------------------------------------------------------------


@dataclass(frozen=True)
class NewMeeting:
    kind: MeetingKind
    title: str
    day: date
    start_minute: int
    duration_minutes: int
    location: str
    emergency: bool
    emergency_reason: str
    chair_user_id: str
    delegated_by_user_id: str
    member_user_ids: tuple[str, ...]
    invitee_user_ids: tuple[str, ...]


def new_meeting(request: pb.ScheduleMeetingRequest) -> NewMeeting:
    kind = KIND_FROM_PROTO.get(request.kind)
    if kind is None:
        raise InvalidInput({"kind": "plenary, executive, mayor's office or special-topic"})
    title = required(request.title, "title", "the meeting's title")
    day = date_from_proto(request.day, "day")
    start = domain.parse_start_time(request.start_time)
    return NewMeeting(
        kind=kind,
        title=title,
        day=day,
        start_minute=start,
        duration_minutes=request.duration_minutes or domain.DEFAULT_MINUTES[kind],
        location=request.location.strip(),
        emergency=request.emergency,
        emergency_reason=request.emergency_reason.strip(),
        chair_user_id=request.chair_user_id,
        delegated_by_user_id=request.delegated_by_user_id,
        member_user_ids=tuple(request.member_user_ids),
        invitee_user_ids=tuple(request.invitee_user_ids),
    )


def present_user_ids(request: pb.StartMeetingRequest) -> list[str]:
    present = list(dict.fromkeys(u for u in request.present_user_ids if u))
    if not present:
        raise InvalidInput({"present_user_ids": "who is present is required"})
    return present


@dataclass(frozen=True)
class NewTopic:
    meeting_id: str
    title: str
    summary: str
    route: domain.TopicRoute | None
    proposed_by_user_id: str
    documents: tuple[dict, ...]
    ad_hoc_consent_id: str
    decidable_within_portfolio: bool
    matter_ref: str
    proposal_id: str = ""
    # 补录: the day a department handed the topic in on paper, and which department (shared/paper_records.py).
    filed_on_paper: date | None = None
    filing_organisation_code: str = ""


def new_topic(request: pb.FileTopicRequest) -> NewTopic:
    title = required(request.title, "title", "the topic's title")
    route = ROUTE_FROM_PROTO.get(request.route)
    documents = [{"name": d.name.strip(), "ref": d.ref.strip()} for d in request.documents]
    if not documents or any(not d["name"] for d in documents):
        raise InvalidInput({"documents": "the topic's documents and approval form (议题审批表), each named"})
    return NewTopic(
        meeting_id=request.meeting_id,
        title=title,
        summary=request.summary.strip(),
        route=route,
        proposed_by_user_id=request.proposed_by_user_id,
        documents=tuple(documents),
        ad_hoc_consent_id=request.ad_hoc_consent_id,
        decidable_within_portfolio=request.decidable_within_portfolio,
        matter_ref=request.matter_ref.strip(),
        proposal_id=request.proposal_id.strip(),
        **_paper_filing(request),
    )


def _paper_filing(request: pb.FileTopicRequest) -> dict:
    filed_on_paper = date_from_proto(request.filed_on_paper, "filed_on_paper", required=False)
    organisation = request.filing_organisation_code.strip()
    if filed_on_paper and not organisation:
        raise InvalidInput({"filing_organisation_code": "the department that filed the topic on paper"})
    if organisation and not filed_on_paper:
        raise InvalidInput(
            {"filing_organisation_code": "only with filed_on_paper: a department files its own topics"}
        )
    return {"filed_on_paper": filed_on_paper, "filing_organisation_code": organisation}


@dataclass(frozen=True)
class NewProposal:
    meeting_id: str
    organisation_code: str
    title: str
    route: domain.TopicRoute


def new_proposal(request: pb.ProposeTopicRequest) -> NewProposal:
    return NewProposal(
        meeting_id=request.meeting_id,
        organisation_code=required(request.organisation_code, "organisation_code", "the department"),
        title=required(request.title, "title", "the topic's title"),
        route=domain.check_proposal_route(ROUTE_FROM_PROTO.get(request.route)),
    )


def proposal_to_proto(row: models.TopicProposal) -> pb.TopicProposal:
    return pb.TopicProposal(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        organisation_code=row.organisation_code,
        title=row.title,
        route=ROUTE_TO_PROTO[domain.TopicRoute(row.route)],
        proposed_by_user_id=row.proposed_by_user_id,
        topic_id=row.topic_id,
    )


@dataclass(frozen=True)
class NewConsent:
    meeting_id: str
    organisation_code: str
    title: str
    reason: str


def new_consent(request: pb.GrantAdHocConsentRequest) -> NewConsent:
    return NewConsent(
        meeting_id=request.meeting_id,
        organisation_code=required(request.organisation_code, "organisation_code", "the department"),
        title=required(request.title, "title", "the topic's title"),
        reason=required(request.reason, "reason", "the reason for the short notice"),
    )


def consent_to_proto(row: models.AdHocConsent) -> pb.AdHocConsent:
    return pb.AdHocConsent(
        id=str(row.id),
        meeting_id=str(row.meeting_id),
        organisation_code=row.organisation_code,
        title=row.title,
        reason=row.reason,
        granted_by_user_id=row.granted_by_user_id,
    )


@dataclass(frozen=True)
class Verdict:
    """A decision on a request: accept (approve) or refuse, with its reason."""

    subject_id: str
    accept: bool
    reason: str


def topic_verdict(request: pb.DecideTopicRequest) -> Verdict:
    if request.verdict not in (pb.TOPIC_VERDICT_ACCEPT, pb.TOPIC_VERDICT_REFUSE):
        raise InvalidInput({"verdict": "accept or refuse"})
    accept = request.verdict == pb.TOPIC_VERDICT_ACCEPT
    if not accept and not request.reason.strip():
        raise InvalidInput({"reason": "a refused topic states why"})
    return Verdict(request.topic_id, accept, request.reason.strip())


def approval(subject_id: str, approve: bool, reason: str) -> Verdict:
    if not approve and not reason.strip():
        raise InvalidInput({"reason": "a refusal states its reason"})
    return Verdict(subject_id, approve, reason.strip())


def topic_outcome(request: pb.RecordTopicOutcomeRequest) -> domain.TopicOutcome:
    outcome = OUTCOME_FROM_PROTO.get(request.outcome)
    if outcome is None:
        raise InvalidInput({"outcome": "adopted, adopted with changes, not adopted or deferred"})
    return outcome


@dataclass(frozen=True)
class MinutesText:
    meeting_id: str
    minutes_id: str
    corrects_minutes_id: str
    text: str
    items: tuple[domain.DecisionDraft, ...]


def minutes_text(request: pb.DraftMinutesRequest) -> MinutesText:
    text = required(request.text, "text", "the minutes' text")
    items = []
    for i, item in enumerate(request.decisions):
        category = CATEGORY_FROM_PROTO.get(item.category, domain.MatterCategory.OTHER)
        items.append(
            domain.DecisionDraft(
                topic_id=item.topic_id,
                text=item.text.strip(),
                owner_organisation_code=item.owner_organisation_code,
                due=date_from_proto(item.due, f"decisions[{i}].due", required=False),
                category=category,
                matter_ref=item.matter_ref.strip(),
            )
        )
    return MinutesText(
        request.meeting_id, request.minutes_id, request.corrects_minutes_id, text, tuple(items)
    )


def department_meeting_request(
    request: pb.RequestDepartmentMeetingRequest, organisation_code: str
) -> domain.DepartmentMeetingRequest:
    return domain.DepartmentMeetingRequest(
        organisation_code=organisation_code,
        title=request.title,
        day=date_from_proto(request.day, "day", required=False),
        city_wide=request.city_wide,
        invites_county_heads=request.invites_county_heads,
        leader_user_ids=tuple(dict.fromkeys(request.leader_user_ids)),
        format=FORMAT_FROM_PROTO.get(request.format, domain.MeetingFormat.VIDEO),
        in_person_reason=request.in_person_reason,
        exception_reason=request.exception_reason,
        in_city_government_name=request.in_city_government_name,
    )
