"""Rules of proactive disclosure (services/disclosure/domain/publications.py), without I/O."""

from datetime import date

import pytest

from services.disclosure.domain import publications as d
from services.disclosure.domain.publications import Category, Content, Item, Kind, State, Validity
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import WorkingCalendar, calendar

TODAY = date(2026, 11, 26)


def test_art26_limit_counts_20_working_days_across_the_national_day_holiday():
    """Made on Tue 29 Sep 2026: 1-7 Oct are holidays, Sat 10 Oct is a make-up working day (调休)."""
    limit = d.publish_limit(calendar(), date(2026, 9, 29))
    assert limit.due == date(2026, 11, 2)
    assert not limit.provisional
    # on weekends only it would have been 27 Oct: the holiday moves it by a week
    assert d.publish_limit(WorkingCalendar(use_library=False), date(2026, 9, 29)).due == date(2026, 10, 27)


def test_art26_limit_into_a_year_without_a_known_schedule_is_provisional():
    """Made on 15 Dec 2026: 2027's schedule is unknown, so 1 Jan 2027 counts as a working day."""
    limit = d.publish_limit(WorkingCalendar(), date(2026, 12, 15))
    assert limit == (date(2027, 1, 12), True)


def test_art26_late_while_queued_after_the_limit_or_published_after_it():
    due = date(2026, 11, 2)
    assert not d.is_late(due, date(2026, 11, 2))
    assert d.is_late(due, date(2026, 11, 3))
    assert not d.is_late(due, date(2026, 12, 1), published_on=date(2026, 10, 30))
    assert d.is_late(due, date(2026, 12, 1), published_on=date(2026, 11, 3))
    assert not d.is_late(None, TODAY)


def policy(**kw) -> Item:
    return Item(**{"id": "p", "kind": Kind.POLICY, "state": State.QUEUED, **kw})


def interpretation(**kw) -> Item:
    return Item(**{"id": "i", "kind": Kind.INTERPRETATION, "state": State.QUEUED, "policy_id": "p", **kw})


def test_A37_interpretation_refused_before_its_policy():
    with pytest.raises(RuleViolation) as err:
        d.check_publish(interpretation(), policy(), [], 0)
    assert err.value.rule_id == "A37.interpretation-with-policy"
    d.check_publish(interpretation(), policy(state=State.PUBLISHED), [], 0)


def test_A37_policy_requiring_an_interpretation_is_published_with_it():
    major = policy(requires_interpretation=True)
    with pytest.raises(RuleViolation) as err:
        d.check_publish(major, None, [], 0)
    assert err.value.rule_id == "A37.interpretation-with-policy"
    d.check_publish(major, None, [interpretation()], 0)
    d.check_publish(major, None, [], 1)  # one was published already
    d.check_publish(policy(), None, [], 0)  # an ordinary policy needs none


def test_A37_only_queued_interpretations_of_this_policy_go_together():
    with pytest.raises(InvalidInput):
        d.check_publish(policy(), None, [interpretation(policy_id="other")], 0)
    with pytest.raises(InvalidInput):
        d.check_publish(policy(), None, [interpretation(state=State.PUBLISHED)], 0)
    with pytest.raises(InvalidInput):
        d.check_publish(policy(), None, [policy(id="x")], 0)
    with pytest.raises(InvalidInput):
        d.check_publish(policy(state=State.PUBLISHED), None, [], 0)


def content(**kw) -> Content:
    base = dict(
        kind=Kind.POLICY,
        category=Category.STATISTICS,
        title="2026年10月全市经济运行情况",
        body="……",
        issuer_name="资阳市统计局",
        made_on=date(2026, 11, 20),
    )
    return Content(**{**base, **kw})


def test_content_of_each_kind_A22_A37_A39_A67():
    d.check_content(content(), TODAY)
    with pytest.raises(InvalidInput) as err:
        d.check_content(content(kind=Kind.INTERPRETATION), TODAY)
    assert "content.policy_id" in err.value.violations
    with pytest.raises(InvalidInput) as err:
        d.check_content(
            content(kind=Kind.POWER, power={"subject": "市市场监管局", "basis": "《行政许可法》"}), TODAY
        )
    assert {"content.power.procedure", "content.power.supervision"} <= set(err.value.violations)
    d.check_content(
        content(
            kind=Kind.POWER,
            power={
                "subject": "市市场监管局",
                "basis": "《行政许可法》",
                "procedure": "受理、审查、决定",
                "supervision": "12345",
            },
        ),
        TODAY,
    )
    with pytest.raises(InvalidInput) as err:
        d.check_content(
            content(kind=Kind.PROPOSAL_RESULT, proposal={"proposal_kind": "npc_suggestion"}), TODAY
        )
    assert "content.proposal.proposal_number" in err.value.violations
    with pytest.raises(InvalidInput) as err:
        d.check_content(content(kind=Kind.COMMENT_DRAFT, comment_until=date(2026, 11, 25)), TODAY)
    assert "content.comment_until" in err.value.violations
    with pytest.raises(InvalidInput) as err:
        d.check_content(content(made_on=date(2026, 11, 27), title=" "), TODAY)
    assert {"content.made_on", "content.title"} <= set(err.value.violations)


def test_A22_comment_until_the_closing_day_inclusive():
    until = date(2026, 12, 1)
    d.check_comment(Kind.COMMENT_DRAFT, State.PUBLISHED, until, until, "", "", "建议延长公示期。")
    with pytest.raises(RuleViolation) as err:
        d.check_comment(Kind.COMMENT_DRAFT, State.PUBLISHED, until, date(2026, 12, 2), "", "", "晚了")
    assert err.value.rule_id == "A22.comment-closed"
    with pytest.raises(InvalidInput):
        d.check_comment(Kind.POLICY, State.PUBLISHED, until, TODAY, "", "", "不是草案")
    with pytest.raises(InvalidInput) as err:
        d.check_comment(Kind.COMMENT_DRAFT, State.PUBLISHED, until, TODAY, "张" * 101, "", " ")
    assert set(err.value.violations) == {"author_name", "text"}


def test_A25_validity_after_cleanup_and_expiry():
    assert d.validity_after_cleanup(d.Cleanup.REPEAL) is Validity.REPEALED
    assert d.validity_after_cleanup(d.Cleanup.REVISE) is Validity.AMENDED
    assert d.validity_after_cleanup(d.Cleanup.CONTINUE) is Validity.IN_FORCE
    assert d.effective_validity(Validity.IN_FORCE, date(2026, 11, 25), TODAY) is Validity.EXPIRED
    assert d.effective_validity(Validity.IN_FORCE, TODAY, TODAY) is Validity.IN_FORCE
    assert d.effective_validity(Validity.REPEALED, date(2026, 1, 1), TODAY) is Validity.REPEALED


def test_A24_documents_rules_and_normative_documents_are_article_20_category_1():
    assert (
        d.category_of_document("SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT", False)
        is Category.RULES_AND_NORMATIVE_DOCUMENTS
    )
    assert (
        d.category_of_document("SIGN_OFF_AUTHORITY_ROUTINE", True) is Category.RULES_AND_NORMATIVE_DOCUMENTS
    )
    assert d.category_of_document("SIGN_OFF_AUTHORITY_ROUTINE", False) is Category.OTHER
    assert d.requires_interpretation("SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT", True)
    assert not d.requires_interpretation("SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT", False)
    assert not d.requires_interpretation("SIGN_OFF_AUTHORITY_MAJOR_DEPLOYMENT", True)
