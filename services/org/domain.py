"""The working rules the `org` service owns, as plain functions (no I/O).

A8   portfolios (分管): each department is overseen by one leader; routing follows it.
A10  while the mayor is abroad, studying full-time or on leave, the executive vice
     mayor acts as mayor (代行).
A59  vice mayors paired as A/B roles (互为AB角) stand in for each other.
A79  on statutory holidays other than weekends a city leader is on duty (带班).
A82  leave (请销假): the mayor and the executive vice mayor are not away at the same
     time unless an explicit override with a reason is given.
A54  a county or department asks in advance for a city leader to attend an event (政务活动);
     the office reviews, the leader decides; foreign-affairs events are filed (备案) with
     市经济合作和外事局.
A55  ceremonies, celebrations, expos, seminars and forums need the approval of the city
     party committee and government; county and department festivities are, as a rule,
     not attended; no photo session with delegates without approval.
A59  (first half) a vice mayor who cannot attend: the office asks another leader instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from shared.errors import Forbidden, InvalidInput, RuleViolation
from shared.people import person

MAYOR = "mayor"
EXECUTIVE_VICE_MAYOR = "executive-vice-mayor"
VICE_MAYOR = "vice-mayor"
SECRETARY_GENERAL = "secretary-general"

# Leaders who may hold a portfolio (A8) and be paired (A59).
PORTFOLIO_POSITIONS = frozenset({EXECUTIVE_VICE_MAYOR, VICE_MAYOR})
# City leaders (市领导) who take turns on holiday duty (A79).
DUTY_POSITIONS = frozenset({MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL})


class LeaveKind(str, Enum):
    ABROAD = "abroad"  # 出国（境）
    STUDY = "study"  # 脱产学习
    LEAVE = "leave"  # 请假 / 休假
    BUSINESS_TRIP = "business_trip"  # 出差


class LeaveState(str, Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    ENDED = "ended"


# A10 names these three absences; a business trip leaves the mayor reachable.
A10_ABSENCES = frozenset({LeaveKind.ABROAD, LeaveKind.STUDY, LeaveKind.LEAVE})
# Leaves that still take the holder away (or will).
LIVE_STATES = frozenset({LeaveState.REQUESTED, LeaveState.APPROVED})


@dataclass(frozen=True)
class Absence:
    """A leave as the rules see it: who is away, in which position, which days."""

    leave_id: str
    user_id: str
    position: str
    kind: LeaveKind
    first_day: date
    last_day: date
    state: LeaveState
    acting_user_id: str = ""

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def overlaps(self, first_day: date, last_day: date) -> bool:
        return self.first_day <= last_day and first_day <= self.last_day

    @property
    def takes_holder_away(self) -> bool:
        return self.state is LeaveState.APPROVED


def check_leave_request(
    *,
    user_positions: Iterable[str],
    position: str,
    kind: LeaveKind | None,
    first_day: date | None,
    last_day: date | None,
    reason: str,
    own_leaves: Iterable[Absence],
) -> None:
    """Bad input and overlapping requests are refused before anything is written."""
    problems: dict[str, str] = {}
    if first_day is None:
        problems["first_day"] = "the first day of absence is required"
    if last_day is None:
        problems["last_day"] = "the last day of absence is required"
    if first_day and last_day and last_day < first_day:
        problems["last_day"] = f"the leave ends ({last_day}) before it starts ({first_day})"
    if kind is None:
        problems["kind"] = "the kind of absence is required: abroad, study, leave or business trip"
    if not reason.strip():
        problems["reason"] = "a reason is required"
    if position not in set(user_positions):
        problems["position"] = f"the requester does not hold the position '{position}'"
    if problems:
        raise InvalidInput(problems)
    assert first_day and last_day
    for other in own_leaves:
        if other.state in LIVE_STATES and other.overlaps(first_day, last_day):
            raise RuleViolation(
                "A82.overlap",
                f"this leave overlaps leave {other.leave_id} ({other.first_day} to {other.last_day}, "
                f"{other.state.value}); end or change that one first",
            )


def leave_end_outcome(*, state: LeaveState, first_day: date, last_day: date, new_last_day: date,
                      today: date) -> LeaveState:
    """销假 (A82) without rewriting the record (A20, A26): the state a leave takes when it is ended.

    A leave ends from a day not before today: the days a leader was already away stay recorded,
    because an acting holder may have signed under them (A10, A59). So a new last day before
    yesterday is refused, and so is ending an approved leave that has begun with a last day before
    its first day (it would become a leave that "never took the holder away"). A requested leave,
    or an approved one that has not begun, is withdrawn: ENDED, never counted as an absence.
    """
    if new_last_day > last_day:
        raise InvalidInput({"last_day": f"after the leave's last day {last_day}; request a new leave"})
    if state is LeaveState.REQUESTED:
        return LeaveState.ENDED
    if first_day > today:  # not begun: nobody acted under it yet
        return LeaveState.ENDED if new_last_day < first_day else state
    earliest = max(first_day, today - timedelta(days=1))
    if new_last_day < earliest:
        raise RuleViolation(
            "A26.leave-taken",
            f"the leave began on {first_day} and ends from today at the earliest: the days already away "
            f"stay recorded (an acting holder may have signed under them); the last day away is {earliest} or later",
            subject="last_day",
        )
    return state


def both_top_leaders_away(
    candidate: Absence, approved: Iterable[Absence]
) -> Absence | None:
    """A82: the approved absence of the other top leader that overlaps the candidate, if any.

    The candidate is a leave of the mayor or of the executive vice mayor; the other top
    leader's approved absences are checked for a shared day.
    """
    other_position = {MAYOR: EXECUTIVE_VICE_MAYOR, EXECUTIVE_VICE_MAYOR: MAYOR}.get(candidate.position)
    if other_position is None:
        return None
    for absence in approved:
        if (
            absence.position == other_position
            and absence.takes_holder_away
            and absence.overlaps(candidate.first_day, candidate.last_day)
        ):
            return absence
    return None


def check_both_away(candidate: Absence, approved: Iterable[Absence], override_reason: str) -> None:
    """A82: refuse to let the mayor and the executive vice mayor be away together, unless overridden."""
    clash = both_top_leaders_away(candidate, approved)
    if clash and not override_reason.strip():
        raise RuleViolation(
            "A82",
            f"the {clash.position} is away from {clash.first_day} to {clash.last_day} (leave "
            f"{clash.leave_id}); the mayor and the executive vice mayor are not away at the same time "
            "unless an override with a reason is given",
        )


@dataclass(frozen=True)
class ActingAnswer:
    """Who may exercise a position's authority on a day, and on what basis."""

    position: str
    holder_user_id: str
    acting_user_id: str
    holder_away: bool
    basis: str
    leave_id: str = ""


