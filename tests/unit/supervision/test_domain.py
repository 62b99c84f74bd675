"""Pure rules of supervision items (no servers): A60, A61, A62, A68, A76, A29 and the escalation ladder."""

from datetime import date

import pytest

from services.supervision.domain import escalation as ladder
from services.supervision.domain import items as domain
from services.supervision.domain.items import (
    Assessment,
    Cadence,
    Claim,
    Evidence,
    EvidenceKind,
    Kind,
    Limits,
    NewItem,
    State,
    Step,
    Urgency,
)
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import calendar

CAL = calendar()
LIMITS = Limits()
TODAY = date(2026, 11, 2)  # a Monday
WORK = Evidence(EvidenceKind.WORK_DONE, "the road is open to traffic", "验收单 2026-118")
MEETING = Evidence(EvidenceKind.MEETING_HELD, "a meeting deployed the work")
DOCUMENT = Evidence(EvidenceKind.DOCUMENT_ISSUED, "a notice passed the task on", "资教发〔2026〕3号")


def new(**overrides) -> NewItem:
    fields = dict(
        kind=Kind.KEY_TASK,
        title="城区道路改造",
        requirement="年底前完成改造",
        source_service="supervision",
        source_ref="register/1",
    )
    return NewItem(**{**fields, **overrides})


def test_A61_item_number_is_the_office_number_of_the_year():
    assert domain.item_number(2026, 12) == "督〔2026〕12号"


def test_A62_an_instruction_without_a_date_is_due_5_15_30_working_days_later():
    for urgency, days in ((Urgency.URGENT, 5), (Urgency.ORDINARY, 15), (Urgency.COMPLEX, 30)):
        due = domain.default_due(CAL, TODAY, urgency, LIMITS).due
        assert CAL.working_days_between(TODAY, due) == days
    assert domain.default_due(CAL, TODAY, Urgency.URGENT, LIMITS).due == date(2026, 11, 9)


def test_A62_limits_are_data_an_operator_changes():
    assert domain.default_due(CAL, TODAY, Urgency.URGENT, Limits(urgent_days=3)).due == date(2026, 11, 5)


def test_A62_first_report_on_a_meeting_decision_within_20_working_days():
    first = domain.first_report_due(Kind.MEETING_DECISION, TODAY, Cadence.MONTHLY, CAL, LIMITS)
    assert CAL.working_days_between(TODAY, first) == 20


def test_A61_reports_are_due_by_the_5th_of_the_next_month_or_quarter():
    assert domain.first_report_due(Kind.KEY_TASK, TODAY, Cadence.MONTHLY, CAL, LIMITS) == date(2026, 12, 5)
    assert domain.periodic_report_due(date(2026, 12, 20), Cadence.MONTHLY, LIMITS) == date(2027, 1, 5)
    assert domain.periodic_report_due(date(2026, 11, 20), Cadence.QUARTERLY, LIMITS) == date(2027, 1, 5)
    assert domain.periodic_report_due(TODAY, Cadence.NONE, LIMITS) is None


def test_A60_one_lead_body_not_also_a_co_body():
    with pytest.raises(InvalidInput) as refused:
        domain.check_assignment("education-bureau", ["education-bureau", "finance-bureau"])
    assert "co_body_codes" in refused.value.violations
    with pytest.raises(InvalidInput) as refused:
        domain.check_assignment("", [])
    assert "lead_body_code" in refused.value.violations


def test_A60_only_the_lead_body_claims_completion():
    with pytest.raises(RuleViolation) as refused:
        domain.check_lead_body("finance-bureau", "education-bureau", "claim completion")
    assert refused.value.rule_id == "A60.lead-body"


def test_A60_completion_waits_for_every_co_body_opinion():
    with pytest.raises(RuleViolation) as refused:
        domain.check_claim(
            Claim("done", (WORK,)), Kind.KEY_TASK, ["finance-bureau", "transport-bureau"], ["finance-bureau"]
        )
    assert refused.value.rule_id == "A60.co-opinions"
    assert "transport-bureau" in refused.value.message
    domain.check_claim(Claim("done", (WORK,)), Kind.KEY_TASK, ["finance-bureau"], ["finance-bureau"])


def test_A76_a_meeting_held_or_a_document_issued_is_not_completion():
    for evidence in ((MEETING,), (DOCUMENT,), (MEETING, DOCUMENT)):
        with pytest.raises(RuleViolation) as refused:
            domain.check_claim(Claim("done", evidence), Kind.KEY_TASK, [], [])
        assert refused.value.rule_id == "A76"
    domain.check_claim(Claim("done", (MEETING, WORK)), Kind.KEY_TASK, [], [])


