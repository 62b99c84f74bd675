"""Pure rules of circulars (A61): praise and criticism earned, the ladder's items always criticised, once."""

from datetime import date

import pytest

from services.supervision.domain import circulars as d
from services.supervision.domain.circulars import Entry, ItemFacts, Verdict
from shared.errors import InvalidInput, RuleViolation

DAY = date(2026, 11, 30)
EARLY = ItemFacts("a", "督〔2026〕1号", "education-bureau", "closed", date(2026, 11, 20), date(2026, 11, 18))
LATE = ItemFacts("b", "督〔2026〕2号", "anyue-county", "acknowledged", date(2026, 11, 10), None)


def rule(call) -> str:
    with pytest.raises(RuleViolation) as info:
        call()
    return info.value.rule_id


def test_A61_praise_for_an_item_closed_on_time_criticism_for_one_past_due():
    d.check_entry(Entry("a", Verdict.PRAISE, "提前办结"), EARLY, DAY)
    d.check_entry(Entry("b", Verdict.CRITICISM, "逾期未办结"), LATE, DAY)
    assert (
        rule(lambda: d.check_entry(Entry("b", Verdict.PRAISE, "表扬"), LATE, DAY)) == "A61.circular-verdict"
    )
    assert (
        rule(lambda: d.check_entry(Entry("a", Verdict.CRITICISM, "批评"), EARLY, DAY))
        == "A61.circular-verdict"
    )
    with pytest.raises(InvalidInput):
        d.check_entry(Entry("a", Verdict.PRAISE, " "), EARLY, DAY)
    with pytest.raises(InvalidInput):
        d.check_entry(Entry("zzz", Verdict.PRAISE, "x"), None, DAY)


def test_A61_an_item_sent_to_the_mayor_goes_into_the_circular_criticised():
    entries = d.with_escalated([Entry("b", Verdict.CRITICISM, "office's words")], [LATE])
    (only,) = entries
    assert only.from_escalation and only.verdict is Verdict.CRITICISM and "市长" in only.reason


def test_A61_a_circular_is_sent_to_be_issued_once_and_reads_as_a_circular():
    assert rule(lambda: d.check_request(d.CircularState.ISSUE_REQUESTED)) == "A61.circular-once"
    text = d.text(
        2026,
        11,
        [{"body_code": "education-bureau", "closed_on_time": 1, "closed": 1, "overdue": 0}],
        [Entry("a", Verdict.PRAISE, "提前办结", "督〔2026〕1号", "education-bureau").as_row()],
    )
    assert (
        "按期办结1件" in text
        and "督〔2026〕1号（education-bureau）：提前办结" in text
        and "三、批评事项\n无。" in text
    )
    assert d.title(2026, 11) == "关于2026年11月督查事项办理情况的通报"