def stand_in_for(
    absence: Absence, *, executive_vice_mayor_id: str | None, ab_partner_id: str | None
) -> tuple[str, str]:
    """The stand-in the rules name for an absence, and the basis: (user id, basis)."""
    if absence.position == MAYOR and absence.kind in A10_ABSENCES and executive_vice_mayor_id:
        return executive_vice_mayor_id, "A10"
    if absence.position in PORTFOLIO_POSITIONS and ab_partner_id:
        return ab_partner_id, "A59"
    if absence.acting_user_id:
        return absence.acting_user_id, "named in leave"
    return "", "no stand-in named"


def who_may_act(
    *,
    position: str,
    holder_user_id: str,
    day: date,
    absences: Iterable[Absence],
    executive_vice_mayor_id: str | None,
    ab_partner_id: str | None,
) -> ActingAnswer:
    """A10, A59: the holder acts, unless away on an approved leave; then the stand-in, if present."""
    absences = list(absences)
    away = next(
        (a for a in absences if a.user_id == holder_user_id and a.takes_holder_away and a.covers(day)),
        None,
    )
    if away is None:
        return ActingAnswer(position, holder_user_id, holder_user_id, False, "holder present")
    stand_in, basis = stand_in_for(
        away, executive_vice_mayor_id=executive_vice_mayor_id, ab_partner_id=ab_partner_id
    )
    stand_in_away = any(a.user_id == stand_in and a.takes_holder_away and a.covers(day) for a in absences)
    if stand_in and stand_in_away:
        return ActingAnswer(position, holder_user_id, "", True, f"{basis}: stand-in also away", away.leave_id)
    return ActingAnswer(position, holder_user_id, stand_in, True, basis, away.leave_id)


