"""Applications for government information (依申请公开) end to end: real Keycloak tokens, PostgreSQL and
NATS JetStream, the disclosure service in-process. Rules: 政府信息公开条例 (2019) art. 14–16, 29–39,
49–51, with the working rules A35–A39.

People (deploy/local/keycloak.py): citizen (an applicant with an account), a second citizen made here,
the portal's service account (applicants without an account), disclosure-officer (handles),
deputy-secretary-general (head of the disclosure office: approves the art. 33 extension).

The service's day is set by each test (`service_day`), so the dates stay meaningful whatever the
machine's date: National Day 2025 is 1–8 October, with Sunday 28 September and Saturday 11 October
worked; 2027 has no official schedule in the pinned calendar (provisional deadlines).
"""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import date

import grpc
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from deploy.local.keycloak import admin_client
from services.disclosure import acts as disclosure_acts
from services.disclosure.acts import applications as application_acts
from services.disclosure.__main__ import build
from services.disclosure.config import DisclosureSettings
from shared.convert import date_to_proto as d
from shared.db import create_engine, session_factory, transaction
from shared.errors import field_violations_of, rule_id_of
from shared.workdays import YearSchedule, calendar
from tests.fixtures.bus_auth import ADMIN
from tests.fixtures.org import serving
from tests.fixtures.rpc import day, rpc_error
from tests.fixtures.streams import read_events
from tests.integration.disclosure.conftest import DisclosureUnderTest
from zgov.disclosure.v1 import applications_pb2 as pb
from zgov.disclosure.v1 import applications_pb2_grpc, publications_pb2_grpc

pytestmark = pytest.mark.integration

OFFICER, HEAD, CITIZEN = "disclosure-officer", "deputy-secretary-general", "citizen"


@pytest.fixture
def service_day(monkeypatch):
    """The day the service lives on (its `today`), changed by the test as time passes."""
    now = {"today": date(2025, 9, 26)}
    monkeypatch.setattr(disclosure_acts, "today_in_china", lambda: now["today"])
    return now


@pytest.fixture
async def svc(keycloak, disclosure_nats, service_database, service_day):
    """The disclosure service with a quick art. 30 sweep; `svc.apps` is the ApplicationService stub."""
    database = await service_database("disclosure")
    server = build(
        DisclosureSettings(
            database_url=database,
            nats_url=disclosure_nats.url,
            nats_nkey_seed=disclosure_nats.seeds["disclosure"],
            keycloak_url=keycloak.url,
            client_id="disclosure",
            client_secret=keycloak.client_secrets["disclosure"],
            grpc_port=0,
            consume_documents=False,
            application_sweep_seconds=0.3,
        )
    )
    async with serving(server):
        channel = grpc.aio.insecure_channel(server.address)
        under_test = DisclosureUnderTest(
            keycloak=keycloak,
            channel=channel,
            publications=publications_pb2_grpc.PublicationServiceStub(channel),
            nats=disclosure_nats,
            database_url=database,
        )
        under_test.apps = applications_pb2_grpc.ApplicationServiceStub(channel)
        try:
            yield under_test
        finally:
            await channel.close()


