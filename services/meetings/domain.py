"""The working rules the `meetings` service owns, as plain functions (no I/O).

A40  four kinds of meetings: plenary (全体会议), executive (常务会议), mayor's office
     (市长办公会议) and special-topic (专题会议).
A41  plenary: convened and chaired by the mayor; members mayor, vice mayors, secretary-general,
     heads of the departments; about every half year.
A42  executive: members mayor, vice mayors, secretary-general; starts only with more than half of
     its members present; convened and chaired by the mayor, about every two weeks, or at any time
     in an emergency. Topics (议题) are set by the mayor or proposed by a vice mayor or the
     secretary-general, and decided by the mayor; the owning department files documents and the
     approval form (议题审批表) at least 10 working days before; no topic at short notice without
     the mayor's consent.
A43  leave from a plenary or executive meeting: leaders ask the mayor; others apply to the office,
     the secretary-general checks, the mayor approves. Minutes: research office (plenary), general
     office (executive); signed by the mayor or the chair the mayor delegated.
A44  mayor's office meeting: convened and chaired by the mayor.
A45  special-topic meeting: convened and chaired by the mayor, a vice mayor or the secretary-general,
     or by a deputy secretary-general on their delegation; minutes signed by the convener or the
     delegating leader.
A73, A81  study of higher-level decisions and the pre-meeting study: fixed items of every
     executive meeting.
A7, A28  matters decided by a plenary or executive meeting (see COLLECTIVE_KINDS).
A20, A26 signed minutes are locked; a correction is a new act linked to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from shared.errors import InvalidInput, RuleViolation
from shared.workdays import WorkingCalendar

MAYOR = "mayor"
EXECUTIVE_VICE_MAYOR = "executive-vice-mayor"
VICE_MAYOR = "vice-mayor"
SECRETARY_GENERAL = "secretary-general"
DEPUTY_SECRETARY_GENERAL = "deputy-secretary-general"
DEPARTMENT_HEAD = "department-head"

GENERAL_OFFICE = "general-office"  # 市政府办公室
RESEARCH_OFFICE = "research-office"  # 市政府研究室


class MeetingKind(str, Enum):
    PLENARY = "plenary"  # 全体会议 (A41)
    EXECUTIVE = "executive"  # 常务会议 (A42)
    MAYORS_OFFICE = "mayors_office"  # 市长办公会议 (A44)
    SPECIAL_TOPIC = "special_topic"  # 专题会议 (A45)


class MeetingState(str, Enum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class TopicRoute(str, Enum):
    VIA_VICE_MAYOR = "via_vice_mayor"
    VIA_SECRETARY_GENERAL = "via_secretary_general"
    SET_BY_MAYOR = "set_by_mayor"


class TopicState(str, Enum):
    FILED = "filed"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    DECIDED = "decided"


class TopicOutcome(str, Enum):
    ADOPTED = "adopted"
    ADOPTED_WITH_CHANGES = "adopted_with_changes"
    NOT_ADOPTED = "not_adopted"
    DEFERRED = "deferred"


class LeaveState(str, Enum):
    REQUESTED = "requested"
    CHECKED = "checked"
    APPROVED = "approved"
    REFUSED = "refused"


class MinutesState(str, Enum):
    DRAFT = "draft"
    SIGNED = "signed"


class MatterCategory(str, Enum):
    DEVELOPMENT_PLAN = "development_plan"  # 经济和社会发展计划
    BUDGET = "budget"  # 财政预算
    MAJOR_PLANNING = "major_planning"  # 重大规划
    MAJOR_POLICY = "major_policy"  # 重大政策措施
    IMPORTANT_AFFAIR = "important_affair"  # 政府和社会管理重要事务
    REGULATION = "regulation"  # 地方性法规议案和政府规章
    MAJOR_FUNDING = "major_funding"  # 重大资金安排
    OTHER = "other"


class AgendaItemKind(str, Enum):
    HIGHER_LEVEL_STUDY = "higher_level_study"  # A73
    PRE_MEETING_STUDY = "pre_meeting_study"  # A81


# ---- who sits in which meeting (A41, A42, A44, A45) ----------------------------------------------

# Positions whose holders are members (组成人员 / 参加) of each kind; special-topic meetings have
# only the participants the convener names (从严控制参会人员).
MEMBER_POSITIONS: Mapping[MeetingKind, tuple[str, ...]] = {
    MeetingKind.PLENARY: (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL, DEPARTMENT_HEAD),
    MeetingKind.EXECUTIVE: (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL),
    MeetingKind.MAYORS_OFFICE: (
        MAYOR,
        EXECUTIVE_VICE_MAYOR,
        VICE_MAYOR,
        SECRETARY_GENERAL,
        DEPUTY_SECRETARY_GENERAL,
    ),
    MeetingKind.SPECIAL_TOPIC: (),
}
# Positions whose holders attend without being members (列席): deputy secretaries-general.
ATTENDING_POSITIONS: Mapping[MeetingKind, tuple[str, ...]] = {
    MeetingKind.PLENARY: (DEPUTY_SECRETARY_GENERAL,),
    MeetingKind.EXECUTIVE: (DEPUTY_SECRETARY_GENERAL,),
    MeetingKind.MAYORS_OFFICE: (),
    MeetingKind.SPECIAL_TOPIC: (),
}
# Organisations whose heads attend (列席) as the articles list them (the army sub-district, the
# courts, the people's congress and the like are outside the platform and invited by name).
ATTENDING_ORGANISATIONS: Mapping[MeetingKind, tuple[str, ...]] = {
    MeetingKind.PLENARY: (GENERAL_OFFICE,),
    # A42: 市政府办公室党组成员, 市司法局, 市审计局, 市信访局, 市政府研究室, 市政府新闻办.
    MeetingKind.EXECUTIVE: (
        GENERAL_OFFICE,
        "justice-bureau",
        "audit-bureau",
        "petition-bureau",
        RESEARCH_OFFICE,
        "press-office",
    ),
    # A44: 市政府办公室班子成员, 市政府研究室主要负责人.
    MeetingKind.MAYORS_OFFICE: (GENERAL_OFFICE, RESEARCH_OFFICE),
    MeetingKind.SPECIAL_TOPIC: (),
}
# A41 about every half year, A42 in principle every two weeks.
REGULAR_RHYTHM: Mapping[MeetingKind, timedelta] = {
    MeetingKind.PLENARY: timedelta(days=183),
    MeetingKind.EXECUTIVE: timedelta(days=14),
}
# A42: half a day (会期半天); the others as a rule shorter.
DEFAULT_MINUTES: Mapping[MeetingKind, int] = {
    MeetingKind.PLENARY: 180,
    MeetingKind.EXECUTIVE: 240,
    MeetingKind.MAYORS_OFFICE: 120,
    MeetingKind.SPECIAL_TOPIC: 120,
}
# A73, A81: on every executive meeting's agenda, first.
FIXED_AGENDA: Mapping[MeetingKind, tuple[tuple[AgendaItemKind, str], ...]] = {
    MeetingKind.EXECUTIVE: (
        (AgendaItemKind.PRE_MEETING_STUDY, "会前学习（A81）"),
        (
            AgendaItemKind.HIGHER_LEVEL_STUDY,
            "传达学习党中央、国务院、省委省政府、市委重大决策部署和重要讲话精神（A73）",
        ),
    ),
}
# A7, A28: meetings whose decisions are the city government's collective decisions.
COLLECTIVE_KINDS = frozenset({MeetingKind.PLENARY, MeetingKind.EXECUTIVE})
# A45: who convenes a special-topic meeting in his or her own right.
SPECIAL_TOPIC_CONVENERS = frozenset({MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL})
# A43 市政府领导同志: they ask the mayor for leave directly.
CITY_LEADERS = frozenset({MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL})
# The rule that names who convenes each kind.
CONVENER_RULE = {
    MeetingKind.PLENARY: "A41.convener",
    MeetingKind.EXECUTIVE: "A42.convener",
    MeetingKind.MAYORS_OFFICE: "A44.convener",
    MeetingKind.SPECIAL_TOPIC: "A45.convener",
}
SERIES_TITLE = {
    MeetingKind.PLENARY: "全体会议",
    MeetingKind.EXECUTIVE: "常务会议",
    MeetingKind.MAYORS_OFFICE: "市长办公会议",
    MeetingKind.SPECIAL_TOPIC: "专题会议",
}
TOPIC_FILING_WORKING_DAYS = 10


@dataclass(frozen=True)
class Person:
    """Someone as the rules see him or her: a user id and the positions held."""

    user_id: str
    positions: frozenset[str] = frozenset()
    # True when this person acts for the absent mayor (A10) on the day in question.
    acts_as_mayor: bool = False

    @property
    def has_mayors_authority(self) -> bool:
        return MAYOR in self.positions or self.acts_as_mayor


def _holds_any(person: Person, positions: Iterable[str]) -> bool:
    return bool(person.positions & set(positions))


@dataclass(frozen=True)
class Convening:
    """Who convenes and chairs, as settled by check_convening."""

    convener_user_id: str
    chair_user_id: str
    # The leader who delegated convening or chairing ('' when nobody did).
    delegated_by_user_id: str


def check_convening(
    kind: MeetingKind,
    *,
    convener: Person,
    chair: Person | None = None,
    delegated_by: Person | None = None,
) -> Convening:
    """A41, A42, A44, A45: who may convene and chair each kind of meeting.

    Plenary, executive and mayor's office meetings are convened by the mayor (or whoever acts
    as mayor, A10). An executive meeting may be chaired by a vice mayor the mayor delegates
    (A43 委托的主持人). A special-topic meeting is convened by the mayor, a vice mayor or the
    secretary-general, or by a deputy secretary-general on their delegation (A45).
    """
    chair = chair or convener
    rule = CONVENER_RULE[kind]
    if kind is MeetingKind.SPECIAL_TOPIC:
        delegator = ""
        if not _holds_any(convener, SPECIAL_TOPIC_CONVENERS) and not convener.acts_as_mayor:
            if DEPUTY_SECRETARY_GENERAL not in convener.positions:
                raise RuleViolation(
                    rule,
                    "a special-topic meeting is convened by the mayor, a vice mayor or the "
                    "secretary-general, or by a deputy secretary-general on their delegation",
                )
            if delegated_by is None or not _holds_any(delegated_by, SPECIAL_TOPIC_CONVENERS):
                raise RuleViolation(
                    "A45.delegation",
                    "a deputy secretary-general convenes a special-topic meeting "
                    "only on the delegation of the mayor, a vice mayor or the "
                    "secretary-general; name the delegating leader",
                )
            delegator = delegated_by.user_id
        if chair.user_id != convener.user_id:
            # The convener delegates the chair to a deputy secretary-general (A45 受委托主持).
            if DEPUTY_SECRETARY_GENERAL not in chair.positions or delegator:
                raise RuleViolation(
                    "A45.chair",
                    "the convener chairs a special-topic meeting, or delegates "
                    "the chair to a deputy secretary-general",
                )
            delegator = convener.user_id
        return Convening(convener.user_id, chair.user_id, delegator)

    if not convener.has_mayors_authority:
        raise RuleViolation(
            rule, f"a {SERIES_TITLE[kind]} is convened by the mayor (or the leader acting as mayor)"
        )
    if chair.user_id == convener.user_id:
        return Convening(convener.user_id, chair.user_id, "")
    if kind is MeetingKind.EXECUTIVE and _holds_any(chair, (EXECUTIVE_VICE_MAYOR, VICE_MAYOR)):
        # A43: the executive meeting's minutes are signed by the mayor or the chair he delegated.
        return Convening(convener.user_id, chair.user_id, convener.user_id)
    chair_rule = {
        MeetingKind.PLENARY: "A41.chair",
        MeetingKind.EXECUTIVE: "A42.chair",
        MeetingKind.MAYORS_OFFICE: "A44.chair",
    }[kind]
    raise RuleViolation(
        chair_rule,
        f"a {SERIES_TITLE[kind]} is chaired by the mayor"
        + ("; the mayor may delegate the chair to a vice mayor" if kind is MeetingKind.EXECUTIVE else ""),
    )


def members_for(
    kind: MeetingKind,
    holders: Mapping[str, Sequence[str]],
    *,
    convener_user_id: str,
    named_members: Iterable[str] = (),
) -> list[str]:
    """A41, A42, A44: members are the holders of the kind's positions; A45: the convener and those named."""
    found: list[str] = []
    positions = MEMBER_POSITIONS[kind]
    for position in positions:
        found.extend(holders.get(position, ()))
    if kind is MeetingKind.SPECIAL_TOPIC:
        found = [convener_user_id, *named_members]
    return list(dict.fromkeys(u for u in found if u))


