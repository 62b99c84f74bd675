"""The event bus admits each service as its own NATS user with exactly its rights (deploy/local/nats_auth.py),
against a real nats-server with authentication on; and a consumer refuses an envelope that names another
producer than the subject it came on (shared/consumer.py).

- a forged event published with another service's credentials is refused by NATS and stored nowhere;
- a client without credentials, or with a key NATS does not know, cannot connect;
- a service cannot read a stream it does not consume: no consumer on it, no subscription to its
  subjects, no peeking at other services' inboxes;
- what each service needs works as its own user: declare its stream, publish, run its consumers;
- an envelope claiming another producer is dead-lettered at once, logged and counted;
- over TLS a service checks the server's certificate against its CA (shared/bus.py, as the chart runs it).
"""

from __future__ import annotations

import nats.errors
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from sqlalchemy import text

from deploy.local import nats_auth
from shared import bus as shared_bus
from shared.config import settings_for
from shared.consumer import EventConsumer, consumer_config
from shared.outbox import MSG_ID_HEADER, build_envelope
from shared.streams import ensure_stream
from tests.fixtures.bus_auth import ADMIN
from tests.fixtures.pki import serving_certificate
from tests.fixtures.polling import eventually
from tests.fixtures.streams import consumer_acked_up_to
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.org.v1 import events_pb2 as org_events

pytestmark = pytest.mark.integration

ISSUED = "documents.document.issued"


def issued_envelope(document_id: str = "doc-1"):
    event = documents_events.DocumentIssued(
        document=documents_pb2.Document(id=document_id),
        disclosure=documents_pb2.DISCLOSURE_ATTRIBUTE_PROACTIVE,
    )
    return build_envelope(ISSUED, event, f"document/{document_id}")


async def publish(js, envelope, subject: str | None = None):
    return await js.publish(
        subject or envelope.subject,
        envelope.SerializeToString(),
        headers={MSG_ID_HEADER: envelope.event_id},
        timeout=1,
    )


async def documents_stream(bus) -> object:
    """The DOCUMENTS stream, declared by the documents service as its own user; its JetStream context."""
    documents = await bus.connect("documents")
    js = documents.jetstream(timeout=5)
    await ensure_stream(js, "documents")
    return js


async def test_an_event_forged_with_another_services_credentials_is_refused_by_nats(production_nats):
    bus = production_nats("forged")
    documents_js = await documents_stream(bus)
    petitions = await bus.connect("petitions", probe=True)  # the forger: its refusals are expected
    with pytest.raises(nats.errors.TimeoutError):  # NATS dropped it: no stream ever acknowledged it
        await publish(petitions.jetstream(timeout=1), issued_envelope())
    # nor as a plain message, which the stream would have stored just the same
    await petitions.publish(ISSUED, issued_envelope().SerializeToString())
    await petitions.flush()
    await eventually(lambda: len(bus.refusals["petitions"]) >= 2, what="both refusals reported")
    assert all(f'permissions violation for publish to "{ISSUED}"' in r for r in bus.refusals["petitions"])
    assert (await documents_js.stream_info("DOCUMENTS")).state.messages == 0
    # the stream's owner publishes there as before
    await publish(documents_js, issued_envelope())
    assert (await documents_js.stream_info("DOCUMENTS")).state.messages == 1


async def test_a_client_without_credentials_or_with_an_unknown_key_cannot_connect(production_nats):
    bus = production_nats("strangers")
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await bus.connect(None)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await bus.connect("documents", seed=nats_auth.new_seed())


async def test_a_service_cannot_read_a_stream_it_does_not_consume(production_nats):
    bus = production_nats("spy")
    documents_js = await documents_stream(bus)
    await publish(documents_js, issued_envelope())
    petitions = await bus.connect("petitions", probe=True)  # the spy: its refusals are expected
    petitions_js = petitions.jetstream(timeout=1)
    # no consumer of its own on DOCUMENTS, nor disclosure's (it would take disclosure's messages)
    for durable, subject in (("petitions-spy", "documents.>"), ("disclosure-issued", ISSUED)):
        with pytest.raises(nats.errors.TimeoutError):
            await petitions_js.add_consumer("DOCUMENTS", consumer_config(durable, subject))
    # no plain subscription to the subjects, nor to the replies other services receive
    seen: list = []

    async def peek(msg) -> None:
        seen.append(msg)

    for subject in ("documents.>", "_INBOX.>", "_INBOX.disclosure.>"):
        await petitions.subscribe(subject, cb=peek)
    await petitions.flush()
    await publish(documents_js, issued_envelope("doc-2"))
    await eventually(lambda: len(bus.refusals["petitions"]) >= 5, what="five refusals reported")
    refusals = "\n".join(bus.refusals["petitions"])
    assert "$js.api.consumer.create.documents.petitions-spy" in refusals
    assert "$js.api.consumer.create.documents.disclosure-issued" in refusals
    assert 'subscription to "documents.>"' in refusals and 'subscription to "_inbox.>"' in refusals
    assert 'subscription to "_inbox.disclosure.>"' in refusals
    assert seen == []
    info = await documents_js.stream_info("DOCUMENTS")
    assert info.state.consumer_count == 0


