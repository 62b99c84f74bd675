"""Openness complaints (A38, OGI art. 47, 51): the rules, pure."""

from datetime import date

import pytest

from services.disclosure.domain import complaints as domain
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import calendar


def test_A38_a_complaint_names_the_office_what_failed_and_a_contact():
    domain.check_complaint(
        domain.Matter.NOT_PUBLISHED, "市住建局", "应公开的补贴名单未公开。", "王五", "13600000000", ""
    )
    with pytest.raises(InvalidInput) as err:
        domain.check_complaint(None, " ", "", "", "", "")
    assert set(err.value.violations) >= {
        "matter",
        "office_name",
        "description",
        "complainant.name",
        "complainant.phone",
    }


def test_A38_the_answer_limit_is_twenty_working_days_and_an_answer_is_given_once():
    due = domain.answer_limit(calendar(), date(2026, 9, 28))  # before the National Day holiday
    assert due.due > date(2026, 10, 26) and not due.provisional
    with pytest.raises(RuleViolation) as err:
        domain.check_answer(domain.State.ANSWERED, domain.Finding.SUBSTANTIATED, "已责令公开。")
    assert err.value.rule_id == "A38.answered-once"
    with pytest.raises(InvalidInput) as err:
        domain.check_answer(domain.State.OPEN, None, " ")
    assert set(err.value.violations) == {"finding", "answer"}
    assert domain.is_late(date(2026, 1, 5), date(2026, 1, 6), None)
    assert not domain.is_late(date(2026, 1, 5), date(2026, 1, 9), date(2026, 1, 5))
