"""The meetings service end to end: real Keycloak tokens, real PostgreSQL, real NATS JetStream,
and the real org service answering who acts for an absent member (A10, A59)."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from zgov.meetings.v1 import events_pb2
from zgov.meetings.v1 import meetings_pb2 as pb
from zgov.org.v1 import org_pb2

from shared.convert import date_to_proto as d, today_in_china
from shared.errors import field_violations_of, rule_id_of
from shared.workdays import calendar
from tests.fixtures.rpc import rpc_error
from tests.fixtures.streams import read_events

pytestmark = pytest.mark.integration

CAL = calendar()
TODAY = today_in_china()


def working_days_ahead(n: int) -> date:
    return CAL.add_working_days(TODAY, n).due


def working_days_in_one_year(first_ahead: int, gap: int) -> tuple[date, date]:
    """Two working days `gap` apart, the first at least `first_ahead` ahead, in the same calendar year
    (late in December the plain `working_days_ahead(n + gap)` falls in the next year)."""
    n = first_ahead
    while working_days_ahead(n).year != working_days_ahead(n + gap).year:
        n += 1
    return working_days_ahead(n), working_days_ahead(n + gap)


def next_rest_day(after: date) -> date:
    day = after
    while CAL.is_working_day(day):
        day += timedelta(days=1)
    return day


async def schedule(m, day: date, *, kind=pb.MEETING_KIND_EXECUTIVE, by="mayor", start="09:00", **extra):
    request = pb.ScheduleMeetingRequest(
        kind=kind, title="市政府常务会议", day=d(day), start_time=start, location="市政府第一会议室", **extra
    )
    return await m.stub.ScheduleMeeting(request, metadata=m.as_user(by))


async def propose(
    m,
    meeting_id: str,
    *,
    by="vice-mayor-1",
    organisation="education-bureau",
    route=pb.TOPIC_ROUTE_VIA_VICE_MAYOR,
) -> pb.TopicProposal:
    """A42: the leader's written proposal of the department's topic, which the filing names."""
    request = pb.ProposeTopicRequest(
        meeting_id=meeting_id,
        organisation_code=organisation,
        title="关于2027年教育经费安排的议题",
        route=route,
    )
    return await m.stub.ProposeTopic(request, metadata=m.as_user(by))


async def file_topic(
    m, meeting_id: str, *, by="department-head", proposer="vice-mayor-1", proposal_id=None, **extra
):
    """The department files the topic, on a fresh proposal by `proposer` unless a proposal_id is given."""
    if proposal_id is None:
        proposal_id = (await propose(m, meeting_id, by=proposer)).id
    request = pb.FileTopicRequest(
        meeting_id=meeting_id,
        title="关于2027年教育经费安排的议题",
        summary="请审议",
        route=pb.TOPIC_ROUTE_VIA_VICE_MAYOR,
        proposed_by_user_id=m.user_id(proposer),
        proposal_id=proposal_id,
        documents=[
            pb.TopicDocument(name="议题审批表", ref="doc-1"),
            pb.TopicDocument(name="议题文件", ref="doc-2"),
        ],
        **extra,
    )
    return await m.stub.FileTopic(request, metadata=m.as_user(by))


# ---- scheduling (A41, A42, A45, A73, A81) ----------------------------------------------------


async def test_A42_mayor_schedules_an_executive_meeting_with_its_members_and_fixed_agenda(
    meetings, meetings_events
):
    day = working_days_ahead(20)
    meeting = await schedule(meetings, day)
    ids = {
        name: meetings.user_id(name)
        for name in (
            "mayor",
            "evm",
            "vice-mayor-1",
            "vice-mayor-2",
            "vice-mayor-3",
            "secretary-general",
            "deputy-secretary-general",
        )
    }
    assert meeting.convener_user_id == meeting.chair_user_id == ids["mayor"]
    assert set(meeting.member_user_ids) == {ids[n] for n in ids if n != "deputy-secretary-general"}
    assert list(meeting.invitee_user_ids) == [ids["deputy-secretary-general"]]
    assert "justice-bureau" in meeting.attending_organisation_codes
    assert [i.kind for i in meeting.fixed_agenda] == [
        pb.AGENDA_ITEM_KIND_PRE_MEETING_STUDY,
        pb.AGENDA_ITEM_KIND_HIGHER_LEVEL_STUDY,
    ]  # A81, A73
    assert meeting.duration_minutes == 240 and meeting.state == pb.MEETING_STATE_SCHEDULED
    assert [h.act for h in meeting.history] == ["meeting.scheduled"]

    (event,) = await read_events(meetings_events, "MEETINGS", "meetings.>", count=1)
    assert event.subject == "meetings.meeting.scheduled"
    scheduled = events_pb2.MeetingScheduled()
    event.payload.Unpack(scheduled)
    assert scheduled.meeting.id == meeting.id

    listed = await meetings.stub.ListMeetings(
        pb.ListMeetingsRequest(participant_user_id=ids["vice-mayor-2"]),
        metadata=meetings.as_user("office-staff"),
    )
    assert [x.id for x in listed.meetings] == [meeting.id]

    # Search by title; the text is taken literally (a % is not a wildcard).
    found = await meetings.stub.ListMeetings(
        pb.ListMeetingsRequest(title_contains="常务"), metadata=meetings.as_user("office-staff")
    )
    assert [x.id for x in found.meetings] == [meeting.id]
    for text in ("全体", "%"):
        none = await meetings.stub.ListMeetings(
            pb.ListMeetingsRequest(title_contains=text), metadata=meetings.as_user("office-staff")
        )
        assert list(none.meetings) == []

    # A41, A42: the office sees the rhythm: the executive meeting is planned, no plenary yet (overdue).
    rhythm = await meetings.stub.CheckMeetingRhythm(
        pb.CheckMeetingRhythmRequest(), metadata=meetings.as_user("office-staff")
    )
    by_kind = {r.kind: r for r in rhythm.rhythms}
    executive = by_kind[pb.MEETING_KIND_EXECUTIVE]
    assert executive.last_day == d(day) and not executive.overdue
    assert by_kind[pb.MEETING_KIND_PLENARY].overdue

    # The leader's calendar feed (iCalendar) has the meeting; the office reads anyone's, others their own.
    feed = await meetings.stub.GetLeaderCalendar(
        pb.GetLeaderCalendarRequest(), metadata=meetings.as_user("vice-mayor-2")
    )
    assert feed.meeting_count == 1 and f"UID:{meeting.id}@meetings.zgov" in feed.ics
    assert f"DTSTART;TZID=Asia/Shanghai:{day:%Y%m%d}T090000" in feed.ics
    office = await meetings.stub.GetLeaderCalendar(
        pb.GetLeaderCalendarRequest(user_id=ids["mayor"]), metadata=meetings.as_user("office-staff")
    )
    assert office.meeting_count == 1
    denied = await rpc_error(
        meetings.stub.GetLeaderCalendar(
            pb.GetLeaderCalendarRequest(user_id=ids["mayor"]), metadata=meetings.as_user("department-head")
        )
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_A42_convener_rules_vice_mayor_may_not_convene_but_may_call_a_special_topic_meeting(meetings):
    day = working_days_ahead(20)
    err = await rpc_error(schedule(meetings, day, by="vice-mayor-1"))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(err) == "A42.convener"
    special = await schedule(
        meetings,
        day,
        kind=pb.MEETING_KIND_SPECIAL_TOPIC,
        by="vice-mayor-1",
        start="15:00",
        member_user_ids=[meetings.user_id("department-head")],
    )
    assert special.convener_user_id == meetings.user_id("vice-mayor-1")
    # A45: a deputy secretary-general only on a leader's delegation.
    err = await rpc_error(
        schedule(
            meetings,
            working_days_ahead(21),
            kind=pb.MEETING_KIND_SPECIAL_TOPIC,
            by="deputy-secretary-general",
        )
    )
    assert rule_id_of(err) == "A45.delegation"
    delegated = await schedule(
        meetings,
        working_days_ahead(21),
        kind=pb.MEETING_KIND_SPECIAL_TOPIC,
        by="deputy-secretary-general",
        delegated_by_user_id=meetings.user_id("vice-mayor-2"),
    )
    assert delegated.delegated_by_user_id == meetings.user_id("vice-mayor-2")
    denied = await rpc_error(schedule(meetings, day, by="department-head"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_A42_non_working_day_needs_the_emergency_flag_and_bad_input_changes_nothing(meetings):
    rest_day = next_rest_day(TODAY + timedelta(days=1))
    err = await rpc_error(schedule(meetings, rest_day))
    assert rule_id_of(err) == "A42.emergency"
    bad = await rpc_error(schedule(meetings, working_days_ahead(3), start="25:00"))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and "start_time" in field_violations_of(bad)
    listed = await meetings.stub.ListMeetings(pb.ListMeetingsRequest(), metadata=meetings.as_user("mayor"))
    assert list(listed.meetings) == []
    emergency = await schedule(meetings, rest_day, emergency=True, emergency_reason="防汛抢险")
    assert emergency.emergency


async def test_A40_double_booked_member_is_refused(meetings):
    day = working_days_ahead(20)
    await schedule(meetings, day)
    err = await rpc_error(
        schedule(meetings, day, kind=pb.MEETING_KIND_SPECIAL_TOPIC, by="vice-mayor-1", start="10:00")
    )
    assert rule_id_of(err) == "A40.double-booked"
    assert meetings.user_id("vice-mayor-1") in err.details()


# ---- topics (A42) ----------------------------------------------------------------------------


async def test_A42_department_files_a_topic_in_time_and_the_mayor_accepts_it(meetings, meetings_events):
    meeting = await schedule(meetings, working_days_ahead(15))
    topic = await file_topic(meetings, meeting.id)
    assert topic.state == pb.TOPIC_STATE_FILED and topic.owning_organisation_code == "education-bureau"
    assert topic.approval_form_filed_on == d(TODAY) and not topic.ad_hoc
    # A42: the mayor decides, not the executive vice mayor while the mayor is present.
    err = await rpc_error(
        meetings.stub.DecideTopic(
            pb.DecideTopicRequest(topic_id=topic.id, verdict=pb.TOPIC_VERDICT_ACCEPT),
            metadata=meetings.as_user("evm"),
        )
    )
    assert rule_id_of(err) == "A42.mayor-decides"
    accepted = await meetings.stub.DecideTopic(
        pb.DecideTopicRequest(topic_id=topic.id, verdict=pb.TOPIC_VERDICT_ACCEPT, reason="同意上会"),
        metadata=meetings.as_user("mayor"),
    )
    assert accepted.state == pb.TOPIC_STATE_ACCEPTED
    events = await read_events(meetings_events, "MEETINGS", "meetings.>", count=2)
    assert [e.subject for e in events] == ["meetings.meeting.scheduled", "meetings.topic.accepted"]
    searched = await meetings.stub.ListTopics(
        pb.ListTopicsRequest(text_contains="教育经费"), metadata=meetings.as_user("office-staff")
    )
    assert [x.id for x in searched.topics] == [topic.id]
    # A42: a matter decidable within a portfolio goes to the meeting only with the mayor's reason.
    flagged = await file_topic(meetings, meeting.id, decidable_within_portfolio=True)
    err = await rpc_error(
        meetings.stub.DecideTopic(
            pb.DecideTopicRequest(topic_id=flagged.id, verdict=pb.TOPIC_VERDICT_ACCEPT),
            metadata=meetings.as_user("mayor"),
        )
    )
    assert rule_id_of(err) == "A42.within-portfolio"

    # A42: materials reach the participants once the office releases them, and only them (the
    # citizen has no meeting:read; a county head does, but is not a participant).
    async def documents_seen_by(user: str) -> list[str]:
        got = await meetings.stub.GetTopic(
            pb.GetTopicRequest(topic_id=topic.id), metadata=meetings.as_user(user)
        )
        return [x.name for x in got.documents]

    assert await documents_seen_by("vice-mayor-2") == []  # a member, before the release
    assert await documents_seen_by("department-head") == ["议题审批表", "议题文件"]  # the owning department
    not_office = await rpc_error(
        meetings.stub.ReleaseMaterials(
            pb.ReleaseMaterialsRequest(meeting_id=meeting.id), metadata=meetings.as_user("department-head")
        )
    )
    assert not_office.code() == grpc.StatusCode.PERMISSION_DENIED
    released = await meetings.stub.ReleaseMaterials(
        pb.ReleaseMaterialsRequest(meeting_id=meeting.id), metadata=meetings.as_user("office-staff")
    )
    assert list(released.topic_ids) == [topic.id]
    assert meetings.user_id("vice-mayor-2") in released.recipient_user_ids
    assert await documents_seen_by("vice-mayor-2") == ["议题审批表", "议题文件"]
    assert await documents_seen_by("county-head") == []
    # Nothing new to release: said so, nothing changes.
    again = await rpc_error(
        meetings.stub.ReleaseMaterials(
            pb.ReleaseMaterialsRequest(meeting_id=meeting.id), metadata=meetings.as_user("office-staff")
        )
    )
    assert again.code() == grpc.StatusCode.INVALID_ARGUMENT and "meeting_id" in field_violations_of(again)
    events = await read_events(meetings_events, "MEETINGS", "meetings.>", count=3)
    assert events[-1].subject == "meetings.materials.released"


async def test_A42_a_department_cannot_claim_a_leaders_proposal_the_leader_did_not_make(meetings):
    """Issue 13: the route through a vice mayor or the secretary-general is the leader's recorded act
    (ProposeTopic), named by the filing; a claim without it, or with another's, changes nothing."""
    meeting = await schedule(meetings, working_days_ahead(15))
    vice_mayor_1 = meetings.user_id("vice-mayor-1")
    unproposed = await rpc_error(file_topic(meetings, meeting.id, proposal_id=""))
    assert unproposed.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(unproposed) == "A42.route"
    # A proposal by another vice mayor, or for another department, is not vice mayor 1's for this one.
    others = await propose(meetings, meeting.id, by="vice-mayor-2")
    assert rule_id_of(await rpc_error(file_topic(meetings, meeting.id, proposal_id=others.id))) == "A42.route"
    finance = await propose(meetings, meeting.id, organisation="finance-bureau")
    assert (
        rule_id_of(await rpc_error(file_topic(meetings, meeting.id, proposal_id=finance.id))) == "A42.route"
    )
    # Only a vice mayor proposes via a vice mayor: not the department head itself.
    self_proposed = await rpc_error(propose(meetings, meeting.id, by="department-head"))
    assert rule_id_of(self_proposed) == "A42.route"
    listed = await meetings.stub.ListTopics(
        pb.ListTopicsRequest(meeting_id=meeting.id), metadata=meetings.as_user("mayor")
    )
    assert list(listed.topics) == []
    proposal = await propose(meetings, meeting.id)
    assert proposal.proposed_by_user_id == vice_mayor_1 and proposal.topic_id == ""
    topic = await file_topic(meetings, meeting.id, proposal_id=proposal.id)
    assert topic.proposed_by_user_id == vice_mayor_1
    reused = await rpc_error(file_topic(meetings, meeting.id, proposal_id=proposal.id))
    assert rule_id_of(reused) == "A42.route"
    history = (
        await meetings.stub.GetMeeting(
            pb.GetMeetingRequest(meeting_id=meeting.id), metadata=meetings.as_user("mayor")
        )
    ).history
    proposed = [r for r in history if r.act == "topic.proposed"]
    assert len(proposed) == 3 and all(r.actor.user_id for r in proposed)
    assert any(r.actor.user_id == vice_mayor_1 and proposal.id in r.reason for r in proposed)


