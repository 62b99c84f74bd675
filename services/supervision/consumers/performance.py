"""The event handlers of the facts for the computed performance indicators (A64, acts/performance.py
`record_fact`), one fact per source: petitions replied on time and rated satisfied, countersigns
answered (A49), applications for information replied within the legal limit (OGI art. 33)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts import performance as performance_acts
from services.supervision.consumers.base import Handlers, day_of, sent_on
from services.supervision.domain.performance import Fact, Measure
from shared.consumer import Event
from zgov.disclosure.v1 import applications_pb2
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.petitions.v1 import petitions_pb2

log = structlog.get_logger(__name__)

SATISFIED = {petitions_pb2.SATISFACTION_SATISFIED, petitions_pb2.SATISFACTION_BASICALLY_SATISFIED}


class FactConsumers(Handlers):
    # ---- facts for the computed performance indicators (A64) ----------------------------------------

    async def on_case_replied(
        self, session: AsyncSession, envelope, event: petitions_events.CaseReplied
    ) -> None:
        case = event.case
        replied_on = day_of(event.replied_on) or sent_on(envelope, self.today())
        fact = Fact(
            Measure.PETITIONS_ON_TIME,
            f"case/{case.case_id}/reply/{replied_on.isoformat()}",
            case.handling_body_code,
            not event.late,
            replied_on,
        )
        await performance_acts.record_fact(session, fact)

    async def on_case_rated(self, session: AsyncSession, envelope, event: petitions_events.CaseRated) -> None:
        case = event.case
        fact = Fact(
            Measure.PETITIONS_SATISFIED,
            f"case/{case.case_id}/rating",
            case.handling_body_code,
            event.satisfaction in SATISFIED,
            sent_on(envelope, self.today()),
        )
        await performance_acts.record_fact(session, fact, latest=True)

    def _countersign(self, envelope, document_id: str, countersign, answered: bool) -> Fact:
        on = (day_of(countersign.answered_on) if answered else None) or sent_on(envelope, self.today())
        return Fact(
            Measure.COUNTERSIGNS_ANSWERED,
            f"document/{document_id}/countersign/{countersign.organisation_code}",
            countersign.organisation_code,
            answered,
            on,
        )

    async def on_countersigns_answered(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """A batch handler (shared/consumer.py): the facts of a fetch's events in one statement."""
        facts = [
            self._countersign(e.envelope, e.payload.document_id, e.payload.countersign, answered=True)
            for e in events
        ]
        await performance_acts.record_facts(session, facts)

    async def on_countersigns_deemed_agreed(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """A49: no answer by the limit counts as no objection, and against the body's indicator. A
        batch handler: documents' countersign clock deems every countersign fallen due in one round,
        so these events come in bursts; their facts are recorded in one statement."""
        facts = [
            self._countersign(e.envelope, e.payload.document_id, e.payload.countersign, answered=False)
            for e in events
        ]
        await performance_acts.record_facts(session, facts)

    async def on_application_replied(
        self, session: AsyncSession, envelope, event: applications_pb2.ApplicationReplied
    ) -> None:
        """OGI art. 33: an application for information answered within the legal limit or late, counted
        for the body that handled it. An event published before it named that body is counted nowhere:
        said once in the log, not retried (it will never name one)."""
        if not event.handling_body_code:
            if not self.unattributed_reply_logged:
                self.unattributed_reply_logged = True
                log.warning(
                    "a disclosure reply names no handling body (published before it did): not counted",
                    application_id=event.application.application_id,
                )
            return
        replied_on = day_of(event.replied_on) or sent_on(envelope, self.today())
        fact = Fact(
            Measure.DISCLOSURE_REPLIES_ON_TIME,
            f"application/{event.application.application_id}/reply",
            event.handling_body_code,
            not event.late,
            replied_on,
        )
        await performance_acts.record_fact(session, fact)
