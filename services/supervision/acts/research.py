"""Acts of research (调查研究, A31, A33, A34): record a leader's visit, register a major topic, file its
report, link the decision or policy it informed; and the monthly warning of a leader behind pace."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts.people import GOVERNMENT_MEMBERS, People
from services.supervision.domain import research as domain
from services.supervision.domain.research import Visit
from services.supervision.models import ResearchTopic, ResearchVisit
from services.supervision.store import items as item_store
from services.supervision.store import research as store
from shared.audit import record_act
from shared.errors import InvalidInput
from shared.outbox import add_event
from shared.positions import CITY_LEADERS, RESEARCH_OFFICE_STAFF
from zgov.supervision.v1 import research_pb2 as pb

MESSAGE_TYPES = {"behind-pace": pb.ResearchBehindPace}
RESEARCH_OFFICE = "research-office"


@dataclass
class ResearchContext:
    today: date
    people: People
    target_days: int


def ref_of(row: ResearchTopic) -> str:
    return f"research-topic/{row.id}"


def for_research_office(actor) -> bool:
    return actor.organisation_code == RESEARCH_OFFICE or actor.holds(RESEARCH_OFFICE_STAFF)


@dataclass(frozen=True)
class RecordedVisit:
    """A visit as recorded: the days it added to its leader's count and, per other visit already counting
    some of its days, those days (A31: corroborating evidence, not counted again)."""

    row: ResearchVisit
    counted_days: int
    corroborates: list[tuple[ResearchVisit, list[date]]]


def visit_ref(row: ResearchVisit) -> str:
    """Where a visit's acts are recorded: its org source, else the visit entered here."""
    return row.source_ref or f"research-visit/{row.id}"


def _described(row: ResearchVisit) -> str:
    return (
        f"the inspection fed from org ({row.source_ref})" if row.source_ref else f"the visit entered {row.id}"
    )


