"""Department meetings (A46): city-wide meetings of a department, county heads and city leaders
invited only with the city government's approval, at most one a year, video by default."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from services.meetings.domain.common import Person
from shared.errors import InvalidInput, RuleViolation

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
