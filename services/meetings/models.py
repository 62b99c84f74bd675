"""The meetings service's tables. People and positions are not here: Keycloak and `org` own them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import audit_table
from shared.db import declarative_base
from shared.outbox import event_tables

Base = declarative_base()
metadata = Base.metadata
# The outbox and processed-message tables live in the service's own database (transactional outbox).
event_tables(metadata)
# A20, A26: every act on a meeting, topic, leave or minutes; rows are only ever added.
audit_table(metadata)


# Everyone with a part in a meeting, as one array kept by PostgreSQL (a generated column, GIN-indexed).
PARTICIPANTS_SQL = "ARRAY[convener_user_id, chair_user_id] || member_user_ids || invitee_user_ids"


class Meeting(Base):
    """A meeting of one of the four kinds (A40) with its convener, chair and participants."""

    __tablename__ = "meeting"
    __table_args__ = (
        Index("ix_meeting_day_id", "day", "id"),
        Index("ix_meeting_kind_day", "kind", "day"),
        # A person's meetings (calendar feeds, lists by participant)
        Index("ix_meeting_participants", "participant_user_ids", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    convener_user_id: Mapped[str] = mapped_column(String(64))
    convener_organisation_code: Mapped[str] = mapped_column(String(64), default="")
    chair_user_id: Mapped[str] = mapped_column(String(64))
    delegated_by_user_id: Mapped[str] = mapped_column(String(64), default="")
    day: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after midnight, China Standard Time
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(Text, default="")
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), index=True)
    member_user_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    invitee_user_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    attending_organisation_codes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    present_user_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    # convener, chair, members and invitees: written by PostgreSQL from the columns above, never by us
    participant_user_ids: Mapped[list[str]] = mapped_column(
        postgresql.ARRAY(String(64)), Computed(PARTICIPANTS_SQL, persisted=True)
    )
    # A73, A81: [[kind, title], ...] fixed when scheduled.
    fixed_agenda: Mapped[list] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def participants(self) -> list[str]:
        return list(
            dict.fromkeys(
                [self.convener_user_id, self.chair_user_id, *self.member_user_ids, *self.invitee_user_ids]
            )
        )


class Topic(Base):
    """An agenda topic (议题) with its documents and approval form (议题审批表), A42."""

    __tablename__ = "topic"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("meeting.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    owning_organisation_code: Mapped[str] = mapped_column(String(64), index=True)
    route: Mapped[str] = mapped_column(String(32))
    proposed_by_user_id: Mapped[str] = mapped_column(String(64))
    filed_by_user_id: Mapped[str] = mapped_column(String(64))
    approval_form_filed_on: Mapped[date] = mapped_column(Date)
    documents: Mapped[list] = mapped_column(JSONB, default=list)  # [{"name", "ref"}]
    state: Mapped[str] = mapped_column(String(16))
    ad_hoc: Mapped[bool] = mapped_column(Boolean, default=False)
    ad_hoc_consent_id: Mapped[str] = mapped_column(String(64), default="")
    decidable_within_portfolio: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(32), default="")
    matter_ref: Mapped[str] = mapped_column(String(255), default="")
    # A42: when the office released the materials to the meeting's attendees (None: not yet).
    materials_released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AdHocConsent(Base):
    """A42: the mayor's recorded consent to one topic added at short notice."""

    __tablename__ = "ad_hoc_consent"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("meeting.id"), index=True)
    organisation_code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_user_id: Mapped[str] = mapped_column(String(64))
    topic_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TopicProposal(Base):
    """A42: a vice mayor's or the secretary-general's written proposal of one department's topic."""

    __tablename__ = "topic_proposal"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("meeting.id"), index=True)
    organisation_code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    route: Mapped[str] = mapped_column(String(32))
    proposed_by_user_id: Mapped[str] = mapped_column(String(64))
    topic_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MeetingLeave(Base):
    """A43: leave from a plenary or executive meeting."""

    __tablename__ = "meeting_leave"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("meeting.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    leader: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Minutes(Base):
    """Minutes (纪要) of a meeting; signed ones are never changed (A26): corrections link to them."""

    __tablename__ = "minutes"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("meeting.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # The decision items as drafted: [{"topic_id", "text", "owner_organisation_code", "due", "category",
    # "matter_ref"}]; they become Decision rows when the minutes are signed.
    decisions: Mapped[list] = mapped_column(JSONB, default=list)
    drafted_by_user_id: Mapped[str] = mapped_column(String(64))
    drafted_by_organisation_code: Mapped[str] = mapped_column(String(64))
    signed_by_user_id: Mapped[str] = mapped_column(String(64), default="")
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    corrects_minutes_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("minutes.id")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Decision(Base):
    """A decision of signed minutes, numbered per series (meeting kind) and year without gaps."""

    __tablename__ = "decision"
    __table_args__ = (UniqueConstraint("series", "year", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    series: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64))
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("meeting.id"), index=True)
    minutes_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("minutes.id"))
    topic_id: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text)
    owner_organisation_code: Mapped[str] = mapped_column(String(64))
    due: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(32))
    matter_ref: Mapped[str] = mapped_column(String(255), default="", index=True)
    decided_on: Mapped[date] = mapped_column(Date)
    # A26: set when signed corrected minutes replace the minutes of this decision; the decision
    # that restates it (None: the correction withdrew it).
    superseded_by_minutes_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("minutes.id")
    )
    superseded_by_decision_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    superseded_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DecisionCounter(Base):
    """The last number given in a series and year; its row is locked FOR UPDATE while numbering,
    so concurrent sign-offs number one after the other and a rolled-back one leaves no gap."""

    __tablename__ = "decision_counter"

    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class DepartmentMeeting(Base):
    """A46: a department's request to hold a city-wide meeting, invite county heads or city leaders."""

    __tablename__ = "department_meeting"
    __table_args__ = (Index("ix_department_meeting_organisation_day", "organisation_code", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    organisation_code: Mapped[str] = mapped_column(String(64))
    requested_by_user_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    day: Mapped[date] = mapped_column(Date)
    city_wide: Mapped[bool] = mapped_column(Boolean)
    invites_county_heads: Mapped[bool] = mapped_column(Boolean)
    leader_user_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    format: Mapped[str] = mapped_column(String(16))
    in_person_reason: Mapped[str] = mapped_column(Text, default="")
    exception_reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CalendarSubscription(Base):
    """A person's subscribable calendar feed: the address a calendar app polls without logging
    in, so the address itself is the secret. Only its SHA-256 is kept; issuing a new address
    replaces the old one, and revoking deletes it."""

    __tablename__ = "calendar_subscription"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    calendar_name: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
