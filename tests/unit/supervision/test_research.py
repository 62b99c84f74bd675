"""Pure rules of research (A31, A33, A34): the visit, the county-wide meeting, pace, topics and outcomes."""

from datetime import date

import pytest

from services.supervision.domain import research as d
from services.supervision.domain.research import ReportingMeeting, Visit
from shared.errors import InvalidInput, RuleViolation

TODAY = date(2026, 7, 2)


def rule(call) -> str:
    with pytest.raises(RuleViolation) as info:
        call()
    return info.value.rule_id


def test_A33_only_the_mayor_holds_a_county_wide_reporting_meeting_on_research_trips():
    d.check_reporting_meeting(ReportingMeeting.COUNTY_WIDE, leader_is_mayor=True)
    d.check_reporting_meeting(ReportingMeeting.PORTFOLIO, leader_is_mayor=False)
    assert (
        rule(lambda: d.check_reporting_meeting(ReportingMeeting.COUNTY_WIDE, leader_is_mayor=False))
        == "A33.county-meeting"
    )


def test_A31_a_visit_is_recorded_after_it_happens_with_its_days_place_and_purpose():
    good = Visit(
        "vm", date(2026, 7, 1), 2, "安岳县", ("anyue-county",), "柠檬产业调研", ReportingMeeting.NONE
    )
    d.check_visit(good, TODAY, {"anyue-county"})
    bad = Visit("vm", date(2026, 8, 1), 0, " ", ("nowhere",), "", None)
    with pytest.raises(InvalidInput) as info:
        d.check_visit(bad, TODAY, {"anyue-county"})
    assert {"started_on", "days", "place", "purpose", "reporting_meeting", "county_codes"} <= set(
        info.value.violations
    )


def test_A31_a_leader_records_his_own_research_the_research_office_anyones():
    d.check_recorder("vm", "vm", research_office=False)
    d.check_recorder("staff", "vm", research_office=True)
    assert rule(lambda: d.check_recorder("vm2", "vm", research_office=False)) == "A31.own"


def test_A31_pace_towards_90_days_names_the_leaders_behind():
    # 2 July is day 183 of 365: 45 days expected at an even pace
    assert d.expected_by(TODAY, 90) == 45
    paces = d.pace({"mayor": 50, "vm": 10}, ["mayor", "vm", "sg"], TODAY, 90)
    assert paces == {"mayor": (50, 45, False), "vm": (10, 45, True), "sg": (0, 45, True)}


def test_A31_every_member_of_the_government_leads_a_major_topic():
    assert d.without_topic(["mayor", "vm", "head"], {"vm"}) == ["mayor", "head"]


def test_A34_a_report_is_filed_then_turned_into_a_recorded_decision_or_a_policy():
    assert rule(lambda: d.check_outcome(False, "", "资府发〔2026〕3号", False)) == "A34.report-first"
    assert rule(lambda: d.check_outcome(True, "dec-1", "", False)) == "A34.decision"
    d.check_outcome(True, "dec-1", "", True)
    d.check_outcome(True, "", "资府发〔2026〕3号", False)
    with pytest.raises(InvalidInput):
        d.check_outcome(True, "dec-1", "资府发〔2026〕3号", True)
    assert rule(lambda: d.check_report("再报一次", has_report=True)) == "A34.reported"


def test_A31_a_leaders_calendar_day_counts_once_whatever_the_visits_recorded_for_it():
    first, second = date(2026, 7, 1), date(2026, 7, 2)
    # the days of a new visit other counting visits cover: hand entry h covers both, org's o the second
    covered = [("h", first), ("h", second), ("o", second)]
    assert d.already_counted(covered) == {"h": [first, second]}  # each day once, the first visit's
    assert d.already_counted([("o", second), ("h", first)]) == {"o": [second], "h": [first]}
    assert d.already_counted([]) == {}
