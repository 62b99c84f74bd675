"""What the disclosure service does with the supervision service's events (durable, idempotent consumers of
shared/consumer.py: each message has its effect once, in one transaction with its processed id).

  supervision.proposal.replied   A67: the result of a people's congress suggestion (人大代表建议) or a
                                 CPPCC proposal (政协提案) is published: one queued publication of kind
                                 PROPOSAL_RESULT per reply, for a disclosure officer to publish, with the
                                 article 26 limit from the reply's date

One publication per reply even if the same reply arrives again under another message id (a replay):
its source is `proposal/<id>/<round>` and the table holds one publication per source and kind.
The event carries the proposers' names (public with the result), never how to reach them (A80).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.store import publications as store
from services.disclosure.acts.publications import queue_publication, ref_of
from services.disclosure.protos.publications import to_proto
from services.disclosure.domain.publications import Category, Kind, ProposalKind
from shared.audit import record_act
from shared.convert import date_from_proto
from shared.inbound_events import PoisonMessage
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import events_pb2
from zgov.events.v1 import envelope_pb2
from zgov.supervision.v1 import events_pb2 as supervision_events
from zgov.supervision.v1 import proposals_pb2

STREAM = "SUPERVISION"
SYSTEM_ACTOR = common_pb2.Actor(
    user_id="disclosure", username="service-account-disclosure", display_name="政务公开系统"
)

KINDS = {
    proposals_pb2.PROPOSAL_KIND_NPC_SUGGESTION: (ProposalKind.NPC_SUGGESTION, "建议"),
    proposals_pb2.PROPOSAL_KIND_CPPCC_PROPOSAL: (ProposalKind.CPPCC_PROPOSAL, "提案"),
}


def source_of(event: supervision_events.ProposalReplied) -> str:
    """One publication per reply: the proposal and the reply's round (a reopened proposal replies twice)."""
    return f"proposal/{event.proposal.proposal_id}/{event.reply.round}"


def title_of(event: supervision_events.ProposalReplied, word: str) -> str:
    p = event.proposal
    again = "（重新办理）" if event.reply.round > 1 else ""
    return f"关于{p.session}第{p.number}号{word}的答复{again}"


def _actor(envelope: envelope_pb2.EventEnvelope) -> common_pb2.Actor:
    return envelope.actor if envelope.HasField("actor") and envelope.actor.user_id else SYSTEM_ACTOR


@dataclass
class SupervisionConsumer:
    calendar: WorkingCalendar
    today: Callable[[], date]

    def subscriptions(self) -> list[tuple[str, str, str, Callable]]:
        """(stream, durable name, subject, handler) of every consumer."""
        return [
            (STREAM, "disclosure-proposal-replied", "supervision.proposal.replied", self.on_proposal_replied)
        ]

    async def on_proposal_replied(
        self, session: AsyncSession, envelope, event: supervision_events.ProposalReplied
    ) -> None:
        if not isinstance(event, supervision_events.ProposalReplied):
            raise PoisonMessage(f"supervision.proposal.replied carries {type(event).__name__}")
        p = event.proposal
        if p.kind not in KINDS or not p.proposal_id or not event.reply.text.strip():
            raise PoisonMessage("a reply without its proposal's kind, id or text cannot be published")
        source = source_of(event)
        if await store.by_source(session, source, Kind.PROPOSAL_RESULT) is not None:
            return  # this reply is queued already (a replay under another message id)
        kind, word = KINDS[p.kind]
        today = self.today()
        actor = _actor(envelope)
        row = await queue_publication(
            session,
            self.calendar,
            today,
            kind=Kind.PROPOSAL_RESULT,
            category=Category.OTHER,
            made_on=date_from_proto(event.reply.replied_on, "replied_on", required=False) or today,
            title=title_of(event, word),
            body=event.reply.text,
            issuer_code=p.lead_body_code,
            document_number=event.reply.document_number,
            proposal={
                "proposal_kind": kind.value,
                "proposal_number": p.number,
                "proposer": "、".join(p.proposer_names),
                "session": p.session,
            },
            source_document_id=source,
        )
        await record_act(
            session, ref_of(row.id), "publication.queued", actor, f"{row.title}; publish by {row.publish_due}"
        )
        await add_event(
            session,
            "disclosure.publication.queued",
            events_pb2.PublicationQueued(publication=to_proto(row, today)),
            ref_of(row.id),
            actor,
        )
