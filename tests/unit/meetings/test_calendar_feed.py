"""The leaders' iCalendar feed is valid RFC 5545 text (folding, escaping, time zone)."""

from datetime import UTC, date, datetime

from services.meetings import calendar_feed
from services.meetings.calendar_feed import FeedMeeting, escape_text, fold, ics_for, role_of
from services.meetings.domain import MeetingKind


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


MEETING = FeedMeeting(
    "7d3e",
    MeetingKind.EXECUTIVE,
    "研究2027年教育经费安排、城市更新实施方案和防汛工作，议题较多请准时参加",
    date(2026, 12, 1),
    9 * 60,
    240,
    "市政府第一会议室; 3楼",
    False,
    "主持",
)


def test_every_line_ends_with_crlf_and_has_at_most_75_octets():
    text = ics_for([MEETING], calendar_name="王建国的会议", stamp=datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "DTSTART;TZID=Asia/Shanghai:20261201T090000" in lines
    assert "DTEND;TZID=Asia/Shanghai:20261201T130000" in lines
    assert "DTSTAMP:20261126T080000Z" in lines
    assert "UID:7d3e@meetings.zgov" in lines
    assert "LOCATION:市政府第一会议室\\; 3楼" in lines
    summary = next(x for x in lines if x.startswith("SUMMARY:"))
    assert summary == "SUMMARY:常务会议：" + escape_text(MEETING.title)
    assert lines.count("BEGIN:VTIMEZONE") == 1 and "TZOFFSETTO:+0800" in lines


def test_folding_never_splits_a_chinese_character():
    line = "SUMMARY:" + "会" * 60
    folded = fold(line)
    assert folded.replace("\r\n ", "") == line
    for part in folded.split("\r\n"):
        part.encode("utf-8").decode("utf-8")
        assert len(part.encode("utf-8")) <= 75


def test_text_escaping():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_meeting_across_midnight_and_roles():
    late = FeedMeeting(
        "m2", MeetingKind.SPECIAL_TOPIC, "防汛", date(2026, 12, 31), 23 * 60, 120, "", True, "出席"
    )
    lines = unfold(ics_for([late], calendar_name="x", stamp=datetime(2026, 11, 26, tzinfo=UTC)))
    assert "DTEND;TZID=Asia/Shanghai:20270101T010000" in lines
    assert "SUMMARY:【紧急】专题会议：防汛" in lines
    assert not any(x.startswith("LOCATION") for x in lines)
    assert role_of("a", convener="a", chair="b", members=["a"]) == "召集"
    assert role_of("b", convener="a", chair="b", members=[]) == "主持"
    assert role_of("c", convener="a", chair="b", members=["c"]) == "出席"
    assert role_of("d", convener="a", chair="b", members=["c"]) == "列席"


def test_feed_secrets_are_unguessable_and_only_their_digest_is_kept():
    from services.meetings.feed_http import SECRET_SHAPE

    secrets = {calendar_feed.new_feed_secret() for _ in range(200)}
    assert len(secrets) == 200
    assert all(SECRET_SHAPE.fullmatch(s) for s in secrets)
    secret = next(iter(secrets))
    digest = calendar_feed.feed_secret_digest(secret)
    assert len(digest) == 64 and secret not in digest
    assert calendar_feed.feed_url("https://calendar.example.invalid/", secret) == (
        f"https://calendar.example.invalid/calendar/{secret}.ics"
    )


def test_a_subscribed_feed_covers_a_month_back_and_a_year_ahead():
    from datetime import date

    assert calendar_feed.feed_window(date(2026, 11, 26)) == (date(2026, 10, 27), date(2027, 11, 27))


def test_a_kept_feed_is_reused_only_while_its_rows_are_the_same():
    built = calendar_feed.BuiltFeeds(size=2)
    builds: list[tuple] = []

    def text_of(key, rows):
        def build():
            builds.append(rows)
            return f"text {len(builds)}"

        return built.text(key, rows, build)

    rows = [("m1", "常务会议", ["a", "b"]), ("m2", "全体会议", ["a"])]
    assert text_of("mayor", rows) == "text 1"
    assert text_of("mayor", [tuple(r) for r in rows]) == "text 1"  # equal rows: kept, not rebuilt
    moved = [rows[0], ("m2", "全体会议", ["a", "c"])]  # one meeting's members changed
    assert text_of("mayor", moved) == "text 2"
    assert text_of("mayor", moved[:1]) == "text 3"  # one dropped
    assert text_of("vice-mayor", moved[:1]) == "text 4"  # another feed is kept apart
    assert text_of("mayor", moved[:1]) == "text 3"
    text_of("evm", rows)  # a third feed: the least recently polled ("vice-mayor") is dropped
    assert text_of("vice-mayor", moved[:1]) == "text 6"
