"""A citizen's consent to be told of his or her own case (通知授权): given, withdrawn — each a recorded
act without the addresses — and the deliveries an event of a consented case makes (登记待发)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.domain import consent as domain
from services.notify.domain.consent import CaseKind
from services.notify.domain.notices import Channel, Kind
from services.notify.domain.preferences import send_at
from services.notify.models import CitizenConsent
from services.notify.store import consent as store
from services.notify.store import deliveries
from shared.audit import record_act
from shared.convert import CHINA
from shared.identity import Actor

KINDS = {CaseKind.PETITION: Kind.PETITION, CaseKind.APPLICATION: Kind.DISCLOSURE}


def _ref(kind: CaseKind, case_id: str) -> str:
    return f"consent/{kind.value}/{case_id}"


async def give(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    kind: CaseKind | None,
    case_id: str,
    number: str,
    citizen_user_id: str,
    channels: list[Channel],
    email: str,
    phone: str,
    wording: str,
    at_any_hour: bool = False,
) -> CitizenConsent:
    """Given (or given again with other channels): stands from now, with only the addresses needed;
    keeps the quiet hours unless `at_any_hour`."""
    domain.check_consent(kind, case_id, number, channels, email, phone, wording)
    email, phone = domain.kept_addresses(channels, email, phone)
    values = {
        "number": number.strip(),
        "citizen_user_id": citizen_user_id.strip(),
        "channels": [c.value for c in dict.fromkeys(channels)],
        "email": email,
        "phone": phone,
        "wording": wording,
        "at_any_hour": at_any_hour,
        "given_at": now,
        "withdrawn_at": None,
    }
    row = await store.of_case(session, kind.value, case_id.strip(), for_update=True)
    if row is None:
        row = store.add(session, case_kind=kind.value, case_id=case_id.strip(), **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()
    # the recorded act names the channels and the wording, never the addresses
    hours = "at any hour" if at_any_hour else "quiet hours kept"
    await record_act(
        session, _ref(kind, row.case_id), "consent.given", actor, f"{values['channels']} {wording} {hours}"
    )
    return row


async def withdraw(session: AsyncSession, actor: Actor, now: datetime, kind: CaseKind, case_id: str):
    """Withdrawn at once: nothing more is planned, nothing waiting is sent (a change held through the
    night), the addresses are erased. None when never given."""
    row = await store.of_case(session, kind.value, case_id.strip(), for_update=True)
    if row is None or row.withdrawn_at is not None:
        return row
    row.withdrawn_at, row.email, row.phone = now, "", ""
    await deliveries.cancel_pending(session, domain.recipient_of(row.id), "the citizen withdrew the consent")
    await session.flush()
    await record_act(session, _ref(kind, row.case_id), "consent.withdrawn", actor)
    return row


async def plan(
    session: AsyncSession,
    event_id: str,
    subject: str,
    kind: CaseKind,
    case_id: str,
    state: str,
    link: str,
    offered: frozenset[Channel],
    now: datetime,
    occurred_at: datetime | None = None,
    act_by: date | None = None,
) -> int:
    """The messages of one event about a citizen's case: none without a standing consent; one per
    channel agreed, to the address agreed — now, or when the consent's quiet hours end (the officers'
    rule, `send_at`), unless the citizen must act by a near day (`act_by`: urgent). Unique per event
    and consent and channel: never twice. The dispatcher sends a case's waiting messages on a channel
    as one (acts/dispatch.py)."""
    row = await store.standing(session, kind.value, case_id)
    if row is None:
        return 0
    title, text = domain.citizen_message(kind, row.number, state, link, act_by)
    urgency = domain.urgency_of(act_by, now.astimezone(CHINA).date())
    at, _ = send_at(domain.preferences_of(row.at_any_hour), urgency, now)
    common = {
        "event_id": event_id,
        "event_subject": subject,
        "kind": KINDS[kind].value,
        "urgency": urgency.value,
        # not a person of the directory: the consent is the recipient
        "recipient_user_id": domain.recipient_of(row.id),
        "recipient_name": "",
        "acting_for_user_id": "",
        "body_code": "",
        "title": title[:255],
        "text": text,
        "link": link,
        "digest": False,
        "next_attempt_at": at,
        "occurred_at": occurred_at or now,
    }
    addresses = {Channel.EMAIL: row.email, Channel.SMS: row.phone}
    rows = []
    for channel in (Channel(c) for c in row.channels):
        row_of = {**common, "channel": channel.value, "address": addresses[channel]}
        if channel in offered and addresses[channel]:
            rows.append({**row_of, "state": deliveries.PENDING, "last_error": ""})
        else:  # the office sees who was not told, and why
            rows.append(
                {**row_of, "state": deliveries.FAILED, "last_error": f"{channel.value} is not configured"}
            )
    return await deliveries.add(session, rows)
