"""Telling people (issue 20), through real NATS, a real SMTP server and a local HTTP receiver standing for
the SMS gateway and the 企业微信 / 钉钉 webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa
from nats.js.errors import NotFoundError

from services.notify.acts.notices import plan_all
from services.notify.domain.notices import Channel, Kind, Notice, Target, Urgency
from shared.consumer import EventConsumer, batch_handler
from shared.convert import date_to_proto as d
from shared.errors import error_info_of, field_violations_of
from shared.outbox import MSG_ID_HEADER, build_envelope
from shared.streams import stream_name
from services.petitions.__main__ import build as build_petitions
from services.petitions.config import PetitionsSettings
from tests.fixtures.org import serving
from tests.fixtures.polling import at_least, eventually
from tests.integration.notify.conftest import DINGTALK_SECRET
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.meetings.v1 import events_pb2 as meetings_events
from zgov.meetings.v1 import meetings_pb2
from zgov.notify.v1 import notify_pb2 as pb
from zgov.org.v1 import events_pb2 as org_events
from zgov.org.v1 import org_pb2
from zgov.org.v1 import trips_pb2
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.petitions.v1 import petitions_pb2, petitions_pb2_grpc
from zgov.supervision.v1 import circulars_pb2
from zgov.supervision.v1 import events_pb2 as supervision_events
from zgov.supervision.v1 import supervision_pb2

pytestmark = pytest.mark.integration

CHINA = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(CHINA).date()


def refused_topic(title: str = "关于城区停车收费调整的议题") -> meetings_events.TopicRefused:
    return meetings_events.TopicRefused(
        topic=meetings_pb2.Topic(
            id=str(uuid.uuid4()),
            meeting_id=str(uuid.uuid4()),
            title=title,
            owning_organisation_code="education-bureau",
            decision_reason="请先征求相关部门意见。",
        )
    )


async def deliveries(s, **where) -> list:
    async with s.sessions() as session:
        query = "SELECT * FROM delivery" + (
            " WHERE " + " AND ".join(f"{k} = :{k}" for k in where) if where else ""
        )
        return list((await session.execute(sa.text(query + " ORDER BY created_at"), where)).mappings())


async def test_a_refused_topic_reaches_the_filing_departments_contact(notify, mailbox):
    event_id = await notify.publish("meetings.topic.refused", refused_topic())
    mail = (await eventually(lambda: mailbox.to("department-head@ziyang.example")))[0]
    assert mail["subject"] == "议题未获同意：关于城区停车收费调整的议题"
    assert (
        "请先征求相关部门意见" in mail["body"]
        and "https://oa.ziyang.example/meetings/topics/" in mail["body"]
    )
    (row,) = await deliveries(notify, event_id=event_id)
    assert (row["state"], row["body_code"], row["channel"]) == ("sent", "education-bureau", "email")


async def test_an_envelope_naming_another_producer_is_dead_lettered_and_tells_nobody(notify, mailbox):
    """shared/consumer.py checks the producer: an envelope on meetings' subject that says petitions made
    it (forged or misrouted) has no effect."""
    envelope = build_envelope("meetings.topic.refused", refused_topic(), "topic/1", event_id=uuid.uuid4())
    envelope.producer = "petitions"
    await notify.js.publish(
        "meetings.topic.refused", envelope.SerializeToString(), headers={MSG_ID_HEADER: envelope.event_id}
    )

    async def dead_letters():
        async with notify.sessions() as session:
            return await session.scalar(sa.text("SELECT count(*) FROM dead_letters"))

    assert await eventually(dead_letters) == 1
    assert not await deliveries(notify) and not mailbox.messages


async def test_A10_the_mayors_sign_off_reminder_reaches_the_executive_vice_mayor_while_the_mayor_is_abroad(
    notify, mailbox
):
    s = notify
    leave = await s.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="mayor",
            kind=org_pb2.LEAVE_KIND_ABROAD,
            first_day=d(TODAY),
            last_day=d(TODAY + timedelta(days=3)),
            reason="出访",
        ),
        metadata=s.as_user("mayor"),
    )
    await s.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=s.as_user("evm")
    )
    routed = documents_events.DocumentRouted(
        document=documents_pb2.Document(
            id=str(uuid.uuid4()),
            content=documents_pb2.DocumentContent(
                title="关于申请城市更新专项资金的请示", classification=documents_pb2.CLASSIFICATION_NONE
            ),
        ),
        leader_user_id=s.user_id("mayor"),
    )
    await s.publish("documents.document.routed", routed)
    # The leave's approval tells the executive vice mayor too: wait for the sign-off reminder itself.
    mail = (
        await eventually(
            lambda: [m for m in mailbox.to("evm@ziyang.example") if "待签批公文" in m["subject"]]
        )
    )[0]
    assert mail["subject"].startswith("（代王建国）待签批公文") and "城市更新专项资金" in mail["subject"]
    assert not mailbox.to("mayor@ziyang.example")
    # (org's own org.leave.approved told the executive vice mayor to act, too: another delivery)
    (row,) = await deliveries(
        s, recipient_user_id=s.user_id("evm"), event_subject="documents.document.routed"
    )
    assert row["acting_for_user_id"] == s.user_id("mayor")


async def test_A57_A58_a_trip_past_its_limit_tells_the_member_in_person_his_body_and_the_office(
    notify, mailbox
):
    """org.trip.overdue: the gift is the member's own to hand over — the mayor is told himself though the
    executive vice mayor acts for him today (A10 covers the position's duties, not this one) —; the body
    that sent the trip (here the education bureau) and the general office are told too."""
    s = notify
    leave = await s.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="mayor",
            kind=org_pb2.LEAVE_KIND_ABROAD,
            first_day=d(TODAY),
            last_day=d(TODAY + timedelta(days=3)),
            reason="出访",
        ),
        metadata=s.as_user("mayor"),
    )
    await s.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=s.as_user("evm")
    )
    trip = trips_pb2.Trip(
        id=str(uuid.uuid4()),
        organisation_code="education-bureau",
        countries=["德国"],
        first_day=d(TODAY - timedelta(days=60)),
        last_day=d(TODAY - timedelta(days=55)),
        gifts=[trips_pb2.TripGift(id="g1", description="瓷盘", giver="友好城市")],
    )
    overdue = org_events.TripOverdue(
        trip=trip,
        step=org_events.TRIP_OVERDUE_STEP_GIFT_HAND_OVER,
        gift_id="g1",
        due=d(TODAY - timedelta(days=1)),
        responsible_body_code="education-bureau",
        responsible_user_id=s.user_id("mayor"),
    )
    event_id = await s.publish("org.trip.overdue", overdue)
    rows = await eventually(lambda: at_least(deliveries(s, event_id=event_id), 3))
    told = {r["recipient_user_id"]: r for r in rows}
    assert set(told) == {s.user_id(u) for u in ("mayor", "department-head", "office-staff")}
    assert told[s.user_id("mayor")]["acting_for_user_id"] == ""
    assert {r["urgency"] for r in rows} == {"urgent"}
    (mail,) = await eventually(
        lambda: [m for m in mailbox.to("mayor@ziyang.example") if "逾期" in m["subject"]]
    )
    assert mail["subject"] == "礼品上缴逾期：因公出国（境）德国"
    assert "所收礼品“瓷盘”的上缴期限" in mail["body"] and f"org/trips/{trip.id}" in mail["body"]
    assert not [m for m in mailbox.to("evm@ziyang.example") if "逾期" in m["subject"]]


async def test_A61_a_circular_sent_to_be_drafted_tells_the_supervision_office(notify, mailbox):
    requested = circulars_pb2.CircularRequested(
        circular_id=str(uuid.uuid4()),
        year=TODAY.year,
        month=TODAY.month,
        title=f"关于{TODAY.year}年{TODAY.month}月市政府督查事项办理情况的通报",
        text="现将……通报如下",
        organisation_code="supervision-office",
    )
    event_id = await notify.publish("supervision.circular.requested", requested)
    (row,) = await eventually(lambda: deliveries(notify, event_id=event_id))
    assert (row["recipient_user_id"], row["urgency"]) == (notify.user_id("supervision-officer"), "low")
    assert row["title"] == f"督查通报已送起草：{requested.title}"


async def test_a_redelivered_event_sends_nothing_twice(notify, mailbox):
    event_id = uuid.uuid4()
    payload = refused_topic("关于老旧小区改造的议题")
    await notify.publish("meetings.topic.refused", payload, event_id=event_id)
    await eventually(lambda: mailbox.to("department-head@ziyang.example"))
    # the same event again: redelivered by another relay run (a new NATS message id, the same event id)
    await notify.publish("meetings.topic.refused", payload, event_id=event_id, message_id=f"again-{event_id}")
    # and one more event after it, so we know the redelivery was consumed before we count
    await notify.publish("meetings.topic.refused", refused_topic("关于另一事项的议题"))
    await eventually(lambda: len(mailbox.to("department-head@ziyang.example")) >= 2)
    subjects = [m["subject"] for m in mailbox.to("department-head@ziyang.example")]
    assert subjects.count("议题未获同意：关于老旧小区改造的议题") == 1
    assert len(await deliveries(notify, event_id=str(event_id))) == 1


async def test_a_burst_of_events_goes_over_the_kept_smtp_connections_each_told_once(start_notify, mailbox):
    """Issue 17: a burst's e-mails share at most ZGOV_SMTP_CONNECTIONS kept connections (not one each),
    every event's message arrives once and every delivery is recorded sent."""
    async with start_notify(smtp_connections=2) as s:
        titles = [f"关于第{n}片区燃气管道改造的议题" for n in range(12)]
        ids = [await s.publish("meetings.topic.refused", refused_topic(title)) for title in titles]
        await eventually(lambda: len(mailbox.to("department-head@ziyang.example")) >= 12)
        sender = s.server.notify_state["dispatcher"].senders[Channel.EMAIL]
        await eventually(lambda: all_sent(s, ids))
    told = mailbox.to("department-head@ziyang.example")
    assert sorted(m["subject"] for m in told) == sorted(f"议题未获同意：{title}" for title in titles)
    assert 1 <= len({m["peer"] for m in told}) == sender.pool.opened <= 2


async def all_sent(s, ids: list[str]) -> bool:
    for event_id in ids:
        if [r["state"] for r in await deliveries(s, event_id=event_id)] != ["sent"]:
            return False
    return True


async def test_notify_runs_in_the_runtimes_consumes_only_mode_without_a_stream_of_its_own(notify):
    """shared/service_runtime.py with publishes=False: notify publishes nothing, so no NOTIFY stream is
    declared and no outbox relay runs; its consumers on the other services' streams are bound."""

    async def bound():
        try:
            return await notify.js.consumer_info("MEETINGS", "notify-topic-refused")
        except NotFoundError:  # the consumers bind once the server runs its background tasks
            return None

    assert (await eventually(bound)).config.filter_subject == "meetings.topic.refused"
    with pytest.raises(NotFoundError):
        await notify.js.stream_info(stream_name("notify"))


async def test_a_failed_batch_is_handled_again_one_by_one_and_loses_nothing(start_notify, mailbox):
    """notify's officers' consumers plan a fetch of events at once (a batch handler: bursts come from
    the other services' sweeps). Planning fails for one event of the fetch (a transient fault, twice):
    the batch rolls back, every event is planned again alone — the others take effect once —, the
    failing one is redelivered by JetStream and takes effect when it passes. Every event tells its
    contact once."""
    async with start_notify(consume_events=False) as s:  # this test runs the consumer itself
        planned = s.server.notify_state["handlers"].handler("meetings.topic.refused")
        titles = [f"关于第{n}批老旧小区改造的议题" for n in range(6)]
        # published before the consumer exists: its first fetch holds all six
        ids = [await s.publish("meetings.topic.refused", refused_topic(title)) for title in titles]
        failing = ids[3]
        calls: Counter = Counter()

        async def with_a_transient_fault(session, events):
            calls.update(e.envelope.event_id for e in events)
            if any(e.envelope.event_id == failing for e in events) and calls[failing] <= 2:
                raise RuntimeError("the contacts directory did not answer in time")
            await planned.apply(session, events)

        as_notify = await s.nats.connect("notify")  # notify's consumer, with notify's rights
        consumer = EventConsumer(
            as_notify.jetstream(timeout=5),
            s.sessions,
            "MEETINGS",
            "notify-topic-refused",
            "meetings.topic.refused",
            batch_handler(with_a_transient_fault),
            batch=10,
            batch_commit=True,
            retry_delays=(0.2,),
        )
        await consumer.start()
        try:
            await eventually(lambda: len(mailbox.to("department-head@ziyang.example")) >= 6)
        finally:
            await consumer.stop()
        subjects = [m["subject"] for m in mailbox.to("department-head@ziyang.example")]
        assert sorted(subjects) == sorted(f"议题未获同意：{title}" for title in titles)
        for event_id in ids:
            assert len(await deliveries(s, event_id=event_id)) == 1
        # all six in the rolled-back batch, then each alone; the failing one redelivered once more
        assert [calls[i] for i in ids] == [2, 2, 2, 3, 2, 2]
        async with s.sessions() as session:
            processed = await session.scalar(
                sa.text("SELECT count(*) FROM processed_messages WHERE consumer = 'notify-topic-refused'")
            )
            assert processed == 6 and not await session.scalar(sa.text("SELECT count(*) FROM dead_letters"))


async def test_A49_quiet_hours_hold_a_low_urgency_message_until_morning_a_countersign_due_today_goes_at_once(
    notify, mailbox
):
    s = notify
    await s.stub.SetMyPreferences(
        pb.SetMyPreferencesRequest(preferences=pb.Preferences(quiet_start="22:00", quiet_end="07:00")),
        metadata=s.as_user("department-head"),
    )
    late = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 0, tzinfo=CHINA)
    s.clock.fixed = late
    head = s.user_id("department-head")
    leave = org_pb2.Leave(
        id=str(uuid.uuid4()),
        user_id=head,
        position="department-head",
        first_day=d(TODAY + timedelta(days=2)),
        last_day=d(TODAY + timedelta(days=3)),
    )
    low = await s.publish("org.leave.approved", org_events.LeaveApproved(leave=leave))
    (held,) = await eventually(lambda: deliveries(s, event_id=low))
    assert held["state"] == "pending" and held["urgency"] == "low"
    morning = datetime(TODAY.year, TODAY.month, TODAY.day, 7, 0, tzinfo=CHINA) + timedelta(days=1)
    assert held["next_attempt_at"] == morning
    # urgent: a countersign due today goes at once, quiet hours or not
    due = documents_events.CountersignDue(
        document_id=str(uuid.uuid4()),
        countersign=documents_pb2.Countersign(
            organisation_code="education-bureau", state=documents_pb2.COUNTERSIGN_STATE_REQUESTED
        ),
    )
    await s.publish("documents.countersign.due", due)
    await eventually(
        lambda: [m for m in mailbox.to("department-head@ziyang.example") if m["subject"] == "会签今日到期"]
    )
    assert not [m for m in mailbox.messages if m["subject"] == "请假已批准"]
    s.clock.fixed = late + timedelta(hours=7, minutes=30)  # 06:30: still quiet
    await s.dispatch()
    assert not [m for m in mailbox.messages if m["subject"] == "请假已批准"]
    s.clock.fixed = morning + timedelta(minutes=1)
    await eventually(
        lambda: [m for m in mailbox.to("department-head@ziyang.example") if m["subject"] == "请假已批准"]
    )


