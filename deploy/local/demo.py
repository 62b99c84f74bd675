"""`make demo`: a month of the city's work (演示数据), made through the public gRPC APIs only.

Each storyline calls the services as the demo users whose positions may make each call, as a
department's system would (the stubs of proto/gen, like the client wheel): meetings with topics and
decisions, a document from filing to issue with its PDF, a policy and its interpretation published,
an application for information and its reply, petitions followed by query code, and the supervision
items the meeting's decisions became.

Idempotent: everything it makes carries the marker 【演示】 in its title (or an idempotency key), and
each storyline first looks for its marker through the list RPCs; found, it changes nothing and says
"nothing to do: the demo month is already there". What is shown only once (a petition's query code, a
calendar feed's address) is kept in <out>/demo.json by the first run and printed again from there.

Dates: the month ends today. Where a service takes a day in the past (a topic handed in on paper, an
application registered at the counter, a petition's letter and its handling), the demo uses it; where
it does not (a meeting is held today or later, a document is signed and issued today), the act is
today, and the printed summary says so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import grpc
import httpx
import jwt
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import applications_pb2 as apps_pb
from zgov.disclosure.v1 import applications_pb2_grpc, publications_pb2_grpc
from zgov.disclosure.v1 import publications_pb2 as pubs_pb
from zgov.documents.v1 import documents_pb2 as docs_pb
from zgov.documents.v1 import documents_pb2_grpc
from zgov.meetings.v1 import meetings_pb2 as meet_pb
from zgov.meetings.v1 import meetings_pb2_grpc
from zgov.petitions.v1 import petitions_pb2 as pet_pb
from zgov.petitions.v1 import petitions_pb2_grpc
from zgov.supervision.v1 import feeds_pb2, feeds_pb2_grpc, supervision_pb2_grpc
from zgov.supervision.v1 import supervision_pb2 as sup_pb

from deploy.keycloak import iam
from shared.convert import today_in_china
from shared.workdays import calendar

MARK = "【演示】"
NOTHING_TO_DO = "nothing to do: the demo month is already there"
MEETING_TITLE = f"{MARK}市政府常务会议"
NEXT_MEETING_TITLE = f"{MARK}市政府常务会议（下次）"
REQUEST_TITLE = f"{MARK}关于新建城东学校的请示"
NOTICE_TITLE = f"{MARK}关于推进城东学校建设的通知"
POLICY_TITLE = f"{MARK}资阳市促进民营经济发展若干措施"
INTERPRETATION_TITLE = f"《{POLICY_TITLE}》政策解读"
APPLICATION_TEXT = f"{MARK}2026年雁江区老旧小区改造项目清单"
LETTER_TITLE = f"{MARK}小区路灯长期不亮"
ONLINE_TITLE = f"{MARK}建议增设安岳至乐至公交线路"
ONLINE_KEY = "zgov-demo-month-online-petition"
# The services' proto packages → the service names of .run/endpoints.json.
SERVICES = {
    "zgov.meetings.v1.MeetingsService": "meetings",
    "zgov.documents.v1.DocumentsService": "documents",
    "zgov.disclosure.v1.PublicationService": "disclosure",
    "zgov.disclosure.v1.ApplicationService": "disclosure",
    "zgov.petitions.v1.PetitionsService": "petitions",
    "zgov.supervision.v1.SupervisionService": "supervision",
    "zgov.supervision.v1.DeadlineFeedService": "supervision",
}


# ---------------------------------------------------------------- how the demo reaches the platform


@dataclass
class Platform:
    """The platform as an outside caller sees it: an address per gRPC service and a token per demo user."""

    address_of: Callable[[str], str]
    token_for: Callable[[str], str]
    portal_url: str = ""
    _channels: dict[str, grpc.Channel] = field(default_factory=dict)

    def stub(self, stub_class, service: str):
        address = self.address_of(service)
        if address not in self._channels:
            self._channels[address] = grpc.insecure_channel(address)
        return stub_class(self._channels[address])

    def as_user(self, username: str) -> tuple:
        return (("authorization", f"Bearer {self.token_for(username)}"),)

    def user_id(self, username: str) -> str:
        return jwt.decode(self.token_for(username), options={"verify_signature": False})["sub"]

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()


@dataclass
class Story:
    """What one storyline did: its lines for the summary, what it made, where to look."""

    name: str
    made: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    nothing_to_do: bool = False


@dataclass
class Report:
    stories: list[Story]

    @property
    def changed(self) -> bool:
        return any(story.made for story in self.stories)

    def lines(self) -> list[str]:
        out: list[str] = []
        for story in self.stories:
            out.append(f"{story.name}: {NOTHING_TO_DO}" if story.nothing_to_do else f"{story.name}:")
            out += [f"  made: {line}" for line in story.made]
            out += [f"  note: {line}" for line in story.notes]
        out.append("Where to look:")
        out += [f"  {line}" for story in self.stories for line in story.where]
        return out


# ---------------------------------------------------------------- dates and small helpers


def pb_date(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def as_date(value: common_pb2.Date) -> date:
    return date(value.year, value.month, value.day)


def working_days_from(today: date, n: int) -> date:
    """The n-th working day after (n > 0) or before (n < 0) today (the mainland calendar)."""
    return calendar().add_working_days(today, n).due


def pages(call, request, metadata, items: str) -> Iterator:
    """Every item of a paged list RPC."""
    token = ""
    while True:
        request.page.CopyFrom(common_pb2.PageRequest(page_size=200, page_token=token))
        reply = call(request, metadata=metadata)
        yield from getattr(reply, items)
        token = reply.page.next_page_token
        if not token:
            return


class Notes:
    """What the services show once (a query code, a feed address), kept for the runs that follow."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / "demo.json"
        self.values: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def put(self, key: str, value: str) -> None:
        self.values[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.values, ensure_ascii=False, indent=2) + "\n")


