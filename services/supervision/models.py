"""The supervision service's tables.

`supervision_item` holds an item with its lists (reports, objections, opinions, verifications,
extensions, re-checks, evaluations) as JSONB: they are read with the item and never queried
alone. `item_source` makes a source (a decision, an instruction, an overdue case) create one
item only, whatever the redeliveries and replays. `escalation` records each step of the ladder
once per item, step and due date (its key is unique), so several sweeps and replicas never take
a step twice. `item_counter` numbers items gaplessly per year under a row lock.
"""

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
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import audit_table
from shared.db import declarative_base
from shared.outbox import event_tables

Base = declarative_base()
metadata = Base.metadata
event_tables(metadata)
# A20, A26: every act recorded and never rewritten; the accountability timeline is read from it.
audit_table(metadata)


class SupervisionItem(Base):
    """One supervision item (督查事项)."""

    __tablename__ = "supervision_item"
    __table_args__ = (
        UniqueConstraint("year", "sequence"),
        Index("ix_supervision_item_co_body_codes", "co_body_codes", postgresql_using="gin"),
        # The sweep reads only the items with a step to take (domain/escalation.py next_check_day).
        Index(
            "ix_supervision_item_next_check_on",
            "next_check_on",
            postgresql_where=text("next_check_on IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    colour: Mapped[str] = mapped_column(String(16), default="green", index=True)
    source_service: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str] = mapped_column(String(255))
    source_reference: Mapped[str] = mapped_column(Text, default="")
    # [{service, ref, reference}] the sources followed before (a restated decision).
    earlier_sources: Mapped[list] = mapped_column(JSONB, default=list)
    title: Mapped[str] = mapped_column(Text)
    requirement: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16))
    cadence: Mapped[str] = mapped_column(String(16))
    finding_source: Mapped[str] = mapped_column(String(32), default="")
    instructing_leader_user_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    instructed_by_acting_user_id: Mapped[str] = mapped_column(String(64), default="")
    lead_body_code: Mapped[str] = mapped_column(String(64), default="", index=True)
    first_responsible_user_id: Mapped[str] = mapped_column(String(64), default="")
    co_body_codes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    supervising_leader_user_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    registered_on: Mapped[date] = mapped_column(Date)
    assigned_on: Mapped[date | None] = mapped_column(Date)
    acknowledge_due: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    next_report_due: Mapped[date | None] = mapped_column(Date)
    next_check_on: Mapped[date | None] = mapped_column(Date)
    # [{body_code, text, reported_on, for_due, reported_by_user_id}]
    reports: Mapped[list] = mapped_column(JSONB, default=list)
    objections: Mapped[list] = mapped_column(JSONB, default=list)
    co_opinions: Mapped[list] = mapped_column(JSONB, default=list)
    # {summary, evidence: [{kind, description, ref}], assessment: {...}, claimed_on, verify_due}
    completion: Mapped[dict] = mapped_column(JSONB, default=dict)
    verifications: Mapped[list] = mapped_column(JSONB, default=list)
    extensions: Mapped[list] = mapped_column(JSONB, default=list)
    rechecks: Mapped[list] = mapped_column(JSONB, default=list)
    evaluations: Mapped[list] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ItemSource(Base):
    """A source (service, ref) and the one item it created or moved to."""

    __tablename__ = "item_source"

    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    # No foreign key: the source is claimed first (its primary key serialises two deliveries of the
    # same event), then the item is written with this id in the same transaction.
    item_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)