def invitees_for(
    kind: MeetingKind, holders: Mapping[str, Sequence[str]], named: Iterable[str], members: Iterable[str]
) -> list[str]:
    """Those who attend without being members (列席): the kind's attending positions and those named."""
    found = [u for p in ATTENDING_POSITIONS[kind] for u in holders.get(p, ())]
    member_set = set(members)
    return [u for u in dict.fromkeys([*found, *named]) if u and u not in member_set]


def fixed_agenda(kind: MeetingKind) -> list[tuple[AgendaItemKind, str]]:
    """A73, A81: the items every executive meeting opens with; other kinds have none."""
    return list(FIXED_AGENDA.get(kind, ()))


# ---- when (day, time, emergency, double booking) -------------------------------------------------

TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_start_time(text: str) -> int:
    """'HH:MM' → minutes after midnight; InvalidInput naming the field otherwise."""
    match = TIME.match(text.strip())
    if not match:
        raise InvalidInput({"start_time": f"{text!r} is not a time of day as HH:MM (e.g. 09:00)"})
    return int(match.group(1)) * 60 + int(match.group(2))


def check_duration(minutes: int) -> None:
    if not 0 < minutes <= 24 * 60:
        raise InvalidInput({"duration_minutes": "between 1 and 1440 minutes"})


