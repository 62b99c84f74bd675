"""Leaders at events (A54, A55, A59): requests in advance, approvals, festivities, photo sessions,
the review, the leader's decision (or the acting holder's), reassignment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from shared.errors import Forbidden, InvalidInput, RuleViolation
from services.org.domain.common import (
    EXECUTIVE_VICE_MAYOR,
    MAYOR,
    SECRETARY_GENERAL,
    VICE_MAYOR,
)
from services.org.domain.leave import (
    ActingAnswer,
)


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
APPROVAL_KINDS = frozenset(
    {
        ActivityKind.RIBBON_CUTTING,
        ActivityKind.GROUND_BREAKING,
        ActivityKind.AWARD_CEREMONY,
        ActivityKind.UNVEILING,
        ActivityKind.CELEBRATION,
        ActivityKind.COMMEMORATION,
        ActivityKind.COMMENDATION_MEETING,
        ActivityKind.EXPO,
        ActivityKind.SEMINAR,
        ActivityKind.FORUM,
    }
)
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
    ATTENDED = "attended"  # recorded by the office once the day came (A31: an inspection is research)
    NOT_ATTENDED = "not_attended"  # agreed, but did not attend after all (no research day)


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


def check_outcome(*, attended: bool | None, note: str, event_day: date, today: date) -> None:
    """A31, A54: whether the leader attended is recorded once the event's day has come, a reason given
    when he did not."""
    problems: dict[str, str] = {}
    if attended is None:
        problems["outcome"] = "attended or not attended"
    elif not attended and not note.strip():
        problems["note"] = "say why the leader did not attend"
    if event_day > today:
        problems["attendance_id"] = (
            f"the event is on {event_day}; its outcome is recorded once the day has come"
        )
    if problems:
        raise InvalidInput(problems)


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
    *,
    new_leader_user_id: str,
    new_leader_positions: Iterable[str],
    current_leader_user_id: str,
    earlier_leader_user_ids: Iterable[str],
) -> str:
    """A59: another city leader attends in place of one who cannot; returns the new leader's position."""
    if not new_leader_user_id:
        raise InvalidInput({"leader_user_id": "the leader who attends instead is required"})
    if new_leader_user_id == current_leader_user_id or new_leader_user_id in set(earlier_leader_user_ids):
        raise InvalidInput({"leader_user_id": f"{new_leader_user_id} was already asked to attend this event"})
    return check_city_leader(new_leader_user_id, new_leader_positions)
