"""Pure rules of performance management (A64–A66): weights, areas, evidence, measured scores, grades."""

import pytest

from services.supervision.domain import performance as d
from services.supervision.domain.performance import AssessedKind, Indicator, Measure
from shared.errors import InvalidInput, RuleViolation


def department_set(weights=(20, 20, 20, 10, 20, 10)) -> list[Indicator]:
    measures = [Measure.ITEMS_ON_TIME] + [Measure.EVIDENCE] * 5
    return [
        Indicator(f"i{n}", f"指标{n}", dim, w, m)
        for n, (dim, w, m) in enumerate(zip(d.DIMENSIONS[AssessedKind.DEPARTMENT], weights, measures))
    ]


def rule(call) -> str:
    with pytest.raises(RuleViolation) as info:
        call()
    return info.value.rule_id


def test_A64_weights_sum_to_100():
    d.check_indicators(AssessedKind.DEPARTMENT, department_set())
    assert (
        rule(lambda: d.check_indicators(AssessedKind.DEPARTMENT, department_set((20, 20, 20, 10, 20, 5))))
        == "A64.weights"
    )


def test_A65_a_department_set_covers_every_area_of_article_65():
    without_self_building = department_set()[:5]
    without_self_building[0] = Indicator("i0", "落实重大决策", "major-decisions", 30, Measure.ITEMS_ON_TIME)
    assert (
        rule(lambda: d.check_indicators(AssessedKind.DEPARTMENT, without_self_building)) == "A65.dimensions"
    )


def test_A66_a_county_set_covers_every_area_of_article_66_and_only_its_areas():
    areas = d.DIMENSIONS[AssessedKind.COUNTY]
    county = [
        Indicator(f"c{n}", "县区指标", area, 10 if n < 6 else 40, Measure.EVIDENCE)
        for n, area in enumerate(areas)
    ]
    d.check_indicators(AssessedKind.COUNTY, county)
    assert (
        rule(
            lambda: d.check_indicators(
                AssessedKind.COUNTY,
                county[:-1] + [Indicator("c6", "x", "economic-regulation", 40, Measure.EVIDENCE)],
            )
        )
        == "A66.dimensions"
    )
    with pytest.raises(InvalidInput) as info:
        d.check_indicators(AssessedKind.COUNTY, department_set())
    assert "indicators[0].dimension" in dict(info.value.violations)


def test_A65_A66_a_body_is_assessed_in_the_set_of_its_kind():
    d.check_body_kind(AssessedKind.COUNTY, "county")
    assert rule(lambda: d.check_body_kind(AssessedKind.COUNTY, "department")) == "A66.kind"
    assert rule(lambda: d.check_body_kind(AssessedKind.DEPARTMENT, "county")) == "A65.kind"


def test_A64_a_score_by_hand_has_evidence_stays_within_the_weight_and_never_scores_oneself():
    manual = department_set()[1]
    d.check_score(manual, 1800, "年度报告第3页", "supervision-office", "education-bureau")
    assert (
        rule(lambda: d.check_score(manual, 1800, " ", "supervision-office", "education-bureau"))
        == "A64.evidence"
    )
    assert (
        rule(lambda: d.check_score(manual, 1800, "自评", "education-bureau", "education-bureau"))
        == "A64.self-scoring"
    )
    with pytest.raises(InvalidInput):
        d.check_score(manual, 2001, "超出权重", "supervision-office", "education-bureau")


def test_A64_the_measured_indicator_is_computed_from_the_supervision_items_not_typed_in():
    measured = department_set()[0]
    assert (
        rule(lambda: d.check_score(measured, 2000, "手填", "supervision-office", "education-bureau"))
        == "A64.measured"
    )
    assert d.on_time_score(measured, due=4, on_time=3) == 1500
    assert d.on_time_score(measured, due=0, on_time=0) == 2000


def test_A64_indicators_fed_by_other_services_events_are_computed_not_typed_in():
    for measure in d.FED_MEASURES:
        fed = Indicator("fed", "由事件计算", "efficiency", 10, measure)
        assert rule(lambda: d.check_score(fed, 500, "手填", "supervision-office", "education-bureau")) == (
            "A64.measured"
        )
    # petitions answered on time 3 of 4, no countersign asked: full marks (nothing was late)
    assert (
        d.on_time_score(Indicator("p", "按期答复", "efficiency", 10, Measure.PETITIONS_ON_TIME), 4, 3) == 750
    )
    assert (
        d.on_time_score(Indicator("c", "会签", "efficiency", 10, Measure.COUNTERSIGNS_ANSWERED), 0, 0) == 1000
    )


def test_A64_results_are_final_only_complete_and_by_a_recorded_meeting_decision():
    indicators = department_set()
    scored = {i.code: {"centipoints": i.weight * 90} for i in indicators}
    d.check_complete(indicators, {"education-bureau": scored})
    assert (
        rule(lambda: d.check_complete(indicators, {"education-bureau": dict(list(scored.items())[:3])}))
        == "A64.incomplete"
    )
    assert rule(lambda: d.check_complete(indicators, {})) == "A64.incomplete"
    assert rule(lambda: d.check_decision(False, "some-decision")) == "A64.approval"
    assert rule(lambda: d.check_open(d.SetState.APPROVED)) == "A64.final"
    assert rule(lambda: d.check_replaceable(d.SetState.OPEN, scored=True)) == "A64.fixed"


def test_A64_grades_once_every_indicator_is_scored():
    indicators = department_set()
    limits = d.GradeLimits()
    assert d.grade(indicators, {}, limits) is None
    full = {i.code: {"centipoints": i.weight * 100} for i in indicators}
    assert d.grade(indicators, full, limits) is d.Grade.EXCELLENT
    low = {i.code: {"centipoints": i.weight * 59} for i in indicators}
    assert d.grade(indicators, low, limits) is d.Grade.FAIL
