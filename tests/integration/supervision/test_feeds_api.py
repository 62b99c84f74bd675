"""Deadline feeds end to end: issued through gRPC, polled over HTTP like a calendar app (ETag, 304),
a body's open items and a leader's supervised ones, a body's suggestions and proposals (A67); a replaced
or unknown address is 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.supervision.acts import items as acts
from services.supervision.domain.items import Kind, NewItem
from shared.db import transaction
from shared.identity import Actor
from shared.convert import date_from_proto
from zgov.supervision.v1 import feeds_pb2 as pb
from zgov.supervision.v1 import proposals_pb2 as proposals_pb

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


async def test_A67_a_body_subscribes_to_the_limits_of_the_suggestions_and_proposals_it_handles(supervision):
    """FEED_SCOPE_PROPOSALS: the lead body (主办) and the co-body (协办) each see the suggestion's handling
    limit (3 months from assignment) as an all-day event; one not yet assigned is in no feed."""
    s = supervision
    office = s.as_user("supervision-officer")

    def registration(number: str) -> proposals_pb.RegisterProposalRequest:
        return proposals_pb.RegisterProposalRequest(
            kind=proposals_pb.PROPOSAL_KIND_NPC_SUGGESTION,
            session="市五届人大四次会议",
            number=number,
            title=f"关于改善城区学校周边停车的建议{number}",
            content="建议在学校周边增设临时停车位。",
            proposers=[proposals_pb.Proposer(name="张明")],
        )

    assigned = await s.proposals.RegisterProposal(registration("128"), metadata=office)
    await s.proposals.RegisterProposal(registration("129"), metadata=office)
    assigned = await s.proposals.AssignProposal(
        proposals_pb.AssignProposalRequest(
            proposal_id=assigned.id, lead_body_code="education-bureau", co_body_codes=["anyue-county"]
        ),
        metadata=office,
    )
    due = date_from_proto(assigned.due, "due")
    async with httpx.AsyncClient() as http:
        for user, role in (("department-head", "主办"), ("county-head", "协办")):
            feed = await s.feeds.IssueDeadlineFeed(
                pb.IssueDeadlineFeedRequest(scope=pb.FEED_SCOPE_PROPOSALS), metadata=s.as_user(user)
            )
            assert feed.scope == pb.FEED_SCOPE_PROPOSALS and feed.calendar_name.endswith("建议提案办理时限")
            got = await http.get(feed.url)
            text = got.text.replace("\r\n ", "")
            assert got.status_code == 200 and f"DTSTART;VALUE=DATE:{due:%Y%m%d}" in text
            assert "人大代表建议（128）" in text and "（129）" not in text
            assert f"DESCRIPTION:{role}；主办单位 education-bureau" in text
