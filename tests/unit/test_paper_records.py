"""Entering what happened on paper (shared/paper_records.py): the same rules for past and future days
in every service (docs/design.md, "Time conventions")."""

from __future__ import annotations

from datetime import date

import pytest

from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from shared.paper_records import check_may_enter_paper, day_it_happened, entered_note

TODAY = date(2026, 12, 7)


def test_a_day_in_the_window_is_taken_as_the_day_it_happened():
    assert day_it_happened(date(2026, 11, 7), today=TODAY, field="sent_on_paper") == date(2026, 11, 7)
    assert day_it_happened(TODAY, today=TODAY, field="sent_on_paper") == TODAY


def test_a_day_after_today_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as refused:
        day_it_happened(date(2026, 12, 8), today=TODAY, field="filed_on_paper")
    assert "after today" in refused.value.violations["filed_on_paper"]


def test_a_day_before_the_window_is_refused_with_the_earliest_day():
    with pytest.raises(InvalidInput) as refused:
        day_it_happened(date(2026, 11, 6), today=TODAY, field="filed_on_paper")
    assert "earliest 2026-11-07" in refused.value.violations["filed_on_paper"]
    assert day_it_happened(date(2026, 9, 1), today=TODAY, field="x", window_days=120) == date(2026, 9, 1)


def test_only_the_holder_of_the_permission_enters_a_past_day():
    office = Actor("u1", "office-staff", permissions=frozenset({"topic:enter-paper"}))
    department = Actor("u2", "department-head", permissions=frozenset({"topic:file"}))
    check_may_enter_paper(office, "topic:enter-paper", "FileTopic")
    with pytest.raises(Forbidden) as refused:
        check_may_enter_paper(department, "topic:enter-paper", "FileTopic")
    assert refused.value.reason == "PERMISSION_MISSING"
    assert refused.value.metadata == {"permissions": "topic:enter-paper", "method": "FileTopic"}


def test_the_note_names_both_days_only_when_they_differ():
    assert entered_note(date(2026, 12, 1), TODAY) == "happened on paper on 2026-12-01, entered on 2026-12-07"
    assert entered_note(TODAY, TODAY) == ""