async def test_A42_topic_filed_too_late_is_refused_unless_the_mayor_consents(meetings):
    meeting = await schedule(meetings, working_days_ahead(5))
    err = await rpc_error(file_topic(meetings, meeting.id))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(err) == "A42.ten-working-days"
    listed = await meetings.stub.ListTopics(
        pb.ListTopicsRequest(meeting_id=meeting.id), metadata=meetings.as_user("mayor")
    )
    assert list(listed.topics) == []
    # The wrong route is refused too: the secretary-general is not a vice mayor.
    err = await rpc_error(file_topic(meetings, meeting.id, proposer="secretary-general"))
    assert rule_id_of(err) == "A42.route"

    denied = await rpc_error(
        meetings.stub.GrantAdHocConsent(
            pb.GrantAdHocConsentRequest(
                meeting_id=meeting.id, organisation_code="education-bureau", title="临时议题", reason="急需"
            ),
            metadata=meetings.as_user("evm"),
        )
    )
    assert rule_id_of(denied) == "A42.mayor-consents"  # not the cut-off's tag: the consent rule's
    consent = await meetings.stub.GrantAdHocConsent(
        pb.GrantAdHocConsentRequest(
            meeting_id=meeting.id,
            organisation_code="education-bureau",
            title="临时议题",
            reason="省里要求月底前报送",
        ),
        metadata=meetings.as_user("mayor"),
    )
    topic = await file_topic(meetings, meeting.id, ad_hoc_consent_id=consent.id)
    assert topic.ad_hoc and topic.ad_hoc_consent_id == consent.id
    reused = await rpc_error(file_topic(meetings, meeting.id, ad_hoc_consent_id=consent.id))
    assert "ad_hoc_consent_id" in field_violations_of(reused)


