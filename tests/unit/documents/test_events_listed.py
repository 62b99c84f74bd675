"""deploy/nats/streams.yaml lists exactly the events the documents service publishes."""

import re

import yaml

from deploy.local.tools import ROOT
from zgov.documents.v1 import events_pb2


def test_documents_events_listed_are_the_ones_documents_publishes():
    source = "\n".join(p.read_text() for p in (ROOT / "services" / "documents").rglob("*.py"))
    published = set(re.findall(r'"(documents\.[a-z_]+\.[a-z_-]+)"', source))
    doc = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())
    (stream,) = [s for s in doc["streams"] if s["name"] == "DOCUMENTS"]
    assert set(stream["events"]) == published
    for message in stream["events"].values():
        assert message.startswith("zgov.documents.v1.") and hasattr(events_pb2, message.rsplit(".", 1)[1])
