"""Reads and writes of the meetings service's tables. Never commits: the caller owns the transaction."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings import domain, models
from shared.errors import NotFound

# One lock for scheduling: two meetings scheduled at once must not both pass the double-booking check.
_BOOKING_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('meetings.booking'))")


def _like_escaped(text: str) -> str:
    """Search text taken literally in LIKE: % and _ are not wildcards when a person types them."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _key(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"{what} {value!r}") from None


async def _get(session: AsyncSession, model, row_id: str, what: str, for_update: bool):
    query = select(model).where(model.id == _key(row_id, what))
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"{what} {row_id}")
    return row


# ---- meetings ------------------------------------------------------------------------------------


async def lock_bookings(session: AsyncSession) -> None:
    await session.execute(_BOOKING_LOCK)


async def add(session: AsyncSession, row):
    session.add(row)
    await session.flush()
    return row


async def get_meeting(session: AsyncSession, meeting_id: str, *, for_update: bool = False) -> models.Meeting:
    return await _get(session, models.Meeting, meeting_id, "meeting", for_update)


def as_booking(row: models.Meeting) -> domain.Booking:
    return domain.Booking(
        str(row.id),
        row.title,
        row.day,
        row.start_minute,
        row.start_minute + row.duration_minutes,
        frozenset(row.participants),
    )


async def bookings_on(session: AsyncSession, day: date) -> list[domain.Booking]:
    rows = await session.scalars(
        select(models.Meeting).where(
            models.Meeting.day == day, models.Meeting.state != domain.MeetingState.CLOSED.value
        )
    )
    return [as_booking(r) for r in rows]


async def list_meetings(
    session: AsyncSession,
    *,
    kind: str = "",
    state: str = "",
    from_day: date | None = None,
    to_day: date | None = None,
    participant: str = "",
    title_contains: str = "",
    after: tuple[date, str] | None = None,
    limit: int = 50,
) -> list[models.Meeting]:
    """Meetings by day then id; `after` is the keyset cursor of the page token."""
    m = models.Meeting
    query = select(m)
    if kind:
        query = query.where(m.kind == kind)
    if state:
        query = query.where(m.state == state)
    if from_day:
        query = query.where(m.day >= from_day)
    if to_day:
        query = query.where(m.day <= to_day)
    if participant:
        query = query.where(
            or_(
                m.convener_user_id == participant,
                m.chair_user_id == participant,
                m.member_user_ids.any(participant),
                m.invitee_user_ids.any(participant),
            )
        )
    if title_contains:
        query = query.where(m.title.ilike(f"%{_like_escaped(title_contains)}%", escape="\\"))
    if after:
        day, last_id = after
        query = query.where(tuple_(m.day, m.id) > tuple_(day, uuid.UUID(last_id)))
    return list(await session.scalars(query.order_by(m.day, m.id).limit(limit)))


async def last_meeting_day(session: AsyncSession, kind: str) -> date | None:
    return await session.scalar(select(func.max(models.Meeting.day)).where(models.Meeting.kind == kind))


# ---- topics and consents -------------------------------------------------------------------------


async def get_topic(session: AsyncSession, topic_id: str, *, for_update: bool = False) -> models.Topic:
    return await _get(session, models.Topic, topic_id, "topic", for_update)


async def topics_of(session: AsyncSession, meeting_id: uuid.UUID) -> list[models.Topic]:
    rows = await session.scalars(
        select(models.Topic)
        .where(models.Topic.meeting_id == meeting_id)
        .order_by(models.Topic.created_at, models.Topic.id)
    )
    return list(rows)


async def list_topics(
    session: AsyncSession,
    *,
    meeting_id: str = "",
    state: str = "",
    organisation_code: str = "",
    text_contains: str = "",
    after: tuple[str, str] | None = None,
    limit: int = 50,
) -> list[models.Topic]:
    t = models.Topic
    query = select(t)
    if text_contains:
        pattern = f"%{_like_escaped(text_contains)}%"
        query = query.where(or_(t.title.ilike(pattern, escape="\\"), t.summary.ilike(pattern, escape="\\")))
    if meeting_id:
        query = query.where(t.meeting_id == _key(meeting_id, "meeting"))
    if state:
        query = query.where(t.state == state)
    if organisation_code:
        query = query.where(t.owning_organisation_code == organisation_code)
    if after:
        query = query.where(
            tuple_(t.approval_form_filed_on, t.id) > tuple_(date.fromisoformat(after[0]), uuid.UUID(after[1]))
        )
    return list(await session.scalars(query.order_by(t.approval_form_filed_on, t.id).limit(limit)))


async def get_consent(
    session: AsyncSession, consent_id: str, *, for_update: bool = False
) -> models.AdHocConsent:
    return await _get(session, models.AdHocConsent, consent_id, "ad-hoc consent", for_update)


# ---- leave from a meeting ------------------------------------------------------------------------


async def get_leave(session: AsyncSession, leave_id: str, *, for_update: bool = False) -> models.MeetingLeave:
    return await _get(session, models.MeetingLeave, leave_id, "meeting leave", for_update)


