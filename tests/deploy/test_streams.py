"""deploy/nats/streams.yaml says what shared/streams.py declares and what the services publish."""

import re
from datetime import timedelta

import yaml

from deploy.local import nats_auth
from deploy.local.tools import ROOT
from shared import audit_anchor, streams
from zgov.events.v1 import audit_anchor_pb2
from zgov.org.v1 import events_pb2

DOC = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())
SERVICES = ["org", "meetings", "documents", "supervision", "disclosure", "petitions"]


def hours(text: str) -> float:
    return timedelta(hours=float(text.removesuffix("h"))).total_seconds()


def test_one_stream_per_service_as_declared_by_code():
    documented = {s["name"]: s for s in DOC["streams"]}
    assert set(documented) == {streams.stream_name(s) for s in SERVICES}
    defaults = DOC["defaults"]
    for service in SERVICES:
        config = streams.stream_config(service)
        doc = documented[config.name]
        assert doc["subjects"] == config.subjects == [f"{service}.>"]
        assert config.storage.value == defaults["storage"]
        assert config.retention.value == defaults["retention"]
        assert config.discard.value == defaults["discard"]
        assert config.max_age == hours(defaults["max_age"])
        assert config.duplicate_window == hours(defaults["duplicate_window"])
        assert config.num_replicas == defaults["replicas"]


def test_org_events_listed_are_the_ones_org_publishes():
    source = "\n".join(p.read_text() for p in (ROOT / "services" / "org").rglob("*.py"))
    published = set(re.findall(r'"(org\.[a-z_]+\.[a-z_]+)"', source))
    (org,) = [s for s in DOC["streams"] if s["name"] == "ORG"]
    assert set(org["events"]) == published
    for subject, message in org["events"].items():
        assert message.startswith("zgov.org.v1.") and hasattr(events_pb2, message.rsplit(".", 1)[1]), subject


def test_A20_audit_anchor_streams_as_declared_by_code():
    """Every service with a NATS user records acts and anchors its chain's head in a stream of its own
    (shared/audit_anchor.py) that forbids deletion and purge."""
    doc = DOC["audit_anchors"]
    assert sorted(doc["services"]) == sorted(nats_auth.bus_users())
    for service in doc["services"]:
        config = audit_anchor.anchor_stream_config(service)
        assert config.name == doc["stream"].replace("<SERVICE>", streams.stream_name(service))
        assert config.subjects == [doc["subject"].replace("<service>", service)]
        assert (
            (config.deny_delete, config.deny_purge) == (doc["deny_delete"], doc["deny_purge"]) == (True, True)
        )
        assert config.storage.value == doc["storage"] and config.retention.value == doc["retention"]
        assert config.max_age == hours(doc["max_age"])
        assert config.duplicate_window == hours(doc["duplicate_window"])
        # outside the service's event stream, whose `<service>.>` would otherwise take it (30 days only)
        assert not config.subjects[0].startswith(f"{service}.")
    assert doc["event"] == "zgov.events.v1." + audit_anchor_pb2.AuditChainAnchored.DESCRIPTOR.name
