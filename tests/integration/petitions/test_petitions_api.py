"""The petitions service end to end: real Keycloak tokens, real PostgreSQL, real NATS JetStream.

Demo people (deploy/local/keycloak.py): petition-officer (petition-bureau), department-head
(education-bureau), county-head (anyue-county), mayor, citizen.

Privacy choice (A71, A80): the body complained about gets PERMISSION_DENIED on GetCase (its
refused read is recorded) and never finds the case in a list; leaders get the case redacted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from shared.convert import date_to_proto as d
from shared.errors import field_violations_of, rule_id_of
from tests.fixtures.rpc import day, rpc_error
from tests.fixtures.streams import read_event_messages
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2
from zgov.petitions.v1 import events_pb2, petitions_pb2

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
NAME = "林晓梅"
PHONE = "13912345678"
ID_NUMBER = "512002198001010028"
PERSON_COMPLAINED = "李校长"
CONTENT = "岳阳中学以资料费名义向学生收费，请查处。"
# A scanned receipt (the first bytes of a JPEG are what the service checks).
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + "收据：资料费壹佰元".encode() + b"\xff\xd9"


def complaint(received: date = date(2025, 9, 16), **overrides) -> petitions_pb2.Intake:
    fields = dict(
        channel=petitions_pb2.CHANNEL_LETTER,
        received_on=d(received),
        category=petitions_pb2.CATEGORY_COMPLAINT_REPORT,
        title="学校违规收费",
        content=CONTENT,
        petitioners=[
            petitions_pb2.Petitioner(name=NAME, id_number=ID_NUMBER, phone=PHONE, address="安岳县岳阳镇")
        ],
        body_complained_about="education-bureau",
        person_complained_about=PERSON_COMPLAINED,
        attachments=[
            petitions_pb2.Attachment(file_name="收据.jpg", media_type="image/jpeg", content=RECEIPT)
        ],
    )
    fields.update(overrides)
    return petitions_pb2.Intake(**fields)


async def register(p, intake, user="petition-officer") -> petitions_pb2.RegisterCaseResponse:
    return await p.stub.RegisterCase(
        petitions_pb2.RegisterCaseRequest(intake=intake), metadata=p.as_user(user)
    )


async def get(p, case_id, user="petition-officer") -> petitions_pb2.Case:
    return await p.stub.GetCase(petitions_pb2.GetCaseRequest(case_id=case_id), metadata=p.as_user(user))


async def assign(p, case_id, on: date, body="anyue-county") -> petitions_pb2.Case:
    return await p.stub.TriageCase(
        petitions_pb2.TriageCaseRequest(
            case_id=case_id,
            outcome=petitions_pb2.TRIAGE_OUTCOME_ACCEPT_AND_ASSIGN,
            handling_body_code=body,
            triaged_on=d(on),
        ),
        metadata=p.as_user("petition-officer"),
    )


async def acknowledge(p, case_id, on: date, user="county-head") -> petitions_pb2.Case:
    return await p.stub.AcknowledgeCase(
        petitions_pb2.AcknowledgeCaseRequest(
            case_id=case_id, handling_plan="调查核实，30日内书面答复", acknowledged_on=d(on)
        ),
        metadata=p.as_user(user),
    )


async def reply(p, case_id, on: date, user="county-head") -> petitions_pb2.Case:
    return await p.stub.ReplyCase(
        petitions_pb2.ReplyCaseRequest(case_id=case_id, reply="经核查，已责令退还费用。", replied_on=d(on)),
        metadata=p.as_user(user),
    )


# ---- privacy (A71, A80) -------------------------------------------------------------------------------


async def test_A71_A80_the_body_complained_about_never_reads_the_case_and_every_read_is_audited(petitions):
    p = petitions
    registered = await register(p, complaint())
    case_id = registered.case.id
    assert registered.case.petitioners[0].name == NAME and registered.query_code

    denied = await rpc_error(get(p, case_id, "department-head"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert NAME not in denied.details() and PHONE not in denied.details()
    listed = await p.stub.ListCases(petitions_pb2.ListCasesRequest(), metadata=p.as_user("department-head"))
    assert list(listed.cases) == []

    # Assigned to a body other than the one complained about: that body sees everything.
    await assign(p, case_id, date(2025, 9, 20))
    handler = await get(p, case_id, "county-head")
    assert not handler.identity_redacted
    assert (handler.petitioners[0].name, handler.petitioners[0].phone) == (NAME, PHONE)
    assert handler.person_complained_about == PERSON_COMPLAINED
    assert (handler.attachments[0].file_name, handler.attachments[0].size_bytes) == ("收据.jpg", len(RECEIPT))
    assert handler.attachments[0].id and not handler.attachments[0].content
    assert (await rpc_error(get(p, case_id, "department-head"))).code() == grpc.StatusCode.PERMISSION_DENIED
    not_theirs = await rpc_error(acknowledge(p, case_id, date(2025, 9, 22), user="department-head"))
    assert not_theirs.code() == grpc.StatusCode.PERMISSION_DENIED

    # A leader sees the case without identity; a complaint's content only once marked for him.
    mayor = await get(p, case_id, "mayor")
    assert mayor.identity_redacted and not mayor.petitioners and not mayor.attachments
    assert (mayor.person_complained_about, mayor.content, mayor.body_complained_about) == ("", "", "")
    await p.stub.MarkForLeader(
        petitions_pb2.MarkForLeaderRequest(
            case_id=case_id, leader_user_id=p.user_id("mayor"), reason="重要来信"
        ),
        metadata=p.as_user("petition-officer"),
    )
    mayor = await get(p, case_id, "mayor")
    assert mayor.content == CONTENT and not mayor.petitioners and mayor.person_complained_about == ""

    # A citizen holds no petition:read.
    assert (await rpc_error(get(p, case_id, "citizen"))).code() == grpc.StatusCode.PERMISSION_DENIED

    history = (await get(p, case_id)).history
    reads = [(h.act, h.actor.username) for h in history if h.act.startswith("case.read")]
    assert ("case.read.denied", "department-head") in reads
    assert reads.count(("case.read.denied", "department-head")) == 2
    assert ("case.read", "county-head") in reads and reads.count(("case.read", "mayor")) == 2
    assert ("case.read", "petition-officer") in reads  # the read that returned this history


async def test_A71_A80_lists_show_each_reader_only_what_it_may_see(petitions):
    p = petitions
    against_education = (await register(p, complaint(received=date(2025, 10, 1)))).case.id
    await assign(p, against_education, date(2025, 10, 9))
    unassigned = (
        await register(
            p,
            complaint(
                received=date(2025, 10, 2),
                petitioners=[petitions_pb2.Petitioner(name="王五", phone="13600000002")],
            ),
        )
    ).case.id
    suggestion = (
        await register(
            p,
            complaint(
                received=date(2025, 10, 3),
                category=petitions_pb2.CATEGORY_SUGGESTION,
                body_complained_about="",
                title="增设公交线路",
                person_complained_about="",
                petitioners=[petitions_pb2.Petitioner(name="赵六", phone="13600000003")],
            ),
        )
    ).case.id

    async def listed(user, **filters):
        reply = await p.stub.ListCases(petitions_pb2.ListCasesRequest(**filters), metadata=p.as_user(user))
        return {c.id: c for c in reply.cases}

    county = await listed("county-head")
    assert list(county) == [against_education] and county[against_education].petitioners[0].name == NAME
    assert await listed("department-head") == {}
    mayor = await listed("mayor")
    assert list(mayor) == [against_education, unassigned, suggestion]
    assert all(c.identity_redacted and not c.petitioners for c in mayor.values())
    assert mayor[against_education].content == "" and mayor[suggestion].content == CONTENT
    officer = await listed("petition-officer", category=petitions_pb2.CATEGORY_COMPLAINT_REPORT)
    assert list(officer) == [against_education, unassigned]
    assert officer[unassigned].petitioners[0].name == "王五"
    assigned = await listed("petition-officer", state=petitions_pb2.CASE_STATE_ASSIGNED)
    assert list(assigned) == [against_education]
    first = await p.stub.ListCases(
        petitions_pb2.ListCasesRequest(page=common_pb2.PageRequest(page_size=2)),
        metadata=p.as_user("petition-officer"),
    )
    rest = await p.stub.ListCases(
        petitions_pb2.ListCasesRequest(
            page=common_pb2.PageRequest(page_size=2, page_token=first.page.next_page_token)
        ),
        metadata=p.as_user("petition-officer"),
    )
    assert [c.id for c in (*first.cases, *rest.cases)] == [against_education, unassigned, suggestion]
    assert not rest.page.next_page_token
    # Search: words of what each reader is shown, the registration number for everyone.
    assert list(await listed("petition-officer", text="收费")) == [against_education, unassigned, suggestion]
    assert list(await listed("county-head", text="收费")) == [against_education]
    # A leader finds the suggestion, whose content he is shown, never a complaint whose text is hidden.
    assert list(await listed("mayor", text="收费")) == [suggestion]
    number = mayor[unassigned].number
    assert list(await listed("mayor", text=number.lower())) == [unassigned]
    assert await listed("petition-officer", text="100%") == {}
    # Each listed case is a recorded read.
    history = (await get(p, unassigned)).history
    assert ("case.read", "mayor") in [(h.act, h.actor.username) for h in history]


async def test_A71_assigning_to_the_body_complained_about_is_refused(petitions):
    p = petitions
    case_id = (await register(p, complaint())).case.id
    err = await rpc_error(assign(p, case_id, date(2025, 9, 20), body="education-bureau"))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(err) == "A71.complained-body"
    assert (await get(p, case_id)).state == petitions_pb2.CASE_STATE_REGISTERED


async def test_A71_A80_events_carry_no_identity_content_or_complained_party(petitions, petitions_events):
    p = petitions
    case_id = (await register(p, complaint(received=TODAY - timedelta(days=2)))).case.id
    await assign(p, case_id, TODAY - timedelta(days=1))
    await acknowledge(p, case_id, TODAY)
    mayor_id = p.user_id("mayor")
    await p.stub.MarkForLeader(
        petitions_pb2.MarkForLeaderRequest(case_id=case_id, leader_user_id=mayor_id, reason="重大案件"),
        metadata=p.as_user("petition-officer"),
    )
    await p.stub.InstructCase(
        petitions_pb2.InstructCaseRequest(
            case_id=case_id, instruction="请安岳县一周内查清", due=d(TODAY + timedelta(days=7))
        ),
        metadata=p.as_user("mayor"),
    )
    await reply(p, case_id, TODAY)
    await p.stub.RateCase(
        petitions_pb2.RateCaseRequest(case_id=case_id, satisfaction=petitions_pb2.SATISFACTION_SATISFIED),
        metadata=p.as_user("petition-officer"),
    )
    online = await p.stub.SubmitPetition(
        petitions_pb2.SubmitPetitionRequest(
            intake=petitions_pb2.Intake(
                category=petitions_pb2.CATEGORY_SUGGESTION,
                title="增设公交线路",
                content="建议增设安岳至乐至公交。",
                petitioners=[petitions_pb2.Petitioner(name="林市民", phone="13700001111")],
            )
        ),
        metadata=p.as_user("citizen"),
    )

    wanted = {"registered", "assigned", "accepted", "leader-marked", "leader-instructed", "replied", "rated"}

    def complete(envelopes):
        subjects = [e.subject.removeprefix("petitions.case.") for e in envelopes]
        return wanted <= set(subjects) and subjects.count("registered") == 2

    events = await read_event_messages(petitions_events, "PETITIONS", "petitions.>", until=complete)
    assert complete([e for _, e in events])
    secrets = [
        NAME,
        PHONE,
        ID_NUMBER,
        PERSON_COMPLAINED,
        CONTENT,
        "education-bureau",
        "收据.jpg",
        "林市民",
        "收据：资料费壹佰元",
        "13700001111",
        "增设安岳至乐至公交",
        p.user_id("citizen"),
    ]
    for raw, envelope in events:
        for secret in secrets:
            assert secret.encode() not in raw, f"{envelope.subject} carries {secret!r}"
    instructed = next(e for _, e in events if e.subject == "petitions.case.leader-instructed")
    payload = events_pb2.CaseLeaderInstructed()
    instructed.payload.Unpack(payload)
    assert (payload.case.case_id, payload.leader_user_id, payload.instruction) == (
        case_id,
        mayor_id,
        "请安岳县一周内查清",
    )
    assert payload.case.handling_body_code == "anyue-county" and day(payload.due) == TODAY + timedelta(days=7)
    # The petitioner's own act is published without an actor.
    citizen_registered = next(e for _, e in events if e.aggregate_ref == f"case/{online.case.id}")
    assert not citizen_registered.HasField("actor")


async def test_A71_a_case_names_real_organisations_and_real_leaders(petitions):
    """Checked with org: a misspelt body complained about would escape the privacy rule."""
    p = petitions
    misspelt = await rpc_error(register(p, complaint(body_complained_about="educaton-bureau")))
    assert field_violations_of(misspelt) == {"intake.body_complained_about": "no organisation with this code"}
    case_id = (await register(p, complaint())).case.id
    nowhere = await rpc_error(assign(p, case_id, date(2025, 9, 20), body="no-such-bureau"))
    assert "handling_body_code" in field_violations_of(nowhere)
    not_a_leader = await rpc_error(
        p.stub.MarkForLeader(
            petitions_pb2.MarkForLeaderRequest(
                case_id=case_id, leader_user_id=p.user_id("department-head"), reason="重要来信"
            ),
            metadata=p.as_user("petition-officer"),
        )
    )
    assert "leader_user_id" in field_violations_of(not_a_leader)


async def test_A71_A10_the_acting_mayor_instructs_while_the_mayor_is_away(petitions):
    p = petitions
    leave = await p.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="mayor",
            kind=org_pb2.LEAVE_KIND_LEAVE,
            first_day=d(TODAY),
            last_day=d(TODAY + timedelta(days=2)),
            reason="公务安排",
        ),
        metadata=p.as_user("mayor"),
    )
    await p.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=p.as_user("evm")
    )
    case_id = (await register(p, complaint(received=TODAY))).case.id
    mayor_id = p.user_id("mayor")
    await p.stub.MarkForLeader(
        petitions_pb2.MarkForLeaderRequest(case_id=case_id, leader_user_id=mayor_id, reason="重大案件"),
        metadata=p.as_user("petition-officer"),
    )
    not_marked = await rpc_error(
        p.stub.InstructCase(
            petitions_pb2.InstructCaseRequest(case_id=case_id, instruction="请核查"),
            metadata=p.as_user("vice-mayor-1"),
        )
    )
    assert rule_id_of(not_marked) == "A71.leader-marked"
    instructed = await p.stub.InstructCase(
        petitions_pb2.InstructCaseRequest(case_id=case_id, instruction="请教育督导部门一周内查清"),
        metadata=p.as_user("evm"),
    )
    assert instructed.content == CONTENT and not instructed.petitioners  # read as the mayor, still redacted
    assert [(i.leader_user_id, i.instruction) for i in instructed.leader_instructions] == [
        (mayor_id, "请教育督导部门一周内查清")
    ]
    act = [h for h in (await get(p, case_id)).history if h.act == "case.leader-instructed"][0]
    assert (act.actor.username, act.actor.on_behalf_of_user_id, act.actor.on_behalf_of_position) == (
        "evm",
        mayor_id,
        "mayor",
    )


# ---- limits in calendar days across a holiday (A71) ------------------------------------------------


async def test_A71_triage_acknowledgement_and_objection_limits_across_national_day_2025(petitions):
    p = petitions
    case = (await register(p, complaint(received=date(2025, 9, 16)))).case
    # Day 15 is 1 Oct 2025, a holiday (1-8 Oct): the limit ends on 9 Oct.
    assert (day(case.triage_due.due), case.triage_due.moved_to_working_day) == (date(2025, 10, 9), True)
    assert case.overdue and case.overdue_stage == petitions_pb2.STAGE_TRIAGE

    case = await assign(p, case.id, date(2025, 9, 26))
    # 5 working days: Sun 28 Sep (made a working day), 29, 30 Sep, 9 and 10 Oct.
    assert day(case.objection_due.due) == date(2025, 10, 10)
    # 15 days: Sat 11 Oct 2025, itself a working day (调休上班).
    assert (day(case.acknowledgement_due.due), case.acknowledgement_due.moved_to_working_day) == (
        date(2025, 10, 11),
        False,
    )

    late = await rpc_error(
        p.stub.ObjectToAssignment(
            petitions_pb2.ObjectToAssignmentRequest(
                case_id=case.id, reason="不属本县职权", objected_on=d(date(2025, 10, 11))
            ),
            metadata=p.as_user("county-head"),
        )
    )
    assert late.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(late) == "A71.objection-5-working-days"
    objected = await p.stub.ObjectToAssignment(
        petitions_pb2.ObjectToAssignmentRequest(
            case_id=case.id, reason="不属本县职权", objected_on=d(date(2025, 10, 10))
        ),
        metadata=p.as_user("county-head"),
    )
    assert objected.state == petitions_pb2.CASE_STATE_REGISTERED and objected.identity_redacted
    back = await get(p, case.id)
    assert back.handling_body_code == "" and back.objections[0].body_code == "anyue-county"
    # Triage runs again from the objection: 25 Oct is a Saturday, so 27 Oct.
    assert day(back.triage_due.due) == date(2025, 10, 27)
    # The county no longer sees the case in full.
    assert (await rpc_error(get(p, case.id, "county-head"))).code() == grpc.StatusCode.PERMISSION_DENIED


async def test_A71_handling_limit_60_days_across_national_day_2025(petitions):
    p = petitions
    case_id = (await register(p, complaint(received=date(2025, 7, 30)))).case.id
    await assign(p, case_id, date(2025, 7, 31))
    case = await acknowledge(p, case_id, date(2025, 8, 2))
    assert case.state == petitions_pb2.CASE_STATE_IN_HANDLING
    assert (day(case.handling_due.due), case.handling_due.days) == (date(2025, 10, 9), 60)
    assert case.overdue and case.overdue_stage == petitions_pb2.STAGE_HANDLING
    # The limit is past: no extension now.
    late = await rpc_error(
        p.stub.ExtendHandling(
            petitions_pb2.ExtendHandlingRequest(
                case_id=case_id, days=30, reason="情况复杂", notice_sent_on=d(TODAY)
            ),
            metadata=p.as_user("county-head"),
        )
    )
    assert rule_id_of(late) == "A71.extension-within-limit"


async def test_A71_handling_limit_extension_once_by_at_most_30_days_approved_by_the_head(petitions):
    p = petitions
    case_id = (await register(p, complaint(received=TODAY))).case.id
    await assign(p, case_id, TODAY)
    case = await acknowledge(p, case_id, TODAY)
    assert case.handling_due.days == 60 and not case.overdue

    def extend(days, user="county-head"):
        return p.stub.ExtendHandling(
            petitions_pb2.ExtendHandlingRequest(
                case_id=case_id, days=days, reason="涉及多部门，需现场核查", notice_sent_on=d(TODAY)
            ),
            metadata=p.as_user(user),
        )

    assert (await rpc_error(extend(30, user="petition-officer"))).code() == grpc.StatusCode.PERMISSION_DENIED
    too_long = await rpc_error(extend(31))
    assert too_long.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(too_long) == "A71.extension-30-days"
    extended = await extend(30)
    assert extended.extension.days == 30
    assert extended.extension.approved_by_user_id == p.user_id("county-head")
    assert extended.handling_due.days == 90 and day(extended.handling_due.due) >= TODAY + timedelta(days=90)
    assert rule_id_of(await rpc_error(extend(5))) == "A71.extension-once"


# ---- review, re-review, no third time (A71) --------------------------------------------------------------


async def test_A71_review_and_re_review_within_30_days_then_no_third_time(petitions):
    p = petitions
    first = (await register(p, complaint(received=date(2025, 3, 3)))).case.id
    await assign(p, first, date(2025, 3, 5))
    await acknowledge(p, first, date(2025, 3, 6))
    await reply(p, first, date(2025, 4, 1))

    def request_review(body, on):
        return p.stub.RequestReview(
            petitions_pb2.RequestReviewRequest(
                case_id=first, reviewing_body_code=body, requested_on=d(on), reason="对答复不服"
            ),
            metadata=p.as_user("petition-officer"),
        )

    def decide(on):
        return p.stub.DecideReview(
            petitions_pb2.DecideReviewRequest(case_id=first, opinion="维持原处理意见", decided_on=d(on)),
            metadata=p.as_user("petition-officer"),
        )

    # 30 days after 1 Apr is 1 May 2025, in the Labour Day holiday (1-5 May): the window runs to 6 May.
    replied = await get(p, first)
    assert day(replied.review_request_due.due) == date(2025, 5, 6)
    late = await rpc_error(request_review("city-government", date(2025, 5, 7)))
    assert rule_id_of(late) == "A71.review-30-days"
    review = await request_review("city-government", date(2025, 5, 6))
    assert review.state == petitions_pb2.CASE_STATE_UNDER_REVIEW
    assert day(review.reviews[0].answer_due.due) == date(2025, 6, 5)
    await decide(date(2025, 5, 20))

    same_level = await rpc_error(request_review("city-government", date(2025, 6, 1)))
    assert rule_id_of(same_level) == "A71.review-one-level-up"
    re_review = await request_review("sichuan-petition-bureau", date(2025, 6, 1))
    assert re_review.state == petitions_pb2.CASE_STATE_UNDER_RE_REVIEW
    assert re_review.reviews[1].level == petitions_pb2.REVIEW_LEVEL_RE_REVIEW
    done = await decide(date(2025, 6, 20))
    assert done.state == petitions_pb2.CASE_STATE_RE_REVIEWED

    third = await rpc_error(request_review("state-petition-bureau", date(2025, 6, 25)))
    assert third.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(third) == "A71.no-third-time"

    # The same person on the same matter again: registered, found, and not accepted on the same facts.
    again = (await register(p, complaint(received=date(2025, 8, 1)))).case
    assert again.state == petitions_pb2.CASE_STATE_REGISTERED and again.repeat_of_case_id == first
    refused = await rpc_error(assign(p, again.id, date(2025, 8, 2)))
    assert rule_id_of(refused) == "A71.no-third-time"
    not_accepted = await p.stub.TriageCase(
        petitions_pb2.TriageCaseRequest(
            case_id=again.id,
            outcome=petitions_pb2.TRIAGE_OUTCOME_NOT_ACCEPT,
            notice="复核意见已作出，不再受理",
            triaged_on=d(date(2025, 8, 2)),
        ),
        metadata=p.as_user("petition-officer"),
    )
    assert not_accepted.state == petitions_pb2.CASE_STATE_NOT_ACCEPTED


# ---- repeat petitions and statistics -------------------------------------------------------------------


async def test_A71_repeat_petition_is_linked_and_not_counted_twice(petitions):
    p = petitions
    first = (await register(p, complaint(received=date(2025, 10, 20)))).case
    repeat = (
        await register(
            p,
            complaint(
                received=date(2025, 10, 22), title="再次反映收费问题", channel=petitions_pb2.CHANNEL_VISIT
            ),
        )
    ).case
    assert repeat.state == petitions_pb2.CASE_STATE_LINKED and repeat.repeat_of_case_id == first.id
    assert (await get(p, first.id)).repeat_count == 1
    other = petitions_pb2.Petitioner(name="张三", phone="13800000001")
    await register(
        p,
        complaint(
            received=date(2025, 11, 3),
            petitioners=[other],
            channel=petitions_pb2.CHANNEL_PHONE,
            category=petitions_pb2.CATEGORY_REQUEST_APPEAL,
        ),
    )

    async def stats(dimension, user="petition-officer"):
        reply = await p.stub.GetStatistics(
            petitions_pb2.GetStatisticsRequest(dimension=dimension), metadata=p.as_user(user)
        )
        return {r.key: (r.received, r.repeats) for r in reply.rows}

    assert await stats(petitions_pb2.STATISTICS_DIMENSION_CATEGORY) == {
        "complaint_report": (1, 1),
        "request_appeal": (1, 0),
    }
    assert await stats(petitions_pb2.STATISTICS_DIMENSION_MONTH) == {"2025-10": (1, 1), "2025-11": (1, 0)}
    assert await stats(petitions_pb2.STATISTICS_DIMENSION_CHANNEL, user="mayor") == {
        "letter": (1, 0),
        "visit": (0, 1),
        "phone": (1, 0),
    }
    denied = await rpc_error(stats(petitions_pb2.STATISTICS_DIMENSION_CHANNEL, user="department-head"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_A71_printable_register_names_nobody(petitions):
    p = petitions
    first = (await register(p, complaint(received=date(2025, 10, 20)))).case
    await register(p, complaint(received=date(2025, 10, 22)))
    await register(
        p,
        complaint(
            received=date(2025, 12, 1),
            petitioners=[petitions_pb2.Petitioner(name="张三", phone="13800000001")],
        ),
    )

    async def page(token="", user="petition-officer"):
        return await p.stub.GetRegister(
            petitions_pb2.GetRegisterRequest(
                received_from=d(date(2025, 10, 1)),
                received_to=d(date(2025, 10, 31)),
                page=common_pb2.PageRequest(page_size=1, page_token=token),
            ),
            metadata=p.as_user(user),
        )

    one = await page()
    two = await page(one.page.next_page_token)
    assert [line.number for line in (*one.lines, *two.lines)] == [first.number, two.lines[0].number]
    assert not two.page.next_page_token
    assert two.lines[0].repeat_of_number == first.number
    assert two.lines[0].state == petitions_pb2.CASE_STATE_LINKED
    assert one.lines[0].overdue and one.lines[0].stage == petitions_pb2.STAGE_TRIAGE
    assert one.csv.splitlines()[0].startswith("编号,收到日期,渠道,类别") and first.number in one.csv
    assert "来信" in one.csv and "检举控告" in one.csv
    for secret in (NAME, PHONE, PERSON_COMPLAINED, "education-bureau", "学校违规收费", CONTENT):
        assert secret not in one.csv + two.csv
    assert (await rpc_error(page(user="department-head"))).code() == grpc.StatusCode.PERMISSION_DENIED


# ---- the overdue sweep ----------------------------------------------------------------------------------


async def test_A71_a_case_past_its_limit_is_escalated_once_by_event(petitions, petitions_events):
    p = petitions
    case_id = (await register(p, complaint(received=date(2025, 9, 16)))).case.id

    def escalated(envelopes):
        return any(e.subject == "petitions.case.overdue" for e in envelopes)

    events = await read_event_messages(
        petitions_events, "PETITIONS", "petitions.>", until=escalated, timeout=20
    )
    overdue = [e for _, e in events if e.subject == "petitions.case.overdue"]
    assert len(overdue) == 1
    payload = events_pb2.CaseOverdue()
    overdue[0].payload.Unpack(payload)
    assert (payload.case.case_id, payload.stage, day(payload.due), payload.responsible_body_code) == (
        case_id,
        petitions_pb2.STAGE_TRIAGE,
        date(2025, 10, 9),
        "petition-bureau",
    )
    listed = await p.stub.ListCases(
        petitions_pb2.ListCasesRequest(overdue_only=True), metadata=p.as_user("petition-officer")
    )
    assert [c.id for c in listed.cases] == [case_id]


# ---- citizens --------------------------------------------------------------------------------------------


async def test_citizen_files_online_and_follows_the_case_by_query_code(petitions):
    p = petitions
    filed = await p.stub.SubmitPetition(
        petitions_pb2.SubmitPetitionRequest(
            intake=petitions_pb2.Intake(
                category=petitions_pb2.CATEGORY_REQUEST_APPEAL,
                title="低保申请未答复",
                content="三个月前申请低保，至今未答复。",
                petitioners=[petitions_pb2.Petitioner(name="林市民", phone="13700001111")],
            )
        ),
        metadata=p.as_user("citizen"),
    )
    assert filed.case.channel == petitions_pb2.CHANNEL_ONLINE and day(filed.case.received_on) == TODAY
    assert len(filed.query_code) == 19 and not filed.case.history
    followed = await p.stub.FollowCase(
        petitions_pb2.FollowCaseRequest(query_code=filed.query_code.lower()), metadata=p.as_user("citizen")
    )
    assert followed.id == filed.case.id and followed.petitioners[0].name == "林市民"
    unknown = await rpc_error(
        p.stub.FollowCase(
            petitions_pb2.FollowCaseRequest(query_code="AAAA-BBBB-CCCC-DDDD"), metadata=p.as_user("citizen")
        )
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    mine = await p.stub.ListMyCases(petitions_pb2.ListMyCasesRequest(), metadata=p.as_user("citizen"))
    assert [c.id for c in mine.cases] == [filed.case.id]
    letter = await rpc_error(
        p.stub.SubmitPetition(
            petitions_pb2.SubmitPetitionRequest(
                intake=petitions_pb2.Intake(channel=petitions_pb2.CHANNEL_LETTER)
            ),
            metadata=p.as_user("citizen"),
        )
    )
    assert "intake.channel" in field_violations_of(letter)
    # The bureau sees it in full; the read by query code was recorded.
    history = (await get(p, filed.case.id)).history
    assert ("case.read", "citizen", "query code") in [(h.act, h.actor.username, h.reason) for h in history]


async def test_A71_petitioner_rates_by_query_code_and_figures_by_body_show_it(petitions, petitions_events):
    p = petitions
    replied = await register(p, complaint(received=date(2025, 9, 1)))
    await assign(p, replied.case.id, date(2025, 9, 2))
    await acknowledge(p, replied.case.id, date(2025, 9, 3))
    late = (
        await register(
            p,
            complaint(
                received=date(2025, 7, 30),
                petitioners=[petitions_pb2.Petitioner(name="张三", phone="13800000001")],
            ),
        )
    ).case.id
    await assign(p, late, date(2025, 7, 31))
    await acknowledge(p, late, date(2025, 8, 2))  # handling limit 9 Oct 2025: overdue

    def rate(code, satisfaction=petitions_pb2.SATISFACTION_DISSATISFIED):
        return p.stub.RateCase(
            petitions_pb2.RateCaseRequest(query_code=code, satisfaction=satisfaction, comment="处理不彻底"),
            metadata=p.as_user("citizen"),
        )

    too_early = await rpc_error(rate(replied.query_code))
    assert "case_id" in field_violations_of(too_early)
    await reply(p, replied.case.id, date(2025, 9, 20))
    rated = await rate(replied.query_code)
    assert rated.satisfaction == petitions_pb2.SATISFACTION_DISSATISFIED and not rated.history
    assert "case_id" in field_violations_of(await rpc_error(rate(replied.query_code)))
    # Someone else's case by id: refused.
    other = await rpc_error(
        p.stub.RateCase(
            petitions_pb2.RateCaseRequest(case_id=late, satisfaction=petitions_pb2.SATISFACTION_SATISFIED),
            metadata=p.as_user("citizen"),
        )
    )
    assert other.code() == grpc.StatusCode.PERMISSION_DENIED

    figures = await p.stub.GetStatistics(
        petitions_pb2.GetStatisticsRequest(dimension=petitions_pb2.STATISTICS_DIMENSION_HANDLING_BODY),
        metadata=p.as_user("mayor"),
    )
    (county,) = [r for r in figures.rows if r.key == "anyue-county"]
    assert (county.received, county.overdue, county.replied) == (2, 1, 1)
    assert (county.dissatisfied, county.satisfied) == (1, 0)

    def has_rating(envelopes):
        return any(e.subject == "petitions.case.rated" for e in envelopes)

    events = await read_event_messages(petitions_events, "PETITIONS", "petitions.>", until=has_rating)
    (rated_event,) = [e for _, e in events if e.subject == "petitions.case.rated"]
    assert not rated_event.HasField("actor")  # the petitioner's own act


async def test_bad_intake_names_every_field_and_changes_nothing(petitions):
    p = petitions
    err = await rpc_error(
        register(
            p,
            petitions_pb2.Intake(
                received_on=d(TODAY + timedelta(days=1)),
                petitioners=[petitions_pb2.Petitioner(phone="x")],
                attachments=[
                    petitions_pb2.Attachment(
                        file_name="a.exe", media_type="application/x-msdownload", size_bytes=1, sha256="00"
                    )
                ],
            ),
        )
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {
        "intake.channel",
        "intake.category",
        "intake.received_on",
        "intake.title",
        "intake.content",
        "intake.petitioners[0].name",
        "intake.petitioners[0].phone",
        "intake.attachments[0].media_type",
        "intake.attachments[0].sha256",
    } <= set(field_violations_of(err))
    group = await rpc_error(
        register(
            p,
            complaint(
                channel=petitions_pb2.CHANNEL_VISIT,
                group_visit=True,
                group_size=40,
                petitioners=[
                    petitions_pb2.Petitioner(name=f"村民{i}", representative=True) for i in range(6)
                ],
            ),
        )
    )
    assert rule_id_of(group) == "A71.representatives"
    listed = await p.stub.ListCases(petitions_pb2.ListCasesRequest(), metadata=p.as_user("petition-officer"))
    assert list(listed.cases) == []


async def test_A71_an_online_petition_submitted_twice_with_one_key_is_one_case(petitions):
    """SubmitPetition's idempotency key: the same intake again returns the first case (replayed, no
    query code); other content with the key is refused and files nothing; a citizen's key is his own."""
    p = petitions
    intake = petitions_pb2.Intake(
        category=petitions_pb2.CATEGORY_SUGGESTION,
        title="增设公交线路",
        content="建议增设安岳至乐至公交。",
        petitioners=[petitions_pb2.Petitioner(name="林市民", phone="13700001111")],
    )

    async def submit(user, key, sent=intake):
        return await p.stub.SubmitPetition(
            petitions_pb2.SubmitPetitionRequest(intake=sent, idempotency_key=key), metadata=p.as_user(user)
        )

    first = await submit("citizen", "form-key-0001")
    again = await submit("citizen", "form-key-0001")
    assert first.query_code and not first.replayed
    assert again.replayed and again.case.id == first.case.id and again.query_code == ""
    other = petitions_pb2.Intake()
    other.CopyFrom(intake)
    other.title = "另一件事"
    refused = await rpc_error(submit("citizen", "form-key-0001", other))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "idempotency_key" in field_violations_of(
        refused
    )
    assert (await rpc_error(submit("citizen", "short"))).code() == grpc.StatusCode.INVALID_ARGUMENT
    listed = await p.stub.ListCases(petitions_pb2.ListCasesRequest(), metadata=p.as_user("petition-officer"))
    assert [c.id for c in listed.cases] == [first.case.id]