def check_meeting_day(
    day: date,
    *,
    today: date,
    working_day: bool,
    emergency: bool,
    emergency_reason: str,
) -> None:
    """A42: meetings are held on working days; at any other time only as an emergency meeting.

    (遇有重大特殊情况，可随时召开: the emergency flag, with its reason, allows a non-working day.)
    """
    if day < today:
        raise InvalidInput({"day": f"{day} has passed (today is {today})"})
    if emergency and not emergency_reason.strip():
        raise InvalidInput({"emergency_reason": "an emergency meeting states the special situation"})
    if not working_day and not emergency:
        raise RuleViolation(
            "A42.emergency",
            f"{day} is not a working day; a meeting is held on a non-working "
            "day only as an emergency meeting (emergency flag and reason)",
        )


@dataclass(frozen=True)
class Booking:
    """A meeting's time and the people in it, for the double-booking check."""

    meeting_id: str
    title: str
    day: date
    start_minute: int
    end_minute: int
    people: frozenset[str]

    def overlaps(self, other: Booking) -> bool:
        return (
            self.day == other.day
            and self.start_minute < other.end_minute
            and other.start_minute < self.end_minute
        )


def check_double_booking(candidate: Booking, others: Iterable[Booking]) -> None:
    """A person is not in two meetings at the same time (a member double-booked)."""
    for other in others:
        if other.meeting_id == candidate.meeting_id or not candidate.overlaps(other):
            continue
        clash = sorted(candidate.people & other.people)
        if clash:
            start = f"{other.start_minute // 60:02d}:{other.start_minute % 60:02d}"
            raise RuleViolation(
                "A40.double-booked",
                f"{', '.join(clash)} already in meeting {other.meeting_id} ({other.title}) on {other.day} at "
                f"{start}; move one of the meetings",
                subject=f"meeting/{other.meeting_id}",
            )


