"""Reads and writes of the meetings service's tables, by aggregate. Never commits: the caller owns the
transaction. Everything is re-exported here: `from services.meetings import store`."""

from services.meetings.store.calendar import (
    calendar_subscription_by_digest,
    delete_calendar_subscription,
    replace_calendar_subscription,
)
from services.meetings.store.department_meetings import (
    city_wide_meetings_in_year,
    get_department_meeting,
    list_department_meetings,
    lock_department,
)
from services.meetings.store.leave import (
    get_leave,
    leaves_of_meeting,
)
from services.meetings.store.meetings import (
    _BOOKING_LOCK,
    as_booking,
    bookings_on,
    calendar_meetings,
    get_meeting,
    last_meeting_day,
    list_meetings,
    lock_bookings,
)
from services.meetings.store.minutes import (
    collective_decisions_on,
    decisions_of_minutes,
    get_minutes,
    list_decisions,
    next_decision_number,
)
from services.meetings.store.rows import (
    add,
    get_row,
    like_escaped,
    row_key,
)
from services.meetings.store.topics import (
    get_consent,
    get_proposal,
    get_topic,
    list_topics,
    topics_of,
)

__all__ = [
    "get_proposal",
    "_BOOKING_LOCK",
    "get_row",
    "row_key",
    "like_escaped",
    "add",
    "as_booking",
    "bookings_on",
    "calendar_subscription_by_digest",
    "calendar_meetings",
    "city_wide_meetings_in_year",
    "collective_decisions_on",
    "decisions_of_minutes",
    "delete_calendar_subscription",
    "get_consent",
    "get_department_meeting",
    "get_leave",
    "get_meeting",
    "get_minutes",
    "get_topic",
    "last_meeting_day",
    "leaves_of_meeting",
    "list_decisions",
    "list_department_meetings",
    "list_meetings",
    "list_topics",
    "lock_bookings",
    "lock_department",
    "next_decision_number",
    "replace_calendar_subscription",
    "topics_of",
]