@pytest.fixture
async def events(disclosure_nats):
    client = await disclosure_nats.connect(
        ADMIN, allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    yield client.jetstream(timeout=5)


@pytest.fixture
def other_citizen(keycloak):
    """A second citizen with an account (removed afterwards)."""
    admin = admin_client(keycloak.server)
    username = f"citizen-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex + "Aa1"
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "firstName": "二",
            "lastName": "市民",
            "email": f"{username}@ziyang.example",
            "emailVerified": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    admin.assign_realm_roles(user_id, [admin.get_realm_role("citizen")])
    yield (("authorization", f"Bearer {keycloak.token_for(username, password)}"),)
    admin.delete_user(user_id)


def applicant(**kw) -> pb.Applicant:
    values = dict(
        kind=pb.APPLICANT_KIND_NATURAL_PERSON,
        name="林市民",
        id_number="513901199001011234",
        phone="13800000000",
        email="lin@example.cn",
    )
    return pb.Applicant(**{**values, **kw})


def content(**kw) -> pb.ApplicationContent:
    values = dict(
        description="2025年雁江区老旧小区改造项目清单", delivery_form=pb.DELIVERY_FORM_ONLINE_DOWNLOAD
    )
    return pb.ApplicationContent(**{**values, **kw})


async def register(s, submitted: date, **kw) -> pb.SubmitApplicationResponse:
    """An application handed in at the office (received the day submitted, art. 31(1))."""
    request = pb.RegisterApplicationRequest(
        applicant=kw.pop("who", applicant()),
        content=content(),
        channel=kw.pop("channel", pb.APPLICATION_CHANNEL_IN_PERSON),
        submitted_on=d(submitted),
        **kw,
    )
    return await s.apps.RegisterApplication(request, metadata=s.as_user(OFFICER))


def subjects(envelopes) -> list[str]:
    return [e.subject for e in envelopes]


# ---- art. 29, 31, 33: applying, receipt, the 20 working days -------------------------------------------


async def test_OGI31_OGI33_online_application_is_received_on_confirmation_and_due_across_national_day_2025(
    svc, service_day, events
):
    service_day["today"] = date(2025, 9, 25)
    filed = await svc.apps.SubmitApplication(
        pb.SubmitApplicationRequest(applicant=applicant(), content=content()), metadata=svc.as_user(CITIZEN)
    )
    app = filed.application
    assert app.state == pb.APPLICATION_STATE_SUBMITTED and not app.HasField("received_on")
    assert not app.HasField("reply_due") and app.filed_with_account and app.fee_yuan == 0
    assert len(filed.query_code.replace("-", "")) == 16

    # art. 31(3): received the day the office confirms it, not the day it was sent
    service_day["today"] = date(2025, 9, 26)
    confirmed = await svc.apps.ConfirmReceipt(
        pb.ConfirmReceiptRequest(application_id=app.id), metadata=svc.as_user(OFFICER)
    )
    assert confirmed.state == pb.APPLICATION_STATE_RECEIVED
    assert day(confirmed.received_on) == date(2025, 9, 26)
    # art. 33: 20 working days: 28 Sep (worked Sunday), 29, 30 Sep, then 9, 10, 11 (worked Saturday) Oct …
    assert day(confirmed.reply_due.due) == date(2025, 10, 30) and confirmed.reply_due.working_days == 20
    assert not confirmed.reply_due.provisional and not confirmed.overdue
    again = await rpc_error(
        svc.apps.ConfirmReceipt(
            pb.ConfirmReceiptRequest(application_id=app.id), metadata=svc.as_user(OFFICER)
        )
    )
    assert again.code() == grpc.StatusCode.INVALID_ARGUMENT

    # the applicant follows it under the account and, like an applicant without one, by code
    mine = await svc.apps.GetApplication(
        pb.GetApplicationRequest(application_id=app.id), metadata=svc.as_user(CITIZEN)
    )
    assert mine.applicant.name == "林市民" and not mine.history  # acts are for officers
    followed = await svc.apps.FollowApplication(
        pb.FollowApplicationRequest(query_code=filed.query_code.lower()), metadata=svc.as_service("portal")
    )
    assert followed.id == app.id and day(followed.reply_due.due) == date(2025, 10, 30)
    listed = await svc.apps.ListMyApplications(pb.ListMyApplicationsRequest(), metadata=svc.as_user(CITIZEN))
    assert [a.id for a in listed.applications] == [app.id]

    seen = await read_events(
        events,
        "DISCLOSURE",
        "disclosure.>",
        until=lambda es: "disclosure.application.received" in subjects(es),
    )
    (received,) = [e for e in seen if e.subject == "disclosure.application.received"]
    message = pb.ApplicationReceived()
    received.payload.Unpack(message)
    assert message.application.number == app.number
    assert day(message.application.reply_due) == date(2025, 10, 30)
    assert "林市民" not in received.SerializeToString().decode("utf-8", "ignore")

    # the limit passes without a reply: the officers' overdue list shows it
    service_day["today"] = date(2025, 10, 31)
    overdue = await svc.apps.ListApplications(
        pb.ListApplicationsRequest(overdue_only=True), metadata=svc.as_user(OFFICER)
    )
    assert [a.id for a in overdue.applications] == [app.id] and overdue.applications[0].overdue
    quoted = await svc.apps.ListApplications(
        pb.ListApplicationsRequest(number=app.number.lower()), metadata=svc.as_user(OFFICER)
    )
    assert [a.id for a in quoted.applications] == [app.id]


async def test_OGI29_OGI31_incomplete_application_names_each_field_and_a_letter_needs_its_signing_day(svc):
    bad = await rpc_error(
        svc.apps.SubmitApplication(
            pb.SubmitApplicationRequest(
                applicant=pb.Applicant(kind=pb.APPLICANT_KIND_COMMERCIAL_ENTERPRISE, name="资阳某公司"),
                content=pb.ApplicationContent(delivery_form=pb.DELIVERY_FORM_EMAIL),
            ),
            metadata=svc.as_user(CITIZEN),
        )
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations_of(bad)) == {
        "applicant.id_number",
        "applicant.phone",
        "description",
        "applicant.contact_person",
        "applicant.email",
    }
    letter = await rpc_error(register(svc, date(2025, 9, 22), channel=pb.APPLICATION_CHANNEL_POST_SIGNED))
    assert "signed_for_on" in field_violations_of(letter)
    posted = await register(
        svc, date(2025, 9, 22), channel=pb.APPLICATION_CHANNEL_POST_SIGNED, signed_for_on=d(date(2025, 9, 24))
    )
    assert day(posted.application.received_on) == date(2025, 9, 24)  # art. 31(2): signed for


async def test_applicant_is_denied_someone_elses_application(svc, other_citizen):
    """A35–A39 with the portal's safety rule: an applicant sees only his or her own applications."""
    filed = await svc.apps.SubmitApplication(
        pb.SubmitApplicationRequest(applicant=applicant(), content=content()), metadata=svc.as_user(CITIZEN)
    )
    app_id = filed.application.id
    complete = pb.CompleteApplicationRequest(application_id=app_id, content="x")
    for call in (
        svc.apps.GetApplication(pb.GetApplicationRequest(application_id=app_id), metadata=other_citizen),
        svc.apps.RenderReply(pb.RenderReplyRequest(application_id=app_id), metadata=other_citizen),
        svc.apps.CompleteApplication(complete, metadata=other_citizen),
        # the portal's own identity reads nothing by id, only by the applicant's code
        svc.apps.GetApplication(
            pb.GetApplicationRequest(application_id=app_id), metadata=svc.as_service("portal")
        ),
    ):
        assert (await rpc_error(call)).code() == grpc.StatusCode.PERMISSION_DENIED
    theirs = await svc.apps.ListMyApplications(pb.ListMyApplicationsRequest(), metadata=other_citizen)
    assert list(theirs.applications) == []
    wrong = await rpc_error(
        svc.apps.FollowApplication(
            pb.FollowApplicationRequest(query_code="AAAA-BBBB-CCCC-DDDD"), metadata=other_citizen
        )
    )
    assert wrong.code() == grpc.StatusCode.NOT_FOUND
    officer = await svc.apps.GetApplication(
        pb.GetApplicationRequest(application_id=app_id), metadata=svc.as_user(OFFICER)
    )
    assert [h.act for h in officer.history] == [
        "application.submitted",
        "application.read.denied",
        "application.read.denied",
        "application.read.denied",
        "application.read.denied",
        "application.read",
    ]
    listing = await rpc_error(svc.apps.ListApplications(pb.ListApplicationsRequest(), metadata=other_citizen))
    assert listing.code() == grpc.StatusCode.PERMISSION_DENIED

    # without an account, through the portal: no owner; followed by its code only
    anonymous = await svc.apps.SubmitApplication(
        pb.SubmitApplicationRequest(applicant=applicant(name="匿名者"), content=content()),
        metadata=svc.as_service("portal"),
    )
    assert not anonymous.application.filed_with_account
    portal_list = await rpc_error(
        svc.apps.ListMyApplications(pb.ListMyApplicationsRequest(), metadata=svc.as_service("portal"))
    )
    assert portal_list.code() == grpc.StatusCode.INVALID_ARGUMENT
    followed = await svc.apps.FollowApplication(
        pb.FollowApplicationRequest(query_code=anonymous.query_code), metadata=svc.as_service("portal")
    )
    assert followed.applicant.name == "匿名者"


# ---- art. 33: one extension, approved by the head ----------------------------------------------------------


async def test_OGI33_one_extension_by_the_head_second_refused_and_into_2027_provisional(
    svc, service_day, events
):
    service_day["today"] = date(2026, 11, 26)
    filed = await register(svc, date(2026, 11, 26))
    app = filed.application
    assert day(app.reply_due.due) == date(2026, 12, 24) and not app.reply_due.provisional
    request = pb.ExtendReplyLimitRequest(
        application_id=app.id,
        working_days=20,
        reason="涉及多个部门，需调取档案",
        notice="已向申请人送达延期答复告知书",
    )
    officer = await rpc_error(svc.apps.ExtendReplyLimit(request, metadata=svc.as_user(OFFICER)))
    assert officer.code() == grpc.StatusCode.PERMISSION_DENIED  # the head approves, not the officer
    service_day["today"] = date(2026, 12, 1)
    extended = await svc.apps.ExtendReplyLimit(request, metadata=svc.as_user(HEAD))
    # 2027 has no official schedule yet: weekends only, marked provisional
    assert extended.reply_due.working_days == 40 and extended.reply_due.provisional
    assert day(extended.reply_due.due) == date(2027, 1, 21) and extended.extension.notice
    # the applicant's written notices: the receipt and the extension (art. 33: the applicant is told)
    receipt = await svc.apps.RenderNotice(
        pb.RenderNoticeRequest(query_code=filed.query_code, kind=pb.NOTICE_KIND_RECEIPT),
        metadata=svc.as_service("portal"),
    )
    assert "2026年12月24日前" in pdf_text(receipt.pdf)
    notice = await svc.apps.RenderNotice(
        pb.RenderNoticeRequest(query_code=filed.query_code, kind=pb.NOTICE_KIND_EXTENSION),
        metadata=svc.as_service("portal"),
    )
    text = pdf_text(notice.pdf)
    assert (
        "延长20个工作日" in text
        and "2027年1月21日前" in text
        and notice.file_name.endswith("延期答复告知书.pdf")
    )
    second = await rpc_error(
        svc.apps.ExtendReplyLimit(
            pb.ExtendReplyLimitRequest(application_id=app.id, working_days=5, reason="再延", notice="告知"),
            metadata=svc.as_user(HEAD),
        )
    )
    assert second.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rule_id_of(second) == "OGI33.extension-once"
    seen = await read_events(
        events,
        "DISCLOSURE",
        "disclosure.>",
        until=lambda es: "disclosure.application.extended" in subjects(es),
    )
    assert subjects(seen) == ["disclosure.application.received", "disclosure.application.extended"]

    # the 2027 schedule arrives (1 and 4 January holidays, say): the stored limit gets the official day
    known = calendar().with_schedules(
        YearSchedule(2027, {date(2027, 1, 1): "元旦", date(2027, 1, 4): "元旦"})
    )
    engine = create_engine(svc.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            assert await application_acts.recompute_provisional(session, known) == 1
        async with engine.connect() as conn:
            due, provisional = (
                await conn.execute(sa.text("SELECT reply_due, reply_due_provisional FROM info_application"))
            ).one()
        assert (due, provisional) == (date(2027, 1, 25), False)
        async with transaction(session_factory(engine)) as session:
            assert await application_acts.recompute_provisional(session, known) == 0
    finally:
        await engine.dispose()


# ---- art. 30: one request to complete; the clock restarts, or the application lapses ----------------------


async def test_OGI30_request_to_complete_within_7_working_days_and_the_clock_restarts_on_completion(
    svc, service_day, events
):
    filed = await register(svc, date(2025, 9, 26))
    late = (await register(svc, date(2025, 9, 26))).application
    service_day["today"] = date(2025, 10, 14)  # the 8th working day after 26 September
    too_late = await rpc_error(
        svc.apps.RequestCompletion(
            pb.RequestCompletionRequest(application_id=late.id, items="请写明小区名称"),
            metadata=svc.as_user(OFFICER),
        )
    )
    assert rule_id_of(too_late) == "OGI30.seven-working-days"
    asked = await svc.apps.RequestCompletion(
        pb.RequestCompletionRequest(
            application_id=filed.application.id,
            items="请写明小区名称",
            period_working_days=10,
            requested_on=d(date(2025, 10, 13)),
        ),
        metadata=svc.as_user(OFFICER),
    )
    assert asked.state == pb.APPLICATION_STATE_AWAITING_COMPLETION and not asked.HasField("reply_due")
    assert day(asked.completion.due) == date(2025, 10, 27)
    notice = await svc.apps.RenderNotice(
        pb.RenderNoticeRequest(query_code=filed.query_code, kind=pb.NOTICE_KIND_COMPLETION),
        metadata=svc.as_service("portal"),
    )
    text = pdf_text(notice.pdf)
    assert "请写明小区名称" in text and "2025年10月27日前" in text and "视为放弃申请" in text
    none = await rpc_error(
        svc.apps.RenderNotice(
            pb.RenderNoticeRequest(query_code=filed.query_code, kind=pb.NOTICE_KIND_EXTENSION),
            metadata=svc.as_service("portal"),
        )
    )
    assert none.code() == grpc.StatusCode.NOT_FOUND

    service_day["today"] = date(2025, 10, 20)
    completed = await svc.apps.CompleteApplication(
        pb.CompleteApplicationRequest(query_code=filed.query_code, content="雁江区三贤祠街道各小区"),
        metadata=svc.as_service("portal"),
    )
    assert completed.state == pb.APPLICATION_STATE_RECEIVED
    assert day(completed.reply_due.start) == date(2025, 10, 20)  # restarts from the completion
    assert day(completed.reply_due.due) == date(2025, 11, 17)
    once = await rpc_error(
        svc.apps.RequestCompletion(
            pb.RequestCompletionRequest(application_id=filed.application.id, items="再补正"),
            metadata=svc.as_user(OFFICER),
        )
    )
    assert rule_id_of(once) == "OGI30.one-request"
    seen = await read_events(
        events,
        "DISCLOSURE",
        "disclosure.>",
        until=lambda es: "disclosure.application.completed" in subjects(es),
    )
    assert "disclosure.application.completion-requested" in subjects(seen)
    (done,) = [e for e in seen if e.subject == "disclosure.application.completed"]
    assert not done.HasField("actor")  # the applicant's own act names nobody


async def test_OGI30_application_never_completed_lapses_by_itself_once_with_an_event(
    svc, service_day, events
):
    filed = await register(svc, date(2025, 9, 26))
    service_day["today"] = date(2025, 10, 13)
    asked = await svc.apps.RequestCompletion(
        pb.RequestCompletionRequest(application_id=filed.application.id, items="请写明年份"),
        metadata=svc.as_user(OFFICER),
    )
    assert day(asked.completion.due) == date(2025, 11, 3)  # 15 working days unless the office sets one
    service_day["today"] = date(2025, 11, 4)  # nobody reads: the sweep lapses it
    seen = await read_events(
        events, "DISCLOSURE", "disclosure.>", until=lambda es: "disclosure.application.lapsed" in subjects(es)
    )
    (lapsed,) = [e for e in seen if e.subject == "disclosure.application.lapsed"]
    message = pb.ApplicationLapsed()
    lapsed.payload.Unpack(message)
    assert day(message.lapsed_on) == date(2025, 11, 4)
    assert message.application.state == pb.APPLICATION_STATE_LAPSED
    after = await rpc_error(
        svc.apps.CompleteApplication(
            pb.CompleteApplicationRequest(query_code=filed.query_code, content="2025年"),
            metadata=svc.as_service("portal"),
        )
    )
    assert rule_id_of(after) == "OGI30.lapsed"
    read = await svc.apps.GetApplication(
        pb.GetApplicationRequest(application_id=filed.application.id), metadata=svc.as_user(OFFICER)
    )
    assert read.state == pb.APPLICATION_STATE_LAPSED
    await asyncio.sleep(1)  # more sweeps pass
    seen = await read_events(events, "DISCLOSURE", "disclosure.>", until=lambda es: False, timeout=2)
    assert subjects(seen).count("disclosure.application.lapsed") == 1


# ---- art. 32, 15: the third party's time is not counted; its objection -------------------------------------


async def test_OGI32_OGI15_third_party_time_not_counted_and_objection_needs_public_interest(svc, service_day):
    app = (await register(svc, date(2025, 9, 26))).application
    service_day["today"] = date(2025, 10, 14)
    consulting = await svc.apps.StartConsultation(
        pb.StartConsultationRequest(
            application_id=app.id,
            party=pb.CONSULTED_PARTY_THIRD_PARTY,
            party_name="资阳某建设公司",
            sent_on=d(date(2025, 10, 13)),
        ),
        metadata=svc.as_user(OFFICER),
    )
    assert consulting.state == pb.APPLICATION_STATE_CONSULTING and consulting.reply_due.paused
    assert consulting.reply_due.working_days == 35  # at most the party's 15 working days
    (c,) = consulting.consultations
    assert day(c.answer_due) == date(2025, 11, 3)
    service_day["today"] = date(2025, 10, 17)
    answered = await svc.apps.RecordOpinion(
        pb.RecordOpinionRequest(
            application_id=app.id,
            consultation_id=c.id,
            answer=pb.CONSULTATION_ANSWER_OBJECTS,
            opinion="涉及商业秘密，不同意公开",
        ),
        metadata=svc.as_user(OFFICER),
    )
    assert answered.state == pb.APPLICATION_STATE_RECEIVED and not answered.reply_due.paused
    # 14–17 October (4 working days) are not counted: 30 October + 4 working days
    assert answered.reply_due.working_days == 24 and day(answered.reply_due.due) == date(2025, 11, 5)

    provided = pb.Reply(kind=pb.REPLY_KIND_PROVIDED, provided="施工合同文本")
    missing = await rpc_error(
        svc.apps.ReplyToApplication(
            pb.ReplyToApplicationRequest(application_id=app.id, reply=provided), metadata=svc.as_user(OFFICER)
        )
    )
    assert set(field_violations_of(missing)) == {
        "reply.public_interest_reason",
        "reply.third_party_notified_on",
    }
    replied = await svc.apps.ReplyToApplication(
        pb.ReplyToApplicationRequest(
            application_id=app.id,
            reply=pb.Reply(
                kind=pb.REPLY_KIND_NOT_DISCLOSED,
                exemption=pb.EXEMPTION_THIRD_PARTY_RIGHTS,
                reason="第三方书面说明该信息属于其商业秘密，且不公开不会对公共利益造成重大影响",
            ),
        ),
        metadata=svc.as_user(OFFICER),
    )
    assert replied.state == pb.APPLICATION_STATE_REPLIED


async def test_OGI35_reasons_asked_first_then_refused_or_deferred(svc, service_day):
    one = (await register(svc, date(2025, 9, 26))).application
    two = (await register(svc, date(2025, 9, 26))).application
    service_day["today"] = date(2025, 10, 9)
    excessive = pb.Reply(kind=pb.REPLY_KIND_EXCESSIVE, reason="一个月内申请四百余件，未说明合理理由")
    first = await rpc_error(
        svc.apps.ReplyToApplication(
            pb.ReplyToApplicationRequest(application_id=one.id, reply=excessive),
            metadata=svc.as_user(OFFICER),
        )
    )
    assert rule_id_of(first) == "OGI35.reasons-first"
    for app in (one, two):
        await svc.apps.RequestReasons(
            pb.RequestReasonsRequest(application_id=app.id, note="请说明申请用途及数量理由"),
            metadata=svc.as_user(OFFICER),
        )
    refused_reply = await svc.apps.ReplyToApplication(
        pb.ReplyToApplicationRequest(application_id=one.id, reply=excessive), metadata=svc.as_user(OFFICER)
    )
    assert refused_reply.reply.kind == pb.REPLY_KIND_EXCESSIVE
    deferred = await svc.apps.DeferReply(
        pb.DeferReplyRequest(
            application_id=two.id, deferred_to=d(date(2025, 12, 31)), notice="理由合理，将于12月31日前答复"
        ),
        metadata=svc.as_user(OFFICER),
    )
    assert deferred.reply_due.deferred and day(deferred.reply_due.due) == date(2025, 12, 31)
    notice = await svc.apps.RenderNotice(
        pb.RenderNoticeRequest(application_id=two.id, kind=pb.NOTICE_KIND_DEFERRAL),
        metadata=svc.as_user(OFFICER),
    )
    assert "2025年12月31日前" in pdf_text(notice.pdf)


# ---- art. 36–39 and 14–16: each kind of reply, the letter, the remedies -----------------------------------

COMPLETE = {
    pb.REPLY_KIND_ALREADY_PUBLISHED: pb.Reply(published_at="资阳市人民政府网站“政府信息公开”专栏"),
    pb.REPLY_KIND_PROVIDED: pb.Reply(provided="项目清单一份，可在门户下载"),
    pb.REPLY_KIND_PARTLY_PROVIDED: pb.Reply(
        provided="项目清单",
        withheld=[
            pb.WithheldPart(
                part="住户姓名及电话", exemption=pb.EXEMPTION_THIRD_PARTY_RIGHTS, reason="属于个人隐私"
            )
        ],
    ),
    pb.REPLY_KIND_NOT_DISCLOSED: pb.Reply(exemption=pb.EXEMPTION_PROCESS_INFORMATION, reason="讨论记录"),
    pb.REPLY_KIND_DOES_NOT_EXIST: pb.Reply(reason="经检索本机关档案系统及公文系统"),
    pb.REPLY_KIND_NOT_HELD: pb.Reply(
        reason="属区级事权", holder_name="雁江区人民政府", holder_contact="028-0000000"
    ),
    pb.REPLY_KIND_REPEATED: pb.Reply(earlier_application="资府办依申复〔2024〕3号所答复的申请"),
    pb.REPLY_KIND_SPECIAL_LAW: pb.Reply(
        special_law="《不动产登记暂行条例》", reason="请向资阳市不动产登记中心申请查询"
    ),
    pb.REPLY_KIND_NEEDS_PROCESSING: pb.Reply(reason="需对多年数据汇总分析"),
    pb.REPLY_KIND_STILL_UNCLEAR: pb.Reply(reason="补正后仍未说明所指项目"),
    pb.REPLY_KIND_NOT_AN_APPLICATION: pb.Reply(reason="属于投诉举报，请通过12345热线反映"),
    pb.REPLY_KIND_PUBLICATION_REQUEST: pb.Reply(
        published_at="《资阳市人民政府公报》2025年第6期，市档案馆可查阅"
    ),
}
REQUIRED = {
    pb.REPLY_KIND_ALREADY_PUBLISHED: {"reply.published_at"},
    pb.REPLY_KIND_PROVIDED: {"reply.provided"},
    pb.REPLY_KIND_PARTLY_PROVIDED: {"reply.provided", "reply.withheld"},
    pb.REPLY_KIND_NOT_DISCLOSED: {"reply.exemption", "reply.reason"},
    pb.REPLY_KIND_DOES_NOT_EXIST: {"reply.reason"},
    pb.REPLY_KIND_NOT_HELD: {"reply.reason"},
    pb.REPLY_KIND_REPEATED: {"reply.earlier_application"},
    pb.REPLY_KIND_SPECIAL_LAW: {"reply.special_law", "reply.reason"},
    pb.REPLY_KIND_NEEDS_PROCESSING: {"reply.reason"},
    pb.REPLY_KIND_STILL_UNCLEAR: {"reply.reason"},
    pb.REPLY_KIND_NOT_AN_APPLICATION: {"reply.reason"},
    pb.REPLY_KIND_PUBLICATION_REQUEST: {"reply.published_at"},
}


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


async def test_OGI36_OGI37_OGI38_OGI39_each_reply_kind_needs_its_fields_and_gives_a_letter_with_remedies(
    svc, service_day, events
):
    service_day["today"] = date(2025, 10, 20)
    for kind, complete in COMPLETE.items():
        filed = await register(svc, date(2025, 10, 9))
        app_id = filed.application.id
        empty = await rpc_error(
            svc.apps.ReplyToApplication(
                pb.ReplyToApplicationRequest(application_id=app_id, reply=pb.Reply(kind=kind)),
                metadata=svc.as_user(OFFICER),
            )
        )
        assert empty.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(field_violations_of(empty)) == REQUIRED[kind], pb.ReplyKind.Name(kind)
        reply = pb.Reply()
        reply.CopyFrom(complete)
        reply.kind = kind
        replied = await svc.apps.ReplyToApplication(
            pb.ReplyToApplicationRequest(
                application_id=app_id, reply=reply, replied_on=d(date(2025, 10, 17))
            ),
            metadata=svc.as_user(OFFICER),
        )
        assert replied.state == pb.APPLICATION_STATE_REPLIED and replied.reply.kind == kind
        assert replied.reply.letter_number.startswith("资府办依申复〔2025〕")
        # the applicant downloads the letter by code; it tells the right to review and to sue
        letter = await svc.apps.RenderReply(
            pb.RenderReplyRequest(query_code=filed.query_code), metadata=svc.as_service("portal")
        )
        assert letter.pdf.startswith(b"%PDF") and letter.file_name.endswith(".pdf")
        if kind in (pb.REPLY_KIND_NOT_DISCLOSED, pb.REPLY_KIND_NOT_HELD):
            text = pdf_text(letter.pdf)
            assert "60日内" in text and "行政复议" in text and "6个月内" in text and "行政诉讼" in text
            assert "不收取费用" in text
        again = await rpc_error(
            svc.apps.ReplyToApplication(
                pb.ReplyToApplicationRequest(application_id=app_id, reply=reply),
                metadata=svc.as_user(OFFICER),
            )
        )
        assert again.code() == grpc.StatusCode.INVALID_ARGUMENT
    seen = await read_events(
        events,
        "DISCLOSURE",
        "disclosure.>",
        until=lambda es: subjects(es).count("disclosure.application.replied") == len(COMPLETE),
    )
    assert subjects(seen).count("disclosure.application.replied") == len(COMPLETE)
    unanswered = await register(svc, date(2025, 10, 9))
    not_yet = await rpc_error(
        svc.apps.RenderReply(
            pb.RenderReplyRequest(query_code=unanswered.query_code), metadata=svc.as_service("portal")
        )
    )
    assert not_yet.code() == grpc.StatusCode.NOT_FOUND


async def test_A64_OGI33_the_reply_event_names_the_body_that_handled_it_and_whether_it_was_late(
    svc, service_day, events
):
    """supervision counts each reply for the body that handled the application — the replying officer's
    organisation (in the demo the general office's disclosure officer) — on time or late against the limit
    in force that day (A64: replies within the legal limit)."""
    service_day["today"] = date(2025, 11, 10)
    in_time = (await register(svc, date(2025, 10, 9))).application
    late = (await register(svc, date(2025, 9, 26))).application  # due 30 October
    for app, replied in ((in_time, date(2025, 10, 17)), (late, date(2025, 11, 10))):
        await svc.apps.ReplyToApplication(
            pb.ReplyToApplicationRequest(
                application_id=app.id,
                reply=pb.Reply(kind=pb.REPLY_KIND_PROVIDED, provided="项目清单一份"),
                replied_on=d(replied),
            ),
            metadata=svc.as_user(OFFICER),
        )
    seen = await read_events(
        events,
        "DISCLOSURE",
        "disclosure.>",
        until=lambda es: subjects(es).count("disclosure.application.replied") == 2,
    )
    answers = {}
    for envelope in seen:
        if envelope.subject == "disclosure.application.replied":
            message = pb.ApplicationReplied()
            envelope.payload.Unpack(message)
            answers[message.application.application_id] = (message.handling_body_code, message.late)
    assert answers == {in_time.id: ("general-office", False), late.id: ("general-office", True)}


async def test_OGI14_OGI15_OGI16_not_disclosed_under_each_exemption_and_counted_in_the_yearly_report(
    svc, service_day, events
):
    """Art. 14–16 replies end to end, then the art. 49–50 report of 2025 counts them by row and column,
    with a review and a lawsuit recorded against them; published by event, read by citizens."""
    service_day["today"] = date(2025, 12, 1)
    exemptions = [
        pb.EXEMPTION_STATE_SECRET,
        pb.EXEMPTION_LAW_FORBIDS,
        pb.EXEMPTION_SECURITY_STABILITY,
        pb.EXEMPTION_THIRD_PARTY_RIGHTS,
        pb.EXEMPTION_INTERNAL_AFFAIRS,
        pb.EXEMPTION_PROCESS_INFORMATION,
        pb.EXEMPTION_LAW_ENFORCEMENT_FILE,
    ]
    replied_ids = []
    for exemption in exemptions:
        app = (
            await register(
                svc,
                date(2025, 11, 20),
                who=applicant(
                    kind=pb.APPLICANT_KIND_LEGAL_SERVICE_ORGANISATION,
                    name="某律师事务所",
                    contact_person="王律师",
                ),
            )
        ).application
        replied = await svc.apps.ReplyToApplication(
            pb.ReplyToApplicationRequest(
                application_id=app.id,
                reply=pb.Reply(kind=pb.REPLY_KIND_NOT_DISCLOSED, exemption=exemption, reason="依法不予公开"),
            ),
            metadata=svc.as_user(OFFICER),
        )
        assert replied.reply.exemption == exemption
        replied_ids.append(app.id)
    await register(svc, date(2025, 12, 1))  # open at the end of the year: carried forward
    withdrawn = await register(svc, date(2025, 11, 20))  # the applicant withdraws it: 其他处理 3
    out = await svc.apps.WithdrawApplication(
        pb.WithdrawApplicationRequest(query_code=withdrawn.query_code, reason="已通过其他途径获取"),
        metadata=svc.as_service("portal"),
    )
    assert out.state == pb.APPLICATION_STATE_WITHDRAWN and day(out.withdrawn_on) == date(2025, 12, 1)
    twice = await rpc_error(
        svc.apps.WithdrawApplication(
            pb.WithdrawApplicationRequest(query_code=withdrawn.query_code), metadata=svc.as_service("portal")
        )
    )
    assert twice.code() == grpc.StatusCode.INVALID_ARGUMENT
    review = await svc.apps.RecordRemedy(
        pb.RecordRemedyRequest(
            application_id=replied_ids[0], kind=pb.REMEDY_KIND_REVIEW, filed_on=d(date(2025, 12, 1))
        ),
        metadata=svc.as_user(OFFICER),
    )
    (remedy,) = review.remedies
    assert remedy.outcome == pb.REMEDY_OUTCOME_PENDING
    service_day["today"] = date(2026, 1, 20)
    await svc.apps.RecordRemedy(
        pb.RecordRemedyRequest(
            application_id=replied_ids[0],
            remedy_id=remedy.id,
            outcome=pb.REMEDY_OUTCOME_UPHELD,
            decided_on=d(date(2026, 1, 15)),
        ),
        metadata=svc.as_user(OFFICER),
    )

    early = await rpc_error(
        svc.apps.GenerateAnnualReport(
            pb.GenerateAnnualReportRequest(year=2026), metadata=svc.as_user(OFFICER)
        )
    )
    assert rule_id_of(early) == "OGI49.year-ended"
    citizen = await rpc_error(
        svc.apps.GenerateAnnualReport(
            pb.GenerateAnnualReportRequest(year=2025), metadata=svc.as_user(CITIZEN)
        )
    )
    assert citizen.code() == grpc.StatusCode.PERMISSION_DENIED
    report = await svc.apps.GenerateAnnualReport(
        pb.GenerateAnnualReportRequest(
            year=2025,
            overview="2025年，本机关认真贯彻政府信息公开条例……",
            entered=pb.ProactiveFigures(licensing_decisions=120, fees_collected_wan_yuan="0"),
        ),
        metadata=svc.as_user(OFFICER),
    )
    columns = [c.key for c in report.columns]
    rows = {r.key: dict(zip(columns, r.counts)) for r in report.rows}
    assert rows["new"]["legal_service_organisation"] == 7 and rows["new"]["total"] == 9
    for key in (
        "state_secret",
        "law_forbids",
        "security_stability",
        "third_party_rights",
        "internal_affairs",
        "process_information",
        "law_enforcement_file",
    ):
        assert rows[f"not_disclosed.{key}"]["legal_service_organisation"] == 1, key
    assert rows["other.other"]["natural_person"] == 1
    assert rows["total"]["total"] == 8 and rows["carried_out"]["total"] == 1
    (review_row,) = [r for r in report.remedies if r.kind == pb.REMEDY_KIND_REVIEW]
    assert review_row.upheld == 1 and review_row.total == 1
    assert report.proactive.licensing_decisions == 120
    assert day(report.publish_by) == date(2026, 1, 31) and not report.published_late and report.version == 1

    read = await svc.apps.GetAnnualReport(pb.GetAnnualReportRequest(year=2025), metadata=svc.as_user(CITIZEN))
    assert read.rows == report.rows
    listed = await svc.apps.ListAnnualReports(
        pb.ListAnnualReportsRequest(), metadata=svc.as_service("portal")
    )
    assert [r.year for r in listed.reports] == [2025] and not listed.reports[0].rows
    seen = await read_events(
        events, "DISCLOSURE", "disclosure.>", until=lambda es: "disclosure.report.published" in subjects(es)
    )
    assert "disclosure.application.withdrawn" in subjects(seen)
    (published,) = [e for e in seen if e.subject == "disclosure.report.published"]
    message = pb.AnnualReportPublished()
    published.payload.Unpack(message)
    assert message.report.year == 2025 and message.report.rows == report.rows


# ---- art. 41: requests for correction ---------------------------------------------------------------


async def test_OGI41_request_for_correction_needs_evidence_gets_a_correction_reply_and_no_report_row(
    svc, service_day
):
    service_day["today"] = date(2025, 11, 3)
    wanted = content(
        description="贵机关公开的行政许可决定中本公司法定代表人记载有误", kind=pb.REQUEST_KIND_CORRECTION
    )
    company = applicant(
        kind=pb.APPLICANT_KIND_COMMERCIAL_ENTERPRISE,
        name="资阳某科技有限公司",
        id_number="91512000MA000000X",
        contact_person="王经理",
    )
    no_evidence = await rpc_error(
        svc.apps.SubmitApplication(
            pb.SubmitApplicationRequest(applicant=company, content=wanted), metadata=svc.as_user(CITIZEN)
        )
    )
    assert set(field_violations_of(no_evidence)) == {"evidence"}
    wanted.evidence = "营业执照副本（2024年变更登记）载明法定代表人为王某"
    filed = await svc.apps.SubmitApplication(
        pb.SubmitApplicationRequest(applicant=company, content=wanted), metadata=svc.as_user(CITIZEN)
    )
    assert filed.application.content.kind == pb.REQUEST_KIND_CORRECTION
    app_id = filed.application.id
    await svc.apps.ConfirmReceipt(
        pb.ConfirmReceiptRequest(application_id=app_id), metadata=svc.as_user(OFFICER)
    )
    wrong = await rpc_error(
        svc.apps.ReplyToApplication(
            pb.ReplyToApplicationRequest(
                application_id=app_id, reply=pb.Reply(kind=pb.REPLY_KIND_PROVIDED, provided="许可决定")
            ),
            metadata=svc.as_user(OFFICER),
        )
    )
    assert set(field_violations_of(wrong)) == {"reply.kind"}
    corrected = await svc.apps.ReplyToApplication(
        pb.ReplyToApplicationRequest(
            application_id=app_id,
            reply=pb.Reply(
                kind=pb.REPLY_KIND_CORRECTED, reason="已将该行政许可决定公开信息中的法定代表人更正为王某"
            ),
        ),
        metadata=svc.as_user(OFFICER),
    )
    assert corrected.state == pb.APPLICATION_STATE_REPLIED
    letter = await svc.apps.RenderReply(
        pb.RenderReplyRequest(application_id=app_id), metadata=svc.as_user(CITIZEN)
    )
    text = pdf_text(letter.pdf)
    assert "更正申请" in text and "第四十一条" in text and "行政复议" in text
    service_day["today"] = date(2026, 1, 5)
    report = await svc.apps.GenerateAnnualReport(
        pb.GenerateAnnualReportRequest(year=2025), metadata=svc.as_user(OFFICER)
    )
    assert all(sum(r.counts) == 0 for r in report.rows)  # the template counts applications for information


# ---- one application per submit: the idempotency key ------------------------------------------------


async def test_OGI29_two_concurrent_submits_with_one_key_file_one_application(svc, service_day):
    """A form sent twice (or a retry after a lost answer) with one idempotency key files once, with and
    without an account; the second answer is the first application, `replayed`, without a query code
    (only its hash is kept). The key with other content is refused; another key files anew."""
    service_day["today"] = date(2025, 11, 3)
    for caller in (svc.as_service("portal"), svc.as_user(CITIZEN)):
        key = uuid.uuid4().hex
        submit = pb.SubmitApplicationRequest(applicant=applicant(), content=content(), idempotency_key=key)
        answers = await asyncio.gather(
            *(svc.apps.SubmitApplication(submit, metadata=caller) for _ in range(2))
        )
        first, second = sorted(answers, key=lambda a: a.replayed)
        assert not first.replayed and len(first.query_code) == 19
        assert second.replayed and second.query_code == ""
        assert second.application.id == first.application.id
        assert second.application.number == first.application.number
        again = await svc.apps.SubmitApplication(submit, metadata=caller)
        assert again.replayed and again.application.id == first.application.id
        other = await rpc_error(
            svc.apps.SubmitApplication(
                pb.SubmitApplicationRequest(
                    applicant=applicant(), content=content(description="另一项信息"), idempotency_key=key
                ),
                metadata=caller,
            )
        )
        assert set(field_violations_of(other)) == {"idempotency_key"}
    bad = await rpc_error(
        svc.apps.SubmitApplication(
            pb.SubmitApplicationRequest(applicant=applicant(), content=content(), idempotency_key="short"),
            metadata=svc.as_user(CITIZEN),
        )
    )
    assert set(field_violations_of(bad)) == {"idempotency_key"}
    engine = create_engine(svc.database_url)
    try:
        async with engine.connect() as conn:
            filed = await conn.scalar(sa.text("SELECT count(*) FROM info_application"))
    finally:
        await engine.dispose()
    assert filed == 2  # one anonymous, one under the account


# ---- art. 50: the yearly report's rules and normative documents from the catalogue ------------------


async def test_OGI50_rules_and_normative_documents_made_repealed_in_force_counted_from_the_catalogue(
    keycloak, disclosure, jetstream, service_day
):
    """二、主动公开: a rule (its draft opened for comment, A22), normative documents filed (A24) and added by
    the officer, one repealed by the documents' clean-up (A25), one made the year before; the report on
    this year counts them from the catalogue; figures typed in for them are ignored, licences stay
    typed in."""
    from tests.fixtures.polling import eventually
    from tests.integration.disclosure.conftest import publish_documents_event
    from tests.integration.disclosure.test_publications_api import TODAY, issued_document, queued_from
    from zgov.disclosure.v1 import publications_pb2 as ppb
    from zgov.documents.v1 import documents_pb2
    from zgov.documents.v1 import events_pb2 as documents_events

    this_year = TODAY.year
    officer = disclosure.as_user(OFFICER)

    async def publish(pid: str) -> None:
        await disclosure.publications.PublishPublication(
            ppb.PublishPublicationRequest(publication_id=pid), metadata=officer
        )

    rule_id, normative_id = str(uuid.uuid4()), str(uuid.uuid4())
    rule = issued_document(
        rule_id,
        signed_on=TODAY,
        title="资阳市城市供水管理办法",
        authority=documents_pb2.SIGN_OFF_AUTHORITY_GOVERNMENT_RULE,
    )
    await publish_documents_event(
        jetstream,
        "documents.rule.comment-opened",
        documents_events.RuleCommentOpened(document=rule, until=d(TODAY)),
        document_id=rule_id,
    )
    await publish_documents_event(
        jetstream,
        "documents.document.issued",
        documents_events.DocumentIssued(
            document=rule,
            document_number="资府发〔2026〕30号",
            disclosure=documents_pb2.DISCLOSURE_ATTRIBUTE_PROACTIVE,
        ),
        document_id=rule_id,
    )
    normative = issued_document(
        normative_id,
        signed_on=TODAY,
        title="资阳市城市管理规定",
        authority=documents_pb2.SIGN_OFF_AUTHORITY_NORMATIVE_DOCUMENT,
    )
    await publish_documents_event(
        jetstream,
        "documents.normative.filed",
        documents_events.NormativeFiled(
            document=normative,
            filing=documents_pb2.Filing(
                filed_with=documents_pb2.FILING_BODY_PEOPLES_CONGRESS_STANDING_COMMITTEE,
                filing_reference="资人备〔2026〕5号",
            ),
        ),
        document_id=normative_id,
    )
    for document_id in (rule_id, normative_id):
        (queued,) = await eventually(lambda: queued_from(disclosure, document_id))
        await publish(queued.id)
    normative.cleanup.CopyFrom(
        documents_pb2.CleanupRecord(decision=documents_pb2.CLEANUP_DECISION_REPEAL, reason="上位法已修改")
    )
    await publish_documents_event(
        jetstream,
        "documents.normative.cleaned-up",
        documents_events.NormativeCleanedUp(
            document=normative, decision=documents_pb2.CLEANUP_DECISION_REPEAL
        ),
        document_id=normative_id,
    )
    for made in (TODAY, date(this_year - 1, 5, 4)):  # added by the officer: in force
        added = await disclosure.publications.CreatePublication(
            ppb.CreatePublicationRequest(
                content=ppb.PublicationContent(
                    kind=ppb.PUBLICATION_KIND_POLICY,
                    category=ppb.CATEGORY_RULES_AND_NORMATIVE_DOCUMENTS,
                    normative=True,
                    title=f"资阳市规范性文件{made.year}",
                    body="第一条",
                    issuer_code="general-office",
                    issuer_name="资阳市人民政府办公室",
                    document_number=f"资府规〔{made.year}〕1号",
                    made_on=d(made),
                )
            ),
            metadata=officer,
        )
        await publish(added.id)

    async def repealed() -> bool:
        reply = await disclosure.publications.ListPublications(
            ppb.ListPublicationsRequest(filter=ppb.PublicationFilter(validity=ppb.VALIDITY_REPEALED)),
            metadata=officer,
        )
        return len(reply.publications) == 1

    assert await eventually(repealed)

    service_day["today"] = date(this_year + 1, 1, 10)
    apps = applications_pb2_grpc.ApplicationServiceStub(disclosure.channel)
    report = await apps.GenerateAnnualReport(
        pb.GenerateAnnualReportRequest(
            year=this_year,
            entered=pb.ProactiveFigures(
                rules_made=99, normative_repealed=99, licensing_decisions=7, fees_collected_wan_yuan="1.5"
            ),
        ),
        metadata=officer,
    )
    p = report.proactive
    assert (p.rules_made, p.rules_repealed, p.rules_in_force) == (1, 0, 1)
    assert (p.normative_made, p.normative_repealed, p.normative_in_force) == (2, 1, 2)
    assert (p.licensing_decisions, p.fees_collected_wan_yuan) == (7, "1.5")
    earlier = await apps.GenerateAnnualReport(
        pb.GenerateAnnualReportRequest(year=this_year - 1), metadata=officer
    )
    q = earlier.proactive
    assert (q.rules_made, q.normative_made, q.normative_repealed, q.normative_in_force) == (0, 1, 0, 1)
