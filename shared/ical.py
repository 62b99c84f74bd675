"""iCalendar text (RFC 5545) written by hand, and the subscribable feed addresses: the parts every
service's calendar feed shares (meetings' leaders' calendars, supervision's deadlines).

What RFC 5545 asks of the text, and where it is done here:
- lines end with CRLF (3.1);
- a content line longer than 75 octets is folded: CRLF followed by one space (3.1), never
  inside a UTF-8 sequence — Chinese titles are 3 octets a character (`fold`);
- TEXT values escape backslash, semicolon, comma and newlines (3.3.11, `escape_text`);
- DTSTAMP is UTC, a DTSTART with TZID needs a VTIMEZONE of that id (3.6.5): China Standard
  Time is UTC+8 all year, so one STANDARD component is enough.

A calendar app polls its feed without logging in, so the address carries a secret: 32 random bytes
(256 bits, not guessable), of which only the SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

TZID = "Asia/Shanghai"
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


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(events: Iterable[list[str]], *, prodid: str, calendar_name: str) -> str:
    """The VCALENDAR text around the events' lines, folded, CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(calendar_name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *VTIMEZONE,
    ]
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def new_feed_secret() -> str:
    return secrets.token_urlsafe(32)


def feed_secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def feed_url(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/calendar/{secret}.ics"
