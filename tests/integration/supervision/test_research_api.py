"""Research (A31, A33, A34) through gRPC against real Keycloak, PostgreSQL and org: visits counted against
the yearly pace, the county-wide meeting kept for the mayor, topics reported and turned into a decision,
the coverage check, and the monthly warning of a leader behind pace (once)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from services.supervision.acts import items as item_acts
from services.supervision.acts import research as acts
from services.supervision.domain.items import Kind, NewItem
from shared.convert import date_to_proto
from shared.db import transaction
from shared.errors import rule_id_of
from shared.identity import Actor
from tests.fixtures.rpc import rpc_error
from tests.integration.supervision.conftest import rolled_back
from zgov.supervision.v1 import research_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def visit(days=3, meeting=pb.REPORTING_MEETING_PORTFOLIO, **fields) -> pb.RecordResearchVisitRequest:
    return pb.RecordResearchVisitRequest(
        started_on=date_to_proto(TODAY - timedelta(days=days)),
        days=days,
        place="安岳县",
        county_codes=["anyue-county"],
        purpose="柠檬产业调研",
        reporting_meeting=meeting,
        **fields,
    )


async def test_A31_A33_visits_count_towards_the_pace_and_only_the_mayor_holds_a_county_wide_meeting(
    supervision,
):
    s = supervision
    vm = s.as_user("vice-mayor-1")
    refused = await rpc_error(
        s.research.RecordResearchVisit(visit(meeting=pb.REPORTING_MEETING_COUNTY_WIDE), metadata=vm)
    )
    assert rule_id_of(refused) == "A33.county-meeting"
    for_another = await rpc_error(
        s.research.RecordResearchVisit(visit(leader_user_id=s.user_id("vice-mayor-2")), metadata=vm)
    )
    assert rule_id_of(for_another) == "A31.own"
    recorded = await s.research.RecordResearchVisit(visit(), metadata=vm)
    assert (recorded.leader_user_id, recorded.days) == (s.user_id("vice-mayor-1"), 3)
    await s.research.RecordResearchVisit(
        visit(days=2, meeting=pb.REPORTING_MEETING_COUNTY_WIDE), metadata=s.as_user("mayor")
    )
    pace = await s.research.GetResearchPace(
        pb.GetResearchPaceRequest(), metadata=s.as_user("supervision-officer")
    )
    days = {p.leader_user_id: p.days for p in pace.leaders}
    assert pace.target_days == 90
    assert days[s.user_id("vice-mayor-1")] == 3 and days[s.user_id("mayor")] == 2


async def test_A31_the_leader_behind_pace_is_warned_once_a_month(supervision):
    s = supervision
    late_june = date(TODAY.year, 6, 30)
    ctx = acts.ResearchContext(late_june, s.people, 90)
    async with rolled_back(s.sessions) as session:
        first = await acts.warn_behind_pace(session, item_acts.SYSTEM_ACTOR, ctx)
        again = await acts.warn_behind_pace(session, item_acts.SYSTEM_ACTOR, ctx)
        # the rows of this transaction only: the service's own sweep warns for the current month at start
        # and commits beside it (seen as 12 == 6 once the test began sooner after the start)
        events = await session.scalar(
            sa.text(
                "SELECT count(*) FROM outbox WHERE subject = 'supervision.research.behind-pace'"
                " AND xmin = pg_current_xact_id()::xid"
            )
        )
    assert first >= 4 and again == 0 and events == first


async def test_A31_A34_a_member_leads_a_topic_reports_it_and_links_the_decision_it_informed(supervision):
    s = supervision
    vm = s.as_user("vice-mayor-1")
    coverage = await s.research.GetTopicCoverage(pb.GetTopicCoverageRequest(), metadata=vm)
    assert s.user_id("vice-mayor-1") in {m.user_id for m in coverage.without_topic}
    topic = await s.research.RegisterTopic(
        pb.RegisterTopicRequest(title="成渝中部地区产业协同发展研究"), metadata=vm
    )
    early = await rpc_error(
        s.research.LinkTopicOutcome(
            pb.LinkTopicOutcomeRequest(topic_id=topic.id, policy_reference="资府发〔2026〕9号"), metadata=vm
        )
    )
    assert rule_id_of(early) == "A34.report-first"
    await s.research.FileTopicReport(
        pb.FileTopicReportRequest(topic_id=topic.id, summary="调研报告：建议设立协同基金"), metadata=vm
    )
    unknown = await rpc_error(
        s.research.LinkTopicOutcome(
            pb.LinkTopicOutcomeRequest(topic_id=topic.id, decision_id="no-such"), metadata=vm
        )
    )
    assert rule_id_of(unknown) == "A34.decision"
    officer = Actor(
        user_id=s.user_id("supervision-officer"),
        username="supervision-officer",
        positions=frozenset({"supervision-officer"}),
        organisation_code="supervision-office",
    )
    async with transaction(s.sessions) as session:
        await item_acts.register(
            session,
            officer,
            NewItem(
                kind=Kind.MEETING_DECISION,
                title="设立产业协同基金",
                requirement="设立基金",
                source_service="meetings",
                source_ref="decision/fund-1",
                source_reference="常务会议〔2026〕20号-3",
            ),
            s.acts_context(TODAY),
            by_hand=False,
        )
    linked = await s.research.LinkTopicOutcome(
        pb.LinkTopicOutcomeRequest(topic_id=topic.id, decision_id="fund-1"), metadata=vm
    )
    assert linked.decision_reference == "常务会议〔2026〕20号-3"
    after = await s.research.GetTopicCoverage(pb.GetTopicCoverageRequest(), metadata=vm)
    assert s.user_id("vice-mayor-1") not in {m.user_id for m in after.without_topic}
    assert topic.id not in after.reports_without_outcome
