"""The petitions service's tables.

Personal data (A71, A80) stays in two JSONB columns of `petition_case` (petitioners,
attachments' names) and the person complained about, and the attached files' bytes in
`petition_attachment`; the repeat-petition index keeps only keyed hashes (person_keys), and the
query code only its hash. Two tsvectors serve the full-text search (words by shared.words): one of
the full title and content, one of what a redacted reader is shown (domain.redacted_searchable_text).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import audit_table
from shared.db import declarative_base
from shared.outbox import event_tables

Base = declarative_base()
metadata = Base.metadata
# The outbox and processed-message tables live in the service's own database (transactional outbox).
event_tables(metadata)
# A20, A26, A80: every act, and every read of a case, recorded and never rewritten.
audit_table(metadata)


class PetitionCase(Base):
    """One petition (信访事项) from intake to the last review, or its link to an earlier one."""

    __tablename__ = "petition_case"
    __table_args__ = (
        Index("ix_petition_case_received_id", "received_on", "id"),
        Index("ix_petition_case_person_keys", "person_keys", postgresql_using="gin"),
        Index("ix_petition_case_reviewing_bodies", "reviewing_body_codes", postgresql_using="gin"),
        # The overdue sweep: cases whose current limit has passed.
        Index("ix_petition_case_current_due", "current_due"),
        # Limits waiting for a year's official schedule (limits.recompute_provisional_limits).
        Index(
            "ix_petition_case_provisional_due",
            "current_due",
            postgresql_where=text("current_due_provisional"),
        ),
        Index("ix_petition_case_search_full", "search_full", postgresql_using="gin"),
        Index("ix_petition_case_search_redacted", "search_redacted", postgresql_using="gin"),
        # A submit sent twice with one key files once: per account, and once among those without one.
        Index(
            "uq_petition_case_idempotency",
            "submitted_by_user_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    serial: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    # [{name, id_number, phone, address, representative}]
    petitioners: Mapped[list] = mapped_column(JSONB)
    group_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    group_size: Mapped[int] = mapped_column(Integer, default=0)
    body_complained_about: Mapped[str] = mapped_column(String(64), default="", index=True)
    person_complained_about: Mapped[str] = mapped_column(Text, default="")
    # [{id, file_name, media_type, size_bytes, sha256}]: the files themselves in petition_attachment.
    attachments: Mapped[list] = mapped_column(JSONB, default=list)
    hotline_ref: Mapped[str] = mapped_column(String(64), default="")
    # Keyed hashes that recognise the same person (domain.person_keys).
    person_keys: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    query_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    submitted_by_user_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    # The online submitter's idempotency key and the SHA-256 of the intake sent with it (migration 0006).
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    repeat_of_case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)

    # The limit that runs now, kept with each change so lists and the sweep need no calendar.
    current_stage: Mapped[str] = mapped_column(String(32), default="")
    current_due: Mapped[date | None] = mapped_column(Date)
    # The limit reaches into a year whose official schedule was not known (limits.py recomputes it).
    current_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The stage whose overdue event was written (once per stage).
    overdue_notified_stage: Mapped[str] = mapped_column(String(32), default="")

    triaged_on: Mapped[date | None] = mapped_column(Date)
    handling_body_code: Mapped[str] = mapped_column(String(64), default="", index=True)
    transferred_to: Mapped[str] = mapped_column(Text, default="")
    legal_route: Mapped[str] = mapped_column(String(32), default="")
    triage_notice: Mapped[str] = mapped_column(Text, default="")
    new_facts_and_reasons: Mapped[str] = mapped_column(Text, default="")
    assigned_on: Mapped[date | None] = mapped_column(Date)
    # [{body_code, reason, objected_on}]
    objections: Mapped[list] = mapped_column(JSONB, default=list)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    handling_plan: Mapped[str] = mapped_column(Text, default="")
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extension_approved_by: Mapped[str] = mapped_column(String(64), default="")
    extension_notice_on: Mapped[date | None] = mapped_column(Date)
    replied_on: Mapped[date | None] = mapped_column(Date)
    reply: Mapped[str] = mapped_column(Text, default="")
    # [{level, reviewing_body_code, requested_on, decided_on, opinion}]
    reviews: Mapped[list] = mapped_column(JSONB, default=list)
    reviewing_body_codes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    # [{leader_user_id, mark_reason, instruction, instructed_on, due}]
    leader_instructions: Mapped[list] = mapped_column(JSONB, default=list)
    marked_leader_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    satisfaction: Mapped[str] = mapped_column(String(32), default="")
    satisfaction_comment: Mapped[str] = mapped_column(Text, default="")
    # Full-text search (store/cases.py list_cases): words of the title and content, and of the redacted text.
    # Deferred: written at intake, read only by PostgreSQL's WHERE, never loaded with a case.
    search_full: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    search_redacted: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PetitionAttachment(Base):
    """The bytes of one attached file (附件), written with its case in the same transaction.

    Read only through GetAttachment / GetOwnAttachment, under the case's privacy rules (A71, A80);
    never listed, never in an event or a log.
    """

    __tablename__ = "petition_attachment"
    __table_args__ = (UniqueConstraint("case_id", "position", name="uq_petition_attachment_case_position"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("petition_case.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Reconsideration(Base):
    """An application for administrative reconsideration (行政复议申请, A69), from receipt to decision.

    Its three limits (acceptance, the respondent's answer, the decision) are kept on the row, so the
    overdue sweep needs no calendar; `overdue_notified` lists the steps already escalated.
    """

    __tablename__ = "reconsideration"
    __table_args__ = (
        Index(
            "ix_reconsideration_open_state",
            "state",
            postgresql_where=text("state in ('applied', 'accepted')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    applicant_name: Mapped[str] = mapped_column(Text)
    applicant_user_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    contested_act: Mapped[str] = mapped_column(Text)
    respondent_body_code: Mapped[str] = mapped_column(String(64), index=True)
    request: Mapped[str] = mapped_column(Text)
    query_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    acceptance_due: Mapped[date] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    deemed_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    simplified_ground: Mapped[str] = mapped_column(String(32), default="")
    answer_due: Mapped[date | None] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    decision_due: Mapped[date | None] = mapped_column(Date)
    decision_due_moved: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(String(32), default="")
    decision_reasons: Mapped[str] = mapped_column(Text, default="")
    remedy: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date | None] = mapped_column(Date)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    overdue_notified: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
