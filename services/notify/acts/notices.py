"""An event's notice becomes deliveries (登记待发): for each person told, each chosen channel the
installation offers and the person can be reached on, one row — due now, after the quiet hours,
or at the digest time. A person who cannot be reached on any chosen channel gets one failed row,
so the office sees who was not told and why. Never sends: the dispatcher does (acts/dispatch.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.acts import preferences
from services.notify.acts.people import People
from services.notify.domain import privacy
from services.notify.domain.notices import Channel, Notice, Recipient
from services.notify.domain.preferences import Preferences, send_at
from services.notify.store import deliveries as store


async def recipients_of(notice: Notice, people: People, day: date) -> list[Recipient]:
    """Everyone the targets name, each once (a person named twice, or as a body's contact too)."""
    found: dict[str, Recipient] = {}
    for target in notice.targets:
        for recipient in await people.recipients(target, day):
            found.setdefault(recipient.user_id, recipient)
    return list(found.values())


def _rows(
    notice: Notice, recipient: Recipient, chosen: Preferences, offered: frozenset[Channel], now: datetime
) -> list[dict]:
    at, digest = send_at(chosen, notice.urgency, now)
    title = notice.title
    if recipient.acting_for_user_id:  # A10, A59: told in the absent leader's place
        title = f"（代{recipient.acting_for_name or recipient.acting_for_user_id}）{title}"
    common = {
        "event_id": notice.event_id,
        "event_subject": notice.subject,
        "kind": notice.kind.value,
        "urgency": notice.urgency.value,
        "recipient_user_id": recipient.user_id,
        "recipient_name": recipient.name,
        "acting_for_user_id": recipient.acting_for_user_id,
        "body_code": recipient.body_code,
        "title": title[:255],
        "text": notice.text,
        "link": notice.link,
        "digest": digest,
        "next_attempt_at": at,
    }
    wanted = chosen.channels_for(notice.kind)
    reachable = [c for c in wanted if c in offered and recipient.addresses.get(c)]
    if not reachable:
        why = (
            f"no address of {recipient.name or recipient.user_id} for "
            f"{', '.join(c.value for c in wanted)} (or the channel is not configured)"
        )
        return [{**common, "channel": wanted[0].value, "state": store.FAILED, "last_error": why}]
    return [
        {**common, "channel": c.value, "address": recipient.addresses[c], "state": store.PENDING}
        for c in reachable
    ]


async def plan(
    session: AsyncSession,
    notice: Notice,
    people: People,
    offered: frozenset[Channel],
    now: datetime,
    day: date,
) -> int:
    """The deliveries of one notice, in the caller's transaction; how many are new."""
    return await plan_all(session, [notice], people, offered, now, day)


async def plan_all(
    session: AsyncSession,
    notices: list[Notice],
    people: People,
    offered: frozenset[Channel],
    now: datetime,
    day: date,
) -> int:
    """The deliveries of several notices in the caller's transaction, with one read of the recipients'
    preferences and one insert for all of them (a fetch of events planned together costs two
    statements, not two per event); how many are new."""
    told = []
    for notice in map(privacy.redacted, notices):
        told.append((notice, await recipients_of(notice, people, day)))
    chosen = await preferences.of(session, list({r.user_id: None for _, rs in told for r in rs}))
    rows = [
        row for notice, rs in told for r in rs for row in _rows(notice, r, chosen[r.user_id], offered, now)
    ]
    return await store.add(session, rows)
