"""Acts on a person's calendar feed address (日程订阅): issue one (replacing, so revoking, the last one)
or revoke it. Only the SHA-256 of the secret is stored; each change is a recorded act."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.meetings.v1 import meetings_pb2

from services.meetings import calendar_feed, store
from services.meetings.protos import pb
from shared import audit
from shared.errors import Forbidden
from shared.identity import Actor


def calendar_name(actor: Actor) -> str:
    return f"{actor.display_name or actor.username}的会议"


async def issue_subscription(
    session: AsyncSession, actor: Actor, feed_base_url: str
) -> meetings_pb2.CalendarSubscription:
    """The caller's own feed address for a calendar app; replaces (and so revokes) the last one."""
    if actor.is_service:
        raise Forbidden(
            "a calendar feed belongs to a person; a service account has no meetings", reason="SERVICE_ACCOUNT"
        )
    secret = calendar_feed.new_feed_secret()
    row = await store.replace_calendar_subscription(
        session, actor.user_id, calendar_feed.feed_secret_digest(secret), calendar_name(actor)
    )
    await audit.record_act(session, f"calendar-feed/{actor.user_id}", "calendar-feed.issued", actor)
    reply = pb.CalendarSubscription(url=calendar_feed.feed_url(feed_base_url, secret))
    reply.issue_time.FromDatetime(row.issued_at)
    return reply


async def revoke_subscription(session: AsyncSession, actor: Actor) -> bool:
    revoked = await store.delete_calendar_subscription(session, actor.user_id)
    if revoked:
        await audit.record_act(session, f"calendar-feed/{actor.user_id}", "calendar-feed.revoked", actor)
    return revoked