@dataclass
class Run:
    platform: Platform
    out_dir: Path
    today: date
    notes: Notes


# ---------------------------------------------------------------- meetings (常务会议)


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
        story.nothing_to_do = True
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
            day=pb_date(day),
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
        filed_on_paper=pb_date(handed_in),
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
    due = pb_date(working_days_from(today, 40))
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


# ---------------------------------------------------------------- documents (公文)


def documents(run: Run) -> Story:
    """A department's request filed, checked by the office and read by the leader it is routed to; a
    notice drafted, checked before issue, signed, numbered and issued, and its PDF written to a file."""
    story = Story("documents (公文: filing, review, sign-off, issue, PDF)")
    p = run.platform
    stub = p.stub(documents_pb2_grpc.DocumentsServiceStub, "zgov.documents.v1.DocumentsService")
    mine = [
        d
        for d in pages(
            stub.ListDocuments, docs_pb.ListDocumentsRequest(), p.as_user("office-staff"), "documents"
        )
        if d.content.title.startswith(MARK)
    ]
    issued = next((d for d in mine if d.state == docs_pb.DOCUMENT_STATE_ISSUED), None)
    if mine:
        story.nothing_to_do = True
    else:
        _request_to_the_leader(run, stub, story)
        issued = _issue_notice(run, stub, story)
        story.notes.append(
            "documents are filed, signed and issued today (the service dates these acts itself)"
        )
    if issued is not None:
        _write_pdf(run, stub, issued, story)
    return story


def _request_to_the_leader(run: Run, stub, story: Story) -> None:
    p = run.platform
    filed = stub.FileDocument(
        docs_pb.FileDocumentRequest(
            content=docs_pb.DocumentContent(
                kind=docs_pb.DOCUMENT_KIND_REQUEST,
                title=REQUEST_TITLE,
                body="为缓解城东片区学位紧张，拟新建城东学校一所。妥否，请批示。",
                main_receivers=[docs_pb.Body(code="city-government", name="资阳市人民政府")],
                urgency=docs_pb.URGENCY_ORDINARY,
                classification=docs_pb.CLASSIFICATION_NONE,
                matters=["城东学校建设"],
            )
        ),
        metadata=p.as_user("department-head"),
    )
    routed = stub.ReviewDocument(
        docs_pb.ReviewDocumentRequest(
            document_id=filed.id, outcome=docs_pb.REVIEW_OUTCOME_ACCEPT, opinion="拟请分管领导阅示"
        ),
        metadata=p.as_user("office-staff"),
    )
    leader = _username_of(run, routed.routed_to_user_id)
    if leader:
        stub.SignOffDocument(
            docs_pb.SignOffDocumentRequest(document_id=filed.id, opinion="同意", circle_read=True),
            metadata=p.as_user(leader),
        )
    story.made.append(
        f"request {REQUEST_TITLE} filed by the education bureau, accepted by the office"
        + (f", read and agreed by {leader}" if leader else ", routed (its leader is no demo user)")
    )


