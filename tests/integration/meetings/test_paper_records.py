"""A topic a department handed in on paper, entered later by the general office (补录,
shared/paper_records.py): the A42 limit is counted from the day it was filed, the act keeps both days,
and only the office may enter a past day, within 30 days, never a future one."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from shared.errors import error_info_of, field_violations_of, rule_id_of
from tests.integration.meetings.test_meetings_api import (
    TODAY,
    d,
    file_topic,
    rpc_error,
    schedule,
    working_days_ahead,
)

pytestmark = pytest.mark.integration


async def test_A42_topic_filed_on_paper_in_time_is_entered_by_the_office_with_both_days(meetings):
    meeting = await schedule(meetings, working_days_ahead(5))
    late = await rpc_error(file_topic(meetings, meeting.id))  # filed today it would be too late
    assert rule_id_of(late) == "A42.ten-working-days"
    paper_day = TODAY - timedelta(days=28)  # at least ten working days before the meeting, any season
    topic = await file_topic(
        meetings,
        meeting.id,
        by="office-staff",
        filed_on_paper=d(paper_day),
        filing_organisation_code="education-bureau",
    )
    assert topic.owning_organisation_code == "education-bureau" and not topic.ad_hoc
    filed = next(act for act in topic.history if act.act == "topic.filed")
    assert f"happened on paper on {paper_day}, entered on {TODAY}" in filed.reason
    assert "filed on paper by education-bureau" in filed.reason


async def test_A42_back_dating_cannot_pass_the_cut_off(meetings):
    meeting = await schedule(meetings, working_days_ahead(5))
    # The department itself may not enter a past day: the cut-off is not its to move.
    refused = await rpc_error(
        file_topic(
            meetings,
            meeting.id,
            by="department-head",
            filed_on_paper=d(TODAY),
            filing_organisation_code="education-bureau",
        )
    )
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info_of(refused).reason == "PERMISSION_MISSING"
    assert error_info_of(refused).metadata["permissions"] == "topic:enter-paper"
    # A paper day inside the cut-off is still late: the limit runs from the day it happened.
    late = await rpc_error(
        file_topic(
            meetings,
            meeting.id,
            by="office-staff",
            filed_on_paper=d(TODAY),
            filing_organisation_code="education-bureau",
        )
    )
    assert rule_id_of(late) == "A42.ten-working-days"


@pytest.mark.parametrize("days_ago, problem", [(-1, "after today"), (31, "more than 30 days ago")])
async def test_paper_days_outside_the_window_are_refused_naming_the_field(meetings, days_ago, problem):
    meeting = await schedule(meetings, working_days_ahead(15))
    refused = await rpc_error(
        file_topic(
            meetings,
            meeting.id,
            by="office-staff",
            filed_on_paper=d(TODAY - timedelta(days=days_ago)),
            filing_organisation_code="education-bureau",
        )
    )
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert problem in field_violations_of(refused)["filed_on_paper"]
    missing = await rpc_error(file_topic(meetings, meeting.id, by="office-staff", filed_on_paper=d(TODAY)))
    assert "filing_organisation_code" in field_violations_of(missing)
