"""The disclosure service on an event bus with authentication on (as `make up` runs it): it connects as its
own NATS user, runs its consumers of documents' events and relays its own events; a forged
documents.document.issued changes nothing in it.

The forgeries are the ones of issue 13: an envelope published by hand on documents.document.issued made
disclosure queue a publication recorded as done by the mayor.
"""

from __future__ import annotations

from datetime import date

import nats.errors
import pytest

from shared.outbox import MSG_ID_HEADER, build_envelope
from shared.streams import ensure_stream
from tests.fixtures.bus_auth import ADMIN
from tests.fixtures.events import stream_messages
from tests.fixtures.polling import eventually
from tests.integration.disclosure.conftest import DOCUMENTS_ACTOR
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import publications_pb2 as pb
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events

pytestmark = pytest.mark.integration

ISSUED = "documents.document.issued"
MAYOR = common_pb2.Actor(user_id="u-mayor", username="mayor", display_name="市长", positions=["mayor"])


def issued(document_id: str):
    today = date.today()
    document = documents_pb2.Document(
        id=document_id,
        state=documents_pb2.DOCUMENT_STATE_ISSUED,
        document_number="资府发〔2026〕99号",
        content=documents_pb2.DocumentContent(
            kind=documents_pb2.DOCUMENT_KIND_NOTICE,
            title="关于伪造事件的通知",
            body="……",
            authority=documents_pb2.SIGN_OFF_AUTHORITY_ROUTINE,
        ),
        sender=documents_pb2.Sender(organisation_code="city-government", name="资阳市人民政府"),
        issued_on=common_pb2.Date(year=today.year, month=today.month, day=today.day),
    )
    return documents_events.DocumentIssued(
        document=document, disclosure=documents_pb2.DISCLOSURE_ATTRIBUTE_PROACTIVE
    )


def envelope_of(document_id: str, actor=DOCUMENTS_ACTOR):
    return build_envelope(ISSUED, issued(document_id), f"document/{document_id}", actor)


async def publish(js, envelope) -> None:
    await js.publish(
        ISSUED, envelope.SerializeToString(), headers={MSG_ID_HEADER: envelope.event_id}, timeout=2
    )


async def queued(disclosure) -> set[str]:
    reply = await disclosure.publications.ListQueue(
        pb.ListQueueRequest(), metadata=disclosure.as_user("disclosure-officer")
    )
    return {p.source_document_id for p in reply.publications}


async def consumer_bound(bus) -> bool:
    admin = await bus.connect(ADMIN)
    try:
        await admin.jetstream(timeout=5).consumer_info("DOCUMENTS", "disclosure-issued")
        return True
    except nats.errors.Error:
        return False
    finally:
        await admin.close()


async def test_a_forged_documents_issued_changes_nothing_in_disclosure(disclosure_nats, disclosure):
    bus = disclosure_nats  # disclosure runs on it as its own user (conftest.py)
    documents = await bus.connect("documents")
    documents_js = documents.jetstream(timeout=5)
    await ensure_stream(documents_js, "documents")
    await eventually(
        lambda: consumer_bound(bus), timeout=30, what="disclosure's consumer declared as its own user"
    )

    # 1. with the petitions service's credentials, "as the mayor": NATS refuses it
    petitions = await bus.connect("petitions", probe=True)  # the forger: its refusal is expected
    with pytest.raises(nats.errors.TimeoutError):
        await publish(petitions.jetstream(timeout=2), envelope_of("forged-by-petitions", MAYOR))
    # 2. without credentials: no connection at all
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await bus.connect(None)
    # 3. on documents' subject, but the envelope says another service produced it: dead-lettered
    claims_org = envelope_of("claims-org", MAYOR)
    claims_org.producer = "org"
    await publish(documents_js, claims_org)
    # 4. the documents service's own event, as its relay publishes it: queued as before
    await publish(documents_js, envelope_of("genuine"))

    assert await eventually(lambda: _has(disclosure, "genuine"))
    assert await queued(disclosure) == {"genuine"}
    assert any(
        'permissions violation for publish to "documents.document.issued"' in r
        for r in bus.refusals["petitions"]
    )
    dead = await _dead_letters(disclosure)
    assert [(d["message_id"], d["subject"]) for d in dead] == [(claims_org.event_id, ISSUED)]
    assert "producer 'org'" in dead[0]["error"]
    # disclosure relayed its own event on its own stream, as its own user
    admin = await bus.connect(ADMIN)
    relayed = await stream_messages(admin.jetstream(timeout=5), "DISCLOSURE")
    assert [m.subject for m in relayed] == ["disclosure.publication.queued"]
    assert bus.violations() == []  # the server refused the disclosure service nothing


async def _has(disclosure, document_id: str) -> bool:
    return document_id in await queued(disclosure)


async def _dead_letters(disclosure) -> list[dict]:
    from sqlalchemy import text

    from shared.db import create_engine

    engine = create_engine(disclosure.database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT message_id, subject, error FROM dead_letters ORDER BY dead_at")
            )
            return [dict(r._mapping) for r in rows]
    finally:
        await engine.dispose()