# ---- quorum with an acting holder from org (A42, A10/A59) ------------------------------------


async def test_A42_quorum_counts_the_acting_holder_org_names(meetings, meetings_events):
    day = working_days_ahead(20)
    dsg = meetings.user_id("deputy-secretary-general")
    leave = await meetings.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="secretary-general",
            kind=org_pb2.LEAVE_KIND_LEAVE,
            first_day=d(day),
            last_day=d(day),
            reason="外出学习",
            acting_user_id=dsg,
        ),
        metadata=meetings.as_user("secretary-general"),
    )
    await meetings.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=meetings.as_user("mayor")
    )
    meeting = await schedule(meetings, day)
    three = [meetings.user_id(n) for n in ("mayor", "evm", "vice-mayor-1")]
    err = await rpc_error(
        meetings.stub.StartMeeting(
            pb.StartMeetingRequest(meeting_id=meeting.id, present_user_ids=three),
            metadata=meetings.as_user("mayor"),
        )
    )
    assert rule_id_of(err) == "A42.quorum" and "3 of 6" in err.details()
    # The deputy secretary-general acts for the absent secretary-general: 4 of 6 seats filled.
    started = await meetings.stub.StartMeeting(
        pb.StartMeetingRequest(meeting_id=meeting.id, present_user_ids=[*three, dsg]),
        metadata=meetings.as_user("mayor"),
    )
    assert started.state == pb.MEETING_STATE_IN_PROGRESS
    act = [h for h in started.history if h.act == "meeting.started"][0]
    assert "4 of 6" in act.reason and f"{dsg} for {meetings.user_id('secretary-general')}" in act.reason
    events = await read_events(meetings_events, "MEETINGS", "meetings.>", count=2)
    assert [e.subject for e in events] == ["meetings.meeting.scheduled", "meetings.meeting.started"]