def test_A76_a_claim_needs_evidence_with_kind_and_description():
    with pytest.raises(InvalidInput) as refused:
        domain.check_claim(Claim("done", ()), Kind.KEY_TASK, [], [])
    assert "evidence" in refused.value.violations
    with pytest.raises(InvalidInput) as refused:
        domain.check_claim(Claim("done", (Evidence(None, ""),)), Kind.KEY_TASK, [], [])
    assert {"evidence[0].kind", "evidence[0].description"} <= set(refused.value.violations)


def test_A29_a_major_decision_closes_only_with_its_effect_assessed():
    with pytest.raises(RuleViolation) as refused:
        domain.check_claim(
            Claim("done", (WORK,), Assessment(effect="traffic down 20%")), Kind.MAJOR_DECISION, [], []
        )
    assert refused.value.rule_id == "A29"
    assert "public_opinion" in refused.value.message and "adjustment_proposals" in refused.value.message
    assessed = Assessment("traffic down 20%", "residents content", "extend to zone B")
    domain.check_claim(Claim("done", (WORK,), assessed), Kind.MAJOR_DECISION, [], [])


def test_A68_a_rectification_item_names_who_found_the_problem():
    with pytest.raises(RuleViolation) as refused:
        domain.check_new_item(new(kind=Kind.RECTIFICATION), TODAY, by_hand=True)
    assert refused.value.rule_id == "A68"
    audited = new(kind=Kind.RECTIFICATION, finding_source=domain.FindingSource.AUDIT)
    domain.check_new_item(audited, TODAY, by_hand=True)


def test_a_past_due_date_is_refused_by_hand_but_kept_from_a_late_event():
    with pytest.raises(InvalidInput) as refused:
        domain.check_new_item(new(due=date(2026, 10, 30)), TODAY, by_hand=True)
    assert "due" in refused.value.violations
    domain.check_new_item(new(kind=Kind.MEETING_DECISION, due=date(2026, 10, 30)), TODAY, by_hand=False)


def test_meeting_decisions_are_not_opened_by_hand():
    with pytest.raises(InvalidInput) as refused:
        domain.check_new_item(new(kind=Kind.MEETING_DECISION), TODAY, by_hand=True)
    assert "kind" in refused.value.violations


def test_A61_objection_within_5_working_days_of_the_assignment():
    ack_due = CAL.add_working_days(TODAY, LIMITS.acknowledge_days).due
    domain.check_objection_in_time(ack_due, ack_due)
    with pytest.raises(RuleViolation) as refused:
        domain.check_objection_in_time(date(2026, 11, 10), ack_due)
    assert refused.value.rule_id == "A61.objection-limit"


def test_A61_extension_is_asked_before_the_due_date():
    due = date(2026, 11, 20)
    domain.check_extension_request(due, due, date(2026, 12, 4), pending=False)
    with pytest.raises(RuleViolation) as refused:
        domain.check_extension_request(date(2026, 11, 21), due, date(2026, 12, 4), pending=False)
    assert refused.value.rule_id == "A61.extension-before-due"
    with pytest.raises(InvalidInput):
        domain.check_extension_request(TODAY, due, date(2026, 11, 19), pending=False)
    with pytest.raises(RuleViolation):
        domain.check_extension_request(TODAY, due, date(2026, 12, 4), pending=True)


def test_A61_state_machine_refuses_acts_out_of_turn():
    domain.check_transition("claim", State.ACKNOWLEDGED)
    domain.check_transition("recheck", State.CLOSED)
    for act, state in (
        ("claim", State.ASSIGNED),
        ("verify", State.ACKNOWLEDGED),
        ("recheck", State.ACKNOWLEDGED),
        ("acknowledge", State.CLOSED),
        ("assign", State.ACKNOWLEDGED),
    ):
        with pytest.raises(RuleViolation) as refused:
            domain.check_transition(act, state)
        assert refused.value.rule_id == "A61.state"


# ---- colour and the escalation ladder -----------------------------------------------------------

DUE = date(2026, 11, 20)  # a Friday


def steps_on(day: date, taken=(), report_due=None) -> list[Step]:
    return [s.step for s in ladder.due_steps(day, DUE, report_due, taken, CAL, LIMITS)]


def test_ladder_warns_5_working_days_before_and_reminds_1_day_before():
    assert steps_on(date(2026, 11, 12)) == []
    assert steps_on(date(2026, 11, 13)) == [Step.WARNED]
    assert steps_on(date(2026, 11, 19)) == [Step.WARNED, Step.REMINDED]
    assert steps_on(date(2026, 11, 19), taken=["warned:2026-11-20"]) == [Step.REMINDED]


def test_ladder_past_due_urges_then_leader_mayor_accountability():
    taken = ["warned:2026-11-20", "reminded:2026-11-20"]
    assert steps_on(date(2026, 11, 21), taken) == [Step.URGED]
    assert steps_on(date(2026, 11, 27), taken) == [Step.URGED, Step.TO_SUPERVISING_LEADER]
    assert steps_on(date(2026, 12, 4), taken) == [Step.URGED, Step.TO_SUPERVISING_LEADER, Step.TO_MAYOR]
    assert steps_on(date(2026, 12, 18), taken)[-1] is Step.ACCOUNTABILITY_PROPOSED


