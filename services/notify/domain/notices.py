"""What a notice is (通知): who must be told of an event, about what, how urgently — plain values, no I/O.

A notice names its targets: a person (by user id; told in person, or whoever acts for them today,
A10/A59) or a body (by its organisation code; told through its designated contact). Its text is
made by the consumers from the event's own fields only, with a link into the right place; the
privacy rule (`privacy.py`) decides what a source may say at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """The kind of matter; preferences choose channels per kind."""

    MEETING = "meeting"
    DOCUMENT = "document"
    LEAVE = "leave"
    SUPERVISION = "supervision"
    PETITION = "petition"
    DISCLOSURE = "disclosure"


class Urgency(StrEnum):
    LOW = "low"  # may wait for the daily digest
    NORMAL = "normal"
    URGENT = "urgent"  # a limit due today, an emergency meeting: ignores quiet hours


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WECOM_ROBOT = "wecom-robot"  # 企业微信群机器人
    WECOM_APP = "wecom-app"  # 企业微信应用消息
    DINGTALK_ROBOT = "dingtalk-robot"  # 钉钉自定义机器人


@dataclass(frozen=True)
class Target:
    """A person (user_id) or a body (body_code) to tell. `in_person`: a duty of the person, not of a
    position (a trip's report, a gift to hand over), told to that person even while a stand-in acts."""

    user_id: str = ""
    body_code: str = ""
    in_person: bool = False


@dataclass(frozen=True)
class Notice:
    event_id: str
    subject: str
    source: str  # the producing service, for the privacy rule
    kind: Kind
    urgency: Urgency
    title: str
    text: str
    link: str
    targets: tuple[Target, ...] = field(default_factory=tuple)
    classified: bool = False  # 涉密: the message says only that something waits, with the link


@dataclass(frozen=True)
class Recipient:
    """A person resolved from a target, with where to reach them."""

    user_id: str
    name: str = ""
    acting_for_user_id: str = ""  # told in place of this absent holder (A10, A59)
    acting_for_name: str = ""
    body_code: str = ""  # told as this body's contact
    addresses: dict[Channel, str] = field(default_factory=dict)


def mask(address: str) -> str:
    """An address the office may see without reading it whole: de***@ziyang.example, 138****0001."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:2]}***@{domain}"
    if len(address) >= 7:
        return f"{address[:3]}****{address[-4:]}"
    return address[:1] + "***"
