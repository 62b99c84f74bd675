"""A71: the words a case is found by (pure: jieba, no servers)."""

from datetime import date

from services.petitions import domain
from services.petitions.acts.intake import search_words
from shared import words


def intake(category: domain.Category) -> domain.Intake:
    return domain.Intake(
        channel=domain.Channel.LETTER,
        received_on=date(2025, 9, 16),
        category=category,
        title="增设公交线路",
        content="赵六建议在岳阳镇增设公交站点，电话13600000003。",
        petitioners=[domain.Petitioner("赵六", phone="13600000003")],
    )


def test_A71_full_words_hold_everything_redacted_words_no_person_and_no_complaint():
    full, redacted = search_words(intake(domain.Category.SUGGESTION))
    assert {"赵六", "公交", "站点", "设公", "~公交站点", "13", "03"} <= set(full)
    assert {"公交", "站点", "~公交站点"} <= set(redacted)
    assert "赵六" not in redacted and "~13600000003" not in redacted
    assert not set(words.search_query("13600000003").grams) <= set(redacted)
    full, redacted = search_words(intake(domain.Category.COMPLAINT_REPORT))
    assert "公交" in full and redacted == []
