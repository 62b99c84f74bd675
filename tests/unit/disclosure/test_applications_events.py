"""The applications side's events: listed in deploy/nats/streams.yaml, and unable to carry personal data."""

import yaml

from deploy.local.tools import ROOT
from services.disclosure.protos.applications import EVENT_TYPES
from zgov.disclosure.v1 import applications_pb2 as pb

DOC = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())
PERSONAL = {
    "applicant",
    "name",
    "id_number",
    "phone",
    "email",
    "address",
    "contact_person",
    "description",
    "content",
    "purpose",
    "query_code",
    "party_name",
    "opinion",
}


def test_application_events_are_listed_in_the_disclosure_stream():
    (stream,) = [s for s in DOC["streams"] if s["name"] == "DISCLOSURE"]
    listed = {
        subject: message
        for subject, message in stream["events"].items()
        if subject.startswith(("disclosure.application.", "disclosure.report."))
    }
    assert listed == {subject: f"zgov.disclosure.v1.{m.__name__}" for subject, m in EVENT_TYPES.items()}


def test_no_application_event_has_a_field_for_the_applicants_data():
    for message in [*EVENT_TYPES.values(), pb.ApplicationSummary]:
        assert not {f.name for f in message.DESCRIPTOR.fields} & PERSONAL, message.__name__
