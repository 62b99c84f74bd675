"""A61: the supervision office's monthly circular, sent by supervision as `supervision.circular.requested`
through real NATS JetStream, becomes one draft official document of kind circular (通报) in documents,
which is then signed off and issued the usual way. Redelivered and replayed events change nothing; an
envelope on supervision's subject that names another producer is refused."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from shared.outbox import build_envelope
from shared.streams import ensure_stream
from tests.fixtures.polling import eventually
from tests.fixtures.streams import consumer_settled
from zgov.common.v1 import common_pb2
from zgov.documents.v1 import documents_pb2 as pb
from zgov.supervision.v1 import circulars_pb2

pytestmark = pytest.mark.integration

SUBJECT = "supervision.circular.requested"
DURABLE = "documents-circular-requested"


def circular() -> circulars_pb2.CircularRequested:
    return circulars_pb2.CircularRequested(
        circular_id=str(uuid.uuid4()),
        year=2026,
        month=11,
        title="关于2026年11月督查事项办理情况的通报",
        text="现将2026年11月市政府督查事项办理情况通报如下。\n一、总体情况\n"
        "education-bureau：按期办结2件，办结2件，逾期0件。\n"
        "transport-bureau：按期办结0件，办结0件，逾期1件。\n"
        "二、表扬事项\n督〔2026〕3号（education-bureau）：提前完成校舍改造\n"
        "三、批评事项\n督〔2026〕5号（transport-bureau）：逾期未办结",
        organisation_code="supervision-office",
        entries=[
            circulars_pb2.CircularEntry(
                item_id=str(uuid.uuid4()),
                item_number="督〔2026〕3号",
                lead_body_code="education-bureau",
                verdict=circulars_pb2.VERDICT_PRAISE,
                reason="提前完成校舍改造",
            ),
            circulars_pb2.CircularEntry(
                item_id=str(uuid.uuid4()),
                item_number="督〔2026〕5号",
                lead_body_code="transport-bureau",
                verdict=circulars_pb2.VERDICT_CRITICISM,
                reason="逾期未办结",
            ),
        ],
    )


async def publish(js, payload, *, envelope_subject: str = "") -> bytes:
    officer = common_pb2.Actor(user_id="officer-1", username="supervision-officer", display_name="督查专员")
    envelope = build_envelope(
        envelope_subject or SUBJECT, payload, f"circular/{payload.circular_id}", officer
    )
    data = envelope.SerializeToString()
    await js.publish(SUBJECT, data, headers={"Nats-Msg-Id": envelope.event_id})
    return data


async def circulars(platform) -> list[pb.Document]:
    listed = await platform.docs.ListDocuments(
        pb.ListDocumentsRequest(kind=pb.DOCUMENT_KIND_CIRCULAR), metadata=platform.as_user("office-staff")
    )
    return list(listed.documents)


async def test_A61_a_supervision_circular_becomes_one_draft_circular_signed_and_issued_the_usual_way(
    platform, documents_events
):
    js = documents_events
    await ensure_stream(js, "supervision")
    event = circular()
    data = await publish(js, event)
    await js.publish(SUBJECT, data, headers={"Nats-Msg-Id": "redelivered"})
    await publish(js, event)  # replayed: a new event id, the same circular
    # the sender checked: an envelope on supervision's subject that says meetings produced it
    await publish(js, circular(), envelope_subject="meetings.decision.recorded")
    await eventually(lambda: consumer_settled(js, "SUPERVISION", DURABLE, 4), timeout=60)

    (listed,) = await circulars(platform)
    draft = await platform.docs.GetDocument(
        pb.GetDocumentRequest(document_id=listed.id), metadata=platform.as_user("office-staff")
    )
    assert (draft.state, draft.direction) == (pb.DOCUMENT_STATE_DRAFT, pb.DIRECTION_OUTGOING)
    assert (draft.content.title, draft.content.body) == (event.title, event.text)
    assert draft.created_by.organisation_code == draft.sender.organisation_code == "supervision-office"
    assert draft.content.authority == pb.SIGN_OFF_AUTHORITY_ROUTINE and draft.content.issuer_code == "资府督"
    assert [b.code for b in draft.content.main_receivers] == ["education-bureau", "transport-bureau"]
    assert [h.act for h in draft.history] == ["document.drafted", "document.drafted-from"]
    assert draft.history[0].actor.user_id == "officer-1"
    async with platform.sessions() as session:
        dead = await session.scalar(
            sa.text(f"SELECT count(*) FROM dead_letters WHERE consumer = '{DURABLE}'")  # noqa: S608
        )
    assert dead == 1

    # the usual way: the secretary-general signs a routine document off (A51), the office issues it
    await platform.docs.SignOffDocument(
        pb.SignOffDocumentRequest(document_id=draft.id, opinion="同意印发"),
        metadata=platform.as_user("secretary-general"),
    )
    issued = await platform.docs.IssueDocument(
        pb.IssueDocumentRequest(document_id=draft.id), metadata=platform.as_user("office-staff")
    )
    assert issued.state == pb.DOCUMENT_STATE_ISSUED and issued.document_number.startswith("资府督〔")