# ---- leave from a meeting (A43) --------------------------------------------------------------


async def test_A43_leave_chain_leaders_ask_the_mayor_others_go_through_the_secretary_general(meetings):
    meeting = await schedule(
        meetings, working_days_ahead(20), invitee_user_ids=[meetings.user_id("department-head")]
    )
    head = await meetings.stub.RequestMeetingLeave(
        pb.RequestMeetingLeaveRequest(meeting_id=meeting.id, reason="出差"),
        metadata=meetings.as_user("department-head"),
    )
    assert not head.leader and head.state == pb.MEETING_LEAVE_STATE_REQUESTED
    err = await rpc_error(
        meetings.stub.DecideMeetingLeave(
            pb.DecideMeetingLeaveRequest(leave_id=head.id, approve=True), metadata=meetings.as_user("mayor")
        )
    )
    assert rule_id_of(err) == "A43.leave-chain"
    checked = await meetings.stub.CheckMeetingLeave(
        pb.CheckMeetingLeaveRequest(leave_id=head.id, opinion="属实"),
        metadata=meetings.as_user("secretary-general"),
    )
    assert checked.state == pb.MEETING_LEAVE_STATE_CHECKED
    approved = await meetings.stub.DecideMeetingLeave(
        pb.DecideMeetingLeaveRequest(leave_id=head.id, approve=True), metadata=meetings.as_user("mayor")
    )
    assert approved.state == pb.MEETING_LEAVE_STATE_APPROVED
    assert [h.act for h in approved.history] == [
        "meeting-leave.requested",
        "meeting-leave.checked",
        "meeting-leave.approved",
    ]

    leader = await meetings.stub.RequestMeetingLeave(
        pb.RequestMeetingLeaveRequest(meeting_id=meeting.id, reason="赴省汇报"),
        metadata=meetings.as_user("vice-mayor-1"),
    )
    assert leader.leader
    direct = await meetings.stub.DecideMeetingLeave(
        pb.DecideMeetingLeaveRequest(leave_id=leader.id, approve=True), metadata=meetings.as_user("mayor")
    )
    assert direct.state == pb.MEETING_LEAVE_STATE_APPROVED
    outsider = await rpc_error(
        meetings.stub.RequestMeetingLeave(
            pb.RequestMeetingLeaveRequest(meeting_id=meeting.id, reason="x"),
            metadata=meetings.as_user("county-head"),
        )
    )
    assert outsider.code() == grpc.StatusCode.INVALID_ARGUMENT


