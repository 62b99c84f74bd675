"""The meetings storyline (常务会议): topics, agenda, the meeting held, minutes and decisions, the feed."""

from __future__ import annotations

from datetime import date, timedelta

from zgov.meetings.v1 import meetings_pb2 as meet_pb
from zgov.meetings.v1 import meetings_pb2_grpc

from deploy.local.demo.calls import MARK, Run, Story, pages, working_days_from
from shared.convert import date_to_proto
from shared.workdays import calendar

MEETING_TITLE = f"{MARK}市政府常务会议"
NEXT_MEETING_TITLE = f"{MARK}市政府常务会议（下次）"


def meetings(run: Run) -> Story:
    """An executive meeting today on a topic the education bureau handed in on paper four weeks ago,
    its minutes and two numbered decisions; the next executive meeting with a topic filed in time."""
    story = Story("meetings (常务会议: topics, agenda, meeting held, minutes and decisions)")
    p, stub = (
        run.platform,
        run.platform.stub(meetings_pb2_grpc.MeetingsServiceStub, "zgov.meetings.v1.MeetingsService"),
    )
    found = [
        m
        for m in pages(
            stub.ListMeetings,
            meet_pb.ListMeetingsRequest(title_contains=MARK),
            p.as_user("mayor"),
            "meetings",
        )
        if m.title.startswith(MARK)
    ]
    if found:
        closed = meet_pb.MEETING_STATE_CLOSED
        story.found(
            any(m.title == MEETING_TITLE and m.state == closed for m in found)
            and any(m.title == NEXT_MEETING_TITLE for m in found),
            "the meeting held today with its minutes, or the next meeting",
        )
    else:
        _hold_todays_meeting(run, stub, story)
        _schedule_next_meeting(run, stub, story)
    _calendar_feed(run, stub, story)
    return story


def _schedule(run: Run, stub, title: str, day: date) -> meet_pb.Meeting:
    working = calendar().is_working_day(day)
    return stub.ScheduleMeeting(
        meet_pb.ScheduleMeetingRequest(
            kind=meet_pb.MEETING_KIND_EXECUTIVE,
            title=title,
            day=date_to_proto(day),
            start_time="09:00",
            location="市政府第一会议室",
            # A42: a non-working day takes an emergency meeting only (the demo may run on a Sunday).
            emergency=not working,
            emergency_reason="" if working else "演示：今日为休息日，按紧急会议召开",
        ),
        metadata=run.platform.as_user("mayor"),
    )


def _topic(run: Run, stub, meeting_id: str, title: str, **filing) -> meet_pb.Topic:
    """A42: the vice mayor proposes the education bureau's topic in writing; it is filed with its
    approval form (by the bureau, or handed in on paper and entered by the general office)."""
    p = run.platform
    proposal = stub.ProposeTopic(
        meet_pb.ProposeTopicRequest(
            meeting_id=meeting_id,
            organisation_code="education-bureau",
            title=title,
            route=meet_pb.TOPIC_ROUTE_VIA_VICE_MAYOR,
        ),
        metadata=p.as_user("vice-mayor-1"),
    )
    filer = filing.pop("by")
    return stub.FileTopic(
        meet_pb.FileTopicRequest(
            meeting_id=meeting_id,
            title=title,
            summary="请审议",
            route=meet_pb.TOPIC_ROUTE_VIA_VICE_MAYOR,
            proposed_by_user_id=p.user_id("vice-mayor-1"),
            proposal_id=proposal.id,
            documents=[
                meet_pb.TopicDocument(name="议题审批表", ref="demo-form"),
                meet_pb.TopicDocument(name="议题文件", ref="demo-paper"),
            ],
            **filing,
        ),
        metadata=p.as_user(filer),
    )