def rhythm(kind: MeetingKind, last_day: date | None, today: date) -> tuple[date | None, bool]:
    """A41, A42: when the next regular meeting is due, and whether it is overdue."""
    if last_day is None:
        return None, True
    due_by = last_day + REGULAR_RHYTHM[kind]
    return due_by, today > due_by


# ---- topics (A42) ------------------------------------------------------------------------------


def latest_filing_day(
    meeting_day: date, calendar: WorkingCalendar, n: int = TOPIC_FILING_WORKING_DAYS
) -> date:
    """The last day a topic may be filed for a meeting on `meeting_day` (A42, 10 working days).

    The rule is `is_at_least_working_days_before(filed, meeting, n)`: the n-th working day after
    the filing day (not counting the filing day) is not later than the meeting day. Stepping
    back n working days from the meeting gives that day when the meeting is on a working day;
    for an emergency meeting on a non-working day it gives one day too many, so check and step.
    """
    latest = calendar.add_working_days(meeting_day, -n).due
    while not calendar.is_at_least_working_days_before(latest, meeting_day, n):
        latest -= timedelta(days=1)
    return latest


@dataclass(frozen=True)
class Consent:
    """A42: the mayor's recorded consent to a topic added at short notice."""

    consent_id: str
    meeting_id: str
    organisation_code: str
    used_by_topic_id: str = ""


def check_topic_filing(
    *,
    kind: MeetingKind,
    meeting_id: str,
    meeting_state: MeetingState,
    meeting_day: date,
    filed_on: date,
    organisation_code: str,
    calendar: WorkingCalendar,
    consent: Consent | None,
) -> bool:
    """A42: documents and approval form at least 10 working days before an executive meeting;
    later only with the mayor's consent. Returns True when the topic is ad hoc (filed late)."""
    if not organisation_code:
        raise InvalidInput({"owning_organisation_code": "the filer belongs to no department"})
    if meeting_state is not MeetingState.SCHEDULED:
        raise RuleViolation(
            "A42.agenda-closed", f"the meeting is {meeting_state.value}; topics are filed before " "it starts"
        )
    if consent is not None:
        if consent.meeting_id != meeting_id or consent.organisation_code != organisation_code:
            raise InvalidInput({"ad_hoc_consent_id": "the consent is for another meeting or department"})
        if consent.used_by_topic_id:
            raise InvalidInput(
                {"ad_hoc_consent_id": f"the consent was used by topic {consent.used_by_topic_id}"}
            )
    if kind is not MeetingKind.EXECUTIVE:
        return False
    if calendar.is_at_least_working_days_before(filed_on, meeting_day, TOPIC_FILING_WORKING_DAYS):
        return False
    if consent is not None:
        return True
    latest = latest_filing_day(meeting_day, calendar)
    raise RuleViolation(
        "A42.ten-working-days",
        f"a topic for the executive meeting on {meeting_day} is filed with its documents and approval form "
        f"at least {TOPIC_FILING_WORKING_DAYS} working days before, by {latest}; filed on {filed_on}. "
        "Adding it at short notice needs the mayor's recorded consent (ad_hoc_consent_id)",
        metadata={"latest_filing_day": latest.isoformat()},
    )


