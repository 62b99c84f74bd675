"""Queries of deadline feeds and the open items they show (never commit)."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import models
from services.supervision.domain.feeds import FEED_LIMIT, FeedScope
from services.supervision.domain.items import OPEN
from services.supervision.domain.proposals import HANDLING

FEED = models.DeadlineFeed
ITEM = models.SupervisionItem
PROPOSAL = models.Proposal
OPEN_STATES = sorted(s.value for s in OPEN)
HANDLING_STATES = sorted(s.value for s in HANDLING)


async def replace_feed(session: AsyncSession, row: FEED) -> None:
    """The new feed of a person and scope; the old address stops working in the same transaction."""
    await session.execute(delete(FEED).where(FEED.user_id == row.user_id, FEED.scope == row.scope))
    session.add(row)
    await session.flush()


async def feed_by_digest(session: AsyncSession, digest: str) -> FEED | None:
    return await session.get(FEED, digest)


async def open_items(session: AsyncSession, scope: FeedScope, subject: str) -> list[ITEM]:
    if scope is FeedScope.BODY:
        whose = or_(ITEM.lead_body_code == subject, ITEM.co_body_codes.any(subject))
    else:
        whose = or_(ITEM.supervising_leader_user_id == subject, ITEM.instructing_leader_user_id == subject)
    query = (
        select(ITEM)
        .where(whose, ITEM.state.in_(OPEN_STATES), ITEM.due.is_not(None))
        .order_by(ITEM.due, ITEM.number)
        .limit(FEED_LIMIT)
    )
    return list(await session.scalars(query))


async def proposals_being_handled(session: AsyncSession, body: str) -> list[PROPOSAL]:
    """A67: the suggestions and proposals a body leads or helps with, assigned or reopened, by limit."""
    whose = or_(PROPOSAL.lead_body_code == body, PROPOSAL.co_body_codes.any(body))
    query = (
        select(PROPOSAL)
        .where(whose, PROPOSAL.state.in_(HANDLING_STATES), PROPOSAL.due.is_not(None))
        .order_by(PROPOSAL.due, PROPOSAL.number)
        .limit(FEED_LIMIT)
    )
    return list(await session.scalars(query))
