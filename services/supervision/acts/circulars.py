"""Acts on circulars (情况通报, A61): draft the month's circular (the tallies, the office's praise and
criticism, and every item the ladder sent to the mayor), and send it to be issued as an official document
(supervision.circular.requested — documents files it as a draft of kind circular)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.domain import circulars as domain
from services.supervision.domain.circulars import CircularState, Entry, Verdict
from services.supervision.models import Circular
from services.supervision.store import circulars as store
from shared.audit import record_act
from shared.outbox import add_event
from zgov.supervision.v1 import circulars_pb2 as pb

MESSAGE_TYPES = {"requested": pb.CircularRequested}
VERDICT_TO_PROTO = {v: pb.Verdict.Value(f"VERDICT_{v.name}") for v in Verdict}


def ref_of(row: Circular) -> str:
    return f"circular/{row.id}"


def entry_to_proto(row: dict) -> pb.CircularEntry:
    return pb.CircularEntry(
        item_id=row["item_id"],
        item_number=row["item_number"],
        lead_body_code=row["lead_body_code"],
        verdict=VERDICT_TO_PROTO[Verdict(row["verdict"])],
        reason=row["reason"],
        from_escalation=row["from_escalation"],
    )


async def draft(
    session: AsyncSession, actor, year: int, month: int, chosen: list[Entry], today: date
) -> Circular:
    """The month's circular, drafted (or redrafted while not yet sent) by the office."""
    domain.check_month(year, month, today)
    first, last = date(year, month, 1), domain.month_end(year, month)
    day = min(today, last)
    facts = await store.facts_of(session, [e.item_id for e in chosen])
    for entry in chosen:
        domain.check_entry(entry, facts.get(entry.item_id), day)
    entries = domain.with_escalated(
        [domain.complete(e, facts[e.item_id]) for e in chosen],
        await store.sent_to_mayor(session, first, last),
    )
    rows = [e.as_row() for e in entries]
    tallies = await store.tallies(session, first, last, day)
    row = await store.circular_of(session, year, month)
    if row is None:
        row = Circular(
            id=uuid.uuid4(),
            year=year,
            month=month,
            state=CircularState.DRAFTED.value,
            title=domain.title(year, month),
            tallies=tallies,
            entries=rows,
            text="",
        )
        await store.add(session, row)
    else:
        domain.check_request(CircularState(row.state))
        row.tallies, row.entries = tallies, rows
    row.text = domain.text(year, month, tallies, rows)
    await session.flush()
    await record_act(
        session,
        ref_of(row),
        "circular.drafted",
        actor,
        f"{year}-{month:02d}: {len(tallies)} bodies, {len(rows)} items named",
    )
    return row


async def request_issue(session: AsyncSession, actor, row: Circular, office_code: str) -> Circular:
    """Sent once to be issued as an official document (kind circular) through documents."""
    domain.check_request(CircularState(row.state))
    row.state = CircularState.ISSUE_REQUESTED.value
    await session.flush()
    await record_act(session, ref_of(row), "circular.issue-requested", actor, row.title)
    await add_event(
        session,
        "supervision.circular.requested",
        pb.CircularRequested(
            circular_id=str(row.id),
            year=row.year,
            month=row.month,
            title=row.title,
            text=row.text,
            organisation_code=office_code,
            entries=[entry_to_proto(e) for e in row.entries],
        ),
        ref_of(row),
        actor,
    )
    return row