# ---- minutes, decisions and the collective-decision query (A43, A26, A7, A28) ----------------


async def test_A43_minutes_signed_by_the_mayor_record_numbered_decisions_and_publish_them(
    meetings, meetings_events
):
    meeting = await schedule(meetings, working_days_ahead(15))
    topic = await file_topic(meetings, meeting.id, matter_ref="budget/2027")
    await meetings.stub.DecideTopic(
        pb.DecideTopicRequest(topic_id=topic.id, verdict=pb.TOPIC_VERDICT_ACCEPT),
        metadata=meetings.as_user("mayor"),
    )
    everyone = list(meeting.member_user_ids)
    await meetings.stub.StartMeeting(
        pb.StartMeetingRequest(meeting_id=meeting.id, present_user_ids=everyone),
        metadata=meetings.as_user("mayor"),
    )
    err = await rpc_error(
        meetings.stub.CloseMeeting(
            pb.CloseMeetingRequest(meeting_id=meeting.id), metadata=meetings.as_user("mayor")
        )
    )
    assert rule_id_of(err) == "A42.undecided-topic" and topic.id in err.details()
    await meetings.stub.RecordTopicOutcome(
        pb.RecordTopicOutcomeRequest(topic_id=topic.id, outcome=pb.TOPIC_OUTCOME_ADOPTED),
        metadata=meetings.as_user("office-staff"),
    )
    await meetings.stub.CloseMeeting(
        pb.CloseMeetingRequest(meeting_id=meeting.id), metadata=meetings.as_user("mayor")
    )

    due = d(working_days_ahead(40))
    draft = pb.DraftMinutesRequest(
        meeting_id=meeting.id,
        text="会议原则同意教育经费安排。",
        decisions=[
            pb.DecisionItem(
                topic_id=topic.id,
                text="同意2027年教育经费安排",
                owner_organisation_code="education-bureau",
                due=due,
                category=pb.MATTER_CATEGORY_BUDGET,
                matter_ref="budget/2027",
            ),
            pb.DecisionItem(
                text="市财政局做好资金保障",
                owner_organisation_code="finance-bureau",
                due=due,
                category=pb.MATTER_CATEGORY_MAJOR_FUNDING,
                matter_ref="budget/2027",
            ),
        ],
    )
    wrong = await rpc_error(
        meetings.stub.DraftMinutes(draft, metadata=meetings.as_user("research-office-staff"))
    )
    assert rule_id_of(wrong) == "A43.minutes-drafter"
    minutes = await meetings.stub.DraftMinutes(draft, metadata=meetings.as_user("office-staff"))
    assert (
        minutes.state == pb.MINUTES_STATE_DRAFT and minutes.drafted_by_organisation_code == "general-office"
    )
    not_signer = await rpc_error(
        meetings.stub.SignMinutes(
            pb.SignMinutesRequest(minutes_id=minutes.id), metadata=meetings.as_user("vice-mayor-1")
        )
    )
    assert rule_id_of(not_signer) == "A43.minutes-signer"
    signed = await meetings.stub.SignMinutes(
        pb.SignMinutesRequest(minutes_id=minutes.id), metadata=meetings.as_user("mayor")
    )
    assert signed.state == pb.MINUTES_STATE_SIGNED and len(signed.decision_ids) == 2

    decisions = await meetings.stub.ListDecisions(
        pb.ListDecisionsRequest(meeting_id=meeting.id), metadata=meetings.as_user("office-staff")
    )
    year = working_days_ahead(15).year
    assert [(x.number, x.reference) for x in decisions.decisions] == [
        (1, f"常务会议决定〔{year}〕1号"),
        (2, f"常务会议决定〔{year}〕2号"),
    ]

    # A7, A28: the matter was decided by an executive meeting, on its day, with these minutes.
    answer = await meetings.stub.FindCollectiveDecision(
        pb.FindCollectiveDecisionRequest(matter_ref="budget/2027"),
        metadata=meetings.as_user("department-head"),
    )
    assert answer.decided and {x.minutes_id for x in answer.decisions} == {minutes.id}
    assert answer.decisions[0].decided_on == meeting.day
    nothing = await meetings.stub.FindCollectiveDecision(
        pb.FindCollectiveDecisionRequest(matter_ref="plan/9999"), metadata=meetings.as_user("department-head")
    )
    assert not nothing.decided

    # A26: signed minutes are locked; a correction is new minutes linked to them.
    locked = await rpc_error(
        meetings.stub.DraftMinutes(
            pb.DraftMinutesRequest(meeting_id=meeting.id, minutes_id=minutes.id, text="改写"),
            metadata=meetings.as_user("office-staff"),
        )
    )
    assert rule_id_of(locked) == "A26.signed-minutes-locked"
    correction = await meetings.stub.DraftMinutes(
        pb.DraftMinutesRequest(meeting_id=meeting.id, corrects_minutes_id=minutes.id, text="更正：……"),
        metadata=meetings.as_user("office-staff"),
    )
    assert correction.corrects_minutes_id == minutes.id
    old = await meetings.stub.GetMinutes(
        pb.GetMinutesRequest(minutes_id=minutes.id), metadata=meetings.as_user("mayor")
    )
    assert old.text == "会议原则同意教育经费安排。" and old.history[-1].act == "minutes.corrected-by"

    events = await read_events(meetings_events, "MEETINGS", "meetings.>", count=7)
    subjects = [e.subject for e in events]
    assert subjects == [
        "meetings.meeting.scheduled",
        "meetings.topic.accepted",
        "meetings.meeting.started",
        "meetings.meeting.closed",
        "meetings.minutes.signed",
        "meetings.decision.recorded",
        "meetings.decision.recorded",
    ]
    recorded = events_pb2.DecisionRecorded()
    events[-1].payload.Unpack(recorded)
    assert recorded.decision.number == 2 and recorded.decision.owner_organisation_code == "finance-bureau"

    # A26: the signed correction restates the topic's decision (new wording, new number) and
    # withdraws the finance bureau's; both old decisions are marked superseded, by event too.
    restated = await meetings.stub.DraftMinutes(
        pb.DraftMinutesRequest(
            minutes_id=correction.id,
            meeting_id=meeting.id,
            text="更正：会议同意2027年教育经费安排（修正金额）。",
            decisions=[
                pb.DecisionItem(
                    topic_id=topic.id,
                    text="同意2027年教育经费安排（修正金额）",
                    owner_organisation_code="education-bureau",
                    due=due,
                    category=pb.MATTER_CATEGORY_BUDGET,
                    matter_ref="budget/2027",
                )
            ],
        ),
        metadata=meetings.as_user("office-staff"),
    )
    signed_correction = await meetings.stub.SignMinutes(
        pb.SignMinutesRequest(minutes_id=restated.id), metadata=meetings.as_user("mayor")
    )
    (new_id,) = signed_correction.decision_ids
    after = await meetings.stub.ListDecisions(
        pb.ListDecisionsRequest(meeting_id=meeting.id), metadata=meetings.as_user("office-staff")
    )
    by_number = {x.number: x for x in after.decisions}
    assert by_number[1].superseded_by_minutes_id == correction.id
    assert by_number[1].superseded_by_decision_id == new_id
    assert (
        by_number[2].superseded_by_minutes_id == correction.id
        and by_number[2].superseded_by_decision_id == ""
    )
    assert by_number[3].id == new_id and by_number[3].superseded_by_minutes_id == ""
    answer = await meetings.stub.FindCollectiveDecision(
        pb.FindCollectiveDecisionRequest(matter_ref="budget/2027"),
        metadata=meetings.as_user("department-head"),
    )
    assert answer.decided
    assert [x.id for x in answer.decisions if not x.superseded_by_minutes_id] == [new_id]
    more = await read_events(meetings_events, "MEETINGS", "meetings.>", count=11)
    assert [e.subject for e in more[7:]] == [
        "meetings.minutes.signed",
        "meetings.decision.recorded",
        "meetings.decision.superseded",
        "meetings.decision.superseded",
    ]


