"""The running limit kept on each case, the overdue sweep and the recomputation of provisional limits,
against a real PostgreSQL (no Keycloak needed: the functions the service's sweep calls)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from services.petitions import domain
from services.petitions.store import cases as store
from services.petitions.__main__ import MIGRATIONS
from services.petitions.acts.overdue import emit_overdue_events
from services.petitions.limits import recompute_provisional_limits, set_limit
from shared.db import create_engine, session_factory, transaction
from shared.migrations import run_migrations
from shared.outbox import TABLES
from shared.workdays import WorkingCalendar, YearSchedule, calendar

pytestmark = pytest.mark.integration

NAME, PHONE = "林晓梅", "13912345678"


@pytest.fixture
async def sessions(database):
    await run_migrations(database, MIGRATIONS)
    engine = create_engine(database)
    yield session_factory(engine)
    await engine.dispose()


async def add_case(session, cal: WorkingCalendar, **fields):
    values = dict(
        channel="letter",
        category="complaint_report",
        state="in_handling",
        received_on=date(2026, 11, 16),
        title="学校违规收费",
        content="请查处。",
        petitioners=[{"name": NAME, "phone": PHONE}],
        body_complained_about="education-bureau",
        person_complained_about="李校长",
        attachments=[],
        person_keys=[],
        query_code_hash=f"h{fields.get('accepted_on')}{fields.get('state')}",
        handling_body_code="anyue-county",
        assigned_on=date(2026, 11, 18),
        accepted_on=date(2026, 11, 20),
    )
    values.update(fields)
    row = await store.add_case(session, **values)
    set_limit(row, cal)
    await session.flush()
    return row


async def test_A71_a_limit_in_a_year_without_schedule_is_recomputed_when_the_schedule_arrives(sessions):
    """Accepted 20 Nov 2026: day 60 is Tue 19 Jan 2027, a year the pinned calendar does not know yet."""
    async with transaction(sessions) as session:
        row = await add_case(session, calendar())
        assert (row.current_stage, row.current_due, row.current_due_provisional) == (
            "handling",
            date(2027, 1, 19),
            True,
        )
        row.overdue_notified_stage = "handling"  # pretend it was escalated already
        assert await recompute_provisional_limits(session, calendar()) == 0  # 2027 still unknown
    official = calendar().with_schedules(YearSchedule(2027, holidays={date(2027, 1, 19): "测试假日"}))
    async with transaction(sessions) as session:
        assert await recompute_provisional_limits(session, official) == 1
    async with transaction(sessions) as session:
        row = await store.get_case(session, str(row.id))
        assert (row.current_due, row.current_due_provisional, row.overdue_notified_stage) == (
            date(2027, 1, 20),
            False,
            "handling",
        )
        assert await recompute_provisional_limits(session, official) == 0


async def test_A71_A80_overdue_escalated_once_per_stage_and_the_outbox_names_nobody(sessions):
    async with transaction(sessions) as session:
        late = await add_case(
            session,
            calendar(),
            accepted_on=date(2025, 8, 2),
            received_on=date(2025, 7, 30),
            assigned_on=date(2025, 7, 31),
        )
        await add_case(session, calendar(), accepted_on=date(2026, 11, 25))  # not late
        assert late.current_due == date(2025, 10, 9)
    today = date(2026, 11, 26)
    async with transaction(sessions) as session:
        assert await emit_overdue_events(session, today, "petition-bureau") == 1
    async with transaction(sessions) as session:
        assert await emit_overdue_events(session, today, "petition-bureau") == 0
        # A new stage is a new limit: escalated again once it passes.
        row = await store.get_case(session, str(late.id), for_update=True)
        row.state = domain.CaseState.REGISTERED.value
        set_limit(row, calendar())
    async with transaction(sessions) as session:
        assert await emit_overdue_events(session, today, "petition-bureau") == 1
        payloads = (await session.execute(select(TABLES.outbox.c.subject, TABLES.outbox.c.payload))).all()
    assert [subject for subject, _ in payloads] == ["petitions.case.overdue"] * 2
    for _, payload in payloads:
        for secret in (NAME, PHONE, "李校长", "education-bureau", "学校违规收费", "请查处"):
            assert secret.encode() not in payload
