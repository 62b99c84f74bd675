"""Deadline feeds as iCalendar events (RFC 5545), no I/O: one all-day event per open item on its due
date, its summary the item's number and title, its colour (green / yellow / red) in the description;
or, for a body's proposals feed, one per suggestion or proposal (建议提案, A67) being handled, on its
handling limit. The text's rules (folding, escaping) are shared/ical.py's."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.ical import calendar_text, escape_text, utc_stamp

PRODID = "-//Ziyang Municipal Government//zgov supervision//ZH"
UID_DOMAIN = "supervision.zgov"
COLOUR_WORDS = {"green": "正常", "yellow": "黄牌（未按时报告）", "red": "红牌（逾期）"}
FEED_LIMIT = 5000


class FeedScope(enum.Enum):
    BODY = "body"
    LEADER = "leader"
    PROPOSALS = "proposals"  # a body's suggestions and proposals (A67)


# Scopes whose subject is the caller's organisation (the others: the caller, a city leader).
BODY_SCOPES = (FeedScope.BODY, FeedScope.PROPOSALS)
PROPOSAL_KIND_WORDS = {"npc_suggestion": "人大代表建议", "cppcc_proposal": "政协提案"}


@dataclass(frozen=True)
class FeedItem:
    item_id: str
    number: str
    title: str
    requirement: str
    due: date
    colour: str
    lead_body_code: str
    # The body's part: 牵头 (lead) or 协办 (co-body); a leader's: 督办 (supervises) or 批示 (instructed).
    role: str


def event_lines(item: FeedItem, stamp: datetime) -> list[str]:
    colour = COLOUR_WORDS.get(item.colour, item.colour)
    return [
        "BEGIN:VEVENT",
        # the due date in the UID: an extension moves the deadline as a new event, the old one gone
        f"UID:{item.item_id}-{item.due:%Y%m%d}@{UID_DOMAIN}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART;VALUE=DATE:{item.due:%Y%m%d}",
        f"DTEND;VALUE=DATE:{item.due + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(f'【督办到期】{item.number} {item.title}')}",
        f"DESCRIPTION:{escape_text(f'{item.role}；牵头单位 {item.lead_body_code}；{colour}。{item.requirement}')}",
        f"CATEGORIES:{escape_text('督查督办')}",
        "STATUS:CONFIRMED",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def ics_for(items: Iterable[FeedItem], *, calendar_name: str, stamp: datetime) -> str:
    return calendar_text((event_lines(i, stamp) for i in items), prodid=PRODID, calendar_name=calendar_name)


def role_in(row, scope: FeedScope, who: str) -> str:
    if scope is FeedScope.BODY:
        return "牵头" if row.lead_body_code == who else "协办"
    return "督办" if row.supervising_leader_user_id == who else "批示"


def feed_items(rows: Iterable, scope: FeedScope, who: str) -> list[FeedItem]:
    return [
        FeedItem(
            str(r.id),
            r.number,
            r.title,
            r.requirement,
            r.due,
            r.colour,
            r.lead_body_code,
            role_in(r, scope, who),
        )
        for r in rows
        if r.due is not None
    ]


def calendar_name(scope: FeedScope, display: str) -> str:
    if scope is FeedScope.PROPOSALS:
        return f"{display}建议提案办理时限"
    return f"{display}督办事项到期日" if scope is FeedScope.BODY else f"{display}督办事项"


def proposal_lines(row, body: str, stamp: datetime) -> list[str]:
    """A suggestion or proposal being handled, on its limit (the UID moves with an extended limit)."""
    kind = PROPOSAL_KIND_WORDS.get(row.kind, row.kind)
    role = "主办" if row.lead_body_code == body else "协办"
    late = "；重新办理（不满意）" if row.state == "reopened" else ""
    return [
        "BEGIN:VEVENT",
        f"UID:proposal-{row.id}-{row.due:%Y%m%d}@{UID_DOMAIN}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART;VALUE=DATE:{row.due:%Y%m%d}",
        f"DTEND;VALUE=DATE:{row.due + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(f'【建议提案办理时限】{kind}（{row.number}） {row.title}')}",
        f"DESCRIPTION:{escape_text(f'{role}；主办单位 {row.lead_body_code}；{row.session}{late}')}",
        f"CATEGORIES:{escape_text('建议提案办理')}",
        "STATUS:CONFIRMED",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def proposals_ics(rows: Iterable, body: str, *, calendar_name: str, stamp: datetime) -> str:
    events = (proposal_lines(r, body, stamp) for r in rows if r.due is not None)
    return calendar_text(events, prodid=PRODID, calendar_name=calendar_name)