async def test_notices_planned_together_read_the_preferences_once_and_keep_each_persons_quiet_hours(notify):
    """acts.notices.plan_all, what a fetch of events planned together calls (plan() calls it with one):
    one read of everyone's preferences and one insert, yet each person's own rule: the department head's
    quiet hours hold his message until 07:00, the supervision officer (none set) is told at once, and
    planning the same notices again adds nothing."""
    s = notify
    await s.stub.SetMyPreferences(
        pb.SetMyPreferencesRequest(preferences=pb.Preferences(quiet_start="22:00", quiet_end="07:00")),
        metadata=s.as_user("department-head"),
    )
    late = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 0, tzinfo=CHINA)
    head, officer = s.user_id("department-head"), s.user_id("supervision-officer")
    notices = [
        Notice(
            str(uuid.uuid4()),
            "org.leave.approved",
            "org",
            Kind.LEAVE,
            Urgency.LOW,
            f"请假已批准（{n}）",
            "明日起休假。",
            "",
            (Target(user_id=who),),
        )
        for n, who in enumerate([head, officer, head])
    ]
    handlers = s.server.notify_state["handlers"]
    statements = []
    async with s.sessions() as session, session.begin():
        sa.event.listen(session.sync_session, "do_orm_execute", statements.append)
        planned = await plan_all(session, notices, handlers.people, handlers.offered, late, late.date())
        again = await plan_all(session, notices, handlers.people, handlers.offered, late, late.date())
    assert (planned, again) == (3, 0)
    assert len(statements) == 4  # per call: the preferences, the insert
    rows = {r["title"]: r for r in await deliveries(s)}
    morning = datetime(TODAY.year, TODAY.month, TODAY.day, 7, 0, tzinfo=CHINA) + timedelta(days=1)
    assert rows["请假已批准（0）"]["next_attempt_at"] == rows["请假已批准（2）"]["next_attempt_at"] == morning
    assert rows["请假已批准（1）"]["next_attempt_at"] == late
    assert rows["请假已批准（1）"]["recipient_user_id"] == officer


