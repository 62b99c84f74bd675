"""Acts of research (调查研究, A31, A33, A34): record a leader's visit, register a major topic, file its
report, link the decision or policy it informed; and the monthly warning of a leader behind pace."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

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


async def record_visit(session: AsyncSession, actor, visit: Visit, ctx: ResearchContext) -> ResearchVisit:
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
    await store.add(session, row)
    await record_act(
        session,
        f"research-visit/{row.id}",
        "research.visit-recorded",
        actor,
        f"{leader}: {visit.days} days from {visit.started_on} at {row.place}",
    )
    return row


async def record_visit_from_org(
    session: AsyncSession, actor, visit: Visit, source_ref: str, people: People
) -> bool:
    """A31: a city leader's inspection or research visit (调研、视察) org recorded as agreed to attend
    becomes his research day, once per source; counted once its day has come. Anyone else's, or a
    visit without its day, is not research of a city leader here (False)."""
    if visit.started_on is None or not await people.is_leader(visit.leader_user_id):
        return False
    added = await store.add_once(
        session,
        dict(
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
        ),
    )
    if added:
        await record_act(
            session,
            source_ref,
            "research.visit-fed",
            actor,
            f"{visit.leader_user_id}: {visit.days} day(s) from {visit.started_on} at {visit.place.strip()}",
        )
    return added


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
