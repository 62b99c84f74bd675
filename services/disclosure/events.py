"""What the disclosure service does with the documents service's events (durable, idempotent consumers
of shared/consumer.py: each message has its effect once, in one transaction with its processed id).

  documents.document.issued         disclosure attribute PROACTIVE (主动公开) → queued for a disclosure
                                    officer, with the article 26 limit (20 working days from 成文日期)
  documents.rule.comment-opened     A22: the draft is published for public comment until its closing day
  documents.normative.filed         A24: the document is a normative document of the yearly catalogue
                                    (queued if it was not there yet: normative documents are public)
  documents.normative.cleaned-up    A25: revised → amended, repealed → repealed, continued → in force
  documents.normative.expired       A25: past its validity period → expired

The date made (成文日期) of an issued document is its last leader's sign-off (GB/T 9704: the day the
responsible leader signed), else the day it was issued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.store import publications as store
from services.disclosure.acts.publications import change_validity, publish, queue_publication, ref_of
from services.disclosure.protos.publications import to_proto
from services.disclosure.domain import publications as domain
from services.disclosure.domain.publications import Category, Kind, State, Validity
from shared.audit import record_act
from shared.convert import date_from_proto
from shared.outbox import add_event
from shared.workdays import WorkingCalendar
from zgov.common.v1 import common_pb2
from zgov.disclosure.v1 import events_pb2
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events  # noqa: F401  (payload types known to decode)
from zgov.events.v1 import envelope_pb2

STREAM = "DOCUMENTS"
# The recorded actor of an act done on an event that names none.
SYSTEM_ACTOR = common_pb2.Actor(
    user_id="disclosure", username="service-account-disclosure", display_name="政务公开系统"
)

CLEANUP = {
    documents_pb2.CLEANUP_DECISION_REVISE: domain.Cleanup.REVISE,
    documents_pb2.CLEANUP_DECISION_REPEAL: domain.Cleanup.REPEAL,
    documents_pb2.CLEANUP_DECISION_CONTINUE: domain.Cleanup.CONTINUE,
}


def _day(value: common_pb2.Date) -> date | None:
    return date_from_proto(value, "date", required=False)


def made_on(document: documents_pb2.Document) -> date | None:
    """成文日期: the last sign-off's date, else the issue date."""
    signed = [s.signed_on for s in document.sign_offs if s.signed_on.year]
    return _day(signed[-1]) if signed else _day(document.issued_on)


def authority_name(document: documents_pb2.Document) -> str:
    return documents_pb2.SignOffAuthority.Name(document.content.authority)


def _actor(envelope: envelope_pb2.EventEnvelope) -> common_pb2.Actor:
    return envelope.actor if envelope.HasField("actor") and envelope.actor.user_id else SYSTEM_ACTOR