def _days(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


async def _corroboration(session: AsyncSession, actor, row: ResearchVisit) -> RecordedVisit:
    """A31: a leader has at most one research day per calendar day whatever its sources. The days of `row`
    another counting visit already covers are corroborating evidence, not counted again; both visits'
    histories say so. The caller holds the leader's lock (store.lock_leader)."""
    covered = await store.counted_days_of_others(
        session, row.leader_user_id, row.started_on, row.started_on + timedelta(days=row.days - 1), row.id
    )
    others = {str(v.id): v for v, _ in covered}
    found = domain.already_counted((str(v.id), day) for v, day in covered)
    for visit_id, days in found.items():
        other = others[visit_id]
        await record_act(
            session,
            visit_ref(other),
            "research.visit-corroborated",
            actor,
            f"{_days(days)} also in {_described(row)}: corroborating evidence, counted once",
        )
        await record_act(
            session,
            visit_ref(row),
            "research.visit-corroborates",
            actor,
            f"{_days(days)} already counted from {_described(other)}: corroborating evidence, "
            "not counted again",
        )
    counted = row.days - sum(len(days) for days in found.values())
    return RecordedVisit(row, counted, [(others[v], days) for v, days in found.items()])


async def record_visit(session: AsyncSession, actor, visit: Visit, ctx: ResearchContext) -> RecordedVisit:
    leader = visit.leader_user_id or actor.user_id
    domain.check_recorder(actor.user_id, leader, for_research_office(actor))
    if not await ctx.people.is_leader(leader):
        raise InvalidInput(
            {"leader_user_id": "a city leader (the mayor, a vice mayor, the secretary-general)"}
        )
    domain.check_visit(visit, ctx.today, await ctx.people.organisation_codes())
    domain.check_reporting_meeting(visit.reporting_meeting, leader == await ctx.people.mayor())
    row = ResearchVisit(
        id=uuid.uuid4(),
        leader_user_id=leader,
        year=visit.started_on.year,
        started_on=visit.started_on,
        days=visit.days,
        place=visit.place.strip(),
        county_codes=list(visit.county_codes),
        purpose=visit.purpose.strip(),
        reporting_meeting=visit.reporting_meeting.value,
        recorded_by_user_id=actor.user_id,
    )
    await store.lock_leader(session, leader)
    await store.add(session, row)
    await record_act(
        session,
        visit_ref(row),
        "research.visit-recorded",
        actor,
        f"{leader}: {visit.days} days from {visit.started_on} at {row.place}",
    )
    return await _corroboration(session, actor, row)


def _fed_row(actor, visit: Visit, source_ref: str, attended: bool | None) -> dict:
    return dict(
        id=uuid.uuid4(),
        leader_user_id=visit.leader_user_id,
        year=visit.started_on.year,
        started_on=visit.started_on,
        days=visit.days,
        place=visit.place.strip()[:2000] or "（未注明）",
        county_codes=list(visit.county_codes),
        purpose=visit.purpose.strip()[: domain.MAX_TEXT] or "调研",
        reporting_meeting=domain.ReportingMeeting.NONE.value,
        recorded_by_user_id=actor.user_id,
        source_ref=source_ref,
        attended=attended,
    )


async def _feed(
    session: AsyncSession, actor, visit: Visit, source_ref: str, attended: bool | None
) -> ResearchVisit | None:
    """The visit org's event names, added once per source (None when it is there already)."""
    row = await store.add_once(session, _fed_row(actor, visit, source_ref, attended))
    if row is not None:
        await record_act(
            session,
            source_ref,
            "research.visit-fed",
            actor,
            f"{visit.leader_user_id}: {visit.days} day(s) from {visit.started_on} at {visit.place.strip()}",
        )
    return row


async def _fed_leader(visit: Visit, people: People) -> bool:
    """A visit org fed is research of a city leader on a known day; anything else is not counted here."""
    return visit.started_on is not None and await people.is_leader(visit.leader_user_id)


async def record_visit_from_org(
    session: AsyncSession, actor, visit: Visit, source_ref: str, people: People
) -> bool:
    """A31: a city leader's inspection or research visit (调研、视察) org recorded as agreed to attend
    becomes his research day, once per source; counted once its day has come, and only once for his
    calendar day (a day already entered by hand is corroborated, not counted again). Anyone else's, or a
    visit without its day, is not research of a city leader here (False)."""
    if not await _fed_leader(visit, people):
        return False
    await store.lock_leader(session, visit.leader_user_id)
    row = await _feed(session, actor, visit, source_ref, None)
    if row is None:
        return False
    await _corroboration(session, actor, row)
    return True


async def record_attendance_outcome(
    session: AsyncSession, actor, visit: Visit, source_ref: str, attended: bool, people: People
) -> bool:
    """A31: org reports whether the leader attended the inspection he agreed to. Attended: the day counts
    (fed now if the agreement has not arrived yet); not attended: it counts no more — unless another visit
    (entered by hand) still shows the day. Once per outcome (a redelivered report changes nothing)."""
    if not await _fed_leader(visit, people):
        return False
    await store.lock_leader(session, visit.leader_user_id)
    row, was = await _feed(session, actor, visit, source_ref, attended), False
    if row is None:
        row = await store.of_source(session, source_ref, for_update=True)
        if row.attended is attended:
            return False
        was, row.attended = row.attended, attended
        await session.flush()
    if attended:
        await record_act(
            session, source_ref, "research.visit-attended", actor, "org: attended; the day counts"
        )
        if was is False:  # counted again: its days were not counted while reported not attended
            await _corroboration(session, actor, row)
        return True
    last = row.started_on + timedelta(days=row.days - 1)
    still = await store.counted_days_of_others(session, row.leader_user_id, row.started_on, last, row.id)
    await record_act(
        session,
        source_ref,
        "research.visit-not-attended",
        actor,
        "org: not attended; the day is not counted"
        + (
            f" from this visit ({_days(sorted({d for _, d in still}))} still counted from another)"
            if still
            else ""
        ),
    )
    return True


async def register_topic(
    session: AsyncSession, actor, year: int, leader: str, title: str, ctx: ResearchContext
) -> ResearchTopic:
    leader = leader or actor.user_id
    domain.check_recorder(actor.user_id, leader, for_research_office(actor))
    if not ctx.today.year <= year <= ctx.today.year + 1:
        raise InvalidInput({"year": f"{ctx.today.year} or {ctx.today.year + 1}"})
    if not await ctx.people.is_member(leader):
        raise InvalidInput(
            {"leader_user_id": "a member of the city government (a city leader or department head)"}
        )
    domain.check_topic(title)
    row = ResearchTopic(
        id=uuid.uuid4(),
        year=year,
        leader_user_id=leader,
        title=title.strip(),
        report={},
        decision_id="",
        decision_reference="",
        policy_reference="",
    )
    await store.add(session, row)
    await record_act(session, ref_of(row), "research.topic-registered", actor, f"{year}: {row.title}")
    return row


async def file_report(
    session: AsyncSession, actor, row: ResearchTopic, summary: str, reference: str, ctx: ResearchContext
) -> ResearchTopic:
    domain.check_recorder(actor.user_id, row.leader_user_id, for_research_office(actor))
    domain.check_report(summary, bool(row.report))
    row.report = {
        "summary": summary.strip(),
        "document_reference": reference.strip(),
        "filed_on": ctx.today.isoformat(),
    }
    await session.flush()
    await record_act(session, ref_of(row), "research.report-filed", actor, reference.strip())
    return row


async def link_outcome(
    session: AsyncSession, actor, row: ResearchTopic, decision_id: str, policy: str, ctx: ResearchContext
) -> ResearchTopic:
    """A34: the decision or policy the report informed (成果转化)."""
    domain.check_recorder(actor.user_id, row.leader_user_id, for_research_office(actor))
    decision = (
        await item_store.item_of_source(session, "meetings", f"decision/{decision_id.strip()}")
        if decision_id.strip()
        else None
    )
    domain.check_outcome(bool(row.report), decision_id, policy, decision is not None)
    row.decision_id = decision_id.strip()
    row.decision_reference = decision.source_reference if decision else ""
    row.policy_reference = policy.strip()
    await session.flush()
    await record_act(
        session,
        ref_of(row),
        "research.outcome-linked",
        actor,
        row.decision_reference or row.decision_id or row.policy_reference,
    )
    return row


async def warn_behind_pace(session: AsyncSession, actor, ctx: ResearchContext) -> int:
    """A31: each city leader behind the yearly target's pace is warned once a month (an event)."""
    if ctx.today.month == 1:
        return 0  # January: too early to say
    year = ctx.today.year
    leaders = [user for user, _ in await ctx.people.holders_of(sorted(CITY_LEADERS))]
    warned = 0
    days = await store.days_by_leader(session, year, ctx.today)
    paces = domain.pace(days, leaders, ctx.today, ctx.target_days)
    for leader, (days, expected, behind) in paces.items():
        if behind and await store.claim_warning(session, leader, year, ctx.today.month, days, expected):
            await add_event(
                session,
                "supervision.research.behind-pace",
                pb.ResearchBehindPace(
                    leader_user_id=leader,
                    year=year,
                    month=ctx.today.month,
                    days=days,
                    expected_by_now=expected,
                    target_days=ctx.target_days,
                ),
                f"research-pace/{leader}/{year}",
                actor,
            )
            warned += 1
    return warned


async def members_without_topic(
    session: AsyncSession, year: int, ctx: ResearchContext
) -> list[tuple[str, str]]:
    leading = {t.leader_user_id for t in await store.topics_of(session, year)}
    members = await ctx.people.holders_of(GOVERNMENT_MEMBERS)
    missing = set(domain.without_topic([m for m, _ in members], leading))
    return [(m, name) for m, name in members if m in missing]
