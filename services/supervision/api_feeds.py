"""Deadline feeds' gRPC surface: item:read (whoever reads items issues the feed of his body or, as a
city leader, his own)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.acts import feeds as acts
from services.supervision.acts.people import People
from services.supervision.domain.feeds import FeedScope
from shared.db import transaction
from shared.rpc_auth import current_actor, requires
from zgov.supervision.v1 import feeds_pb2 as pb
from zgov.supervision.v1 import feeds_pb2_grpc

SCOPE_TO_PROTO = {s: pb.FeedScope.Value(f"FEED_SCOPE_{s.name}") for s in FeedScope}
SCOPE_FROM_PROTO = {v: k for k, v in SCOPE_TO_PROTO.items()}


class DeadlineFeedServicer(feeds_pb2_grpc.DeadlineFeedServiceServicer):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], people: People, base_url: Callable[[], str]
    ):
        self.sessions = sessions
        self.people = people
        # Where calendar apps reach feed_http (ZGOV_FEED_BASE_URL, or the bound HTTP port).
        self.base_url = base_url

    @requires("item:read")
    async def IssueDeadlineFeed(self, request, context):
        scope = SCOPE_FROM_PROTO.get(request.scope)
        async with transaction(self.sessions) as session:
            url, row = await acts.issue(session, current_actor(), scope, self.people, self.base_url())
        return pb.DeadlineFeed(url=url, scope=request.scope, calendar_name=row.calendar_name)
