"""What the documents service does with other services' events (durable, idempotent consumers of
shared/consumer.py: each message has its effect once, in one transaction with its processed id).

  supervision.circular.requested  A61: the supervision office's monthly circular (情况通报) becomes a
                                  draft outgoing document of kind circular (通报), drafted by and for
                                  the supervision office, its text the circular's (built by supervision
                                  from the month's tally: on time, closed, overdue per lead body, the
                                  items praised and criticised); it then goes the usual way — sign-off
                                  by the secretary-general (A51, routine), the check before issue, the
                                  number and the GB/T 9704 PDF

Who sent it: shared/consumer.py refuses (dead-letters, no effect) an envelope whose producer, own
subject or payload does not match the subject it came on, so only supervision's own event reaches
the handler. One document per circular (`document.source_ref` unique), so a replay of the event
under a new message id changes nothing either.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.documents.v1 import documents_pb2 as pb
from zgov.events.v1 import envelope_pb2
from zgov.supervision.v1 import circulars_pb2

from services.documents import domain
from services.documents.acts import Env, drafting
from services.documents.protos import new_document
from shared.errors import InvalidInput, RuleViolation
from shared.identity import Actor
from shared.inbound_events import PoisonMessage

SUPERVISION_ACCOUNT = Actor(
    user_id="service-account-supervision",
    username="service-account-supervision",
    display_name="督查督办系统",
    is_service=True,
    client_id="supervision",
)


def source_of(event: circulars_pb2.CircularRequested) -> str:
    return f"supervision/circular/{event.circular_id}"


def drafter(envelope: envelope_pb2.EventEnvelope, office_code: str) -> Actor:
    """The officer who sent the circular, drafting for the supervision office (else the service)."""
    who = envelope.actor if envelope.HasField("actor") and envelope.actor.user_id else None
    if who is None:
        return dataclasses.replace(SUPERVISION_ACCOUNT, organisation_code=office_code)
    return Actor(
        user_id=who.user_id,
        username=who.username,
        display_name=who.display_name,
        positions=frozenset(who.positions),
        organisation_code=office_code,
        on_behalf_of_user_id=who.on_behalf_of_user_id or None,
        on_behalf_of_position=who.on_behalf_of_position or None,
    )


@dataclass(frozen=True)
class CircularDraft:
    """How a circular is drafted: its issuer code (the number 资府督〔2026〕N号) and disclosure."""

    issuer_code: str
    disclosure: int = pb.DISCLOSURE_ATTRIBUTE_ON_REQUEST

    def content(self, event: circulars_pb2.CircularRequested) -> pb.DocumentContent:
        """A routine document (事务性文件) of the office, signed off by the secretary-general (A51), to
        the bodies it names (the lead bodies of the items praised or criticised)."""
        receivers = dict.fromkeys(e.lead_body_code for e in event.entries if e.lead_body_code)
        return pb.DocumentContent(
            kind=pb.DOCUMENT_KIND_CIRCULAR,
            title=event.title,
            body=event.text,
            main_receivers=[pb.Body(code=code) for code in receivers],
            urgency=pb.URGENCY_ORDINARY,
            classification=pb.CLASSIFICATION_NONE,
            authority=pb.SIGN_OFF_AUTHORITY_ROUTINE,
            issuer_code=self.issuer_code,
            lead_organisation_code=event.organisation_code,
            disclosure=self.disclosure,
        )


@dataclass
class EventConsumers:
    env: Env
    circular: CircularDraft

    def subscriptions(self) -> list[tuple[str, str, str, Callable]]:
        """(stream, durable name, subject, handler) of every consumer."""
        return [
            (
                "SUPERVISION",
                "documents-circular-requested",
                "supervision.circular.requested",
                self.on_circular_requested,
            )
        ]

    async def on_circular_requested(
        self, session: AsyncSession, envelope, event: circulars_pb2.CircularRequested
    ) -> None:
        if not isinstance(event, circulars_pb2.CircularRequested):
            raise PoisonMessage(f"supervision.circular.requested carries {type(event).__name__}")
        if not event.circular_id or not event.organisation_code:
            raise PoisonMessage("a circular without its id or its drafting office cannot be drafted")
        new = new_document(domain.Direction.OUTGOING, self.circular.content(event))
        try:
            await drafting.draft_from_source(
                session, drafter(envelope, event.organisation_code), new, source_of(event), self.env
            )
        except (InvalidInput, RuleViolation) as refused:  # no retry makes it draftable
            raise PoisonMessage(f"circular {event.circular_id} cannot be drafted: {refused}") from refused
