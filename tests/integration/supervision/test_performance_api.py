"""Performance management (A64–A66) through gRPC against real Keycloak, PostgreSQL and org: a department's
targets set, tracked, scored (the measured indicator from its supervision items), and the results made final
only by a recorded executive meeting decision, published as supervision.performance.approved.

department-head heads education-bureau (a city department); county-head heads anyue-county.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import pytest

from services.supervision.acts import items as item_acts
from services.supervision.domain import performance as domain
from services.supervision.domain.items import Kind, NewItem
from shared.db import transaction
from shared.errors import field_violations_of, rule_id_of
from shared.identity import Actor
from tests.fixtures.rpc import rpc_error
from zgov.supervision.v1 import performance_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
AREAS = domain.DIMENSIONS[domain.AssessedKind.DEPARTMENT]


def indicators(last_weight=10) -> list[pb.Indicator]:
    weights = (20, 20, 20, 10, 20, last_weight)
    return [
        pb.Indicator(
            code=area,
            name=f"{area}指标",
            dimension=area,
            weight=w,
            measure=pb.MEASURE_ITEMS_ON_TIME if area == "major-decisions" else pb.MEASURE_EVIDENCE,
        )
        for area, w in zip(AREAS, weights)
    ]


async def test_A64_A65_a_department_is_set_targets_tracked_scored_and_approved_by_the_meeting(supervision):
    s = supervision
    stub = s.performance
    office, head = s.as_user("supervision-officer"), s.as_user("department-head")

    bad_weights = await rpc_error(
        stub.SetIndicators(
            pb.SetIndicatorsRequest(
                year=TODAY.year, kind=pb.ASSESSED_KIND_DEPARTMENT, indicators=indicators(5)
            ),
            metadata=office,
        )
    )
    assert rule_id_of(bad_weights) == "A64.weights"
    not_office = await rpc_error(
        stub.SetIndicators(
            pb.SetIndicatorsRequest(
                year=TODAY.year, kind=pb.ASSESSED_KIND_DEPARTMENT, indicators=indicators()
            ),
            metadata=head,
        )
    )
    assert not_office.code() == grpc.StatusCode.PERMISSION_DENIED
    the_set = await stub.SetIndicators(
        pb.SetIndicatorsRequest(year=TODAY.year, kind=pb.ASSESSED_KIND_DEPARTMENT, indicators=indicators()),
        metadata=office,
    )

    county = await rpc_error(
        stub.SetTargets(
            pb.SetTargetsRequest(
                set_id=the_set.id,
                body_code="anyue-county",
                targets=[pb.Target(indicator_code=a, target="完成") for a in AREAS],
            ),
            metadata=office,
        )
    )
    assert rule_id_of(county) == "A65.kind"
    missing = await rpc_error(
        stub.SetTargets(
            pb.SetTargetsRequest(
                set_id=the_set.id,
                body_code="education-bureau",
                targets=[pb.Target(indicator_code=AREAS[0], target="x")],
            ),
            metadata=office,
        )
    )
    assert "targets" in field_violations_of(missing)
    assessment = await stub.SetTargets(
        pb.SetTargetsRequest(
            set_id=the_set.id,
            body_code="education-bureau",
            targets=[pb.Target(indicator_code=a, target=f"{a}年度目标") for a in AREAS],
        ),
        metadata=office,
    )

    tracked = await stub.ReportTargetProgress(
        pb.ReportTargetProgressRequest(
            assessment_id=assessment.id, indicator_code="key-work", text="完成过半"
        ),
        metadata=head,
    )
    assert [p.indicator_code for p in tracked.progress] == ["key-work"]
    not_own = await rpc_error(
        stub.ReportTargetProgress(
            pb.ReportTargetProgressRequest(
                assessment_id=assessment.id, indicator_code="key-work", text="代报"
            ),
            metadata=s.as_user("county-head"),
        )
    )
    assert rule_id_of(not_own) == "A64.own-body"

    measured_by_hand = await rpc_error(
        stub.ScoreIndicator(
            pb.ScoreIndicatorRequest(
                assessment_id=assessment.id,
                indicator_code="major-decisions",
                centipoints=2000,
                evidence="自报",
            ),
            metadata=office,
        )
    )
    assert rule_id_of(measured_by_hand) == "A64.measured"
    no_evidence = await rpc_error(
        stub.ScoreIndicator(
            pb.ScoreIndicatorRequest(assessment_id=assessment.id, indicator_code="duties", centipoints=1500),
            metadata=office,
        )
    )
    assert rule_id_of(no_evidence) == "A64.evidence"
    for area in AREAS[1:]:
        await stub.ScoreIndicator(
            pb.ScoreIndicatorRequest(
                assessment_id=assessment.id, indicator_code=area, centipoints=1000, evidence="考核组核查记录"
            ),
            metadata=office,
        )
    fixed = await rpc_error(
        stub.SetIndicators(
            pb.SetIndicatorsRequest(
                year=TODAY.year, kind=pb.ASSESSED_KIND_DEPARTMENT, indicators=indicators()
            ),
            metadata=office,
        )
    )
    assert rule_id_of(fixed) == "A64.fixed"

    incomplete = await rpc_error(
        stub.ApproveResults(
            pb.ApproveResultsRequest(set_id=the_set.id, decision_id="no-such-decision"), metadata=office
        )
    )
    assert rule_id_of(incomplete) == "A64.approval"
    # the measured indicator: the bureau has no item due this year, so nothing was late
    computed = await stub.ComputeMeasuredIndicators(
        pb.ComputeMeasuredIndicatorsRequest(assessment_id=assessment.id), metadata=office
    )
    score = {sc.indicator_code: sc for sc in computed.scores}["major-decisions"]
    assert (score.computed, score.centipoints) == (True, 2000)
    assert computed.total_centipoints == 2000 + 5 * 1000 and computed.grade == pb.GRADE_PASS

    # the executive meeting's decision approving the results, as supervision recorded it from meetings
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
                title="审定年度目标绩效考核结果",
                requirement="公布考核结果",
                source_service="meetings",
                source_ref="decision/exec-2026-12",
                source_reference="常务会议〔2026〕12号",
            ),
            s.acts_context(TODAY),
            by_hand=False,
        )
    approved = await stub.ApproveResults(
        pb.ApproveResultsRequest(set_id=the_set.id, decision_id="exec-2026-12"), metadata=office
    )
    assert (approved.state, approved.decision_reference) == (pb.SET_STATE_APPROVED, "常务会议〔2026〕12号")
    final = await stub.GetAssessment(pb.GetAssessmentRequest(assessment_id=assessment.id), metadata=head)
    assert final.final and final.grade == pb.GRADE_PASS
    after = await rpc_error(
        stub.ScoreIndicator(
            pb.ScoreIndicatorRequest(
                assessment_id=assessment.id, indicator_code="duties", centipoints=2000, evidence="复议"
            ),
            metadata=office,
        )
    )
    assert rule_id_of(after) == "A64.final"