# ---- the mayor away: the acting holder convenes and chairs (A10 with A42, A43) ---------------


async def test_A10_A42_executive_vice_mayor_convenes_and_chairs_while_the_mayor_is_away(meetings):
    first, second = working_days_ahead(20), working_days_ahead(21)
    planned = await schedule(meetings, second)  # scheduled by the mayor before the leave
    leave = await meetings.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="mayor",
            kind=org_pb2.LEAVE_KIND_ABROAD,
            first_day=d(first),
            last_day=d(second),
            reason="出访",
        ),
        metadata=meetings.as_user("mayor"),
    )
    await meetings.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=meetings.as_user("evm")
    )
    mayor, evm = meetings.user_id("mayor"), meetings.user_id("evm")

    convened = await schedule(meetings, first, by="evm")
    (act,) = convened.history
    assert act.actor.user_id == evm
    assert (act.actor.on_behalf_of_user_id, act.actor.on_behalf_of_position) == (mayor, "mayor")

    present = [u for u in planned.member_user_ids if u != mayor]
    started = await meetings.stub.StartMeeting(
        pb.StartMeetingRequest(meeting_id=planned.id, present_user_ids=present),
        metadata=meetings.as_user("evm"),
    )
    assert started.chair_user_id == evm
    assert "meeting.chair-acting" in [h.act for h in started.history]