@dataclass(frozen=True)
class StandInGap:
    """Days on which a position's holder is away and nobody acts for him or her (A10, A59).

    Flagged when a leave is requested and approved, so the office arranges a stand-in (or a
    leave named in the request) before a signature fails, not after.
    """

    position: str
    holder_user_id: str
    leave_id: str
    first_day: date
    last_day: date
    reason: str


def _overlap(a: Absence, b: Absence) -> tuple[date, date] | None:
    first, last = max(a.first_day, b.first_day), min(a.last_day, b.last_day)
    return (first, last) if first <= last else None


def stand_in_gaps(
    leave: Absence,
    approved: Iterable[Absence],
    stand_in_of: Callable[[Absence], tuple[str, str]],
    names: Mapping[str, str] | None = None,
) -> list[StandInGap]:
    """A10, A59: the gaps a leave opens, were it approved alongside the `approved` absences.

    Its own position when the rules name no stand-in (e.g. the mayor's business trip, not an A10
    absence) or the stand-in is away on some of its days; and any position whose absent holder
    counts on this leave's holder as stand-in on shared days. `stand_in_of` is stand_in_for with
    the executive vice mayor and the A/B pairs bound.
    """
    names = names or {}

    def who(user_id: str) -> str:
        return person(user_id, names.get(user_id, ""))

    others = [a for a in approved if a.leave_id != leave.leave_id and a.takes_holder_away]
    gaps = []
    stand_in, basis = stand_in_of(leave)
    if not stand_in:
        gaps.append(StandInGap(
            leave.position, leave.user_id, leave.leave_id, leave.first_day, leave.last_day,
            f"nobody acts for {who(leave.user_id)} as {leave.position}: the rules name no stand-in for "
            f"this absence ({leave.kind.value}) and the request names none",
        ))
    for other in others:
        days = _overlap(leave, other)
        if days is None:
            continue
        if stand_in and other.user_id == stand_in:
            gaps.append(StandInGap(
                leave.position, leave.user_id, leave.leave_id, *days,
                f"the stand-in {who(stand_in)} ({basis}) is away too (leave {other.leave_id})",
            ))
        other_stand_in, other_basis = stand_in_of(other)
        if other_stand_in and other_stand_in == leave.user_id:
            gaps.append(StandInGap(
                other.position, other.user_id, other.leave_id, *days,
                f"{who(other.user_id)} is away and {who(leave.user_id)} stands in ({other_basis}), "
                f"but this leave takes {who(leave.user_id)} away too",
            ))
    return gaps


def ab_partner(user_id: str, pairs: Iterable[tuple[str, str]]) -> str | None:
    """A59: the other leader of the user's A/B pair."""
    for a, b in pairs:
        if a == user_id:
            return b
        if b == user_id:
            return a
    return None


def check_ab_pair(a: str, b: str, positions_of: Mapping[str, frozenset[str]]) -> None:
    """A59: two different vice mayors (the executive vice mayor may be one of them)."""
    problems = {}
    if not a:
        problems["leader_a_user_id"] = "required"
    if not b:
        problems["leader_b_user_id"] = "required"
    if a and a == b:
        problems["leader_b_user_id"] = "a leader cannot be paired with himself or herself"
    for field, user in (("leader_a_user_id", a), ("leader_b_user_id", b)):
        if user and user not in problems and not (positions_of.get(user, frozenset()) & PORTFOLIO_POSITIONS):
            problems[field] = f"user {user} is not a vice mayor"
    if problems:
        raise InvalidInput(problems)