@dataclass
class DocumentsConsumer:
    """The handlers, with the calendar and the clock they need."""

    calendar: WorkingCalendar
    today: Callable[[], date]

    def subscriptions(self) -> list[tuple[str, str, str, Callable]]:
        """(stream, durable name, subject, handler) of every consumer."""
        return [
            (STREAM, "disclosure-issued", "documents.document.issued", self.on_issued),
            (STREAM, "disclosure-comment-opened", "documents.rule.comment-opened", self.on_comment_opened),
            (STREAM, "disclosure-normative-filed", "documents.normative.filed", self.on_normative_filed),
            (STREAM, "disclosure-normative-cleaned-up", "documents.normative.cleaned-up", self.on_cleaned_up),
            (STREAM, "disclosure-normative-expired", "documents.normative.expired", self.on_expired),
        ]

    async def _queue_document(
        self,
        session: AsyncSession,
        document: documents_pb2.Document,
        number: str,
        actor: common_pb2.Actor,
        *,
        normative: bool,
    ) -> None:
        content = document.content
        authority = authority_name(document)
        today = self.today()
        row = await queue_publication(
            session,
            self.calendar,
            today,
            kind=Kind.POLICY,
            category=domain.category_of_document(authority, content.normative_filing or normative),
            made_on=made_on(document),
            title=content.title,
            body=content.body,
            issuer_code=document.sender.organisation_code or content.lead_organisation_code,
            issuer_name=document.sender.name,
            document_number=number or document.document_number or content.filed_document_number,
            valid_until=_day(content.valid_until),
            normative=normative or authority in domain.RULE_AUTHORITIES or content.normative_filing,
            requires_interpretation=domain.requires_interpretation(authority, content.major_matter),
            source_document_id=document.id,
        )
        due = f"; publish by {row.publish_due}" if row.publish_due else ""
        await record_act(
            session, ref_of(row.id), "publication.queued", actor, f"{row.document_number or row.title}{due}"
        )
        await add_event(
            session,
            "disclosure.publication.queued",
            events_pb2.PublicationQueued(publication=to_proto(row, today)),
            ref_of(row.id),
            actor,
        )

    async def on_issued(
        self, session: AsyncSession, envelope, event: documents_events.DocumentIssued
    ) -> None:
        if event.disclosure != documents_pb2.DISCLOSURE_ATTRIBUTE_PROACTIVE:
            return
        if await store.by_source(session, event.document.id, Kind.POLICY) is not None:
            return  # already queued (e.g. from its filing event)
        await self._queue_document(
            session, event.document, event.document_number, _actor(envelope), normative=False
        )

    async def on_comment_opened(
        self, session: AsyncSession, envelope, event: documents_events.RuleCommentOpened
    ) -> None:
        """A22: the draft rule is published for comment at once: the documents service opened the period."""
        document = event.document
        until = _day(event.until) or _day(document.comment_until)
        today = self.today()
        actor = _actor(envelope)
        row = await store.by_source(session, document.id, Kind.COMMENT_DRAFT, for_update=True)
        if row is not None:  # opened again with another closing day
            row.comment_until = until
            await session.flush()
            await record_act(session, ref_of(row.id), "publication.comment-period", actor, f"until {until}")
            return
        row = await queue_publication(
            session,
            self.calendar,
            today,
            kind=Kind.COMMENT_DRAFT,
            category=Category.RULES_AND_NORMATIVE_DOCUMENTS,
            made_on=today,
            title=f"关于公开征求《{document.content.title}》意见的公告",
            body=document.content.body,
            issuer_code=document.sender.organisation_code or document.content.lead_organisation_code,
            issuer_name=document.sender.name,
            comment_until=until,
            source_document_id=document.id,
        )
        await publish(session, row, today, actor)

    async def on_normative_filed(
        self, session: AsyncSession, envelope, event: documents_events.NormativeFiled
    ) -> None:
        """A24: in the yearly catalogue of normative documents."""
        row = await store.by_source(session, event.document.id, Kind.POLICY, for_update=True)
        actor = _actor(envelope)
        if row is None:
            await self._queue_document(
                session, event.document, event.document.document_number, actor, normative=True
            )
            return
        if not row.normative:
            row.normative = True
            row.category = Category.RULES_AND_NORMATIVE_DOCUMENTS.value
            await session.flush()
            if row.state == State.PUBLISHED.value:  # the category is a search filter too
                await store.index_for_search(session, row)
        await record_act(session, ref_of(row.id), "publication.filed", actor, event.filing.filing_reference)

    async def on_cleaned_up(
        self, session: AsyncSession, envelope, event: documents_events.NormativeCleanedUp
    ) -> None:
        """A25: the clean-up's decision becomes the publication's validity."""
        decision = CLEANUP.get(event.decision)
        row = await store.by_source(session, event.document.id, Kind.POLICY, for_update=True)
        if decision is None or row is None:
            return
        if decision is domain.Cleanup.CONTINUE:
            row.valid_until = _day(event.document.content.valid_until) or row.valid_until
        validity = domain.validity_after_cleanup(decision)
        reason = event.document.cleanup.reason or decision.value
        if validity is Validity(row.validity):
            await session.flush()
            await record_act(
                session, ref_of(row.id), f"publication.{decision.value}", _actor(envelope), reason
            )
            return
        await change_validity(session, row, validity, self.today(), _actor(envelope), reason)

    async def on_expired(
        self, session: AsyncSession, envelope, event: documents_events.NormativeExpired
    ) -> None:
        row = await store.by_source(session, event.document.id, Kind.POLICY, for_update=True)
        if row is None or row.validity != Validity.IN_FORCE.value:
            return
        await change_validity(
            session, row, Validity.EXPIRED, self.today(), _actor(envelope), "past its validity period (A25)"
        )


__all__ = ["DocumentsConsumer", "STREAM", "State"]