def check_topic_route(route: TopicRoute | None, proposer: Person) -> None:
    """A42: a topic is set by the mayor, or proposed in writing by a vice mayor or the secretary-general."""
    if route is None:
        raise InvalidInput({"route": "via a vice mayor, via the secretary-general, or set by the mayor"})
    if not proposer.user_id:
        raise InvalidInput({"proposed_by_user_id": "the leader who proposed or set the topic is required"})
    needed = {
        TopicRoute.VIA_VICE_MAYOR: (EXECUTIVE_VICE_MAYOR, VICE_MAYOR),
        TopicRoute.VIA_SECRETARY_GENERAL: (SECRETARY_GENERAL,),
        TopicRoute.SET_BY_MAYOR: (MAYOR,),
    }[route]
    if not _holds_any(proposer, needed) and not (route is TopicRoute.SET_BY_MAYOR and proposer.acts_as_mayor):
        raise RuleViolation(
            "A42.route",
            f"user {proposer.user_id} does not hold {' or '.join(needed)}; a topic "
            "reaches the executive meeting through a vice mayor or the "
            "secretary-general, or is set by the mayor",
        )


def check_topic_decider(decider: Person) -> None:
    """A42: the mayor decides the agenda (议题由市长确定)."""
    if not decider.has_mayors_authority:
        raise RuleViolation(
            "A42.mayor-decides", "topics are decided by the mayor (or the leader acting as mayor)"
        )


def check_ad_hoc_consent_giver(giver: Person) -> None:
    """A42: no topic is added at short notice without the consent of the mayor (市政府主要领导)."""
    if not giver.has_mayors_authority:
        raise RuleViolation(
            "A42.ten-working-days",
            "only the mayor (or the leader acting as mayor) consents to a " "topic added at short notice",
        )


def check_within_portfolio(accept: bool, decidable_within_portfolio: bool, reason: str) -> None:
    """A42: a matter a member may decide within his or her portfolio, or another meeting can decide,
    is as a rule not brought to the executive meeting: accepting such a topic needs a stated reason."""
    if accept and decidable_within_portfolio and not reason.strip():
        raise RuleViolation(
            "A42.within-portfolio",
            "the topic is flagged as decidable within a portfolio (按职责分工可予决策); as a rule it "
            "does not go to the executive meeting — accept it only with a reason",
        )


def check_topic_decision(state: TopicState) -> None:
    if state is not TopicState.FILED:
        raise InvalidInput(
            {"topic_id": f"the topic is {state.value}; only a filed topic is accepted or refused"}
        )


def check_topic_outcome(topic_state: TopicState, meeting_state: MeetingState) -> None:
    if topic_state is not TopicState.ACCEPTED:
        raise InvalidInput(
            {"topic_id": f"the topic is {topic_state.value}; only a topic on the agenda has an " "outcome"}
        )
    if meeting_state is not MeetingState.IN_PROGRESS:
        raise InvalidInput(
            {
                "topic_id": f"the meeting is {meeting_state.value}; outcomes are recorded while it "
                "is in progress"
            }
        )


# ---- quorum (A42) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """One member seat: its position, its holder, and who acts for the holder on the day (A10, A59)."""

    position: str
    holder_user_id: str
    acting_user_id: str = ""
    holder_away: bool = False


@dataclass(frozen=True)
class Quorum:
    members: int
    present: int
    needed: int
    # Seats filled by an acting holder: holder user id -> acting user id.
    acting: Mapping[str, str]

    @property
    def reached(self) -> bool:
        return self.present >= self.needed


