"""What the supervision service does with other services' events (durable, idempotent consumers of
shared/consumer.py: each message has its effect once, in one transaction with its processed id).

  meetings.decision.recorded      a decision of signed minutes → one item (A60–A62); a decision of a
                                  plenary or executive meeting on an A28 matter is a major decision (A29)
  meetings.decision.superseded    corrected minutes (A26): the item follows the restating decision,
                                  or is withdrawn with the decision
  petitions.case.leader-instructed  a leader's instruction (批示) on a petition → one item, lead body
                                  the case's handling body, instructing leader (and acting holder, A10/A59)
  petitions.case.overdue          a petition past a limit → one overdue item per case and stage
  disclosure.concern.overdue      a public concern past a limit → one overdue item per concern and limit
  documents.document.overdue      a filed document past its A53 handling limit → one overdue item per
                                  document and limit, led by the general office (it runs the handling)
  petitions.reconsideration.overdue  an administrative reconsideration step past its statutory limit
                                  (A69) → one overdue item per application and step, led by the body
                                  that must act (the reconsideration office, or the respondent body
                                  for its answer)
  org.attendance.decided          a city leader agreed to attend an inspection or research visit
                                  (调研、视察, A54) → one research day of his on its day (A31), once per
                                  attendance (`research_visit.source_ref`), once per calendar day
                                  (a day entered by hand too is corroborated, not counted twice)
  org.attendance.outcome_recorded the office recorded whether he attended it: not attended, the day
                                  is counted no more (`research_visit.attended`, migration 0016)
  org.trip.overdue                a trip abroad's report after return (A57) or a gift's hand-over
                                  (A58) past its limit → one overdue item per trip and step (and
                                  gift), led by the body that sent the trip

Facts for the computed performance indicators (A64, acts/performance.py `record_fact`), one per source:
  petitions.case.replied          a reply of the handling body, on time or late (MEASURE_PETITIONS_ON_TIME)
  petitions.case.rated            the petitioner's rating of the reply, the latest counting
                                  (MEASURE_PETITIONS_SATISFIED)
  documents.countersign.answered  a countersign answered in time by the body asked (A49) …
  documents.countersign.deemed-agreed  … or left to deemed agreement (MEASURE_COUNTERSIGNS_ANSWERED);
                                  both batch handlers: a fetch's facts in one statement (documents'
                                  countersign clock deems all that fell due in one round, a burst)
  disclosure.application.replied  an application for information answered by the body that handled it,
                                  within the legal limit or late (MEASURE_DISCLOSURE_REPLIES_ON_TIME);
                                  an event from before it named the body counts nowhere (logged once)

Who sent it: shared/consumer.py refuses (dead-letters, no effect) an envelope whose producer, own
subject or payload does not match the subject it came on, so only the owning service's own event
reaches a handler here. A source (service + ref) makes at most one item (store.claim_source), so
a replayed event — a new message id for the same decision — also changes nothing.

The handlers by what they feed: consumers/items.py (items from decisions, instructions and limits
passed elsewhere), consumers/research.py (research days, A31), consumers/performance.py (the A64
facts); consumers/base.py what they share (the acts' context, the envelope's actor and day).
"""

from __future__ import annotations

from collections.abc import Callable

from services.supervision.consumers.base import Handlers
from services.supervision.consumers.items import ItemConsumers
from services.supervision.consumers.performance import FactConsumers
from services.supervision.consumers.research import ResearchConsumers
from shared.consumer import batch_handler

__all__ = ["EventConsumers", "Handlers"]


class EventConsumers(ItemConsumers, ResearchConsumers, FactConsumers):
    """The handlers, with what the acts need (the fields of Handlers)."""

    def subscriptions(self) -> list[tuple[str, str, str, Callable]]:
        """(stream, durable name, subject, handler) of every consumer."""
        return [
            ("MEETINGS", "supervision-decision-recorded", "meetings.decision.recorded", self.on_decision),
            (
                "MEETINGS",
                "supervision-decision-superseded",
                "meetings.decision.superseded",
                self.on_superseded,
            ),
            (
                "PETITIONS",
                "supervision-leader-instructed",
                "petitions.case.leader-instructed",
                self.on_instructed,
            ),
            ("PETITIONS", "supervision-case-overdue", "petitions.case.overdue", self.on_case_overdue),
            (
                "DISCLOSURE",
                "supervision-concern-overdue",
                "disclosure.concern.overdue",
                self.on_concern_overdue,
            ),
            (
                "DOCUMENTS",
                "supervision-document-overdue",
                "documents.document.overdue",
                self.on_document_overdue,
            ),
            (
                "PETITIONS",
                "supervision-reconsideration-overdue",
                "petitions.reconsideration.overdue",
                self.on_reconsideration_overdue,
            ),
            ("ORG", "supervision-trip-overdue", "org.trip.overdue", self.on_trip_overdue),
            # A31: a city leader's agreed inspection or research visit (调研、视察) is a research day
            ("ORG", "supervision-attendance-decided", "org.attendance.decided", self.on_attendance_decided),
            (
                "ORG",
                "supervision-attendance-outcome",
                "org.attendance.outcome_recorded",
                self.on_attendance_outcome,
            ),
            # A64: facts for the computed performance indicators
            ("PETITIONS", "supervision-case-replied", "petitions.case.replied", self.on_case_replied),
            ("PETITIONS", "supervision-case-rated", "petitions.case.rated", self.on_case_rated),
            (
                "DOCUMENTS",
                "supervision-countersign-answered",
                "documents.countersign.answered",
                batch_handler(self.on_countersigns_answered),
            ),
            (
                "DOCUMENTS",
                "supervision-countersign-deemed-agreed",
                "documents.countersign.deemed-agreed",
                batch_handler(self.on_countersigns_deemed_agreed),
            ),
            (
                "DISCLOSURE",
                "supervision-application-replied",
                "disclosure.application.replied",
                self.on_application_replied,
            ),
        ]
