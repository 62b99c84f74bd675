"""A leader subscribes to his or her meetings from the calendar app already in use: an address
polled over HTTP without logging in (issue 4: "Leaders get their meetings as a calendar feed")."""

from __future__ import annotations

import grpc
import httpx
import pytest
from zgov.meetings.v1 import meetings_pb2 as pb

from tests.integration.meetings.test_meetings_api import rpc_error, schedule, working_days_ahead

pytestmark = pytest.mark.integration


async def test_a_subscribed_feed_lists_the_leaders_meetings_and_stops_when_replaced_or_revoked(meetings):
    day = working_days_ahead(20)
    meeting = await schedule(meetings, day)
    issued = await meetings.stub.IssueCalendarSubscription(
        pb.IssueCalendarSubscriptionRequest(), metadata=meetings.as_user("vice-mayor-2")
    )
    assert issued.url.endswith(".ics") and "/calendar/" in issued.url

    async with httpx.AsyncClient(timeout=10) as http:
        feed = await http.get(issued.url)
        assert feed.status_code == 200, feed.text
        assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "private" in feed.headers["cache-control"]
        assert f"UID:{meeting.id}@meetings.zgov" in feed.text
        assert f"DTSTART;TZID=Asia/Shanghai:{day:%Y%m%d}T090000" in feed.text
        assert "本人出席" in feed.text  # the leader's own part in the meeting

        # Pollers re-ask with the ETag and get a cheap 304 while nothing changed.
        again = await http.get(issued.url, headers={"If-None-Match": feed.headers["etag"]})
        assert again.status_code == 304

        # Another person's feed does not show this leader's meetings.
        other = await meetings.stub.IssueCalendarSubscription(
            pb.IssueCalendarSubscriptionRequest(), metadata=meetings.as_user("department-head")
        )
        assert other.url != issued.url
        theirs = await http.get(other.url)
        assert theirs.status_code == 200 and meeting.id not in theirs.text

        # A new address replaces the old one (a leaked link is dead at once).
        renewed = await meetings.stub.IssueCalendarSubscription(
            pb.IssueCalendarSubscriptionRequest(), metadata=meetings.as_user("vice-mayor-2")
        )
        assert (await http.get(issued.url)).status_code == 404
        assert (await http.get(renewed.url)).status_code == 200

        # Revoked: the address answers 404, the same as one that never existed.
        revoked = await meetings.stub.RevokeCalendarSubscription(
            pb.RevokeCalendarSubscriptionRequest(), metadata=meetings.as_user("vice-mayor-2")
        )
        assert revoked.revoked
        gone = await http.get(renewed.url)
        assert gone.status_code == 404 and "无效或已撤销" in gone.text
        base = renewed.url.rsplit("/calendar/", 1)[0]
        for bogus in ("A" * 43, "../../etc/passwd", "x"):
            assert (await http.get(f"{base}/calendar/{bogus}.ics")).status_code == 404
        again = await meetings.stub.RevokeCalendarSubscription(
            pb.RevokeCalendarSubscriptionRequest(), metadata=meetings.as_user("vice-mayor-2")
        )
        assert not again.revoked


async def test_a_feed_address_needs_a_logged_in_person(meetings):
    err = await rpc_error(meetings.stub.IssueCalendarSubscription(pb.IssueCalendarSubscriptionRequest()))
    assert err.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_polled_calendar_shows_a_changed_or_added_meeting_at_the_next_poll(meetings):
    """Issue 17: the feed's text is kept between polls (calendar_feed.BuiltFeeds) and rebuilt only
    when the leader's meetings read for it differ: a moved or added meeting shows at the next poll,
    both over gRPC and on the subscribed address."""
    from sqlalchemy import text

    from shared.db import create_engine

    day = working_days_ahead(20)
    first = await schedule(meetings, day)
    issued = await meetings.stub.IssueCalendarSubscription(
        pb.IssueCalendarSubscriptionRequest(), metadata=meetings.as_user("vice-mayor-2")
    )

    async def rpc_feed() -> str:
        reply = await meetings.stub.GetLeaderCalendar(
            pb.GetLeaderCalendarRequest(), metadata=meetings.as_user("vice-mayor-2")
        )
        return reply.ics

    async with httpx.AsyncClient(timeout=10) as http:
        polled = [await rpc_feed(), (await http.get(issued.url)).text]
        assert polled == [await rpc_feed(), (await http.get(issued.url)).text]  # unchanged: the same text
        for feed in polled:
            assert f"DTSTART;TZID=Asia/Shanghai:{day:%Y%m%d}T090000" in feed and "第二会议室" not in feed

        # The meeting moved to the afternoon and got a room (as a rescheduling act would write it).
        engine = create_engine(meetings.database)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE meeting SET start_minute = 15 * 60, location = '第二会议室' WHERE id = :id"),
                    {"id": first.id},
                )
        finally:
            await engine.dispose()
        for feed in (await rpc_feed(), (await http.get(issued.url)).text):
            assert f"DTSTART;TZID=Asia/Shanghai:{day:%Y%m%d}T150000" in feed
            assert "T090000" not in feed and "LOCATION:第二会议室" in feed

        # A new meeting shows too.
        second = await schedule(meetings, day, start="10:00")
        for feed in (await rpc_feed(), (await http.get(issued.url)).text):
            assert f"UID:{first.id}@meetings.zgov" in feed and f"UID:{second.id}@meetings.zgov" in feed
