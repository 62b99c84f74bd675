"""The org service's tables. Positions and holders are not here: Keycloak owns them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import declarative_base
from shared.audit import audit_table
from shared.outbox import event_tables

Base = declarative_base()
metadata = Base.metadata
# The outbox and processed-message tables live in the service's own database (transactional outbox).
event_tables(metadata)
# A20, A26: recorded acts, append-only (the trigger is in migration 0001).
audit_table(metadata)


class Leave(Base):
    """A leave request (请假) and, once approved, an absence that hands duties to a stand-in."""

    __tablename__ = "leave"
    __table_args__ = (Index("ix_leave_user_days", "user_id", "first_day", "last_day"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    acting_user_id: Mapped[str] = mapped_column(String(64), default="")
    both_away_override_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set once the acting-started / acting-ended events were written, so each is written once.
    acting_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acting_ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Portfolio(Base):
    """A8: the matters a leader oversees; the organisations are in PortfolioOrganisation."""

    __tablename__ = "portfolio"

    leader_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    matters: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[dict] = mapped_column(JSONB)


class PortfolioOrganisation(Base):
    """A8: one row per organisation, so the database itself keeps 'one leader per department'."""

    __tablename__ = "portfolio_organisation"

    organisation_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    leader_user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("portfolio.leader_user_id", ondelete="CASCADE"), index=True
    )


class AbPair(Base):
    """A59: two vice mayors who stand in for each other."""

    __tablename__ = "ab_pair"

    leader_a_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    leader_b_user_id: Mapped[str] = mapped_column(String(64), unique=True)


class DutyAssignment(Base):
    """A79: the leader on duty (带班) on one statutory holiday."""

    __tablename__ = "duty_assignment"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    leader_user_id: Mapped[str] = mapped_column(String(64))
    holiday: Mapped[str] = mapped_column(String(32))
    assigned_by: Mapped[dict] = mapped_column(JSONB)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EventAttendance(Base):
    """A54, A55: a county's or department's request that a city leader attend an event (政务活动).

    The office reviews it, the leader decides; when the leader cannot attend the office asks
    another (A59), and the leaders asked before stay in previous_leader_user_ids.
    """

    __tablename__ = "event_attendance"
    __table_args__ = (Index("ix_event_attendance_day_id", "event_day", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    requesting_organisation_code: Mapped[str] = mapped_column(String(64), index=True)
    requested_by_user_id: Mapped[str] = mapped_column(String(64))
    leader_user_id: Mapped[str] = mapped_column(String(64), index=True)
    event_day: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    venue: Mapped[str] = mapped_column(Text)
    activity_kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text, default="")
    foreign_affairs: Mapped[bool] = mapped_column(Boolean, default=False)
    foreign_affairs_filing_ref: Mapped[str] = mapped_column(String(128), default="")
    approval_ref: Mapped[str] = mapped_column(String(128), default="")
    photo_session: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_approval_ref: Mapped[str] = mapped_column(String(128), default="")
    festivity_override_reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), index=True)
    review_opinion: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    previous_leader_user_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReceptionStandard(Base):
    """A56: the reception standards the office loaded; the latest row is in force, earlier ones stay."""

    __tablename__ = "reception_standard"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    standards: Mapped[dict] = mapped_column(JSONB)
    set_by: Mapped[dict] = mapped_column(JSONB)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class Reception(Base):
    """A56: an official reception (公务接待): its approval, then its list (接待清单) and flags."""

    __tablename__ = "reception"
    __table_args__ = (Index("ix_reception_day_id", "day", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    host_organisation_code: Mapped[str] = mapped_column(String(64), index=True)
    requested_by_user_id: Mapped[str] = mapped_column(String(64))
    guest_unit: Mapped[str] = mapped_column(Text)
    guest_kind: Mapped[str] = mapped_column(String(64))
    guests: Mapped[int] = mapped_column(Integer)
    accompanying: Mapped[int] = mapped_column(Integer)
    meals: Mapped[int] = mapped_column(Integer)
    planned_cost_fen: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    letter_ref: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    # The standards the request was checked against, kept with it.
    standards: Mapped[dict] = mapped_column(JSONB)
    approved_by_user_id: Mapped[str] = mapped_column(String(64), default="")
    attendees: Mapped[list] = mapped_column(JSONB, default=list)
    items: Mapped[list] = mapped_column(JSONB, default=list)
    actual_cost_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    flags: Mapped[list] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Trip(Base):
    """A57, A58: a temporary official trip abroad (因公临时出国（境）) and, once approved, the leaves
    of kind abroad of the city leaders on it (A10, A59)."""

    __tablename__ = "trip"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    organisation_code: Mapped[str] = mapped_column(String(64), index=True)
    requested_by_user_id: Mapped[str] = mapped_column(String(64))
    task_kind: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(Text)
    invitation_ref: Mapped[str] = mapped_column(Text)
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    far_region: Mapped[bool] = mapped_column(Boolean, default=False)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    members: Mapped[list] = mapped_column(JSONB)
    payer: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    authority: Mapped[str] = mapped_column(String(16))
    authority_reference: Mapped[str] = mapped_column(Text, default="")
    approved_by_user_id: Mapped[str] = mapped_column(String(64), default="")
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    leave_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    gifts: Mapped[list] = mapped_column(JSONB, default=list)
    report: Mapped[str] = mapped_column(Text, default="")
    report_due: Mapped[date] = mapped_column(Date)
    reported_on: Mapped[date | None] = mapped_column(Date)
    # A57: the day the report's overdue was announced (org.trip.overdue, once); a gift's is in the gift.
    report_overdue_announced_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
