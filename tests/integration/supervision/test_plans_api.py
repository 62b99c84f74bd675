"""The yearly inspection plan (A63) through gRPC against real Keycloak, PostgreSQL and org.

department-head heads education-bureau (a city department), county-head heads anyue-county.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.rpc import rpc_error
from zgov.supervision.v1 import plans_pb2 as pb

pytestmark = pytest.mark.integration

YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


def inspection(
    title="全市学校安全专项检查", kind=pb.INSPECTION_KIND_SPECIAL, targets=("education-bureau",), month=5
) -> pb.Inspection:
    return pb.Inspection(title=title, kind=kind, target_codes=list(targets), month=month)


async def test_A63_a_department_plan_is_approved_by_the_city_and_stays_off_the_counties(supervision):
    s = supervision
    head = s.as_user("department-head")
    of_county = await rpc_error(
        s.plans.SubmitPlan(
            pb.SubmitPlanRequest(year=YEAR, inspections=[inspection(targets=("anyue-county",))]),
            metadata=head,
        )
    )
    assert rule_id_of(of_county) == "A63.department-county"
    two_comprehensive = await rpc_error(
        s.plans.SubmitPlan(
            pb.SubmitPlanRequest(
                year=YEAR,
                inspections=[
                    inspection(kind=pb.INSPECTION_KIND_COMPREHENSIVE),
                    inspection(kind=pb.INSPECTION_KIND_COMPREHENSIVE),
                ],
            ),
            metadata=head,
        )
    )
    assert rule_id_of(two_comprehensive) == "A63.comprehensive-cap"
    bad = await rpc_error(
        s.plans.SubmitPlan(
            pb.SubmitPlanRequest(
                year=YEAR, inspections=[inspection(title="", month=13, targets=("nowhere",))]
            ),
            metadata=head,
        )
    )
    assert {"inspections[0].title", "inspections[0].month", "inspections[0].target_codes"} <= set(
        field_violations_of(bad)
    )

    plan = await s.plans.SubmitPlan(
        pb.SubmitPlanRequest(year=YEAR, inspections=[inspection()]), metadata=head
    )
    assert (plan.organiser_code, plan.state) == ("education-bureau", pb.PLAN_STATE_SUBMITTED)
    not_a_county = await rpc_error(s.plans.FilePlan(pb.FilePlanRequest(plan_id=plan.id), metadata=head))
    assert rule_id_of(not_a_county) == "A63.department-approval"
    department_may_not = await rpc_error(
        s.plans.ApprovePlan(pb.ApprovePlanRequest(plan_id=plan.id), metadata=head)
    )
    assert department_may_not.code() == grpc.StatusCode.PERMISSION_DENIED
    approved = await s.plans.ApprovePlan(
        pb.ApprovePlanRequest(plan_id=plan.id, opinion="同意"), metadata=s.as_user("secretary-general")
    )
    assert approved.state == pb.PLAN_STATE_APPROVED
    fixed = await rpc_error(
        s.plans.SubmitPlan(pb.SubmitPlanRequest(year=YEAR, inspections=[inspection()]), metadata=head)
    )
    assert rule_id_of(fixed) == "A63.plan-fixed"

    # 一事一报: the county inspection the plan could not hold, approved on its own with its reason
    no_reason = await rpc_error(
        s.plans.ApproveUnplannedInspection(
            pb.ApproveUnplannedInspectionRequest(
                plan_id=plan.id, inspection=inspection(targets=("anyue-county",))
            ),
            metadata=s.as_user("mayor"),
        )
    )
    assert "reason" in field_violations_of(no_reason)
    one_by_one = await s.plans.ApproveUnplannedInspection(
        pb.ApproveUnplannedInspectionRequest(
            plan_id=plan.id,
            inspection=inspection(title="安岳县校车安全检查", targets=("anyue-county",)),
            reason="校车事故后的紧急排查",
        ),
        metadata=s.as_user("mayor"),
    )
    extra = one_by_one.inspections[-1]
    assert (extra.unplanned, extra.approval_reason, extra.approved_by_user_id) == (
        True,
        "校车事故后的紧急排查",
        s.user_id("mayor"),
    )


async def test_A63_a_county_plan_is_filed_with_both_offices_and_the_burden_is_counted(supervision):
    s = supervision
    county = s.as_user("county-head")
    plan = await s.plans.SubmitPlan(
        pb.SubmitPlanRequest(
            year=YEAR,
            inspections=[
                inspection(
                    title="全县安全生产考核", kind=pb.INSPECTION_KIND_ASSESSMENT, targets=("anyue-county",)
                )
            ],
        ),
        metadata=county,
    )
    by_city = await rpc_error(
        s.plans.ApprovePlan(pb.ApprovePlanRequest(plan_id=plan.id), metadata=s.as_user("mayor"))
    )
    assert rule_id_of(by_city) == "A63.county-files"
    filed = await s.plans.FilePlan(pb.FilePlanRequest(plan_id=plan.id), metadata=county)
    assert (filed.state, list(filed.filed_with)) == (
        pb.PLAN_STATE_FILED,
        ["performance-office", "supervision-office"],
    )
    burden = await s.plans.GetInspectionBurden(
        pb.GetInspectionBurdenRequest(year=YEAR), metadata=s.as_user("supervision-officer")
    )
    counts = {c.county_code: c.inspections for c in burden.counties}
    assert counts["anyue-county"] == 1 and counts["lezhi-county"] == 0
    assert (burden.total, burden.total_cap) == (1, 60)
    assert [h.act for h in filed.history] == ["plan.submitted", "plan.filed"]