def test_ladder_a_late_first_look_skips_the_warnings_but_takes_every_step_once():
    assert steps_on(date(2026, 12, 18)) == [
        Step.URGED,
        Step.TO_SUPERVISING_LEADER,
        Step.TO_MAYOR,
        Step.ACCOUNTABILITY_PROPOSED,
    ]
    everything = [s.key for s in ladder.due_steps(date(2026, 12, 18), DUE, None, (), CAL, LIMITS)]
    assert steps_on(date(2026, 12, 18), everything) == []


def test_ladder_a_missed_report_is_yellow_once_per_report_due():
    assert steps_on(date(2026, 11, 6), report_due=date(2026, 11, 5)) == [Step.REPORT_MISSED]
    assert steps_on(date(2026, 11, 6), taken=["report_missed:2026-11-05"], report_due=date(2026, 11, 5)) == []
    assert ladder.colour(date(2026, 11, 6), DUE, date(2026, 11, 5)) is domain.Colour.YELLOW
    assert ladder.colour(date(2026, 11, 21), DUE, None) is domain.Colour.RED
    assert ladder.colour(date(2026, 11, 6), DUE, date(2026, 12, 5)) is domain.Colour.GREEN


def test_ladder_next_check_day_is_the_next_step_not_taken():
    assert ladder.next_check_day(TODAY, DUE, None, (), CAL, LIMITS) == date(2026, 11, 13)
    taken = ["warned:2026-11-20"]
    assert ladder.next_check_day(date(2026, 11, 13), DUE, None, taken, CAL, LIMITS) == date(2026, 11, 19)
    everything = [s.key for s in ladder.due_steps(date(2026, 12, 31), DUE, None, (), CAL, LIMITS)]
    assert ladder.next_check_day(date(2026, 12, 31), DUE, None, everything, CAL, LIMITS) is None
    assert ladder.next_check_day(TODAY, None, date(2026, 12, 5), (), CAL, LIMITS) == date(2026, 12, 6)


def test_A72_exemption_under_fault_tolerance_needs_its_reason_and_cases_follow_their_states():
    from services.supervision.domain import accountability as cases

    with pytest.raises(RuleViolation) as refused:
        cases.check_exemption("  ")
    assert refused.value.rule_id == "A72.exemption-reason"
    assert cases.check_exemption(" 先行先试，已尽责 ") == "先行先试，已尽责"
    cases.check_case_transition("refer", cases.CaseState.PROPOSED)
    with pytest.raises(RuleViolation) as refused:
        cases.check_case_transition("decide", cases.CaseState.PROPOSED)
    assert refused.value.rule_id == "A72.state"
    with pytest.raises(RuleViolation):
        cases.check_case_transition("exempt", cases.CaseState.DECIDED)


# ---- the yearly inspection plan (A63) ------------------------------------------------------------


def test_A63_a_city_department_sets_up_no_inspection_of_the_counties_in_its_plan():
    from services.supervision.domain import plans

    of_county = plans.Inspection("食品安全检查", plans.InspectionKind.CHECK, ("anyue-county",), 5)
    with pytest.raises(RuleViolation) as refused:
        plans.check_department_targets("department", [of_county], {"anyue-county", "lezhi-county"})
    assert refused.value.rule_id == "A63.department-county"
    plans.check_department_targets("county", [of_county], {"anyue-county"})
    one_by_one = plans.Inspection(
        "食品安全检查", plans.InspectionKind.CHECK, ("anyue-county",), 5, unplanned=True
    )
    plans.check_department_targets("department", [one_by_one], {"anyue-county"})


def test_A63_caps_on_comprehensive_inspections_and_the_years_total():
    from services.supervision.domain import plans

    limits = plans.PlanLimits(comprehensive_per_organiser=1, total_per_year=10)
    one = plans.Inspection("综合督查", plans.InspectionKind.COMPREHENSIVE, ("anyue-county",), 3)
    plans.check_comprehensive_cap([one], limits)
    with pytest.raises(RuleViolation) as refused:
        plans.check_comprehensive_cap([one, one], limits)
    assert refused.value.rule_id == "A63.comprehensive-cap"
    plans.check_total(8, 2, limits)
    with pytest.raises(RuleViolation) as refused:
        plans.check_total(8, 3, limits)
    assert refused.value.rule_id == "A63.total-cap"
    rows = [
        [one.as_row(), one.as_row()],
        [
            plans.Inspection(
                "考核", plans.InspectionKind.ASSESSMENT, ("lezhi-county", "anyue-county"), 4
            ).as_row()
        ],
    ]
    assert plans.burden(rows, {"anyue-county", "lezhi-county", "yanjiang-district"}) == {
        "anyue-county": 3,
        "lezhi-county": 1,
        "yanjiang-district": 0,
    }
