"""An event as it arrives from the bus: its envelope and payload decoded, and who sent it checked.

Who sent it (发送方核验): NATS lets each service publish only on its own subjects `<service>.>`
(shared/bus.py), so the first token of the subject a message came on names the service that
published it. An envelope that says another service produced it (its `producer`, its own `subject`,
or a payload of another service's package zgov.<service>.v1) is refused: shared.consumer dead-letters
it at once with an error log line naming both, never handled. A message that cannot be decoded (not
an EventEnvelope, or a payload type this process does not know) raises PoisonMessage, as a handler
does for an event no retry can help.
"""

from __future__ import annotations

from google.protobuf import any_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

from shared.outbox import service_of
from zgov.events.v1 import envelope_pb2


class PoisonMessage(Exception):
    """A message no retry can help: dead-lettered on first sight."""


def payload_service(type_name: str) -> str:
    """The service whose events package holds a payload type (zgov.documents.v1.X → documents);
    empty for types outside the platform's packages (e.g. google.protobuf.StringValue)."""
    parts = type_name.split(".")
    if len(parts) < 4 or parts[0] != "zgov":
        return ""
    return parts[1].replace("_", "-")


def foreign_claims(subject: str, envelope: envelope_pb2.EventEnvelope) -> list[str]:
    """What the envelope says about itself that contradicts the NATS subject it came on.

    The subject's first token is the publisher (only that service's NATS user may publish there).
    An empty claim (e.g. `producer` of an event written before the field existed) says nothing. An
    envelope of the publisher's own that names another of its events ("event") is refused too: the
    relay always publishes an envelope on its own subject, so a consumer of one event never handles
    another republished onto its subject."""
    publisher = service_of(subject)
    claims = {
        "producer": envelope.producer,
        "subject": service_of(envelope.subject) if envelope.subject else "",
        "payload": payload_service(envelope.payload.TypeName()),
    }
    found = [f"{what} {claim!r}" for what, claim in claims.items() if claim and claim != publisher]
    if envelope.subject and envelope.subject != subject and claims["subject"] == publisher:
        found.append(f"event {envelope.subject!r}")
    return found


def unpack_payload(payload: any_pb2.Any) -> Message:
    """The event message inside the envelope; its *_pb2 module must have been imported."""
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(payload.TypeName())
    except KeyError as exc:
        raise PoisonMessage(f"unknown payload type {payload.type_url!r}") from exc
    message = message_factory.GetMessageClass(descriptor)()
    if not payload.Unpack(message):
        raise PoisonMessage(f"payload does not unpack as {payload.TypeName()}")
    return message


def decode(data: bytes) -> tuple[envelope_pb2.EventEnvelope, Message]:
    try:
        envelope = envelope_pb2.EventEnvelope.FromString(data)
    except Exception as exc:
        raise PoisonMessage(f"not an EventEnvelope: {exc}") from exc
    return envelope, unpack_payload(envelope.payload)
