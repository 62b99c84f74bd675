"""What the supervision service's event handlers share: what the acts need (Handlers' fields, the acts'
Context), the envelope's actor and the day an event happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date

from services.supervision.acts import items as acts
from services.supervision.acts.people import People
from services.supervision.domain import items as domain
from shared.convert import CHINA, date_from_proto
from shared.workdays import WorkingCalendar
from zgov.events.v1 import envelope_pb2


def actor_of(envelope: envelope_pb2.EventEnvelope):
    return envelope.actor if envelope.HasField("actor") and envelope.actor.user_id else acts.SYSTEM_ACTOR


def day_of(value) -> date | None:
    return date_from_proto(value, "date", required=False)


def sent_on(envelope: envelope_pb2.EventEnvelope, today: date) -> date:
    """The day in China the event happened (its envelope's time), else today."""
    if not envelope.HasField("occurred_at"):
        return today
    return envelope.occurred_at.ToDatetime(tzinfo=UTC).astimezone(CHINA).date()


@dataclass
class Handlers:
    """What every handler needs; EventConsumers (consumers/__init__.py) has the handlers of every kind."""

    cal: WorkingCalendar
    limits: domain.Limits
    people: People
    today: Callable[[], date]
    # A53: the body that runs the handling of filed documents (the general office, 市政府办公室).
    general_office_code: str = "general-office"
    # An application's reply from before the event named its body was logged (once per process).
    unattributed_reply_logged: bool = field(default=False, init=False)

    def context(self) -> acts.Context:
        return acts.Context(self.cal, self.today(), self.limits, self.people)

    async def _lead(self, code: str) -> str:
        """A body the directory knows, else none: the office assigns the item by hand then."""
        return code if code and await self.people.known_body(code) else ""
