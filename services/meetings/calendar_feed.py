"""A leader's meetings as iCalendar text (RFC 5545), written by hand: no package needed.

What RFC 5545 asks of the text, and where it is done here:
- lines end with CRLF (3.1);
- a content line longer than 75 octets is folded: CRLF followed by one space (3.1), never
  inside a UTF-8 sequence — Chinese titles are 3 octets a character (`fold`);
- TEXT values escape backslash, semicolon, comma and newlines (3.3.11, `escape_text`);
- DTSTAMP is UTC, a DTSTART with TZID needs a VTIMEZONE of that id (3.6.5): China Standard
  Time is UTC+8 all year, so one STANDARD component is enough.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.meetings.domain import SERIES_TITLE, MeetingKind

TZID = "Asia/Shanghai"
PRODID = "-//Ziyang Municipal Government//zgov meetings//ZH"
UID_DOMAIN = "meetings.zgov"
VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "END:STANDARD",
    "END:VTIMEZONE",
)
MAX_OCTETS = 75


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


def escape_text(value: str) -> str:
    """RFC 5545 3.3.11: backslash, semicolon and comma escaped; newlines as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """RFC 5545 3.1: at most 75 octets a line; continuation lines start with one space."""
    if len(line) * 4 <= MAX_OCTETS or len(line.encode("utf-8")) <= MAX_OCTETS:  # most lines: nothing to fold
        return line
    parts: list[str] = []
    current, size = "", 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            # A continuation line's leading space counts towards its 75 octets.
            current, size, limit = char, width, MAX_OCTETS - 1
        else:
            current += char
            size += width
    parts.append(current)
    return "\r\n ".join(parts)


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
        f"DTSTAMP:{stamp.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
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
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(calendar_name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *VTIMEZONE,
    ]
    for meeting in meetings:
        lines.extend(event_lines(meeting, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


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


# ---- subscribable feed addresses --------------------------------------------------------------
# A calendar app polls its feed without logging in, so the address carries a secret: 32 random
# bytes (256 bits, not guessable), of which only the SHA-256 is stored.

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 366


def new_feed_secret() -> str:
    return secrets.token_urlsafe(32)


def feed_secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def feed_url(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/calendar/{secret}.ics"


def feed_window(today: date) -> tuple[date, date]:
    """The days a subscribed feed covers: a month back (recent minutes), a year ahead."""
    return today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)
