"""The notify service's tables.

`delivery` holds one row per event × recipient × channel (unique: a redelivered or replayed event
never makes a second message), with its state, attempts and when the next attempt is due; pending
rows are read through a partial index, so the dispatcher reads only what is due. Rows are the
queue: a restart finds every pending message where it was. `notify_preference` holds each
person's own choices (domain/preferences.py). `citizen_consent` holds a citizen's consent to be told
of his or her own case (domain/consent.py; migrations 0004, 0005).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import audit_table
from shared.db import declarative_base
from shared.outbox import event_tables

Base = declarative_base()
metadata = Base.metadata
# processed_messages and dead_letters of the consumers (the outbox stays empty: notify publishes nothing)
event_tables(metadata)
# A20: setting one's preferences is a recorded act.
audit_table(metadata)


class Delivery(Base):
    """One message of one event to one person on one channel (送达记录)."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_user_id", "channel"),
        Index("ix_delivery_due", "next_attempt_at", postgresql_where=text("state = 'pending'")),
        Index("ix_delivery_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    event_id: Mapped[str] = mapped_column(String(64))
    event_subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    recipient_user_id: Mapped[str] = mapped_column(String(64), index=True)
    recipient_name: Mapped[str] = mapped_column(String(128), default="")
    acting_for_user_id: Mapped[str] = mapped_column(String(64), default="")
    body_code: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(512), default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # when the event happened (its envelope): a citizen's changes held together go as the latest state
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Preference(Base):
    """A person's own notification settings (个人通知设置)."""

    __tablename__ = "notify_preference"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # {"meeting": ["email", "sms"], ...}
    channels: Mapped[dict] = mapped_column(JSONB, default=dict)
    quiet_start: Mapped[str] = mapped_column(String(5), default="")
    quiet_end: Mapped[str] = mapped_column(String(5), default="")
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_time: Mapped[str] = mapped_column(String(5), default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CitizenConsent(Base):
    """通知授权: a citizen's consent to be told when one of his or her own cases changes state. The
    addresses are kept only while it stands; the rest stays as proof of what was agreed."""

    __tablename__ = "citizen_consent"
    __table_args__ = (UniqueConstraint("case_kind", "case_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    case_kind: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    # empty for a filing without an account
    citizen_user_id: Mapped[str] = mapped_column(String(64), default="")
    # ["email", "sms"]
    channels: Mapped[list] = mapped_column(JSONB, default=list)
    email: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    wording: Mapped[str] = mapped_column(String(32))
    # told also in the quiet hours (domain/consent.py QUIET_START…QUIET_END); default: they are kept
    at_any_hour: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
