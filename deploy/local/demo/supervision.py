"""The supervision storyline (督查督办): the items the meeting's decisions became, acknowledged and reported."""

from __future__ import annotations

import time

from zgov.meetings.v1 import meetings_pb2 as meet_pb
from zgov.meetings.v1 import meetings_pb2_grpc
from zgov.supervision.v1 import feeds_pb2, feeds_pb2_grpc, supervision_pb2_grpc
from zgov.supervision.v1 import supervision_pb2 as sup_pb

from deploy.local.demo.calls import Run, Story, pages
from deploy.local.demo.meetings import MEETING_TITLE


def supervision(run: Run, wait_seconds: float = 60) -> Story:
    """The items the executive meeting's decisions became (by event), acknowledged and reported on by
    the bodies that lead them."""
    story = Story("supervision (督查督办: items made from the meeting's decisions)")
    p = run.platform
    stub = p.stub(supervision_pb2_grpc.SupervisionServiceStub, "zgov.supervision.v1.SupervisionService")
    items = _items_of_the_decisions(run, stub, wait_seconds)
    if not items:
        story.notes.append(
            f"no item from the demo meeting's decisions within {wait_seconds:.0f} s: is supervision up?"
        )
        return story
    ours = [i for i in items if i.lead_body_code == "education-bureau"]
    todo = [i for i in ours if i.state == sup_pb.ITEM_STATE_ASSIGNED]
    for item in todo:
        stub.AcknowledgeItem(
            sup_pb.AcknowledgeItemRequest(item_id=item.id, note="已签收"),
            metadata=p.as_user("department-head"),
        )
        stub.ReportProgress(
            sup_pb.ReportProgressRequest(item_id=item.id, text="已完成选址和立项，正在开展设计招标。"),
            metadata=p.as_user("department-head"),
        )
        story.made.append(f"item {item.number} ({item.requirement}) acknowledged and first progress reported")
    story.nothing_to_do = not todo
    if todo:
        story.made.insert(0, f"{len(items)} items from the decisions (made by supervision from the events)")
    _deadline_feed(run, story)
    return story


def _items_of_the_decisions(run: Run, stub, wait_seconds: float) -> list[sup_pb.Item]:
    p = run.platform
    meet = p.stub(meetings_pb2_grpc.MeetingsServiceStub, "zgov.meetings.v1.MeetingsService")
    demo = [
        m
        for m in pages(
            meet.ListMeetings,
            meet_pb.ListMeetingsRequest(title_contains=MEETING_TITLE),
            p.as_user("mayor"),
            "meetings",
        )
        if m.title == MEETING_TITLE
    ]
    refs = {
        f"decision/{d.id}"
        for m in demo
        for d in meet.ListDecisions(
            meet_pb.ListDecisionsRequest(meeting_id=m.id), metadata=p.as_user("office-staff")
        ).decisions
    }
    deadline = time.monotonic() + wait_seconds
    while True:
        items = [
            i
            for i in pages(
                stub.ListItems, sup_pb.ListItemsRequest(), p.as_user("supervision-officer"), "items"
            )
            if i.source.ref in refs
        ]
        if len(items) >= len(refs) or time.monotonic() > deadline:
            return items
        time.sleep(0.5)


def _deadline_feed(run: Run, story: Story) -> None:
    """The education bureau's deadline feed (issued once, like the calendar feed)."""
    url = run.notes.get("education_bureau_deadline_feed")
    if not url and story.made:
        feeds = run.platform.stub(
            feeds_pb2_grpc.DeadlineFeedServiceStub, "zgov.supervision.v1.DeadlineFeedService"
        )
        url = feeds.IssueDeadlineFeed(
            feeds_pb2.IssueDeadlineFeedRequest(scope=feeds_pb2.FEED_SCOPE_BODY),
            metadata=run.platform.as_user("department-head"),
        ).url
        run.notes.put("education_bureau_deadline_feed", url)
    if url:
        story.where.append(f"the education bureau's supervision deadlines feed (iCalendar): {url}")
