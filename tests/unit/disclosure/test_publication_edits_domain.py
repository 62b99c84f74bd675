"""Correcting a queued publication and the A22 account of comments (意见采纳情况), without I/O."""

from datetime import date, timedelta

import pytest

from services.disclosure.domain import publications as d
from services.disclosure.domain.publications import Content, Kind, State
from shared.errors import InvalidInput, RuleViolation

TODAY = date(2026, 11, 26)


def test_a_queued_item_is_corrected_with_a_reason():
    d.check_edit(State.QUEUED, {"title": "2026年10月资阳市经济运行情况（更正）"}, "标题有误")
    with pytest.raises(InvalidInput) as err:
        d.check_edit(State.QUEUED, {"title": " "}, "")
    assert set(err.value.violations) == {"title", "reason"}
    with pytest.raises(InvalidInput) as err:
        d.check_edit(State.QUEUED, {}, "原因")
    assert set(err.value.violations) == {"publication_id"}


def test_a_published_item_is_not_edited_but_amended_and_published_anew():
    for state in (State.PUBLISHED, State.DECLINED):
        with pytest.raises(InvalidInput) as err:
            d.check_edit(state, {"title": "新标题"}, "标题有误")
        assert "not queued" in err.value.violations["publication_id"]


def test_A70_a_concern_response_is_not_added_by_hand():
    content = Content(
        kind=Kind.CONCERN_RESPONSE,
        category=d.Category.OTHER,
        title="回应",
        body="……",
        issuer_name="资阳市教育局",
        made_on=TODAY,
    )
    with pytest.raises(InvalidInput) as err:
        d.check_content(content, TODAY)
    assert set(err.value.violations) == {"content.kind"}


def test_A22_feedback_only_after_the_comment_period_closed():
    closed = TODAY - timedelta(days=1)
    with pytest.raises(RuleViolation) as err:
        d.check_feedback(Kind.COMMENT_DRAFT, State.PUBLISHED, TODAY, TODAY, 3, "采纳情况", 1, 1, 1)
    assert err.value.rule_id == "A22.feedback-after-close"
    d.check_feedback(
        Kind.COMMENT_DRAFT, State.PUBLISHED, closed, TODAY, 3, "共收到意见3条，采纳1条……", 1, 1, 1
    )
    d.check_feedback(Kind.COMMENT_DRAFT, State.PUBLISHED, closed, TODAY, 0, "未收到意见。", 0, 0, 0)


def test_A22_feedback_counts_within_what_was_received_and_a_summary():
    closed = TODAY - timedelta(days=1)
    with pytest.raises(InvalidInput) as err:
        d.check_feedback(Kind.COMMENT_DRAFT, State.PUBLISHED, closed, TODAY, 1, " ", 2, 1, -1)
    assert set(err.value.violations) == {"summary", "adopted", "not_adopted"}
    with pytest.raises(InvalidInput):
        d.check_feedback(Kind.POLICY, State.PUBLISHED, closed, TODAY, 2, "采纳情况", 0, 0, 0)
