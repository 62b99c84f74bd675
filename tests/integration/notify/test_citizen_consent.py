"""Citizens told of their own cases, only with their consent (issue 20; services/notify/domain/consent.py),
through real NATS, a real SMTP server and a local HTTP receiver standing for the SMS gateway: the portal
(its service account) records the consent of one case; that case's state changes reach the citizen by
the channels agreed — the number and the new state, never the content — once per event; withdrawn,
nothing more is sent and the addresses are erased; a case without consent tells nobody. At night the
consent's quiet hours hold the messages until 08:00 China time and a night's changes of one case go as
one message (the latest state, naming the earlier ones), with the service's clock set by the test as
the officers' quiet-hours test sets it; a change the citizen must act on soon goes at once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa

from services.notify.__main__ import MIGRATIONS
from services.notify.domain.consent import WORDING, WORDING_TEXT
from services.notify.models import metadata
from shared.errors import field_violations_of
from shared.migrations import pending_autogenerate_changes
from tests.fixtures.polling import at_least, eventually
from tests.integration.notify.test_notify import CHINA, TODAY, d, deliveries
from zgov.disclosure.v1 import applications_pb2
from zgov.notify.v1 import notify_pb2 as pb
from zgov.petitions.v1 import events_pb2 as petitions_events

pytestmark = pytest.mark.integration
EMAIL, PHONE = "zhao.xiaohong@example.com", "13900002222"
# a day's hours, China time, as the service's clock: office hours, and the night
NOON = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=CHINA)
LATE = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 30, tzinfo=CHINA)
MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 8, 0, tzinfo=CHINA) + timedelta(days=1)


def accepted(case_id: str, number: str) -> petitions_events.CaseAccepted:
    return petitions_events.CaseAccepted(case=petitions_events.CaseSummary(case_id=case_id, number=number))


def replied(case_id: str, number: str) -> petitions_events.CaseReplied:
    return petitions_events.CaseReplied(case=petitions_events.CaseSummary(case_id=case_id, number=number))


async def test_a_consenting_petitioner_is_told_of_state_changes_by_the_channels_agreed_until_withdrawn(
    notify, mailbox, receiver
):
    s, portal = notify, notify.as_service("portal")
    s.clock.fixed = NOON  # in office hours: at once (the night is the tests below)
    case_id, number = str(uuid.uuid4()), "资信〔2026〕12号"
    given = await s.stub.GiveCitizenConsent(
        pb.GiveCitizenConsentRequest(
            case_kind=pb.CITIZEN_CASE_KIND_PETITION,
            case_id=case_id,
            number=number,
            channels=[pb.CHANNEL_EMAIL, pb.CHANNEL_SMS],
            email=EMAIL,
            phone=PHONE,
            wording=WORDING,
        ),
        metadata=portal,
    )
    assert given.state == pb.CONSENT_STATE_GIVEN and given.phone == "139****2222" and EMAIL not in given.email

    event_id = uuid.uuid4()
    await s.publish("petitions.case.accepted", accepted(case_id, number), event_id=event_id)
    (mail,) = await eventually(lambda: mailbox.to(EMAIL))
    assert mail["subject"] == f"您的信访事项{number}已受理"
    assert number in mail["body"] and "https://www.ziyang.gov.cn/petitions/follow" in mail["body"]
    (sms,) = await eventually(lambda: receiver.on("/sms"))
    assert sms["body"]["mobile"] == PHONE and "已受理" in sms["body"]["content"]
    rows = await deliveries(s, event_id=str(event_id))
    assert {r["channel"] for r in rows} == {"email", "sms"} and {r["state"] for r in rows} == {"sent"}

    # redelivered (same event id, another NATS message): nothing twice
    await s.publish(
        "petitions.case.accepted",
        accepted(case_id, number),
        event_id=event_id,
        message_id=f"again-{event_id}",
    )
    # another case, without consent: nobody told
    other = await s.publish("petitions.case.accepted", accepted(str(uuid.uuid4()), "资信〔2026〕13号"))
    await s.publish("petitions.case.replied", replied(case_id, number))
    await eventually(lambda: len(mailbox.to(EMAIL)) >= 2)
    assert [m["subject"] for m in mailbox.to(EMAIL)] == [
        f"您的信访事项{number}已受理",
        f"您的信访事项{number}已作出书面答复",
    ]
    assert await deliveries(s, event_id=other) == []

    # withdrawn: at once nothing more, the addresses erased; the proof of what was agreed stays
    withdrawn = await s.stub.WithdrawCitizenConsent(
        pb.WithdrawCitizenConsentRequest(case_kind=pb.CITIZEN_CASE_KIND_PETITION, case_id=case_id),
        metadata=portal,
    )
    assert withdrawn.state == pb.CONSENT_STATE_WITHDRAWN and not withdrawn.email and not withdrawn.phone
    assert withdrawn.wording == WORDING and withdrawn.give_time.seconds and withdrawn.withdraw_time.seconds
    async with s.sessions() as session:
        kept = (await session.execute(sa.text("SELECT email, phone, number FROM citizen_consent"))).one()
        acts = (await session.execute(sa.text("SELECT act, reason FROM audit_record ORDER BY at"))).all()
    assert (kept.email, kept.phone, kept.number) == ("", "", number)
    assert [a.act for a in acts] == ["consent.given", "consent.withdrawn"]
    assert all(EMAIL not in (a.reason or "") and PHONE not in (a.reason or "") for a in acts)
    late = await s.publish("petitions.case.replied", replied(case_id, number))
    marker = await s.publish("petitions.case.accepted", accepted(str(uuid.uuid4()), "资信〔2026〕14号"))
    await eventually(lambda: _consumed(s, marker))
    assert await deliveries(s, event_id=late) == [] and len(mailbox.to(EMAIL)) == 2


async def _consumed(s, event_id: str) -> bool:
    async with s.sessions() as session:
        found = await session.execute(
            sa.text("SELECT 1 FROM processed_messages WHERE message_id = :id"), {"id": event_id}
        )
        return found.first() is not None


async def test_an_applicant_consenting_by_email_is_told_the_reply_and_only_the_portal_records_consent(
    notify, mailbox
):
    s, portal = notify, notify.as_service("portal")
    s.clock.fixed = NOON
    application_id, number = str(uuid.uuid4()), "资公开〔2026〕3号"
    request = pb.GiveCitizenConsentRequest(
        case_kind=pb.CITIZEN_CASE_KIND_APPLICATION,
        case_id=application_id,
        number=number,
        channels=[pb.CHANNEL_EMAIL],
        email=EMAIL,
        phone=PHONE,
        wording=WORDING,
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:  # a citizen cannot record consent for any case
        await s.stub.GiveCitizenConsent(request, metadata=s.as_user("citizen"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        bad = pb.GiveCitizenConsentRequest(
            case_kind=pb.CITIZEN_CASE_KIND_APPLICATION,
            case_id=application_id,
            number=number,
            channels=[pb.CHANNEL_SMS, pb.CHANNEL_WECOM_ROBOT],
            wording="citizen-consent-v0",
        )
        await s.stub.GiveCitizenConsent(bad, metadata=portal)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {"channels", "phone", "wording"} <= set(field_violations_of(refused.value))
    none = await s.stub.GetCitizenConsent(
        pb.GetCitizenConsentRequest(case_kind=pb.CITIZEN_CASE_KIND_APPLICATION, case_id=application_id),
        metadata=portal,
    )
    assert none.state == pb.CONSENT_STATE_NONE

    given = await s.stub.GiveCitizenConsent(request, metadata=portal)
    assert given.channels == [pb.CHANNEL_EMAIL] and not given.phone, "only the address a channel needs"
    summary = applications_pb2.ApplicationSummary(application_id=application_id, number=number)
    await s.publish(
        "disclosure.application.replied", applications_pb2.ApplicationReplied(application=summary)
    )
    (mail,) = await eventually(lambda: mailbox.to(EMAIL))
    assert mail["subject"] == f"您的政府信息公开申请{number}已作出答复"
    assert "https://www.ziyang.gov.cn/applications/follow" in mail["body"]


async def test_the_consent_table_of_migrations_0004_0005_matches_its_model(notify):
    # only the consent table and the delivery's event time: the outbox of notify (which publishes
    # nothing) differs from the shared model already (its sequence index), not these migrations' business
    changes = await pending_autogenerate_changes(notify.database, MIGRATIONS, metadata)
    assert [c for c in changes if "citizen_consent" in repr(c) or "occurred_at" in repr(c)] == []


# ---- when: the quiet hours, a night's changes as one message, what cannot wait ----------------------


async def give(s, kind, case_id: str, number: str, *, at_any_hour: bool = False, sms: bool = True):
    channels = [pb.CHANNEL_EMAIL, pb.CHANNEL_SMS] if sms else [pb.CHANNEL_EMAIL]
    return await s.stub.GiveCitizenConsent(
        pb.GiveCitizenConsentRequest(
            case_kind=kind,
            case_id=case_id,
            number=number,
            channels=channels,
            email=EMAIL,
            phone=PHONE if sms else "",
            wording=WORDING,
            at_any_hour=at_any_hour,
        ),
        metadata=s.as_service("portal"),
    )


def extended(case_id: str, number: str) -> petitions_events.CaseExtended:
    return petitions_events.CaseExtended(case=petitions_events.CaseSummary(case_id=case_id, number=number))


def application(application_id: str, number: str) -> applications_pb2.ApplicationSummary:
    return applications_pb2.ApplicationSummary(application_id=application_id, number=number)


async def test_a_nights_changes_wait_for_the_morning_and_go_as_one_message_of_the_latest_state(
    notify, mailbox, receiver
):
    """Three changes of one petition after 22:00: nothing at night; at 08:00 one e-mail and one SMS
    saying the latest state (by when the changes happened, not by when they arrived) and naming the
    two before it; every delivery of the night marked sent, none lost."""
    s = notify
    case_id, number = str(uuid.uuid4()), "资信〔2026〕21号"
    given = await give(s, pb.CITIZEN_CASE_KIND_PETITION, case_id, number)
    assert given.at_any_hour is False, "the quiet hours are kept unless the citizen chose otherwise"
    s.clock.fixed = LATE
    # the reply arrives first, though it happened last: the message is the latest state all the same
    events = [
        await s.publish(
            "petitions.case.replied", replied(case_id, number), occurred_at=LATE + timedelta(minutes=20)
        ),
        await s.publish("petitions.case.accepted", accepted(case_id, number), occurred_at=LATE),
        await s.publish(
            "petitions.case.extended", extended(case_id, number), occurred_at=LATE + timedelta(minutes=10)
        ),
    ]
    rows = await eventually(lambda: at_least(deliveries(s, state="pending"), 6))
    assert {r["event_id"] for r in rows} == set(events)
    assert {r["next_attempt_at"] for r in rows} == {MORNING} and {r["urgency"] for r in rows} == {"normal"}
    s.clock.fixed = MORNING - timedelta(minutes=30)  # 07:30: still quiet
    await s.dispatch()
    assert mailbox.to(EMAIL) == [] and receiver.on("/sms") == []

    s.clock.fixed = MORNING + timedelta(seconds=1)
    (mail,) = await eventually(lambda: mailbox.to(EMAIL))
    (sms,) = await eventually(lambda: receiver.on("/sms"))
    assert mail["subject"] == f"您的信访事项{number}已作出书面答复"
    assert "此前的变化：已受理；办理期限已延长。" in mail["body"] and number in mail["body"]
    assert sms["body"]["mobile"] == PHONE and "已作出书面答复" in sms["body"]["content"]
    assert "此前的变化：已受理；办理期限已延长。" in sms["body"]["content"]
    sent = await eventually(lambda: at_least(deliveries(s, state="sent"), 6))
    assert len(sent) == 6 and {r["event_id"] for r in sent} == set(events)
    await s.dispatch()
    assert len(mailbox.to(EMAIL)) == 1 and len(receiver.on("/sms")) == 1, "told once"


async def test_a_request_to_complete_due_soon_goes_at_night_with_what_waited_one_due_later_waits(
    notify, mailbox
):
    """A request to complete an application (补正) due tomorrow cannot wait for the morning: it goes
    at 23:30, urgent, naming the change held before it (which then goes no more); one due in 15 days
    waits like any other change."""
    s = notify
    soon_id, soon = str(uuid.uuid4()), "资公开〔2026〕31号"
    later_id, later = str(uuid.uuid4()), "资公开〔2026〕32号"
    await give(s, pb.CITIZEN_CASE_KIND_APPLICATION, soon_id, soon, sms=False)
    await give(s, pb.CITIZEN_CASE_KIND_APPLICATION, later_id, later, sms=False)
    s.clock.fixed = LATE
    received = await s.publish(
        "disclosure.application.received",
        applications_pb2.ApplicationReceived(application=application(soon_id, soon)),
        occurred_at=LATE,
    )
    (held,) = await eventually(lambda: deliveries(s, event_id=received))
    assert held["state"] == "pending" and held["next_attempt_at"] == MORNING
    due = TODAY + timedelta(days=1)
    urgent = await s.publish(
        "disclosure.application.completion-requested",
        applications_pb2.ApplicationCompletionRequested(
            application=application(soon_id, soon), completion_due=d(due)
        ),
        occurred_at=LATE + timedelta(minutes=5),
    )
    (mail,) = await eventually(lambda: mailbox.to(EMAIL))
    assert mail["subject"] == f"您的政府信息公开申请{soon}需要您补正申请内容"
    assert f"请于{due.year}年{due.month}月{due.day}日前办理" in mail["body"]
    assert "此前的变化：已确认收到。" in mail["body"]
    rows = await eventually(lambda: at_least(deliveries(s, state="sent"), 2))
    assert {(r["event_id"], r["urgency"]) for r in rows} == {(urgent, "urgent"), (received, "normal")}

    far = await s.publish(
        "disclosure.application.completion-requested",
        applications_pb2.ApplicationCompletionRequested(
            application=application(later_id, later), completion_due=d(TODAY + timedelta(days=15))
        ),
    )
    (waiting,) = await eventually(lambda: deliveries(s, event_id=far))
    assert waiting["urgency"] == "normal" and waiting["next_attempt_at"] == MORNING
    await s.dispatch()
    assert len(mailbox.to(EMAIL)) == 1
    s.clock.fixed = MORNING + timedelta(seconds=1)
    await eventually(lambda: len(mailbox.to(EMAIL)) == 2)
    assert mailbox.to(EMAIL)[1]["subject"] == f"您的政府信息公开申请{later}需要您补正申请内容"


async def test_a_change_held_at_night_is_not_sent_once_the_consent_is_withdrawn_before_morning(
    notify, mailbox
):
    s = notify
    case_id, number = str(uuid.uuid4()), "资信〔2026〕23号"
    await give(s, pb.CITIZEN_CASE_KIND_PETITION, case_id, number, sms=False)
    s.clock.fixed = LATE
    held = await s.publish("petitions.case.accepted", accepted(case_id, number))
    (row,) = await eventually(lambda: deliveries(s, event_id=held))
    assert row["state"] == "pending" and row["next_attempt_at"] == MORNING
    await s.stub.WithdrawCitizenConsent(
        pb.WithdrawCitizenConsentRequest(case_kind=pb.CITIZEN_CASE_KIND_PETITION, case_id=case_id),
        metadata=s.as_service("portal"),
    )
    (row,) = await deliveries(s, event_id=held)
    assert (row["state"], row["address"]) == ("failed", "") and "withdrew" in row["last_error"]
    s.clock.fixed = MORNING + timedelta(seconds=1)
    await s.dispatch()
    assert mailbox.to(EMAIL) == []


async def test_a_citizen_who_chose_any_hour_is_told_at_night_and_the_terms_come_from_notify(notify, mailbox):
    s = notify
    case_id, number = str(uuid.uuid4()), "资信〔2026〕22号"
    given = await give(s, pb.CITIZEN_CASE_KIND_PETITION, case_id, number, at_any_hour=True, sms=False)
    assert given.at_any_hour is True
    s.clock.fixed = LATE
    await s.publish("petitions.case.accepted", accepted(case_id, number))
    (mail,) = await eventually(lambda: mailbox.to(EMAIL))
    assert mail["subject"] == f"您的信访事项{number}已受理"

    terms = await s.stub.GetCitizenConsentTerms(
        pb.GetCitizenConsentTermsRequest(), metadata=s.as_service("portal")
    )
    assert (terms.wording, terms.text) == (WORDING, WORDING_TEXT)
    assert (terms.quiet_start, terms.quiet_end) == ("22:00", "08:00")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await s.stub.GetCitizenConsentTerms(pb.GetCitizenConsentTermsRequest(), metadata=s.as_user("citizen"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
