"""Issuing a deadline feed (iCalendar subscription): a new secret address, only its digest kept; the
person's earlier feed of the same scope stops working."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts.people import People
from services.supervision.domain import feeds as domain
from services.supervision.domain.feeds import FeedScope
from services.supervision.models import DeadlineFeed
from services.supervision.store import feeds as store
from shared.audit import record_act
from shared.errors import Forbidden, InvalidInput
from shared.ical import feed_secret_digest, feed_url, new_feed_secret


async def issue(
    session: AsyncSession, actor, scope: FeedScope | None, people: People, base_url: str
) -> tuple[str, DeadlineFeed]:
    """(the feed's URL, shown once; the row)."""
    if scope is None:
        raise InvalidInput({"scope": "body, leader or proposals"})
    if scope is FeedScope.LEADER and not await people.is_leader(actor.user_id):
        raise InvalidInput({"scope": "a leader's feed is a city leader's own"})
    if scope is FeedScope.PROPOSALS and not actor.may("proposal:read"):
        raise Forbidden("proposal:read is needed for the feed of a body's suggestions and proposals")
    body_scope = scope in domain.BODY_SCOPES
    if body_scope and not actor.organisation_code:
        raise InvalidInput({"scope": "the caller belongs to no body"})
    subject = actor.organisation_code if body_scope else actor.user_id
    display = actor.organisation_code if body_scope else (actor.username or actor.user_id)
    secret = new_feed_secret()
    row = DeadlineFeed(
        digest=feed_secret_digest(secret),
        user_id=actor.user_id,
        scope=scope.value,
        subject=subject,
        calendar_name=domain.calendar_name(scope, display),
        issued_at=datetime.now(UTC),
    )
    await store.replace_feed(session, row)
    await record_act(session, f"deadline-feed/{actor.user_id}/{scope.value}", "feed.issued", actor, subject)
    return feed_url(base_url, secret), row
