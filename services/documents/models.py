"""The documents service's tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import audit_table
from shared.db import declarative_base
from shared.outbox import event_tables

Base = declarative_base()
metadata = Base.metadata
# The outbox and processed-message tables live in the service's own database (transactional outbox).
event_tables(metadata)
# A20, A26: every act on a document, append-only (the migration adds the trigger).
audit_table(metadata)


class Document(Base):
    """An official document: incoming (来文, filed with the city government) or outgoing (发文).

    `content` keeps what the filer or drafter gave (zgov.documents.v1.DocumentContent as JSON);
    the columns beside it are what the service searches and decides on.
    """

    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_created", "created_at", "id"),
        # one document per source, whatever replays of the event arrive (migration 0011)
        Index("ux_document_source_ref", "source_ref", unique=True),
        UniqueConstraint("issuer_code", "number_year", "number_sequence"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    direction: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict] = mapped_column(JSONB)
    # The organisation that drafted or filed it (the lead body, 主办单位).
    organisation_code: Mapped[str] = mapped_column(String(64), index=True)
    sender_organisation_code: Mapped[str] = mapped_column(String(64), index=True)
    sender_name: Mapped[str] = mapped_column(Text)
    sender_category: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[dict] = mapped_column(JSONB)
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # A53: handling limit of a filed document.
    filed_on: Mapped[date | None] = mapped_column(Date)
    handling_working_days: Mapped[int] = mapped_column(Integer, default=0)
    handling_due: Mapped[date | None] = mapped_column(Date)
    handling_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # A53: the day the handling limit's passing was announced (documents.document.overdue, once per limit).
    overdue_announced_on: Mapped[date | None] = mapped_column(Date)
    # A50: the office's check.
    return_reason: Mapped[str] = mapped_column(Text, default="")
    proposed_opinion: Mapped[str] = mapped_column(Text, default="")
    major_matter: Mapped[bool] = mapped_column(Boolean, default=False)
    routed_to_user_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    routing_basis: Mapped[str] = mapped_column(String(32), default="")
    # A49: the lead body's coordination record ({process, proposal, recorded_by, recorded_on}).
    coordination: Mapped[dict | None] = mapped_column(JSONB)
    # A23: the justice bureau's legality review ({passed, opinion, reviewed_by, reviewed_on}).
    legality_review: Mapped[dict | None] = mapped_column(JSONB)
    # A25: validity of a normative document or rule (A52: documents in force).
    valid_until: Mapped[date | None] = mapped_column(Date)
    # A25: the day the expiry was recorded (documents.normative.expired written once).
    expiry_recorded_on: Mapped[date | None] = mapped_column(Date)
    # A25: the latest clean-up ({decision, reason, recorded_by, recorded_on}); set when repealed.
    cleanup: Mapped[dict | None] = mapped_column(JSONB)
    repealed_on: Mapped[date | None] = mapped_column(Date)
    # A22: last day of public comment on a draft rule.
    comment_until: Mapped[date | None] = mapped_column(Date)
    # A22, A24: filings (备案), [{filed_with, filing_reference, recorded_by, filed_on}].
    filings: Mapped[list] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
    # Outgoing: A51 authority, the number (发文字号) and the A53 issue limit.
    authority: Mapped[str] = mapped_column(String(40), default="")
    issuer_code: Mapped[str] = mapped_column(String(16), default="")
    number_year: Mapped[int | None] = mapped_column(Integer)
    number_sequence: Mapped[int | None] = mapped_column(Integer)
    document_number: Mapped[str] = mapped_column(String(64), default="", index=True)
    issued_on: Mapped[date | None] = mapped_column(Date)
    issue_due: Mapped[date | None] = mapped_column(Date)
    # Drafted from another service's record (A61: "supervision/circular/<id>"), one document per source.
    source_ref: Mapped[str | None] = mapped_column(String(200))


class Countersign(Base):
    """A49: one body asked to countersign (会签) a document, and its answer."""

    __tablename__ = "countersign"
    __table_args__ = (
        UniqueConstraint("document_id", "organisation_code"),
        Index("ix_countersign_state_due", "state", "due"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    organisation_code: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
    requested_on: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    due: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[dict | None] = mapped_column(JSONB)
    answered_on: Mapped[date | None] = mapped_column(Date)
    # The day documents.countersign.due was written (once, on the last day).
    due_reminded_on: Mapped[date | None] = mapped_column(Date)


class SignOff(Base):
    """A51: a sign-off (签发) or a leader's decision (批示, 圈阅): opinion, name, full date."""

    __tablename__ = "sign_off"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    signer_user_id: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(Text)
    on_behalf_of_user_id: Mapped[str] = mapped_column(String(64), default="")
    on_behalf_of_position: Mapped[str] = mapped_column(String(64), default="")
    authority_position: Mapped[str] = mapped_column(String(64))
    opinion: Mapped[str] = mapped_column(Text)
    circle_read: Mapped[bool] = mapped_column(Boolean, default=False)
    meaning: Mapped[str] = mapped_column(String(16))
    signed_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NumberCounter(Base):
    """The last document number given per issuer code and year; locked FOR UPDATE by each issue,
    so numbers are never repeated nor skipped, also under concurrent issue."""

    __tablename__ = "number_counter"

    issuer_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class DocumentPdf(Base):
    """An issued document's GB/T 9704 PDF, rendered once after issue (版式文件), so a download is a read.

    The page shows only what was fixed at issue (number, content, signers, dates), so it never goes
    stale; a document issued before this table existed is rendered on its first download and kept."""

    __tablename__ = "document_pdf"

    document_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    file_name: Mapped[str] = mapped_column(String(128))
    rendered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