def check_portfolio(
    *,
    leader_user_id: str,
    leader_positions: frozenset[str],
    organisation_codes: Iterable[str],
    known_organisations: Iterable[str],
    other_portfolios: Mapping[str, Iterable[str]],
) -> None:
    """A8: a portfolio belongs to a vice mayor; each department is overseen by one leader."""
    codes = list(organisation_codes)
    problems: dict[str, str] = {}
    if not leader_positions & PORTFOLIO_POSITIONS:
        problems["leader_user_id"] = f"user {leader_user_id} is not a vice mayor or executive vice mayor"
    unknown = sorted(set(codes) - set(known_organisations))
    if unknown:
        problems["organisation_codes"] = "unknown organisations: " + ", ".join(unknown)
    elif len(set(codes)) != len(codes):
        problems["organisation_codes"] = "an organisation is listed twice"
    if problems:
        raise InvalidInput(problems)
    for other_leader, other_codes in other_portfolios.items():
        if other_leader == leader_user_id:
            continue
        shared = sorted(set(codes) & set(other_codes))
        if shared:
            raise RuleViolation(
                "A8",
                f"{', '.join(shared)} already overseen by {other_leader}; each department has one "
                "leader in charge — remove it from that portfolio first",
            )


def portfolio_holder(
    portfolios: Mapping[str, tuple[Iterable[str], Iterable[str]]], *, organisation_code: str = "", matter: str = ""
) -> str | None:
    """A8: the leader whose portfolio covers an organisation or a matter (None: goes to the mayor)."""
    for leader, (codes, matters) in portfolios.items():
        if organisation_code and organisation_code in set(codes):
            return leader
        if matter and any(matter == m or m in matter for m in matters):
            return leader
    return None


def check_duty_assignment(
    *,
    day: date,
    duty_days: Mapping[date, str],
    leader_positions: frozenset[str],
    leader_absences: Iterable[Absence],
) -> None:
    """A79: a city leader on a statutory holiday that is not a weekend, and not away that day."""
    if day not in duty_days:
        raise InvalidInput({"day": f"{day} is not a statutory holiday on a weekday; no duty roster is kept for it"})
    if not leader_positions & DUTY_POSITIONS:
        raise InvalidInput({"leader_user_id": "only city leaders (mayor, vice mayors, secretary-general) take duty"})
    for absence in leader_absences:
        if absence.takes_holder_away and absence.covers(day):
            raise RuleViolation("A79", f"the leader is away on {day} (leave {absence.leave_id}); choose another")


def uncovered_duty_days(duty_days: Iterable[date], assigned: Iterable[date]) -> list[date]:
    """A79: statutory holidays on weekdays without a leader on duty."""
    return sorted(set(duty_days) - set(assigned))


# ---- event attendance (A54, A55, A59) -----------------------------------------------------------

# City leaders (市政府领导) whom a county or department may ask to attend an event (A54).
CITY_LEADER_POSITIONS = (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL)
# A54 "提前报市政府": at least this many days between the request and the event day.
MIN_DAYS_IN_ADVANCE = 1


class ActivityKind(str, Enum):
    RIBBON_CUTTING = "ribbon_cutting"  # 剪彩
    GROUND_BREAKING = "ground_breaking"  # 奠基
    AWARD_CEREMONY = "award_ceremony"  # 颁奖
    UNVEILING = "unveiling"  # 揭幕
    CELEBRATION = "celebration"  # 庆祝会
    COMMEMORATION = "commemoration"  # 纪念会
    COMMENDATION_MEETING = "commendation_meeting"  # 表彰会
    EXPO = "expo"  # 博览会
    SEMINAR = "seminar"  # 研讨会
    FORUM = "forum"  # 论坛
    TEA_PARTY = "tea_party"  # 茶话会
    GALA = "gala"  # 联欢会
    NEW_YEAR_GATHERING = "new_year_gathering"  # 团拜会
    MEETING = "meeting"  # 会议
    INSPECTION = "inspection"  # 调研、视察
    FOREIGN_AFFAIRS_VISIT = "foreign_affairs_visit"  # 外事会见、访问
    OTHER = "other"


