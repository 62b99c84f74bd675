"""Which service an envelope says produced it, against the subject it came on (shared/inbound_events.py).
The consumer loop that dead-letters on a mismatch is proven in tests/integration/test_event_bus_auth.py."""

from google.protobuf import wrappers_pb2

from shared.inbound_events import foreign_claims, payload_service
from shared.outbox import build_envelope
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.org.v1 import events_pb2 as org_events

ISSUED = "documents.document.issued"


def test_an_envelope_built_by_the_outbox_names_its_subjects_service():
    envelope = build_envelope(ISSUED, documents_events.DocumentIssued(), "document/1")
    assert envelope.producer == "documents"
    assert foreign_claims(ISSUED, envelope) == []


def test_each_claim_of_another_service_is_named():
    envelope = build_envelope(ISSUED, org_events.LeaveApproved(), "leave/1")
    envelope.producer = "petitions"
    envelope.subject = "meetings.topic.accepted"
    assert foreign_claims(ISSUED, envelope) == ["producer 'petitions'", "subject 'meetings'", "payload 'org'"]


def test_another_event_of_the_same_producer_on_this_subject_is_named():
    """A consumer of one event must not handle another event republished onto its subject (this was
    a check of supervision's consumers alone)."""
    envelope = build_envelope("documents.document.withdrawn", documents_events.DocumentIssued(), "document/1")
    assert foreign_claims(ISSUED, envelope) == ["event 'documents.document.withdrawn'"]


def test_an_event_written_before_the_producer_field_is_judged_by_subject_and_payload():
    envelope = build_envelope(ISSUED, documents_events.DocumentIssued(), "document/1")
    envelope.ClearField("producer")
    assert foreign_claims(ISSUED, envelope) == []
    assert foreign_claims("org.leave.approved", envelope) == ["subject 'documents'", "payload 'documents'"]


def test_payload_types_outside_the_platforms_packages_claim_no_service():
    assert payload_service("zgov.documents.v1.DocumentIssued") == "documents"
    assert payload_service("google.protobuf.StringValue") == ""
    envelope = build_envelope("svc1.leave.approved", wrappers_pb2.StringValue(value="x"), "leave/1")
    assert foreign_claims("svc1.leave.approved", envelope) == []
