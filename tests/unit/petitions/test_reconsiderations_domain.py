"""The rules of administrative reconsideration (A69) as pure functions: limits in working days
(art. 30, 48, 54 with art. 88) and calendar days carried past rest days (art. 62), the one
extension, the simplified procedure, the decision kinds, the overdue steps, the limits as data."""

from datetime import date

import pytest

from services.petitions.domain import reconsiderations as d
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import calendar

CAL = calendar()
LAW = d.ReconsiderationLimits()


def test_A69_the_2023_law_numbers_are_the_defaults_and_an_operator_file_changes_them(tmp_path):
    assert (
        LAW.acceptance_working_days,
        LAW.answer_working_days,
        LAW.decision_days,
        LAW.max_extension_days,
        LAW.simplified_decision_days,
        LAW.small_amount_yuan,
    ) == (5, 10, 60, 30, 30, 3000)
    file = tmp_path / "limits.json"
    file.write_text('{"decision_days": 45}')
    assert d.ReconsiderationLimits.from_file(file).decision_days == 45
    with pytest.raises(ValueError, match="unknown"):
        d.ReconsiderationLimits.from_mapping({"decision_weeks": 8})
    with pytest.raises(ValueError, match="positive"):
        d.ReconsiderationLimits.from_mapping({"decision_days": 0})


def test_A69_decision_limit_across_national_day_ends_on_the_next_working_day():
    due = d.decision_due(date(2026, 7, 3), False, 30, LAW, CAL)  # plain end 2026-10-01
    assert (due.day, due.moved) == (date(2026, 10, 8), True)
    assert d.decision_due(date(2026, 7, 3), False, 0, LAW, CAL) == d.Due(date(2026, 9, 1))
    assert d.decision_due(date(2026, 11, 3), True, 0, LAW, CAL).day == date(2026, 12, 3)


def test_A69_short_limits_count_working_days():
    # Received on the eve of National Day: the 5 working days skip the holiday; Saturday 10-10 (调休) counts.
    assert d.acceptance_due(date(2026, 9, 30), LAW, CAL).day == date(2026, 10, 13)
    assert d.answer_due(date(2026, 7, 3), False, LAW, CAL).day == date(2026, 7, 17)
    assert d.answer_due(date(2026, 7, 3), True, LAW, CAL).day == date(2026, 7, 10)


def test_A69_acceptance_after_the_limit_is_deemed_on_its_last_day_and_refusal_is_too_late():
    due = d.Due(date(2026, 6, 8))
    received = date(2026, 6, 1)
    assert d.acceptance_day(date(2026, 6, 5), received, due) == (date(2026, 6, 5), False)
    assert d.acceptance_day(date(2026, 6, 20), received, due) == (date(2026, 6, 8), True)
    with pytest.raises(InvalidInput):
        d.acceptance_day(date(2026, 5, 31), received, due)
    d.check_refusal_in_time(date(2026, 6, 8), due, "超期申请")
    with pytest.raises(RuleViolation) as late:
        d.check_refusal_in_time(date(2026, 6, 9), due, "超期申请")
    assert late.value.rule_id == "A69.acceptance-days"


def test_A69_one_extension_of_at_most_thirty_days_never_in_the_simplified_procedure():
    d.check_extension(simplified=False, extended_before=0, days=30, reason="复杂", limits=LAW)
    for kwargs, rule in [
        (dict(simplified=True, extended_before=0, days=10), "A69.simplified-no-extension"),
        (dict(simplified=False, extended_before=10, days=10), "A69.one-extension"),
        (dict(simplified=False, extended_before=0, days=31), "A69.extension-days"),
    ]:
        with pytest.raises(RuleViolation) as refused:
            d.check_extension(reason="复杂", limits=LAW, **kwargs)
        assert refused.value.rule_id == rule
    with pytest.raises(InvalidInput):
        d.check_extension(simplified=False, extended_before=0, days=10, reason=" ", limits=LAW)


def test_A69_simplified_procedure_for_a_small_amount_only_up_to_the_limit():
    d.check_simplified(d.SimplifiedGround.SMALL_AMOUNT, 3000, LAW)
    d.check_simplified(d.SimplifiedGround.WARNING, 0, LAW)
    with pytest.raises(RuleViolation):
        d.check_simplified(d.SimplifiedGround.SMALL_AMOUNT, 3001, LAW)


def test_A69_decisions_of_the_listed_kinds_changed_and_ordered_to_act_say_what():
    accepted = date(2026, 7, 3)
    for kind in d.DecisionKind:
        remedy = "改为警告" if kind in d.NEEDS_REMEDY else ""
        d.check_decision(kind, "理由", remedy, date(2026, 8, 1), accepted)
    with pytest.raises(InvalidInput) as missing:
        d.check_decision(d.DecisionKind.ORDERED_TO_ACT, "理由", "", date(2026, 8, 1), accepted)
    assert "remedy" in missing.value.violations
    with pytest.raises(InvalidInput):
        d.check_decision(None, "理由", "", date(2026, 8, 1), accepted)


def test_A69_overdue_steps_once_each():
    today = date(2026, 12, 7)
    assert d.overdue_steps(
        state=d.State.APPLIED,
        today=today,
        acceptance=date(2026, 12, 1),
        answer=None,
        answered=False,
        decision=None,
        notified=set(),
    ) == [(d.Step.ACCEPTANCE, date(2026, 12, 1))]
    assert d.overdue_steps(
        state=d.State.ACCEPTED,
        today=today,
        acceptance=date(2026, 11, 1),
        answer=date(2026, 11, 20),
        answered=False,
        decision=date(2026, 12, 7),
        notified={"acceptance"},
    ) == [(d.Step.ANSWER, date(2026, 11, 20))]
    assert (
        d.overdue_steps(
            state=d.State.ACCEPTED,
            today=today,
            acceptance=date(2026, 11, 1),
            answer=date(2026, 11, 20),
            answered=True,
            decision=date(2026, 12, 1),
            notified={"decision"},
        )
        == []
    )
    assert (
        d.overdue_steps(
            state=d.State.DECIDED,
            today=today,
            acceptance=date(2026, 11, 1),
            answer=None,
            answered=True,
            decision=date(2026, 12, 1),
            notified=set(),
        )
        == []
    )


def test_A69_query_code_read_in_any_case_with_or_without_dashes():
    code = d.new_query_code()
    assert d.query_code_hash(code) == d.query_code_hash(code.lower().replace("-", " "))
