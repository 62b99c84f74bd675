"""docs/design.md "Time": a deadline computed into a year whose official schedule is unknown is
provisional, and is recomputed when the schedule arrives — here for countersigns (A49) and the
handling limit of a filed document (A53), through the function the countersign clock calls,
against a real PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from services.documents import store
from services.documents.__main__ import MIGRATIONS
from services.documents.events import recompute_provisional_deadlines
from shared import audit
from shared.db import create_engine, session_factory, transaction
from shared.migrations import run_migrations
from shared.workdays import YearSchedule, calendar

pytestmark = pytest.mark.integration


@pytest.fixture
async def sessions(database):
    await run_migrations(database, MIGRATIONS)
    engine = create_engine(database)
    yield session_factory(engine)
    await engine.dispose()


async def add_filed_document(session, filed_on: date, days: int):
    deadline = calendar().add_working_days(filed_on, days)
    return await store.add_document(
        session,
        direction="incoming",
        state="filed",
        kind="request",
        title="关于2027年春运工作的请示",
        urgency="ordinary",
        content={},
        organisation_code="transport-bureau",
        sender_organisation_code="transport-bureau",
        sender_name="市交通运输局",
        sender_category="department",
        created_by={},
        created_on=filed_on,
        filed_on=filed_on,
        handling_working_days=days,
        handling_due=deadline.due,
        handling_provisional=deadline.provisional,
    ), deadline


async def test_A49_A53_provisional_deadlines_take_the_official_days_once_the_schedule_is_loaded(sessions):
    """Requested Mon 21 Dec 2026 with 10 working days: day 10 falls in January 2027, which the
    pinned calendar does not know (weekends only: Mon 4 Jan 2027). The official schedule makes
    1-3 January rest days (New Year) — the example dates of deploy/calendar — so the due day
    becomes Tue 5 Jan; a filed document's 10-day handling limit moves the same way."""
    requested = date(2026, 12, 21)
    async with transaction(sessions) as session:
        document, handling = await add_filed_document(session, requested, 10)
        first = calendar().add_working_days(requested, 10)
        assert (first.due, first.provisional) == (date(2027, 1, 4), True)
        await store.add_countersign(
            session,
            document_id=document.id,
            organisation_code="finance-bureau",
            requested_on=requested,
            working_days=10,
            due=first.due,
            provisional=True,
        )
        answered = await store.add_countersign(
            session,
            document_id=document.id,
            organisation_code="audit-bureau",
            requested_on=requested,
            working_days=10,
            due=first.due,
            provisional=True,
        )
        answered.state = "agreed"  # answered already: its day no longer matters
        # Nothing known yet: nothing moves.
        assert await recompute_provisional_deadlines(session, calendar()) == 0

    official = calendar().with_schedules(
        YearSchedule(
            2027, holidays={date(2027, 1, 1): "元旦", date(2027, 1, 2): "元旦", date(2027, 1, 3): "元旦"}
        )
    )
    async with transaction(sessions) as session:
        assert await recompute_provisional_deadlines(session, official) == 2
    async with transaction(sessions) as session:
        (moved, untouched) = sorted(
            await store.countersigns_of(session, document.id),
            key=lambda c: c.organisation_code != "finance-bureau",
        )
        assert (moved.due, moved.provisional) == (date(2027, 1, 5), False)
        assert (untouched.due, untouched.provisional) == (date(2027, 1, 4), True)
        row = await store.get_document(session, str(document.id))
        assert (row.handling_due, row.handling_provisional) == (date(2027, 1, 5), False)
        acts = [(r.act, r.reason) for r in await audit.history(session, f"document/{document.id}")]
        assert (
            "countersign.due-recomputed",
            "finance-bureau: 2027-01-04 → 2027-01-05 (official schedule of 2027 loaded)",
        ) in acts
        assert any(act == "document.handling-due-recomputed" for act, _ in acts)
        # Once official, a second round changes nothing.
        assert await recompute_provisional_deadlines(session, official) == 0