LEADERS = ("mayor", "evm", "vice-mayor-1", "vice-mayor-2", "vice-mayor-3", "secretary-general")


def _username_of(run: Run, user_id: str) -> str:
    return next((name for name in LEADERS if run.platform.user_id(name) == user_id), "")


def _issue_notice(run: Run, stub, story: Story) -> docs_pb.Document:
    p = run.platform
    draft = stub.DraftDocument(
        docs_pb.DraftDocumentRequest(
            direction=docs_pb.DIRECTION_OUTGOING,
            content=docs_pb.DocumentContent(
                kind=docs_pb.DOCUMENT_KIND_NOTICE,
                title=NOTICE_TITLE,
                body="各有关单位：根据市政府常务会议决定，现就推进城东学校建设有关事项通知如下。……",
                urgency=docs_pb.URGENCY_ORDINARY,
                classification=docs_pb.CLASSIFICATION_NONE,
                authority=docs_pb.SIGN_OFF_AUTHORITY_ROUTINE,
                issuer_code="资府办函",
                disclosure=docs_pb.DISCLOSURE_ATTRIBUTE_PROACTIVE,
            ),
        ),
        metadata=p.as_user("office-staff"),
    )
    stub.CheckBeforeIssue(
        docs_pb.CheckBeforeIssueRequest(document_id=draft.id), metadata=p.as_user("office-staff")
    )
    stub.SignOffDocument(
        docs_pb.SignOffDocumentRequest(document_id=draft.id, opinion="同意", circle_read=True),
        metadata=p.as_user("secretary-general"),
    )
    issued = stub.IssueDocument(
        docs_pb.IssueDocumentRequest(document_id=draft.id), metadata=p.as_user("office-staff")
    )
    story.made.append(
        f"notice {NOTICE_TITLE} drafted, signed by the secretary-general, issued as {issued.document_number}"
    )
    return issued


def _write_pdf(run: Run, stub, issued: docs_pb.Document, story: Story) -> None:
    rendered = stub.RenderDocument(
        docs_pb.RenderDocumentRequest(document_id=issued.id), metadata=run.platform.as_user("office-staff")
    )
    path = run.out_dir / rendered.file_name
    if not path.exists() or path.read_bytes() != rendered.pdf:
        run.out_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.pdf)
    story.where.append(f"the issued document {issued.document_number} as PDF: {path}")


# ---------------------------------------------------------------- disclosure (政务公开)


def publications(run: Run, wait_seconds: float = 30) -> Story:
    """A normative policy made three weeks ago, published today together with its interpretation (A37);
    the issued notice, queued by disclosure from documents' event, classified and published."""
    story = Story("disclosure: publications (a policy and its 解读, the issued notice)")
    p = run.platform
    stub = p.stub(publications_pb2_grpc.PublicationServiceStub, "zgov.disclosure.v1.PublicationService")
    policy = _published(p, stub, POLICY_TITLE)
    if policy is None:
        policy = _publish_policy(run, stub, story)
    notice = _published(p, stub, NOTICE_TITLE)
    if notice is None:
        notice = _publish_queued_notice(run, stub, story, wait_seconds)
    story.nothing_to_do = not story.made
    shown = [("the policy", policy)] + [("its interpretation", x) for x in policy.interpretations]
    shown += [("the issued notice", notice)] if notice is not None else []
    for what, publication in shown:
        story.where.append(
            f"{what} on the portal: {p.portal_url}/publications/{publication.id}"
            if p.portal_url
            else f"{what}: publication {publication.id} (GetPublication)"
        )
    return story