# A55: not attended without the approval of the city party committee and government (市委市政府批准).
APPROVAL_KINDS = frozenset({
    ActivityKind.RIBBON_CUTTING, ActivityKind.GROUND_BREAKING, ActivityKind.AWARD_CEREMONY,
    ActivityKind.UNVEILING, ActivityKind.CELEBRATION, ActivityKind.COMMEMORATION,
    ActivityKind.COMMENDATION_MEETING, ActivityKind.EXPO, ActivityKind.SEMINAR, ActivityKind.FORUM,
})
# A55: as a rule not attended when a county or a department holds them.
FESTIVITY_KINDS = frozenset({ActivityKind.TEA_PARTY, ActivityKind.GALA, ActivityKind.NEW_YEAR_GATHERING})
# Organisation kinds (Keycloak group attribute `kind`) whose festivities A55 names.
COUNTY_OR_DEPARTMENT = frozenset({"county", "department"})


class AttendanceState(str, Enum):
    REQUESTED = "requested"  # waiting for the office's review
    FORWARDED = "forwarded"  # the office sent it to the leader with its opinion (报市政府有关领导审定)
    RETURNED = "returned"  # the office sent it back with a reason
    AGREED = "agreed"  # the leader will attend
    DECLINED = "declined"  # the leader cannot attend; the office may ask another (A59)


@dataclass(frozen=True)
class AttendanceRequest:
    """A request to have a city leader attend an event, as the rules see it."""

    organisation_code: str
    organisation_kind: str  # office | department | county
    leader_user_id: str
    event_day: date | None
    title: str
    venue: str
    kind: ActivityKind | None
    foreign_affairs: bool = False
    foreign_affairs_filing_ref: str = ""
    approval_ref: str = ""
    photo_session: bool = False
    photo_approval_ref: str = ""
    festivity_override_reason: str = ""

    @property
    def is_foreign_affairs(self) -> bool:
        return self.foreign_affairs or self.kind is ActivityKind.FOREIGN_AFFAIRS_VISIT


def check_attendance_request(
    request: AttendanceRequest, *, today: date, leader_positions: Iterable[str]
) -> None:
    """A54, A55: what a request must carry before the office sees it. Nothing is written on failure."""
    problems: dict[str, str] = {}
    if not request.organisation_code:
        problems["requesting_organisation_code"] = "the requester belongs to no county or department"
    if not request.leader_user_id:
        problems["leader_user_id"] = "the city leader asked to attend is required"
    if request.event_day is None:
        problems["event_day"] = "the day of the event is required"
    if not request.title.strip():
        problems["title"] = "the event's title is required"
    if not request.venue.strip():
        problems["venue"] = "the venue is required"
    if request.kind is None:
        problems["activity_kind"] = "the kind of activity is required"
    if problems:
        raise InvalidInput(problems)
    assert request.event_day and request.kind
    check_in_advance(request.event_day, today)
    check_city_leader(request.leader_user_id, leader_positions)
    check_approval(request.kind, request.approval_ref)
    check_county_festivity(request.kind, request.organisation_kind, request.festivity_override_reason)
    check_photo_session(request.photo_session, request.photo_approval_ref)


def check_in_advance(event_day: date, today: date) -> None:
    """A54: the request reaches the city government before the event (提前报市政府)."""
    if (event_day - today).days < MIN_DAYS_IN_ADVANCE:
        raise RuleViolation(
            "A54.in-advance",
            f"the event is on {event_day}; a request to have a city leader attend is made at least "
            f"{MIN_DAYS_IN_ADVANCE} day(s) before the event (today is {today})",
        )


def check_not_passed(event_day: date, today: date) -> None:
    """A54: the office and the leader act on a request before its event, not after."""
    if event_day < today:
        raise RuleViolation("A54.in-advance", f"the event day {event_day} has passed (today is {today})")