class Escalation(Base):
    """One step of the escalation ladder taken for an item, once per step and due date."""

    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("item_id", "step", "against_due"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("supervision_item.id", ondelete="RESTRICT"), index=True
    )
    step: Mapped[str] = mapped_column(String(32))
    against_due: Mapped[date] = mapped_column(Date)
    taken_on: Mapped[date] = mapped_column(Date)
    recipient_body_code: Mapped[str] = mapped_column(String(64), default="")
    recipient_user_id: Mapped[str] = mapped_column(String(64), default="")
    recipient_acting_for_user_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ItemCounter(Base):
    """The last item number given in a year; locked FOR UPDATE while numbering, so numbers are
    never repeated nor skipped, and a rolled-back registration gives its number back."""

    __tablename__ = "item_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class AccountabilityCase(Base):
    """A72, A76: an accountability case (问责) proposed for an overdue or neglected item; never deleted."""

    __tablename__ = "accountability_case"
    # One case per item and due date: the ladder proposes once; the office cannot propose it twice.
    __table_args__ = (UniqueConstraint("item_id", "against_due"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("supervision_item.id", ondelete="RESTRICT"), index=True
    )
    ground: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    body_code: Mapped[str] = mapped_column(String(64), index=True)
    responsible_user_id: Mapped[str] = mapped_column(String(64), default="")
    responsible_acting_for_user_id: Mapped[str] = mapped_column(String(64), default="")
    against_due: Mapped[date] = mapped_column(Date)
    proposed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    referred_to: Mapped[str] = mapped_column(Text, default="")
    referred_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date | None] = mapped_column(Date)
    exemption_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InspectionPlan(Base):
    """A63: an organiser's yearly plan of inspections, checks and assessments (督查检查考核计划)."""

    __tablename__ = "inspection_plan"
    __table_args__ = (UniqueConstraint("organiser_code", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    organiser_code: Mapped[str] = mapped_column(String(64))
    organiser_kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16))
    # [{title, kind, target_codes, month, unplanned, approval_reason, approved_by_user_id}]
    inspections: Mapped[list] = mapped_column(JSONB, default=list)
    approved_by_user_id: Mapped[str] = mapped_column(String(64), default="")
    filed_with: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Proposal(Base):
    """A67: a people's congress suggestion (人大代表建议) or a CPPCC proposal (政协提案) handled by the city.

    The proposers' names are in `proposers`; how to reach them (A80) only in `proposer_contacts`, read by
    GetProposal for a holder of proposal:contact and by nothing else (no event, list or recorded act)."""

    __tablename__ = "proposal"
    # The congress' or CPPCC's own number within its session: registered once.
    __table_args__ = (UniqueConstraint("kind", "session", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(24))
    session: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    # [name, ...] in the order given: the first is the lead proposer (领衔).
    proposers: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # [{phone, address, work_unit}, ...] in the same order (A80: private).
    proposer_contacts: Mapped[list] = mapped_column(JSONB, default=list)
    state: Mapped[str] = mapped_column(String(16), index=True)
    lead_body_code: Mapped[str] = mapped_column(String(64), default="", index=True)
    co_body_codes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    lead_leader_user_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    registered_on: Mapped[date] = mapped_column(Date)
    assigned_on: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(default=False)
    # [{round, reply_class, text, replied_on, replied_by_user_id, document_number, late, rating, rated_on}]
    replies: Mapped[list] = mapped_column(JSONB, default=list)
    # [{body_code, round, text, given_on, given_by_user_id}]: the co-bodies' opinions (协办意见)
    co_opinions: Mapped[list] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IndicatorSet(Base):
    """A64–A66: the performance indicators of a year for the departments or for the counties (目标绩效指标)."""

    __tablename__ = "indicator_set"
    __table_args__ = (UniqueConstraint("year", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    # [{code, name, dimension, weight, measure}]
    indicators: Mapped[list] = mapped_column(JSONB, default=list)
    state: Mapped[str] = mapped_column(String(16))
    # A64: the executive meeting's decision approving the results.
    decision_id: Mapped[str] = mapped_column(String(64), default="")
    decision_reference: Mapped[str] = mapped_column(Text, default="")
    approved_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Assessment(Base):
    """One body's targets, progress and scores in a set (目标分解、跟踪、考核)."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("set_id", "body_code"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    set_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("indicator_set.id", ondelete="RESTRICT"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    body_code: Mapped[str] = mapped_column(String(64), index=True)
    # {indicator code: target}
    targets: Mapped[dict] = mapped_column(JSONB, default=dict)
    # [{indicator_code, text, reported_on, reported_by_user_id}]
    progress: Mapped[list] = mapped_column(JSONB, default=list)
    # {indicator code: {centipoints, evidence, computed, scored_by_user_id, scored_on}}
    scores: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ResearchVisit(Base):
    """A31, A33: a city leader's research visit of one or more days (调研)."""

    __tablename__ = "research_visit"
    __table_args__ = (Index("ix_research_visit_leader_year", "leader_user_id", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    leader_user_id: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(Text)
    county_codes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    purpose: Mapped[str] = mapped_column(Text)
    reporting_meeting: Mapped[str] = mapped_column(String(16))
    recorded_by_user_id: Mapped[str] = mapped_column(String(64))
    # The event a visit was fed from (org's agreed inspection, "org/attendance/<id>"); NULL when entered.
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    # What org reported of an agreed inspection once its day came (migration 0016): attended, or not
    # (then no research day); NULL when nothing was reported (it counts once its day has come) or entered.
    attended: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ResearchTopic(Base):
    """A31, A34: a major research topic (重大课题) led by a member of the government, its report and what it
    informed."""

    __tablename__ = "research_topic"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(Integer, index=True)
    leader_user_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    # {summary, document_reference, filed_on} once filed
    report: Mapped[dict] = mapped_column(JSONB, default=dict)
    decision_id: Mapped[str] = mapped_column(String(64), default="")
    decision_reference: Mapped[str] = mapped_column(Text, default="")
    policy_reference: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ResearchWarning(Base):
    """A31: a leader warned of being behind pace, once a month (supervision.research.behind-pace)."""

    __tablename__ = "research_warning"

    leader_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer)


class Circular(Base):
    """A61: the monthly circular of the supervision items (情况通报), once a month."""

    __tablename__ = "circular"
    __table_args__ = (UniqueConstraint("year", "month"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(Text)
    # [{body_code, closed_on_time, closed, overdue}]
    tallies: Mapped[list] = mapped_column(JSONB, default=list)
    # [{item_id, item_number, lead_body_code, verdict, reason, from_escalation}]
    entries: Mapped[list] = mapped_column(JSONB, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeadlineFeed(Base):
    """A subscribable deadline feed (iCalendar): only the SHA-256 of its secret address is kept; one live
    feed per person and scope (issuing a new one revokes the old)."""

    __tablename__ = "deadline_feed"
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))
    # The body (scope body) or the leader (scope leader) whose deadlines it shows.
    subject: Mapped[str] = mapped_column(String(64))
    calendar_name: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProposalWarning(Base):
    """A67: a suggestion or proposal warned near or past its limit, once per step and limit."""

    __tablename__ = "proposal_warning"

    proposal_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("proposal.id", ondelete="RESTRICT"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(16), primary_key=True)
    against_due: Mapped[date] = mapped_column(Date, primary_key=True)
    taken_on: Mapped[date] = mapped_column(Date)


class MeasuredFact(Base):
    """A64: one fact another service's event reported about a body, counted by a computed indicator — a
    petition reply on time or late, a petitioner's rating, a countersign answered or left to deemed
    agreement. One per measure and source, whatever the redeliveries and replays."""

    __tablename__ = "measured_fact"
    __table_args__ = (Index("ix_measured_fact_body_year", "measure", "body_code", "year"),)

    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_code: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    good: Mapped[bool] = mapped_column(Boolean)
    happened_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