# ---- department meetings (A46) ---------------------------------------------------------------


async def test_A46_department_city_wide_meeting_needs_approval_once_a_year_by_video(meetings):
    day, later_that_year = working_days_in_one_year(20, 5)

    def ask(**extra):
        fields = dict(title="全市教育工作会议", day=d(day), city_wide=True)
        fields.update(extra)
        return meetings.stub.RequestDepartmentMeeting(
            pb.RequestDepartmentMeetingRequest(**fields), metadata=meetings.as_user("department-head")
        )

    err = await rpc_error(ask(in_city_government_name=True))
    assert rule_id_of(err) == "A46.not-in-city-name"
    bad = await rpc_error(ask(format=pb.MEETING_FORMAT_IN_PERSON))
    assert "in_person_reason" in field_violations_of(bad)
    first = await ask(invites_county_heads=True, leader_user_ids=[meetings.user_id("vice-mayor-1")])
    assert first.format == pb.MEETING_FORMAT_VIDEO and first.organisation_code == "education-bureau"
    again = await rpc_error(ask(day=d(later_that_year)))
    assert rule_id_of(again) == "A46.one-a-year"

    denied = await rpc_error(
        meetings.stub.DecideDepartmentMeeting(
            pb.DecideDepartmentMeetingRequest(department_meeting_id=first.id, approve=True),
            metadata=meetings.as_user("vice-mayor-1"),
        )
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    not_acting = await rpc_error(
        meetings.stub.DecideDepartmentMeeting(
            pb.DecideDepartmentMeetingRequest(department_meeting_id=first.id, approve=True),
            metadata=meetings.as_user("evm"),
        )
    )
    assert rule_id_of(not_acting) == "A46.approval"
    approved = await meetings.stub.DecideDepartmentMeeting(
        pb.DecideDepartmentMeetingRequest(
            department_meeting_id=first.id, approve=True, reason="同意，视频召开"
        ),
        metadata=meetings.as_user("mayor"),
    )
    assert approved.state == pb.DEPARTMENT_MEETING_STATE_APPROVED
    own = await meetings.stub.ListDepartmentMeetings(
        pb.ListDepartmentMeetingsRequest(), metadata=meetings.as_user("department-head")
    )
    assert [x.id for x in own.department_meetings] == [first.id]
