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


def proposal(**fields):
    base = dict(
        id="p-1",
        kind="npc_suggestion",
        number="第128号",
        session="市五届人大四次会议",
        title="关于改善城区学校周边停车的建议",
        state="assigned",
        lead_body_code="education-bureau",
        co_body_codes=["anyue-county"],
        due=date(2027, 3, 7),
    )
    return SimpleNamespace(**{**base, **fields})


def test_A67_a_bodys_proposals_feed_has_one_event_per_limit_with_its_part():
    rows = [
        proposal(),
        proposal(id="p-2", state="reopened", kind="cppcc_proposal"),
        proposal(id="p-3", due=None),
    ]
    text = d.proposals_ics(rows, "anyue-county", calendar_name="anyue-county建议提案办理时限", stamp=STAMP)
    flat = text.replace("\r\n ", "")
    assert flat.count("BEGIN:VEVENT") == 2
    assert "UID:proposal-p-1-20270307@supervision.zgov" in flat and "DTSTART;VALUE=DATE:20270307" in flat
    assert "【建议提案办理时限】人大代表建议（第128号） 关于改善城区学校周边停车的建议" in flat
    assert "【建议提案办理时限】政协提案（第128号）" in flat and "重新办理（不满意）" in flat
    assert "DESCRIPTION:协办；主办单位 education-bureau；市五届人大四次会议" in flat
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert d.calendar_name(FeedScope.PROPOSALS, "anyue-county") == "anyue-county建议提案办理时限"
