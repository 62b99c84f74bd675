"""A leader's meetings as iCalendar text (RFC 5545): the VEVENT of a meeting here; the text's rules
(folding, escaping, the time zone) and the feed addresses in shared/ical.py, shared with supervision's
deadline feeds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.meetings.domain import SERIES_TITLE, MeetingKind
from shared.ical import (  # noqa: F401 (re-exported: the feed's callers and tests name them here)
    TZID,
    calendar_text,
    escape_text,
    feed_secret_digest,
    feed_url,
    fold,
    new_feed_secret,
    utc_stamp,
)

PRODID = "-//Ziyang Municipal Government//zgov meetings//ZH"
UID_DOMAIN = "meetings.zgov"


@dataclass(frozen=True)
class FeedMeeting:
    meeting_id: str
    kind: MeetingKind
    title: str
    day: date
    start_minute: int
    duration_minutes: int
    location: str
    emergency: bool
    # The leader's part: 主持 (chair), 召集 (convener), 出席 (member) or 列席 (invitee).
    role: str


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def event_lines(meeting: FeedMeeting, stamp: datetime) -> list[str]:
    start = datetime.combine(meeting.day, time()) + timedelta(minutes=meeting.start_minute)
    end = start + timedelta(minutes=meeting.duration_minutes)
    series = SERIES_TITLE[meeting.kind]
    summary = f"{'【紧急】' if meeting.emergency else ''}{series}：{meeting.title}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting.meeting_id}@{UID_DOMAIN}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART;TZID={TZID}:{_local(start)}",
        f"DTEND;TZID={TZID}:{_local(end)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(f'{series}，本人{meeting.role}')}",
        f"CATEGORIES:{escape_text(series)}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
    ]
    if meeting.location:
        lines.append(f"LOCATION:{escape_text(meeting.location)}")
    lines.append("END:VEVENT")
    return lines


def ics_for(meetings: Iterable[FeedMeeting], *, calendar_name: str, stamp: datetime) -> str:
    """The VCALENDAR text: one VEVENT per meeting, folded, CRLF line ends."""
    return calendar_text(
        (event_lines(m, stamp) for m in meetings), prodid=PRODID, calendar_name=calendar_name
    )


def role_of(user_id: str, *, convener: str, chair: str, members: Iterable[str]) -> str:
    if user_id == chair:
        return "主持"
    if user_id == convener:
        return "召集"
    return "出席" if user_id in set(members) else "列席"


def feed_meetings(rows: Iterable, user_id: str) -> list[FeedMeeting]:
    """The meetings of `user_id` (rows of models.Meeting) as feed entries with his or her part."""
    return [
        FeedMeeting(
            str(r.id),
            MeetingKind(r.kind),
            r.title,
            r.day,
            r.start_minute,
            r.duration_minutes,
            r.location,
            r.emergency,
            role_of(user_id, convener=r.convener_user_id, chair=r.chair_user_id, members=r.member_user_ids),
        )
        for r in rows
    ]


# ---- built feeds, reused while their rows are unchanged -----------------------------------------


class BuiltFeeds:
    """The last text built for each feed (a person, a window, a calendar name), kept beside the rows it
    was built from. Calendar apps poll the same feed over and over: the rows are still read on every
    poll (one query through the participants' index), but the text — most of a poll's time — is
    built again only when they differ from the kept rows. Any change of what the feed shows (a
    meeting moved, renamed, added, dropped, a part changed) changes the rows, so it shows at the next
    poll; nothing needs to tell this cache. At most `size` feeds are kept (least recently polled
    dropped first); each process has its own."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._built: OrderedDict[Hashable, tuple[tuple, str]] = OrderedDict()

    def text(self, key: Hashable, rows: Sequence, build: Callable[[], str]) -> str:
        """The feed's text for these rows: the kept one if they equal the rows it was built from."""
        rows = tuple(rows)
        kept = self._built.get(key)
        if kept is not None and kept[0] == rows:
            self._built.move_to_end(key)
            return kept[1]
        text = build()
        self._built[key] = (rows, text)
        self._built.move_to_end(key)
        while len(self._built) > self.size:
            self._built.popitem(last=False)
        return text


# ---- subscribable feed addresses (shared/ical.py: the secret, its digest, the URL) --------------

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 366


def feed_window(today: date) -> tuple[date, date]:
    """The days a subscribed feed covers: a month back (recent minutes), a year ahead."""
    return today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)