def leader_position(positions: Iterable[str]) -> str | None:
    """The city-leader position of a person, the highest first (a person holds one as a rule)."""
    held = set(positions)
    return next((p for p in CITY_LEADER_POSITIONS if p in held), None)


def check_city_leader(user_id: str, positions: Iterable[str]) -> str:
    """A54: only city leaders are asked (mayor, vice mayors, secretary-general); returns the position."""
    position = leader_position(positions)
    if position is None:
        raise RuleViolation(
            "A54.leader",
            f"user {user_id} holds no city leader position (mayor, executive vice mayor, vice mayor, "
            "secretary-general); only city leaders are asked to attend events through the office",
        )
    return position


def check_approval(kind: ActivityKind, approval_ref: str) -> None:
    """A55: ceremonies, celebrations, expos, seminars and forums need 市委市政府 approval."""
    if kind in APPROVAL_KINDS and not approval_ref.strip():
        raise RuleViolation(
            "A55.approval",
            f"a {kind.value.replace('_', ' ')} is not attended by city leaders without the approval of the "
            "city party committee and government; give the approval document's reference (approval_ref)",
        )


def check_county_festivity(kind: ActivityKind, organisation_kind: str, override_reason: str) -> None:
    """A55: tea parties, galas and new-year gatherings of counties and departments, as a rule not attended."""
    if kind in FESTIVITY_KINDS and organisation_kind in COUNTY_OR_DEPARTMENT and not override_reason.strip():
        raise RuleViolation(
            "A55.county-festivities",
            f"city leaders as a rule do not attend a {kind.value.replace('_', ' ')} held by a county or "
            "department; ask only with a reason for the exception (festivity_override_reason)",
        )


def check_photo_session(photo_session: bool, photo_approval_ref: str) -> None:
    """A55: no meeting the delegates for a group photo (接见会议代表并合影) without approval."""
    if photo_session and not photo_approval_ref.strip():
        raise RuleViolation(
            "A55.photo",
            "a photo session with the delegates is not arranged without approval; give its reference "
            "(photo_approval_ref) or leave the photo session out",
        )


def check_forward(
    *, is_foreign_affairs: bool, foreign_affairs_filing_ref: str, event_day: date, today: date
) -> None:
    """A54: a foreign-affairs event is forwarded only once filed with the foreign-affairs bureau."""
    check_not_passed(event_day, today)
    if is_foreign_affairs and not foreign_affairs_filing_ref.strip():
        raise RuleViolation(
            "A54.foreign-affairs-filing",
            "a foreign-affairs event is filed (备案) with the foreign-affairs bureau (市经济合作和外事局) by the "
            "county or lead department before the office forwards it; give the filing reference",
        )


def attendance_decider(*, caller_user_id: str, leader_user_id: str, acting: ActingAnswer) -> bool:
    """A54, A10, A59: who decides a forwarded request: the leader asked, or whoever acts for that leader
    on the event day. Returns True when the caller decides in the leader's place."""
    if caller_user_id == leader_user_id:
        return False
    if acting.holder_away and acting.acting_user_id and caller_user_id == acting.acting_user_id:
        return True
    raise Forbidden(
        "only the leader asked to attend, or the leader acting for him or her on the event day, decides",
        rule_id="A54",
    )


def check_reassignment(
    *, new_leader_user_id: str, new_leader_positions: Iterable[str], current_leader_user_id: str,
    earlier_leader_user_ids: Iterable[str],
) -> str:
    """A59: another city leader attends in place of one who cannot; returns the new leader's position."""
    if not new_leader_user_id:
        raise InvalidInput({"leader_user_id": "the leader who attends instead is required"})
    if new_leader_user_id == current_leader_user_id or new_leader_user_id in set(earlier_leader_user_ids):
        raise InvalidInput({"leader_user_id": f"{new_leader_user_id} was already asked to attend this event"})
    return check_city_leader(new_leader_user_id, new_leader_positions)
