"""Deadline feeds as RFC 5545 text: one all-day event per open item on its due date, CRLF, folded lines."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

from services.supervision.domain import feeds as d
from services.supervision.domain.feeds import FeedScope

STAMP = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def row(**fields):
    base = dict(
        id="i-1",
        number="督〔2026〕3号",
        title="城区道路改造, 按期完成; 不得拖延",
        requirement="年底前完工" * 20,
        due=date(2026, 12, 31),
        colour="red",
        lead_body_code="education-bureau",
        co_body_codes=["anyue-county"],
        supervising_leader_user_id="vm",
        instructing_leader_user_id="mayor",
    )
    return SimpleNamespace(**{**base, **fields})


def test_a_body_feed_has_one_all_day_event_per_dated_item_with_its_part():
    items = d.feed_items([row(), row(id="i-2", due=None)], FeedScope.BODY, "anyue-county")
    assert [i.role for i in items] == ["协办"]
    text = d.ics_for(items, calendar_name="anyue-county督办事项到期日", stamp=STAMP)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20261231\r\n" in text and "DTEND;VALUE=DATE:20270101\r\n" in text
    assert "UID:i-1-20261231@supervision.zgov" in text and "DTSTAMP:20261207T010000Z" in text
    assert "城区道路改造\\, 按期完成\\; 不得拖延" in text.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_a_leaders_feed_says_whether_he_supervises_or_instructed():
    assert [i.role for i in d.feed_items([row()], FeedScope.LEADER, "vm")] == ["督办"]
    assert [i.role for i in d.feed_items([row()], FeedScope.LEADER, "mayor")] == ["批示"]
