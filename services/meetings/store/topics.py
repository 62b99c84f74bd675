"""Queries of agenda topics, the mayor's consents to topics at short notice and leaders' proposals (A42)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings import models
from services.meetings.store.rows import get_row, like_escaped, row_key

# ---- topics and consents -------------------------------------------------------------------------


async def get_topic(session: AsyncSession, topic_id: str, *, for_update: bool = False) -> models.Topic:
    return await get_row(session, models.Topic, topic_id, "topic", for_update)


async def topics_of(session: AsyncSession, meeting_id: uuid.UUID) -> list[models.Topic]:
    rows = await session.scalars(
        select(models.Topic)
        .where(models.Topic.meeting_id == meeting_id)
        .order_by(models.Topic.created_at, models.Topic.id)
    )
    return list(rows)


async def list_topics(
    session: AsyncSession,
    *,
    meeting_id: str = "",
    state: str = "",
    organisation_code: str = "",
    text_contains: str = "",
    after: tuple[str, str] | None = None,
    limit: int = 50,
) -> list[models.Topic]:
    t = models.Topic
    query = select(t)
    if text_contains:
        pattern = f"%{like_escaped(text_contains)}%"
        query = query.where(or_(t.title.ilike(pattern, escape="\\"), t.summary.ilike(pattern, escape="\\")))
    if meeting_id:
        query = query.where(t.meeting_id == row_key(meeting_id, "meeting"))
    if state:
        query = query.where(t.state == state)
    if organisation_code:
        query = query.where(t.owning_organisation_code == organisation_code)
    if after:
        query = query.where(
            tuple_(t.approval_form_filed_on, t.id) > tuple_(date.fromisoformat(after[0]), uuid.UUID(after[1]))
        )
    return list(await session.scalars(query.order_by(t.approval_form_filed_on, t.id).limit(limit)))


async def get_consent(
    session: AsyncSession, consent_id: str, *, for_update: bool = False
) -> models.AdHocConsent:
    return await get_row(session, models.AdHocConsent, consent_id, "ad-hoc consent", for_update)


async def get_proposal(
    session: AsyncSession, proposal_id: str, *, for_update: bool = False
) -> models.TopicProposal:
    return await get_row(session, models.TopicProposal, proposal_id, "topic proposal", for_update)