async def test_a_low_urgency_message_waits_for_the_daily_digest(notify, mailbox):
    s = notify
    await s.stub.SetMyPreferences(
        pb.SetMyPreferencesRequest(preferences=pb.Preferences(daily_digest=True, digest_time="08:30")),
        metadata=s.as_user("department-head"),
    )
    s.clock.fixed = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0, tzinfo=CHINA)
    item = supervision_pb2.Escalation(
        step=supervision_pb2.ESCALATION_STEP_WARNED,
        recipient_body_code="education-bureau",
        against_due=d(TODAY),
    )
    for number in ("督〔2026〕1号", "督〔2026〕2号"):
        await s.publish(
            "supervision.item.escalated",
            supervision_events.ItemEscalated(
                item=supervision_events.ItemSummary(item_id=str(uuid.uuid4()), number=number), escalation=item
            ),
        )
    rows = await eventually(
        lambda: at_least(deliveries(s, recipient_user_id=s.user_id("department-head")), 2)
    )
    assert all(r["digest"] and r["state"] == "pending" for r in rows)
    s.clock.fixed = datetime(TODAY.year, TODAY.month, TODAY.day, 8, 31, tzinfo=CHINA) + timedelta(days=1)
    (digest,) = await eventually(lambda: mailbox.to("department-head@ziyang.example"))
    assert digest["subject"] == "每日汇总：2 项通知"
    assert "督〔2026〕1号" in digest["body"] and "督〔2026〕2号" in digest["body"]


