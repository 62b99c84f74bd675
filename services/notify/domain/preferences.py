"""A person's preferences (个人通知设置) and when a message may go: plain rules, no I/O.

- Channels per kind of message; a kind not chosen goes by e-mail.
- Quiet hours (免打扰时段, China Standard Time, may wrap midnight): a message that is not urgent
  waits until they end; an urgent one (a limit due today, an emergency meeting) goes at once.
- Daily digest (每日汇总): low-urgency messages wait for the digest time and go as one message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from services.notify.domain.notices import Channel, Kind, Urgency
from shared.convert import CHINA
from shared.errors import InvalidInput

DEFAULT_CHANNELS: tuple[Channel, ...] = (Channel.EMAIL,)
DEFAULT_DIGEST_TIME = time(8, 30)
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Preferences:
    channels: dict[Kind, tuple[Channel, ...]] = field(default_factory=dict)
    quiet_start: time | None = None
    quiet_end: time | None = None
    daily_digest: bool = False
    digest_time: time = DEFAULT_DIGEST_TIME

    def channels_for(self, kind: Kind) -> tuple[Channel, ...]:
        return self.channels.get(kind) or DEFAULT_CHANNELS


def parse_clock(value: str, field_name: str) -> time | None:
    """'HH:MM' → time; '' → None; anything else is bad input."""
    value = value.strip()
    if not value:
        return None
    match = HHMM.match(value)
    if not match:
        raise InvalidInput({field_name: f"{value!r} is not a time of day HH:MM (e.g. 22:00)"})
    return time(int(match.group(1)), int(match.group(2)))


def check(preferences: Preferences) -> None:
    """Quiet hours are both set or both empty, and not empty of length."""
    start, end = preferences.quiet_start, preferences.quiet_end
    if (start is None) != (end is None):
        raise InvalidInput(
            {
                "preferences.quiet_end"
                if end is None
                else "preferences.quiet_start": "quiet hours need both a start and an end"
            }
        )
    if start is not None and start == end:
        raise InvalidInput({"preferences.quiet_end": "quiet hours must not start and end at the same time"})
    for kind, channels in preferences.channels.items():
        if not channels:
            raise InvalidInput({"preferences.channels": f"choose at least one channel for {kind.value}"})


def in_quiet_hours(preferences: Preferences, clock: time) -> bool:
    start, end = preferences.quiet_start, preferences.quiet_end
    if start is None or end is None:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end  # wraps midnight, e.g. 22:00–07:00


def _next_at(local: datetime, at: time) -> datetime:
    """The next moment (now or later) at `at` o'clock, China time."""
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate >= local else candidate + timedelta(days=1)


def send_at(preferences: Preferences, urgency: Urgency, now: datetime) -> tuple[datetime, bool]:
    """When a message may go (UTC-aware), and whether it waits for the daily digest."""
    local = now.astimezone(CHINA)
    if urgency is Urgency.URGENT:
        return now, False
    if urgency is Urgency.LOW and preferences.daily_digest:
        return _next_at(local, preferences.digest_time), True
    if in_quiet_hours(preferences, local.timetz().replace(tzinfo=None)):
        return _next_at(local, preferences.quiet_end), False
    return now, False
