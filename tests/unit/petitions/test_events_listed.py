"""deploy/nats/streams.yaml lists exactly the events the petitions service publishes (A71, A80)."""

import yaml

from deploy.local.tools import ROOT
from services.petitions.protos import cases as events
from services.petitions.acts import reconsiderations
from zgov.petitions.v1 import events_pb2

DOC = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())
PERSONAL = {
    "petitioners",
    "petitioner",
    "name",
    "phone",
    "id_number",
    "address",
    "content",
    "attachments",
    "body_complained_about",
    "person_complained_about",
    "title",
}


def test_petitions_events_listed_are_the_ones_published():
    (stream,) = [s for s in DOC["streams"] if s["name"] == "PETITIONS"]
    published = {
        f"petitions.case.{name}": f"zgov.petitions.v1.{message.__name__}"
        for name, message in events.MESSAGE_TYPES.items()
    }
    published |= {
        f"petitions.reconsideration.{name}": f"zgov.petitions.v1.{message.__name__}"
        for name, message in reconsiderations.EVENTS.items()
    }
    assert stream["events"] == published


def test_A71_A80_no_event_message_has_a_field_for_personal_data():
    """Checked on the contract itself: no event (nor its case summary) can carry identity or content."""
    for message in [
        *events.MESSAGE_TYPES.values(),
        events_pb2.CaseSummary,
        *reconsiderations.EVENTS.values(),
        reconsiderations.events_pb.ReconsiderationSummary,
    ]:
        names = {f.name for f in message.DESCRIPTOR.fields}
        assert not names & PERSONAL, message.__name__