def count_quorum(seats: Sequence[Seat], present_user_ids: Iterable[str]) -> Quorum:
    """A42 半数以上组成人员到会: more than half of the member seats filled.

    A seat is filled by its holder, or, while the holder is away on an approved leave, by the
    acting holder org names (A10, A59). One person fills one seat: a vice mayor standing in for
    an absent partner who is a member already is still one person in the room.
    """
    present = set(present_user_ids)
    filled_by: set[str] = set()
    acting: dict[str, str] = {}
    for seat in seats:
        if seat.holder_user_id in present:
            filled_by.add(seat.holder_user_id)
    for seat in seats:
        if seat.holder_user_id in present or not seat.holder_away:
            continue
        stand_in = seat.acting_user_id
        if stand_in and stand_in in present and stand_in not in filled_by:
            filled_by.add(stand_in)
            acting[seat.holder_user_id] = stand_in
    members = len(seats)
    return Quorum(members=members, present=len(filled_by), needed=members // 2 + 1, acting=acting)


def check_quorum(kind: MeetingKind, quorum: Quorum) -> None:
    """A42: an executive meeting is opened only with more than half of its members present."""
    if kind is MeetingKind.EXECUTIVE and not quorum.reached:
        raise RuleViolation(
            "A42.quorum",
            f"{quorum.present} of {quorum.members} members present (acting holders counted); an executive "
            f"meeting opens only with more than half, {quorum.needed}, present",
            metadata={"present": str(quorum.present), "needed": str(quorum.needed)},
        )


def check_start(state: MeetingState) -> None:
    if state is not MeetingState.SCHEDULED:
        raise InvalidInput({"meeting_id": f"the meeting is {state.value}; only a scheduled meeting starts"})


def check_close(state: MeetingState, topic_states: Mapping[str, TopicState]) -> None:
    """A meeting is closed only once every topic it took is decided (accepted ones have an outcome)."""
    if state is not MeetingState.IN_PROGRESS:
        raise InvalidInput(
            {"meeting_id": f"the meeting is {state.value}; only a meeting in progress is closed"}
        )
    open_topics = sorted(t for t, s in topic_states.items() if s in (TopicState.FILED, TopicState.ACCEPTED))
    if open_topics:
        raise RuleViolation(
            "A42.undecided-topic",
            f"topics {', '.join(open_topics)} are undecided; record their "
            "outcome (or the mayor's refusal) before closing the meeting",
        )


# ---- leave from a meeting (A43) ------------------------------------------------------------------


def check_leave_request(
    *,
    kind: MeetingKind,
    meeting_state: MeetingState,
    applicant: Person,
    participants: Iterable[str],
    reason: str,
    already_asked: bool,
) -> bool:
    """A43: who asks for leave from which meeting. Returns True when the applicant is a city leader
    (asks the mayor directly)."""
    if kind not in (MeetingKind.PLENARY, MeetingKind.EXECUTIVE):
        raise InvalidInput(
            {
                "meeting_id": "A43 leave is asked from plenary and executive meetings; for other "
                "meetings tell the convener"
            }
        )
    if meeting_state is not MeetingState.SCHEDULED:
        raise InvalidInput({"meeting_id": f"the meeting is {meeting_state.value}; leave is asked before it"})
    if not reason.strip():
        raise InvalidInput({"reason": "a reason is required"})
    if MAYOR in applicant.positions:
        raise InvalidInput(
            {"meeting_id": "the mayor convenes and chairs; he delegates instead of asking leave"}
        )
    if applicant.user_id not in set(participants):
        raise InvalidInput({"meeting_id": "the applicant is neither a member nor an attendee of the meeting"})
    if already_asked:
        raise InvalidInput({"meeting_id": "the applicant has asked leave from this meeting already"})
    return _holds_any(applicant, CITY_LEADERS)


def check_leave_check(state: LeaveState, *, leader: bool, checker: Person) -> None:
    """A43: the secretary-general checks (核) the leave of an attendee who is not a city leader."""
    if SECRETARY_GENERAL not in checker.positions:
        raise RuleViolation("A43.leave-chain", "the secretary-general checks leave from the meeting")
    if leader:
        raise RuleViolation(
            "A43.leave-chain", "a city leader asks the mayor directly; there is nothing to check"
        )
    if state is not LeaveState.REQUESTED:
        raise InvalidInput({"leave_id": f"the leave is {state.value}; only a requested leave is checked"})


def check_leave_decision(state: LeaveState, *, leader: bool, decider: Person) -> None:
    """A43: the mayor approves a leader's request at once, others' once the secretary-general checked."""
    if not decider.has_mayors_authority:
        raise RuleViolation(
            "A43.leave-chain", "leave from a plenary or executive meeting is approved by the mayor"
        )
    if state in (LeaveState.APPROVED, LeaveState.REFUSED):
        raise InvalidInput({"leave_id": f"the leave is {state.value} already"})
    if not leader and state is not LeaveState.CHECKED:
        raise RuleViolation(
            "A43.leave-chain",
            "the office's applicants are checked by the secretary-general " "before the mayor approves",
        )


# ---- minutes (A43, A45) and decisions ------------------------------------------------------------


def check_minutes_drafter(
    kind: MeetingKind, *, drafter_organisation: str, convener_organisation: str
) -> None:
    """A43: the research office drafts plenary minutes, the general office executive ones (and the
    mayor's office meeting's); A45: the convener's side drafts special-topic minutes."""
    allowed = {
        MeetingKind.PLENARY: {RESEARCH_OFFICE},
        MeetingKind.EXECUTIVE: {GENERAL_OFFICE},
        MeetingKind.MAYORS_OFFICE: {GENERAL_OFFICE},
        MeetingKind.SPECIAL_TOPIC: {convener_organisation, GENERAL_OFFICE} - {""},
    }[kind]
    if drafter_organisation not in allowed:
        rule = "A45.minutes-drafter" if kind is MeetingKind.SPECIAL_TOPIC else "A43.minutes-drafter"
        raise RuleViolation(
            rule, f"minutes of a {SERIES_TITLE[kind]} are drafted by {' or '.join(sorted(allowed))}"
        )


def check_minutes_signer(
    kind: MeetingKind,
    *,
    signer: Person,
    convener_user_id: str,
    chair_user_id: str,
    delegated_by_user_id: str,
) -> None:
    """A43: plenary minutes are signed by the mayor, executive ones by the mayor or the chair he
    delegated; A45: special-topic minutes by the convener or the leader who delegated."""
    if kind is MeetingKind.SPECIAL_TOPIC:
        if signer.user_id not in {convener_user_id, delegated_by_user_id} - {""}:
            raise RuleViolation(
                "A45.minutes-signer",
                "special-topic minutes are signed by the convener or by "
                "the leader who delegated the meeting",
            )
        return
    if signer.has_mayors_authority:
        return
    if kind is MeetingKind.EXECUTIVE and delegated_by_user_id and signer.user_id == chair_user_id:
        return
    rule = "A44.minutes-signer" if kind is MeetingKind.MAYORS_OFFICE else "A43.minutes-signer"
    raise RuleViolation(
        rule,
        f"minutes of a {SERIES_TITLE[kind]} are signed by the mayor"
        + (" or the chair he delegated" if kind is MeetingKind.EXECUTIVE else ""),
    )


def check_minutes_editable(state: MinutesState) -> None:
    """A20, A26: signed minutes are locked; a correction is new minutes linked to them."""
    if state is MinutesState.SIGNED:
        raise RuleViolation(
            "A26.signed-minutes-locked",
            "signed minutes are not changed; draft a correction " "(corrects_minutes_id) instead",
        )


def check_minutes_meeting(state: MeetingState) -> None:
    if state is MeetingState.SCHEDULED:
        raise InvalidInput({"meeting_id": "the meeting has not started; minutes follow the meeting"})


def check_correction_target(state: MinutesState, same_meeting: bool) -> None:
    if not same_meeting:
        raise InvalidInput({"corrects_minutes_id": "the minutes corrected belong to another meeting"})
    if state is not MinutesState.SIGNED:
        raise InvalidInput(
            {"corrects_minutes_id": "only signed minutes are corrected; revise the draft instead"}
        )


@dataclass(frozen=True)
class DecisionDraft:
    topic_id: str
    text: str
    owner_organisation_code: str
    due: date | None
    category: MatterCategory
    matter_ref: str


def check_decision_items(
    items: Sequence[DecisionDraft], *, meeting_day: date, topic_ids: Iterable[str]
) -> None:
    """Each decision has its text, an owner and a deadline (supervision tracks them)."""
    problems: list[tuple[str, str]] = []
    known = set(topic_ids)
    for i, item in enumerate(items):
        if not item.text.strip():
            problems.append((f"decisions[{i}].text", "the decision's text is required"))
        if not item.owner_organisation_code:
            problems.append(
                (f"decisions[{i}].owner_organisation_code", "the organisation that carries it out")
            )
        if item.due is None:
            problems.append((f"decisions[{i}].due", "the deadline is required"))
        elif item.due < meeting_day:
            problems.append((f"decisions[{i}].due", f"before the meeting day {meeting_day}"))
        if item.topic_id and item.topic_id not in known:
            problems.append((f"decisions[{i}].topic_id", "not a topic of this meeting"))
    if problems:
        raise InvalidInput(problems)


def decision_reference(kind: MeetingKind, year: int, number: int) -> str:
    """e.g. 常务会议决定〔2025〕7号: numbered per series (meeting kind) and year."""
    return f"{SERIES_TITLE[kind]}决定〔{year}〕{number}号"


def check_participant_may_read(
    user_id: str, participants: Iterable[str], *, office: bool, owner: bool, released: bool
) -> bool:
    """A42: topic materials reach the meeting's attendees once the office has released them,
    and only them; the office and the owning department see them all along."""
    return office or owner or (released and user_id in set(participants))


def check_materials_release(meeting_state: MeetingState, unreleased_accepted_topics: int) -> None:
    """A42: materials are released to the attendees before the meeting (会前分送), not after
    it began, and only those of topics on the agenda (accepted by the mayor)."""
    if meeting_state is not MeetingState.SCHEDULED:
        raise RuleViolation(
            "A42.materials-before-meeting",
            f"materials are released before the meeting; this one is {meeting_state.value}",
        )
    if unreleased_accepted_topics == 0:
        raise InvalidInput(
            {"meeting_id": "no accepted topic whose materials are not yet released: accept a topic first"}
        )


@dataclass(frozen=True)
class DecisionKey:
    """What identifies a decision across a correction of its minutes."""

    decision_id: str
    topic_id: str
    owner_organisation_code: str
    matter_ref: str


def superseded_decisions(standing: Iterable[DecisionKey], restated: Iterable[DecisionKey]) -> dict[str, str]:
    """A26: corrected minutes (更正) restate every decision that still stands; the decisions of
    the minutes they correct are all superseded. Each old decision maps to its restatement (same
    topic, or else same owner and matter), or to "" when the correction withdrew it."""
    unused = list(restated)
    replaced: dict[str, str] = {}
    for old in standing:
        match = next((new for new in unused if old.topic_id and new.topic_id == old.topic_id), None) or next(
            (
                new
                for new in unused
                if not new.topic_id
                and (new.owner_organisation_code, new.matter_ref) == (old.owner_organisation_code, old.matter_ref)
            ),
            None,
        )
        if match is not None:
            unused.remove(match)
        replaced[old.decision_id] = match.decision_id if match else ""
    return replaced


def effective_chair(chair_user_id: str, chair_away: bool, acting_user_id: str) -> tuple[str, str]:
    """A chair on leave is replaced by the acting holder org names (A10, A59): (chair, basis)."""
    if chair_away and acting_user_id:
        return acting_user_id, f"acting for {chair_user_id}"
    if chair_away:
        raise RuleViolation(
            "A42.chair", "the chair is away and nobody acts for him or her; delegate the chair"
        )
    return chair_user_id, ""


# ---- department meetings (A46) ---------------------------------------------------------------------


class MeetingFormat(str, Enum):
    VIDEO = "video"  # 视频会议
    IN_PERSON = "in_person"


class DepartmentMeetingState(str, Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


# A46 原则上每年不超过1次: city-wide meetings of one department in a year.
CITY_WIDE_MEETINGS_A_YEAR = 1


@dataclass(frozen=True)
class DepartmentMeetingRequest:
    organisation_code: str
    title: str
    day: date | None
    city_wide: bool
    invites_county_heads: bool
    leader_user_ids: tuple[str, ...]
    format: MeetingFormat
    in_person_reason: str
    exception_reason: str
    in_city_government_name: bool


def check_department_meeting(
    request: DepartmentMeetingRequest,
    *,
    today: date,
    leaders: Iterable[str],
    city_wide_this_year: int,
) -> None:
    """A46: what a department's request must satisfy before it goes to the city government.

    A city-wide meeting of a department is not held in the name of the city government or its
    office; video is the default (in person needs a reason); at most one city-wide meeting a
    year unless an exception is argued; only city leaders are asked to attend.
    """
    problems: dict[str, str] = {}
    if not request.organisation_code:
        problems["organisation_code"] = "the requester belongs to no department"
    if not request.title.strip():
        problems["title"] = "the meeting's title is required"
    if request.day is None:
        problems["day"] = "the day is required"
    elif request.day < today:
        problems["day"] = f"{request.day} has passed"
    if request.format is MeetingFormat.IN_PERSON and not request.in_person_reason.strip():
        problems["in_person_reason"] = "city-wide meetings are held by video as a rule; say why in person"
    if not (request.city_wide or request.invites_county_heads or request.leader_user_ids):
        problems["city_wide"] = (
            "only a city-wide meeting, one inviting county heads or one asking city leaders to attend "
            "needs the city government's approval"
        )
    unknown = sorted(set(request.leader_user_ids) - set(leaders))
    if unknown:
        problems["leader_user_ids"] = f"not city leaders: {', '.join(unknown)}"
    if problems:
        raise InvalidInput(problems)
    if request.in_city_government_name:
        raise RuleViolation(
            "A46.not-in-city-name",
            "a department's city-wide meeting is not held in the name of the city government or its office",
        )
    if (
        request.city_wide
        and city_wide_this_year >= CITY_WIDE_MEETINGS_A_YEAR
        and not request.exception_reason.strip()
    ):
        raise RuleViolation(
            "A46.one-a-year",
            f"the department has {city_wide_this_year} city-wide meeting(s) this year already; a department "
            "holds at most one a year as a rule — argue the exception (exception_reason)",
        )


def check_department_meeting_decision(state: DepartmentMeetingState, decider: Person) -> None:
    """A46: approved by the city government's principal leader (市政府主要领导): the mayor or acting mayor."""
    if not decider.has_mayors_authority:
        raise RuleViolation(
            "A46.approval", "department meetings are approved by the mayor (or the acting mayor)"
        )
    if state is not DepartmentMeetingState.REQUESTED:
        raise InvalidInput({"department_meeting_id": f"the request is {state.value} already"})
