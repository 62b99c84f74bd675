"""The meetings service's recorded acts cannot be rewritten (that its migrations build exactly its models is
tests/integration/test_service_migrations.py); decision
numbers are given without gaps under concurrency."""

import asyncio
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from services.meetings import store
from services.meetings.__main__ import MIGRATIONS
from services.meetings.models import metadata
from shared.db import create_engine, session_factory, transaction
from shared.migrations import pending_autogenerate_changes

pytestmark = pytest.mark.integration


async def test_A20_A26_audit_records_cannot_be_rewritten(database):
    await pending_autogenerate_changes(database, MIGRATIONS, metadata)
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_record (id, subject_ref, act, actor, reason) "
                    "VALUES (gen_random_uuid(), 'minutes/1', 'minutes.signed', '{}', '')"
                )
            )
        for statement in ("UPDATE audit_record SET reason = 'rewritten'", "DELETE FROM audit_record"):
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                async with engine.begin() as conn:
                    await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def test_decision_numbers_per_series_and_year_have_no_gaps_under_concurrency(database):
    """Concurrent sign-offs lock the counter row FOR UPDATE: 1..N once each, and a rolled-back
    sign-off gives its number back."""
    await pending_autogenerate_changes(database, MIGRATIONS, metadata)
    engine = create_engine(database, pool_size=10)
    sessions = session_factory(engine)

    async def take(series: str, year: int, fail: bool = False) -> int | None:
        try:
            async with transaction(sessions) as session:
                number = await store.next_decision_number(session, series, year)
                await asyncio.sleep(0.01)  # hold the lock a moment, as a sign-off does
                if fail:
                    raise RuntimeError("sign-off failed after numbering")
                return number
        except RuntimeError:
            return None

    try:
        runs = [take("executive", 2026) for _ in range(12)] + [
            take("executive", 2026, fail=True) for _ in range(3)
        ]
        runs += [take("plenary", 2026) for _ in range(3)] + [take("executive", 2027) for _ in range(2)]
        results = await asyncio.gather(*runs)
        assert sorted(results[:15], key=lambda n: n or 0) == [None] * 3 + list(range(1, 13))
        assert sorted(results[15:18]) == [1, 2, 3] and sorted(results[18:]) == [1, 2]
        async with transaction(sessions) as session:
            rows = (
                await session.execute(
                    sa.text("SELECT series, year, last_number FROM decision_counter ORDER BY series, year")
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("executive", 2026, 12),
            ("executive", 2027, 2),
            ("plenary", 2026, 3),
        ]
    finally:
        await engine.dispose()


async def test_a_persons_meetings_are_found_through_the_participants_index(database):
    """The calendar query's participant condition is answered from the GIN index ix_meeting_participants
    on the generated participants column (seq scans off, as a large table would have it), and the
    column follows the convener, chair, members and invitees."""
    await pending_autogenerate_changes(database, MIGRATIONS, metadata)
    engine = create_engine(database)
    try:
        async with transaction(session_factory(engine)) as session:
            await session.execute(sa.text("SET LOCAL enable_seqscan = off"))
            await session.execute(
                sa.text(
                    "INSERT INTO meeting (id, kind, title, convener_user_id, convener_organisation_code, chair_user_id,"
                    " delegated_by_user_id, day, start_minute, duration_minutes, location, emergency, emergency_reason,"
                    " state, member_user_ids, invitee_user_ids, attending_organisation_codes, present_user_ids,"
                    " fixed_agenda) VALUES (gen_random_uuid(), 'executive', '常务会议', 'secretary', '', 'mayor', '',"
                    " '2026-06-01', 540, 60, '', false, '', 'scheduled', ARRAY['evm'], ARRAY['guest'], '{}', '{}',"
                    " '[]')"
                )
            )
            for person, expected in (("mayor", 1), ("secretary", 1), ("evm", 1), ("guest", 1), ("nobody", 0)):
                found = await store.calendar_meetings(
                    session, person, date(2026, 1, 1), date(2026, 12, 31), 10
                )
                assert len(found) == expected, person
            assert (
                await store.calendar_meetings(session, "mayor", date(2026, 7, 1), date(2026, 12, 31), 10)
                == []
            )
            compiled = (
                "EXPLAIN SELECT id FROM meeting WHERE participant_user_ids @> ARRAY[CAST('mayor' AS VARCHAR)]"
            )
            plan = "\n".join((await session.execute(sa.text(compiled))).scalars())
        assert "ix_meeting_participants" in plan, plan
    finally:
        await engine.dispose()
