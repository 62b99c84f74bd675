"""docs/design.md "Time" for the article 26 limit (publish within 20 working days of the date made):
a limit computed into a year whose official schedule is unknown is provisional, and takes its
official day once the schedule is loaded — through the function the service's sweep calls,
against a real PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from services.disclosure.store import publications as store
from services.disclosure.__main__ import MIGRATIONS
from services.disclosure.acts.publications import queue_publication, recompute_provisional_limits
from services.disclosure.domain.publications import Category, Kind
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


async def test_art26_a_provisional_limit_takes_the_official_day_once_the_schedule_is_loaded(sessions):
    """Made Mon 7 Dec 2026: day 20 is Mon 4 Jan 2027 on weekends only; the official schedule
    (New Year 1-3 Jan as rest days, deploy/calendar's example) moves it to Tue 5 Jan."""
    made = date(2026, 12, 7)
    async with transaction(sessions) as session:
        row = await queue_publication(
            session,
            calendar(),
            made,
            kind=Kind.POLICY,
            category=Category.RULES_AND_NORMATIVE_DOCUMENTS,
            made_on=made,
            title="关于做好2027年元旦春节期间市场保供工作的通知",
        )
        assert (row.publish_due, row.publish_due_provisional) == (date(2027, 1, 4), True)
        assert await recompute_provisional_limits(session, calendar()) == 0  # 2027 still unknown
    official = calendar().with_schedules(
        YearSchedule(
            2027, holidays={date(2027, 1, 1): "元旦", date(2027, 1, 2): "元旦", date(2027, 1, 3): "元旦"}
        )
    )
    async with transaction(sessions) as session:
        assert await recompute_provisional_limits(session, official) == 1
    async with transaction(sessions) as session:
        row = await store.get(session, row.id)
        assert (row.publish_due, row.publish_due_provisional) == (date(2027, 1, 5), False)
        acts = [(r.act, r.reason) for r in await audit.history(session, f"publication/{row.id}")]
        assert (
            "publication.limit-recomputed",
            "article 26: 2027-01-04 → 2027-01-05 (official schedule of 2027 loaded)",
        ) in acts
        assert await recompute_provisional_limits(session, official) == 0