async def test_the_channels_speak_their_documented_formats(notify, receiver):
    s = notify
    await s.stub.SetMyPreferences(
        pb.SetMyPreferencesRequest(
            preferences=pb.Preferences(
                channels=[
                    pb.KindChannels(
                        kind=pb.NOTICE_KIND_SUPERVISION,
                        channels=[
                            pb.CHANNEL_SMS,
                            pb.CHANNEL_WECOM_ROBOT,
                            pb.CHANNEL_WECOM_APP,
                            pb.CHANNEL_DINGTALK_ROBOT,
                        ],
                    )
                ]
            )
        ),
        metadata=s.as_user("department-head"),
    )
    step = supervision_pb2.Escalation(
        step=supervision_pb2.ESCALATION_STEP_URGED,
        recipient_user_id=s.user_id("department-head"),
        against_due=d(TODAY),
    )
    await s.publish(
        "supervision.item.escalated",
        supervision_events.ItemEscalated(
            item=supervision_events.ItemSummary(item_id=str(uuid.uuid4()), number="督〔2026〕9号"),
            escalation=step,
        ),
    )
    await eventually(
        lambda: all(
            receiver.on(p) for p in ("/sms", "/wecom/robot", "/cgi-bin/message/send", "/dingtalk/robot")
        )
    )
    phone = "13800000015"  # department-head, the 15th demo user
    (sms,) = receiver.on("/sms")
    assert sms["body"]["mobile"] == phone and sms["body"]["content"].startswith("【资阳】督办逾期催办")
    assert sms["authorization"] == "Bearer gateway-token"
    (robot,) = receiver.on("/wecom/robot")
    assert robot["query"]["key"] == ["robot-key"] and robot["body"]["msgtype"] == "text"
    assert robot["body"]["text"]["mentioned_mobile_list"] == [phone]
    (token,) = receiver.on("/cgi-bin/gettoken")
    assert token["query"] == {"corpid": ["corp"], "corpsecret": ["corp-secret"]}
    (app,) = receiver.on("/cgi-bin/message/send")
    assert app["query"]["access_token"] == ["wecom-token"]
    assert (app["body"]["touser"], app["body"]["agentid"], app["body"]["msgtype"]) == (
        "department-head",
        1000002,
        "text",
    )
    (ding,) = receiver.on("/dingtalk/robot")
    stamp = ding["query"]["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert ding["query"]["sign"] == [expected] and ding["query"]["access_token"] == ["dt"]
    assert ding["body"]["at"] == {"atMobiles": [phone], "isAtAll": False}


async def test_a_failed_send_is_retried_with_backoff_and_survives_a_restart(start_notify, receiver):
    async with start_notify(dispatch_seconds=3600) as s:  # no rounds by the clock: the test drives them
        await s.stub.SetMyPreferences(
            pb.SetMyPreferencesRequest(
                preferences=pb.Preferences(
                    channels=[pb.KindChannels(kind=pb.NOTICE_KIND_MEETING, channels=[pb.CHANNEL_SMS])]
                )
            ),
            metadata=s.as_user("department-head"),
        )
        receiver.fail = 1
        event_id = await s.publish("meetings.topic.refused", refused_topic())
        await eventually(lambda: receiver.on("/sms"))
        (row,) = await deliveries(s, event_id=event_id)
        assert (row["state"], row["attempts"]) == ("pending", 1) and "HTTP 500" in row["last_error"]
        assert row["next_attempt_at"] > row["created_at"]
        database = s.database
    # the service stops with the retry still pending; a new one finds it and sends it
    async with start_notify(database=database, dispatch_seconds=0.2) as again:
        (row,) = await eventually(lambda: _sent(again, event_id))
        assert row["attempts"] == 2
        assert len([r for r in receiver.on("/sms") if not r.get("failed")]) == 1


async def _sent(s, event_id):
    rows = await deliveries(s, event_id=event_id)
    return rows if rows and rows[0]["state"] == "sent" else None


async def test_A71_no_petitioners_identity_or_letter_in_a_message_to_the_body_complained_about(
    notify, mailbox
):
    """The case's events carry no identity (petitions' A71/A80); the message says only its number and links
    to where the body, logged in and checked there, reads what it may."""
    case = petitions_events.CaseSummary(
        case_id=str(uuid.uuid4()), number="资信〔2026〕88号", handling_body_code="education-bureau"
    )
    await notify.publish("petitions.case.assigned", petitions_events.CaseAssigned(case=case))
    (mail,) = await eventually(lambda: mailbox.to("department-head@ziyang.example"))
    assert "一件信访事项已交贵单位办理（编号 资信〔2026〕88号）需要您处理" in mail["body"]
    assert f"https://oa.ziyang.example/petitions/cases/{case.case_id}" in mail["body"]
    assert mail["subject"] == "信访事项交办：资信〔2026〕88号"


async def test_A71_A80_a_petition_filed_and_assigned_names_nobody_in_any_message(
    notify, mailbox, receiver, keycloak, service_database
):
    """End to end: the petitions service registers a complaint about the education bureau with the
    petitioner's name, ID number, phone and letter, and assigns it to the county; the county's contact
    is told, and no message on any channel carries the petitioner or the letter; the body complained
    about is told nothing."""
    s = notify
    name, id_number, phone = "赵晓梅", "511021198001011234", "13912345678"
    letter = "反映某校以资料费名义违规收取每生三百元费用，请求查处并退还。"
    settings = PetitionsSettings(
        database_url=await service_database("petitions"),
        nats_url=s.nats.url,
        nats_nkey_seed=s.nats.seeds["petitions"],
        keycloak_url=keycloak.url,
        client_id="petitions",
        client_secret=keycloak.client_secrets["petitions"],
        grpc_port=0,
        org_address=s.org_address,
        org_cache_seconds=0,
    )
    async with serving(build_petitions(settings)) as server:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = petitions_pb2_grpc.PetitionsServiceStub(channel)
            intake = petitions_pb2.Intake(
                channel=petitions_pb2.CHANNEL_LETTER,
                received_on=d(TODAY),
                category=petitions_pb2.CATEGORY_COMPLAINT_REPORT,
                title="学校违规收费",
                content=letter,
                petitioners=[
                    petitions_pb2.Petitioner(
                        name=name, id_number=id_number, phone=phone, address="安岳县岳阳镇"
                    )
                ],
                body_complained_about="education-bureau",
                person_complained_about="王校长",
            )
            registered = await stub.RegisterCase(
                petitions_pb2.RegisterCaseRequest(intake=intake), metadata=s.as_user("petition-officer")
            )
            await stub.TriageCase(
                petitions_pb2.TriageCaseRequest(
                    case_id=registered.case.id,
                    outcome=petitions_pb2.TRIAGE_OUTCOME_ACCEPT_AND_ASSIGN,
                    handling_body_code="anyue-county",
                    triaged_on=d(TODAY),
                ),
                metadata=s.as_user("petition-officer"),
            )
            (told,) = await eventually(lambda: mailbox.to("county-head@ziyang.example"))
    assert registered.case.number in told["subject"] and registered.case.id in told["body"]
    everything = repr(mailbox.messages) + repr(receiver.requests)
    for secret in (name, id_number, phone, letter, "王校长", "学校违规收费"):
        assert secret not in everything
    assert not mailbox.to("department-head@ziyang.example")  # the body complained about


async def test_the_office_sees_what_was_sent_and_others_may_not(notify, mailbox):
    s = notify
    event_id = await s.publish("meetings.topic.refused", refused_topic())
    await eventually(lambda: mailbox.to("department-head@ziyang.example"))

    async def sent():
        # marked sent once the SMTP server took it: a moment after the mail arrived
        listed = await s.stub.ListDeliveries(
            pb.ListDeliveriesRequest(event_id=event_id), metadata=s.as_user("office-staff")
        )
        return [d for d in listed.deliveries if d.state == pb.DELIVERY_STATE_SENT]

    (one,) = await eventually(sent)
    assert (one.state, one.channel, one.recipient_name) == (
        pb.DELIVERY_STATE_SENT,
        pb.CHANNEL_EMAIL,
        "胡育才",
    )
    assert one.address == "de***@ziyang.example" and one.sent_time.seconds > 0
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await s.stub.ListDeliveries(pb.ListDeliveriesRequest(), metadata=s.as_user("department-head"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info_of(refused.value).reason == "PERMISSION_MISSING"


async def test_bad_preferences_are_refused_and_change_nothing(notify):
    s = notify
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await s.stub.SetMyPreferences(
            pb.SetMyPreferencesRequest(preferences=pb.Preferences(quiet_start="25:00", quiet_end="07:00")),
            metadata=s.as_user("mayor"),
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "preferences.quiet_start" in field_violations_of(bad.value)
    mine = await s.stub.GetMyPreferences(pb.GetMyPreferencesRequest(), metadata=s.as_user("mayor"))
    assert mine.quiet_start == "" and mine.digest_time == "08:30"
