"""deploy/nats/streams.yaml lists exactly the events the meetings service publishes."""

import re

import yaml
from zgov.meetings.v1 import events_pb2

from deploy.local.tools import ROOT


def test_meetings_events_listed_are_the_ones_meetings_publishes():
    doc = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())
    source = "\n".join(p.read_text() for p in (ROOT / "services" / "meetings").rglob("*.py"))
    published = set(re.findall(r'"(meetings\.[a-z_]+\.[a-z_]+)"', source))
    (meetings,) = [s for s in doc["streams"] if s["name"] == "MEETINGS"]
    assert set(meetings["events"]) == published
    for subject, message in meetings["events"].items():
        assert message.startswith("zgov.meetings.v1.") and hasattr(events_pb2, message.rsplit(".", 1)[1]), (
            subject
        )
