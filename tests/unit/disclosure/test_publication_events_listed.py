"""deploy/nats/streams.yaml lists the publication events the disclosure service publishes, and its
consumers of documents' events."""

import re

import yaml

from deploy.local.tools import ROOT
from zgov.disclosure.v1 import events_pb2

DOC = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())
SOURCES = ["acts/publications.py", "events.py"]


def test_publication_events_listed_are_the_ones_published():
    source = "\n".join((ROOT / "services" / "disclosure" / name).read_text() for name in SOURCES)
    published = set(re.findall(r'"(disclosure\.(?:publication|comment)\.[a-z-]+)"', source))
    (stream,) = [s for s in DOC["streams"] if s["name"] == "DISCLOSURE"]
    listed = {k: v for k, v in stream["events"].items() if k.split(".")[1] in ("publication", "comment")}
    assert set(listed) == published
    for message in listed.values():
        assert message.startswith("zgov.disclosure.v1.") and hasattr(events_pb2, message.rsplit(".", 1)[1])


def test_comment_events_carry_no_commenter():
    names = {f.name for f in events_pb2.CommentReceived.DESCRIPTOR.fields}
    assert not names & {"author_name", "contact", "text"}
