"""Citizens told of their own cases, only with their consent (issue 20; services/notify/domain/consent.py),
through real NATS, a real SMTP server and a local HTTP receiver standing for the SMS gateway: the portal
(its service account) records the consent of one case; that case's state changes reach the citizen by
the channels agreed — the number and the new state, never the content — once per event; withdrawn,
nothing more is sent and the addresses are erased; a case without consent tells nobody."""

from __future__ import annotations

import uuid

import grpc
import pytest
import sqlalchemy as sa

from services.notify.__main__ import MIGRATIONS
from services.notify.domain.consent import WORDING
from services.notify.models import metadata
from shared.db import pending_autogenerate_changes
from shared.errors import field_violations_of
from tests.integration.notify.conftest import eventually
from tests.integration.notify.test_notify import deliveries
from zgov.disclosure.v1 import applications_pb2
from zgov.notify.v1 import notify_pb2 as pb
from zgov.petitions.v1 import events_pb2 as petitions_events

pytestmark = pytest.mark.integration
EMAIL, PHONE = "zhao.xiaohong@example.com", "13900002222"


def accepted(case_id: str, number: str) -> petitions_events.CaseAccepted:
    return petitions_events.CaseAccepted(case=petitions_events.CaseSummary(case_id=case_id, number=number))


def replied(case_id: str, number: str) -> petitions_events.CaseReplied:
    return petitions_events.CaseReplied(case=petitions_events.CaseSummary(case_id=case_id, number=number))


async def _async(value):
    return value


async def test_a_consenting_petitioner_is_told_of_state_changes_by_the_channels_agreed_until_withdrawn(
    notify, mailbox, receiver
):
    s, portal = notify, notify.as_service("portal")
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
    (mail,) = await eventually(lambda: _async(mailbox.to(EMAIL)))
    assert mail["subject"] == f"您的信访事项{number}已受理"
    assert number in mail["body"] and "https://www.ziyang.gov.cn/petitions/follow" in mail["body"]
    (sms,) = await eventually(lambda: _async(receiver.on("/sms")))
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
    await eventually(lambda: _async(len(mailbox.to(EMAIL)) >= 2))
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
    (mail,) = await eventually(lambda: _async(mailbox.to(EMAIL)))
    assert mail["subject"] == f"您的政府信息公开申请{number}已作出答复"
    assert "https://www.ziyang.gov.cn/applications/follow" in mail["body"]


async def test_the_consent_table_of_migration_0003_matches_its_model(notify):
    # only the consent table: the outbox of notify (which publishes nothing) differs from the shared
    # model already (its sequence index), which is not this migration's business
    changes = await pending_autogenerate_changes(notify.database, MIGRATIONS, metadata)
    assert [c for c in changes if "citizen_consent" in repr(c)] == []