def _hold_todays_meeting(run: Run, stub, story: Story) -> None:
    p, today = run.platform, run.today
    meeting = _schedule(run, stub, MEETING_TITLE, today)
    handed_in = today - timedelta(days=28)  # ten working days before today in any season
    topic = _topic(
        run,
        stub,
        meeting.id,
        f"{MARK}关于城东学校建设的议题",
        by="office-staff",
        filed_on_paper=date_to_proto(handed_in),
        filing_organisation_code="education-bureau",
        matter_ref="demo/chengdong-school",
    )
    stub.DecideTopic(
        meet_pb.DecideTopicRequest(
            topic_id=topic.id, verdict=meet_pb.TOPIC_VERDICT_ACCEPT, reason="同意上会"
        ),
        metadata=p.as_user("mayor"),
    )
    stub.ReleaseMaterials(
        meet_pb.ReleaseMaterialsRequest(meeting_id=meeting.id), metadata=p.as_user("office-staff")
    )
    stub.StartMeeting(
        meet_pb.StartMeetingRequest(meeting_id=meeting.id, present_user_ids=list(meeting.member_user_ids)),
        metadata=p.as_user("mayor"),
    )
    stub.RecordTopicOutcome(
        meet_pb.RecordTopicOutcomeRequest(topic_id=topic.id, outcome=meet_pb.TOPIC_OUTCOME_ADOPTED),
        metadata=p.as_user("office-staff"),
    )
    stub.CloseMeeting(meet_pb.CloseMeetingRequest(meeting_id=meeting.id), metadata=p.as_user("mayor"))
    due = date_to_proto(working_days_from(today, 40))
    minutes = stub.DraftMinutes(
        meet_pb.DraftMinutesRequest(
            meeting_id=meeting.id,
            text="会议原则同意城东学校建设方案。",
            decisions=[
                meet_pb.DecisionItem(
                    topic_id=topic.id,
                    text="同意城东学校建设方案，市教育局牵头实施",
                    owner_organisation_code="education-bureau",
                    due=due,
                    category=meet_pb.MATTER_CATEGORY_MAJOR_POLICY,
                    matter_ref="demo/chengdong-school",
                ),
                meet_pb.DecisionItem(
                    text="市财政局做好城东学校建设资金保障",
                    owner_organisation_code="finance-bureau",
                    due=due,
                    category=meet_pb.MATTER_CATEGORY_MAJOR_FUNDING,
                    matter_ref="demo/chengdong-school",
                ),
            ],
        ),
        metadata=p.as_user("office-staff"),
    )
    signed = stub.SignMinutes(meet_pb.SignMinutesRequest(minutes_id=minutes.id), metadata=p.as_user("mayor"))
    story.made.append(
        f"executive meeting {meeting.title} on {today}: topic handed in on paper on {handed_in} "
        f"(entered today by the general office), accepted, held, minutes signed, {len(signed.decision_ids)} decisions"
    )
    story.notes.append(
        "a meeting is scheduled, held and its minutes signed today (the service takes no past day for them)"
        + ("" if calendar().is_working_day(today) else "; today is a rest day: held as an emergency meeting")
    )


def _schedule_next_meeting(run: Run, stub, story: Story) -> None:
    day = working_days_from(run.today, 15)
    meeting = _schedule(run, stub, NEXT_MEETING_TITLE, day)
    topic = _topic(run, stub, meeting.id, f"{MARK}关于2027年教育经费安排的议题", by="department-head")
    story.made.append(f"next executive meeting on {day}, topic {topic.title} filed today in time (A42)")


def _calendar_feed(run: Run, stub, story: Story) -> None:
    """The mayor's calendar feed (issued once: a new address would revoke the old one)."""
    url = run.notes.get("mayor_calendar_feed")
    if not url and not story.nothing_to_do:
        url = stub.IssueCalendarSubscription(
            meet_pb.IssueCalendarSubscriptionRequest(), metadata=run.platform.as_user("mayor")
        ).url
        run.notes.put("mayor_calendar_feed", url)
    story.where.append(
        f"the mayor's meetings calendar feed (iCalendar): {url}"
        if url
        else "the mayor's calendar feed: issued by the first run (see its output, or IssueCalendarSubscription)"
    )
