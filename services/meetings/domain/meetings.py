"""Meetings (会议): who convenes, chairs and sits (A41, A42, A44, A45), when (day, time, emergency,
double booking, rhythm: A40–A42), quorum and the chair's stand-in (A42, A10, A59), start and close."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.meetings.domain.common import (
    ATTENDING_POSITIONS,
    CONVENER_RULE,
    DEPUTY_SECRETARY_GENERAL,
    EXECUTIVE_VICE_MAYOR,
    FIXED_AGENDA,
    MEMBER_POSITIONS,
    REGULAR_RHYTHM,
    SERIES_TITLE,
    SPECIAL_TOPIC_CONVENERS,
    VICE_MAYOR,
    AgendaItemKind,
    MeetingKind,
    MeetingState,
    Person,
    TopicState,
    _holds_any,
)
from shared.errors import InvalidInput, RuleViolation
from shared.transitions import Transition


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


# A meeting starts only when scheduled (shared.transitions).
START = Transition("meeting_id", "meeting", "starts", frozenset({MeetingState.SCHEDULED}))


def check_start(state: MeetingState) -> None:
    START.check(state)


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


def effective_chair(chair_user_id: str, chair_away: bool, acting_user_id: str) -> tuple[str, str]:
    """A chair on leave is replaced by the acting holder org names (A10, A59): (chair, basis)."""
    if chair_away and acting_user_id:
        return acting_user_id, f"acting for {chair_user_id}"
    if chair_away:
        raise RuleViolation(
            "A42.chair", "the chair is away and nobody acts for him or her; delegate the chair"
        )
    return chair_user_id, ""