def _published(p: Platform, stub, title: str) -> pubs_pb.Publication | None:
    """The published publication of that title, in full (with its interpretations), if any."""
    request = pubs_pb.ListPublicationsRequest()
    for listed in pages(stub.ListPublications, request, p.as_user("disclosure-officer"), "publications"):
        if listed.title == title:
            return stub.GetPublication(
                pubs_pb.GetPublicationRequest(publication_id=listed.id),
                metadata=p.as_user("disclosure-officer"),
            )
    return None


def _publish_queued_notice(run: Run, stub, story: Story, wait_seconds: float) -> pubs_pb.Publication | None:
    """The notice issued as proactively disclosed reaches disclosure's queue by documents' event (article
    26: published within 20 working days); the officer classifies and publishes it."""
    p = run.platform
    deadline = time.monotonic() + wait_seconds
    while True:
        queued = [
            x
            for x in pages(
                stub.ListQueue, pubs_pb.ListQueueRequest(), p.as_user("disclosure-officer"), "publications"
            )
            if x.title == NOTICE_TITLE
        ]
        if queued or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if not queued:
        story.notes.append(f"the issued notice did not reach disclosure's queue within {wait_seconds:.0f} s")
        return None
    published = stub.PublishPublication(
        pubs_pb.PublishPublicationRequest(publication_id=queued[0].id, category=pubs_pb.CATEGORY_LIVELIHOOD),
        metadata=p.as_user("disclosure-officer"),
    )
    story.made.append(
        f"the issued notice {published.document_number}, queued from documents' event, published"
    )
    return published