async def test_each_service_does_what_it_needs_as_its_own_user(production_nats, sessions, sample_engine):
    """documents declares its stream and publishes; disclosure runs its declared consumer (create,
    pull, ack) with the shared consumer loop; the consumer lists of streams.yaml grant exactly that."""
    bus = production_nats("own-rights")
    documents_js = await documents_stream(bus)
    await publish(documents_js, issued_envelope())
    disclosure = await bus.connect("disclosure")
    disclosure_js = disclosure.jetstream(timeout=5)
    await ensure_stream(disclosure_js, "disclosure")  # its own stream
    handled: list = []

    async def handler(session, envelope, payload):
        handled.append(payload.document.id)

    consumer = EventConsumer(
        disclosure_js, sessions, "DOCUMENTS", "disclosure-issued", ISSUED, handler, fetch_timeout=0.5
    )
    await consumer.start()
    try:
        await eventually(lambda: handled == ["doc-1"], what="the issued event handled")
        await eventually(lambda: _acked(bus, "disclosure-issued", 1), what="acknowledged")
    finally:
        await consumer.stop()
    assert bus.refusals.get("disclosure", []) == []


async def test_an_envelope_naming_another_producer_is_dead_lettered_logged_and_counted(
    production_nats, sessions, sample_engine, caplog
):
    """Published with documents' own credentials on its own subject, but the envelope says org produced
    it (a forged or misrouted event): never handled, dead-lettered at once, one log line, counted."""
    bus = production_nats("foreign-producer")
    documents_js = await documents_stream(bus)
    claims_org = issued_envelope("doc-claims-org")
    claims_org.producer = "org"
    org_payload = build_envelope(ISSUED, org_events.LeaveApproved(), "leave/1")  # an org event inside
    org_subject = issued_envelope("doc-org-subject")
    org_subject.subject = "org.leave.approved"
    for envelope in (claims_org, org_payload, org_subject, issued_envelope("doc-fine")):
        await publish(documents_js, envelope, ISSUED)

    disclosure = await bus.connect("disclosure")
    reader = InMemoryMetricReader()
    handled: list = []

    async def handler(session, envelope, payload):
        handled.append(payload.document.id)

    consumer = EventConsumer(
        disclosure.jetstream(timeout=5),
        sessions,
        "DOCUMENTS",
        "disclosure-issued",
        ISSUED,
        handler,
        fetch_timeout=0.5,
        meter=MeterProvider(metric_readers=[reader]).get_meter("t"),
    )
    await consumer.start()
    try:
        await eventually(lambda: _acked(bus, "disclosure-issued", 4), what="all four settled")
    finally:
        await consumer.stop()
    assert handled == ["doc-fine"]
    async with sample_engine.connect() as conn:
        dead = (
            await conn.execute(
                text("SELECT message_id, deliveries, error FROM dead_letters ORDER BY stream_seq")
            )
        ).all()
    assert [(d.message_id, d.deliveries) for d in dead] == [
        (claims_org.event_id, 1),
        (org_payload.event_id, 1),
        (org_subject.event_id, 1),
    ]
    assert "producer 'org'" in dead[0].error and "payload 'org'" in dead[1].error
    assert "subject 'org'" in dead[2].error
    assert all("published by 'documents'" in d.error for d in dead)
    refused = [r for r in caplog.records if "refused: came on" in r.getMessage()]
    assert len(refused) == 3 and all(r.levelname == "ERROR" for r in refused)
    assert _dead_letter_counts(reader) == {("disclosure-issued", "DOCUMENTS", "foreign-producer"): 3}


async def test_a_service_connects_over_tls_and_refuses_a_server_its_ca_did_not_sign(
    production_nats, tmp_path
):
    ca, certificate, key = serving_certificate(tmp_path / "tls", "127.0.0.1")
    other_ca, _, _ = serving_certificate(tmp_path / "other", "127.0.0.1")
    bus = production_nats("tls", tls=(certificate, key))
    assert bus.url.startswith("tls://")
    settings = settings_for(
        "documents",
        database_url="postgresql+asyncpg://u@db/documents",
        nats_url=bus.url,
        keycloak_url="http://keycloak",
        grpc_port=0,
        nats_nkey_seed=bus.seeds["documents"],
        nats_ca_file=ca,
    )
    client = await shared_bus.connect(settings, allow_reconnect=False, connect_timeout=3)
    try:
        js = client.jetstream(timeout=5)
        await ensure_stream(js, "documents")
        assert (await publish(js, issued_envelope())).stream == "DOCUMENTS"
    finally:
        await client.close()
    impostor = settings.model_copy(update={"nats_ca_file": other_ca})
    with pytest.raises(Exception) as refused:
        await shared_bus.connect(impostor, allow_reconnect=False, connect_timeout=3)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(refused.value) or "certificate verify failed" in str(
        refused.value
    )


# ---- helpers ---------------------------------------------------------------------------------


async def _acked(bus, durable: str, seq: int) -> bool:
    """Seen by the admin user: no service may read another's consumer state (documents neither)."""
    admin = await bus.connect(ADMIN)
    try:
        return await consumer_acked_up_to(admin.jetstream(timeout=5), "DOCUMENTS", durable, seq)
    finally:
        await admin.close()


def _dead_letter_counts(reader: InMemoryMetricReader) -> dict:
    counts: dict = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "zgov.events.dead_lettered":
                    for point in metric.data.data_points:
                        a = point.attributes
                        counts[(a["consumer"], a["stream"], a["reason"])] = point.value
    return counts
