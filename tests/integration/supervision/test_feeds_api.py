"""Deadline feeds end to end: issued through gRPC, polled over HTTP like a calendar app (ETag, 304),
a body's open items and a leader's supervised ones; a replaced or unknown address is 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.supervision.acts import items as acts
from services.supervision.domain.items import Kind, NewItem
from shared.db import transaction
from shared.identity import Actor
from zgov.supervision.v1 import feeds_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def test_a_body_and_a_leader_subscribe_to_their_deadlines(supervision):
    s = supervision
    officer = Actor(
        user_id=s.user_id("supervision-officer"),
        username="supervision-officer",
        positions=frozenset({"supervision-officer"}),
        organisation_code="supervision-office",
    )
    due = TODAY + timedelta(days=40)
    async with transaction(s.sessions) as session:
        item = await acts.register(
            session,
            officer,
            NewItem(
                kind=Kind.KEY_TASK,
                title="城区道路改造",
                requirement="年底前完工",
                source_service="supervision",
                source_ref="register/feed",
                lead_body_code="education-bureau",
                due=due,
            ),
            s.acts_context(TODAY),
            by_hand=True,
        )
    body_feed = await s.feeds.IssueDeadlineFeed(
        pb.IssueDeadlineFeedRequest(scope=pb.FEED_SCOPE_BODY), metadata=s.as_user("department-head")
    )
    async with httpx.AsyncClient() as http:
        first = await http.get(body_feed.url)
        assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
        assert f"DTSTART;VALUE=DATE:{due:%Y%m%d}" in first.text and item.number in first.text
        again = await http.get(body_feed.url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        leader_feed = await s.feeds.IssueDeadlineFeed(
            pb.IssueDeadlineFeedRequest(scope=pb.FEED_SCOPE_LEADER), metadata=s.as_user("mayor")
        )
        assert (await http.get(leader_feed.url)).status_code == 200
        replaced = await s.feeds.IssueDeadlineFeed(
            pb.IssueDeadlineFeedRequest(scope=pb.FEED_SCOPE_BODY), metadata=s.as_user("department-head")
        )
        assert (await http.get(body_feed.url)).status_code == 404
        assert (await http.get(replaced.url)).status_code == 200
        assert (await http.get(replaced.url.rsplit("/", 1)[0] + "/x.ics")).status_code == 404