def _publish_policy(run: Run, stub, story: Story) -> pubs_pb.Publication:
    p, made_on = run.platform, working_days_from(run.today, -15)
    common = dict(
        category=pubs_pb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
        issuer_code="city-government",
        issuer_name="资阳市人民政府",
        made_on=pb_date(made_on),
    )
    policy = stub.CreatePublication(
        pubs_pb.CreatePublicationRequest(
            content=pubs_pb.PublicationContent(
                kind=pubs_pb.PUBLICATION_KIND_POLICY,
                title=POLICY_TITLE,
                body="为进一步优化营商环境，促进民营经济发展壮大，制定如下措施。……",
                normative=True,
                requires_interpretation=True,
                document_number=f"资府规〔{made_on.year}〕9号",
                valid_until=pb_date(date(made_on.year + 5, 1, 1)),
                **common,
            )
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    reading = stub.CreatePublication(
        pubs_pb.CreatePublicationRequest(
            content=pubs_pb.PublicationContent(
                kind=pubs_pb.PUBLICATION_KIND_INTERPRETATION,
                policy_id=policy.id,
                title=INTERPRETATION_TITLE,
                body="一、制定背景；二、主要内容；三、适用对象。……",
                **common,
            )
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    published = stub.PublishPublication(
        pubs_pb.PublishPublicationRequest(publication_id=policy.id, interpretation_ids=[reading.id]),
        metadata=p.as_user("disclosure-officer"),
    )
    story.made.append(
        f"policy {POLICY_TITLE} (made {made_on}) and its interpretation, published together today"
    )
    story.notes.append(
        "publishing is today's act (the service dates it); the policy's own date is in the past"
    )
    return published


def application(run: Run) -> Story:
    """An application for information handed in at the counter three weeks ago, answered last week."""
    story = Story("disclosure: an application for information and its reply (依申请公开)")
    p = run.platform
    stub = p.stub(applications_pb2_grpc.ApplicationServiceStub, "zgov.disclosure.v1.ApplicationService")
    found = [
        a
        for a in pages(
            stub.ListApplications,
            apps_pb.ListApplicationsRequest(),
            p.as_user("disclosure-officer"),
            "applications",
        )
        if a.content.description == APPLICATION_TEXT
    ]
    if found:
        story.nothing_to_do = True
        number = found[0].number
    else:
        number = _apply_and_reply(run, stub, story)
    code, portal = run.notes.get("application_query_code"), run.platform.portal_url or "the portal's"
    story.where.append(
        f"the application {number} and its reply letter: {portal}/applications/follow"
        + (f" with query code {code}" if code else " (its query code was printed by the first run)")
    )
    return story


def _apply_and_reply(run: Run, stub, story: Story) -> str:
    p = run.platform
    submitted, replied = working_days_from(run.today, -14), working_days_from(run.today, -4)
    filed = stub.RegisterApplication(
        apps_pb.RegisterApplicationRequest(
            applicant=apps_pb.Applicant(
                kind=apps_pb.APPLICANT_KIND_NATURAL_PERSON,
                name="林市民",
                id_number="513901199001011234",
                phone="13800000000",
                email="lin@example.cn",
            ),
            content=apps_pb.ApplicationContent(
                description=APPLICATION_TEXT, delivery_form=apps_pb.DELIVERY_FORM_ONLINE_DOWNLOAD
            ),
            channel=apps_pb.APPLICATION_CHANNEL_IN_PERSON,
            submitted_on=pb_date(submitted),
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    answered = stub.ReplyToApplication(
        apps_pb.ReplyToApplicationRequest(
            application_id=filed.application.id,
            reply=apps_pb.Reply(kind=apps_pb.REPLY_KIND_PROVIDED, provided="项目清单一份，可在门户下载"),
            replied_on=pb_date(replied),
        ),
        metadata=p.as_user("disclosure-officer"),
    )
    story.made.append(
        f"application {answered.number} handed in on {submitted}, answered on {replied} ({answered.reply.letter_number})"
    )
    run.notes.put("application_query_code", filed.query_code)
    return answered.number


# ---------------------------------------------------------------- petitions (信访)


def petitions(run: Run) -> Story:
    """A letter received four weeks ago and handled to its reply; a citizen's online suggestion today,
    assigned and acknowledged, followed by its query code."""
    story = Story(
        "petitions (信访: a letter handled to its reply, an online petition followed by query code)"
    )
    p = run.platform
    stub = p.stub(petitions_pb2_grpc.PetitionsServiceStub, "zgov.petitions.v1.PetitionsService")
    found = [
        c
        for c in pages(stub.ListCases, pet_pb.ListCasesRequest(), p.as_user("petition-officer"), "cases")
        if c.title.startswith(MARK)
    ]
    if found:
        story.nothing_to_do = True
    else:
        _letter(run, stub, story)
        _online(run, stub, story)
    code = run.notes.get("petition_query_code")
    portal = p.portal_url or "the portal's"
    story.where.append(
        f"follow the online petition at {portal}/petitions/follow with query code {code}"
        if code
        else f"follow the online petition at {portal}/petitions/follow (its query code was printed by the first run)"
    )
    return story


def _letter(run: Run, stub, story: Story) -> None:
    p, today = run.platform, run.today
    received = working_days_from(today, -20)
    triaged, acknowledged, replied = (working_days_from(received, n) for n in (2, 4, 12))
    case = stub.RegisterCase(
        pet_pb.RegisterCaseRequest(
            intake=pet_pb.Intake(
                channel=pet_pb.CHANNEL_LETTER,
                received_on=pb_date(received),
                category=pet_pb.CATEGORY_REQUEST_APPEAL,
                title=LETTER_TITLE,
                content="安岳县岳阳镇某小区路灯两个月不亮，夜间出行不便，请尽快维修。",
                petitioners=[pet_pb.Petitioner(name="林晓梅", phone="13912345678", address="安岳县岳阳镇")],
            )
        ),
        metadata=p.as_user("petition-officer"),
    ).case
    _assign_and_acknowledge(run, stub, case.id, triaged, acknowledged)
    stub.ReplyCase(
        pet_pb.ReplyCaseRequest(
            case_id=case.id, reply="已维修完毕，路灯恢复照明。", replied_on=pb_date(replied)
        ),
        metadata=p.as_user("county-head"),
    )
    story.made.append(
        f"letter {case.number} received {received}, assigned {triaged}, acknowledged {acknowledged}, replied {replied}"
    )


def _assign_and_acknowledge(run: Run, stub, case_id: str, triaged: date, acknowledged: date) -> None:
    p = run.platform
    stub.TriageCase(
        pet_pb.TriageCaseRequest(
            case_id=case_id,
            outcome=pet_pb.TRIAGE_OUTCOME_ACCEPT_AND_ASSIGN,
            handling_body_code="anyue-county",
            triaged_on=pb_date(triaged),
        ),
        metadata=p.as_user("petition-officer"),
    )
    stub.AcknowledgeCase(
        pet_pb.AcknowledgeCaseRequest(
            case_id=case_id, handling_plan="调查核实，按期书面答复", acknowledged_on=pb_date(acknowledged)
        ),
        metadata=p.as_user("county-head"),
    )


def _online(run: Run, stub, story: Story) -> None:
    p = run.platform
    filed = stub.SubmitPetition(
        pet_pb.SubmitPetitionRequest(
            intake=pet_pb.Intake(
                category=pet_pb.CATEGORY_SUGGESTION,
                title=ONLINE_TITLE,
                content="建议增设安岳至乐至的公交线路，方便群众出行。",
                petitioners=[pet_pb.Petitioner(name="林市民", phone="13700001111")],
            ),
            idempotency_key=ONLINE_KEY,
        ),
        metadata=p.as_user("citizen"),
    )
    if filed.query_code:
        run.notes.put("petition_query_code", filed.query_code)
    _assign_and_acknowledge(run, stub, filed.case.id, run.today, run.today)
    story.made.append(
        f"online petition {filed.case.number} submitted by a citizen today, assigned and acknowledged"
    )
    story.notes.append("an online petition is received the day it is submitted: today")


# ---------------------------------------------------------------- supervision (督查督办)


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


# ---------------------------------------------------------------- the whole month


STORYLINES = (meetings, documents, publications, application, petitions, supervision)


def run_demo(platform: Platform, out_dir: Path, today: date | None = None) -> Report:
    """Every storyline in order (supervision last: its items come from the meeting's decisions)."""
    run = Run(platform, out_dir, today or today_in_china(), Notes(out_dir))
    try:
        return Report([storyline(run) for storyline in STORYLINES])
    finally:
        platform.close()


# ---------------------------------------------------------------- the platform `make up` started


class NotUp(Exception):
    """The platform `make up` starts is not running (or not reachable): what to do is in the message."""


def platform_of_make_up(run_dir: Path) -> Platform:
    """The platform of `make up`: addresses from .run/endpoints.json, tokens by password (the local
    demo-and-test client of deploy/keycloak/iam.py) from .run/keycloak/demo-users.json."""
    endpoints_file = run_dir / "endpoints.json"
    if not endpoints_file.exists():
        raise NotUp(f"{endpoints_file} is missing: start the platform with 'make up' first.")
    endpoints = json.loads(endpoints_file.read_text())
    services = endpoints.get("services", {})
    missing = sorted({name for name in SERVICES.values() if "grpc" not in services.get(name, {})})
    if missing:
        raise NotUp(f"no {', '.join(missing)} in {endpoints_file}: run 'make up' (it starts every service).")
    users = json.loads(Path(endpoints["keycloak"]["demo_users"]).read_text())
    settings = iam.Settings(
        url=endpoints["keycloak"]["url"].rstrip("/"),
        realm=endpoints["keycloak"]["realm"],
        username=None,
        password=None,
        run_dir=run_dir,
        audit_log=run_dir / "iam-audit.log",
    )
    tokens: dict[str, str] = {}

    def token_for(username: str) -> str:
        if username not in tokens:
            try:
                tokens[username] = iam.password_grant(settings, username, users[username]["password"])[
                    "access_token"
                ]
            except httpx.HTTPError as error:
                raise NotUp(
                    f"Keycloak at {settings.url} does not answer ({error}): is 'make up' running?"
                ) from error
        return tokens[username]

    portal = services.get("portal", {}).get("http", "")
    return Platform(lambda service: services[SERVICES[service]]["grpc"], token_for, portal_url=portal)