async def leaves_of_meeting(session: AsyncSession, meeting_id: uuid.UUID) -> list[models.MeetingLeave]:
    rows = await session.scalars(
        select(models.MeetingLeave)
        .where(models.MeetingLeave.meeting_id == meeting_id)
        .order_by(models.MeetingLeave.created_at, models.MeetingLeave.id)
    )
    return list(rows)


# ---- minutes and decisions -----------------------------------------------------------------------


async def get_minutes(session: AsyncSession, minutes_id: str, *, for_update: bool = False) -> models.Minutes:
    return await _get(session, models.Minutes, minutes_id, "minutes", for_update)


async def decisions_of_minutes(session: AsyncSession, minutes_id: uuid.UUID) -> list[models.Decision]:
    rows = await session.scalars(
        select(models.Decision)
        .where(models.Decision.minutes_id == minutes_id)
        .order_by(models.Decision.number)
    )
    return list(rows)


async def next_decision_number(session: AsyncSession, series: str, year: int) -> int:
    """The next number of a series and year, without gaps.

    The counter row is created if missing (a concurrent creator is ignored), then locked FOR
    UPDATE: a second sign-off waits until the first commits or rolls back, so numbers are given
    one after the other, and a rolled-back sign-off gives its number back.
    """
    await session.execute(
        insert(models.DecisionCounter)
        .values(series=series, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    counter = await session.scalar(
        select(models.DecisionCounter)
        .where(models.DecisionCounter.series == series, models.DecisionCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter.last_number += 1
    await session.flush()
    return counter.last_number


async def list_decisions(
    session: AsyncSession,
    *,
    series: str = "",
    year: int = 0,
    meeting_id: str = "",
    after: tuple[int, str, int] | None = None,
    limit: int = 50,
) -> list[models.Decision]:
    d = models.Decision
    query = select(d)
    if series:
        query = query.where(d.series == series)
    if year:
        query = query.where(d.year == year)
    if meeting_id:
        query = query.where(d.meeting_id == _key(meeting_id, "meeting"))
    if after:
        query = query.where(tuple_(d.year, d.series, d.number) > tuple_(*after))
    return list(await session.scalars(query.order_by(d.year, d.series, d.number).limit(limit)))


async def collective_decisions_on(session: AsyncSession, matter_ref: str) -> list[models.Decision]:
    """A7, A28: decisions on a matter by plenary or executive meetings, oldest first."""
    d = models.Decision
    rows = await session.scalars(
        select(d)
        .where(d.matter_ref == matter_ref, d.series.in_([k.value for k in domain.COLLECTIVE_KINDS]))
        .order_by(d.decided_on, d.series, d.number)
    )
    return list(rows)


# ---- department meetings (A46) --------------------------------------------------------------------


async def lock_department(session: AsyncSession, organisation_code: str) -> None:
    """Two requests of one department at once must not both pass the one-a-year check."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"meetings.department/{organisation_code}"},
    )


async def city_wide_meetings_in_year(session: AsyncSession, organisation_code: str, year: int) -> int:
    """A46: the department's city-wide meetings of a year that are requested or approved."""
    m = models.DepartmentMeeting
    return await session.scalar(
        select(func.count())
        .select_from(m)
        .where(
            m.organisation_code == organisation_code,
            m.city_wide.is_(True),
            m.day >= date(year, 1, 1),
            m.day <= date(year, 12, 31),
            m.state.in_(
                [domain.DepartmentMeetingState.REQUESTED.value, domain.DepartmentMeetingState.APPROVED.value]
            ),
        )
    )


async def get_department_meeting(
    session: AsyncSession, row_id: str, *, for_update: bool = False
) -> models.DepartmentMeeting:
    return await _get(session, models.DepartmentMeeting, row_id, "department meeting", for_update)


async def list_department_meetings(
    session: AsyncSession, *, organisation_code: str = "", year: int = 0
) -> list[models.DepartmentMeeting]:
    m = models.DepartmentMeeting
    query = select(m)
    if organisation_code:
        query = query.where(m.organisation_code == organisation_code)
    if year:
        query = query.where(m.day >= date(year, 1, 1), m.day <= date(year, 12, 31))
    return list(await session.scalars(query.order_by(m.day, m.id).limit(1000)))


# ---- calendar feed addresses --------------------------------------------------------------------


async def replace_calendar_subscription(
    session: AsyncSession, user_id: str, digest: str, calendar_name: str
) -> models.CalendarSubscription:
    """One address per person: a new one replaces the old, which stops answering at once."""
    s = models.CalendarSubscription
    row = (
        await session.execute(
            insert(s)
            .values(user_id=user_id, token_sha256=digest, calendar_name=calendar_name)
            .on_conflict_do_update(
                index_elements=[s.user_id],
                set_={"token_sha256": digest, "calendar_name": calendar_name, "issued_at": func.now()},
            )
            .returning(s)
        )
    ).scalar_one()
    return row


async def calendar_subscription_by_digest(session: AsyncSession, digest: str) -> models.CalendarSubscription | None:
    s = models.CalendarSubscription
    return await session.scalar(select(s).where(s.token_sha256 == digest))


async def delete_calendar_subscription(session: AsyncSession, user_id: str) -> bool:
    s = models.CalendarSubscription
    deleted = await session.execute(delete(s).where(s.user_id == user_id).returning(s.user_id))
    return deleted.first() is not None
