"""The deadline feeds over HTTP: `GET /calendar/<secret>.ics` (serving, the secret's shape, ETag and 404
are shared/feed_http.py's, as for meetings' calendars)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.supervision.domain import feeds as domain
from services.supervision.domain.feeds import FeedScope
from services.supervision.store import feeds as store
from shared.db import transaction
from shared.feed_http import SECRET_SHAPE, ics_response, not_found
from shared.ical import feed_secret_digest

log = logging.getLogger(__name__)


def feed_app(sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    app = FastAPI(title="zgov supervision deadline feeds", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/calendar/{secret}.ics")
    async def calendar(secret: str, request: Request) -> Response:
        if not SECRET_SHAPE.fullmatch(secret):
            return not_found()
        async with transaction(sessions) as session:
            feed = await store.feed_by_digest(session, feed_secret_digest(secret))
            if feed is None:
                return not_found()
            scope = FeedScope(feed.scope)
            if scope is FeedScope.PROPOSALS:
                rows = await store.proposals_being_handled(session, feed.subject)
                text = domain.proposals_ics(
                    rows, feed.subject, calendar_name=feed.calendar_name, stamp=feed.issued_at
                )
            else:
                rows = await store.open_items(session, scope, feed.subject)
                text = domain.ics_for(
                    domain.feed_items(rows, scope, feed.subject),
                    calendar_name=feed.calendar_name,
                    stamp=feed.issued_at,
                )
        body = text.encode("utf-8")
        log.info("deadline feed served", extra={"user_id": feed.user_id, "items": len(rows)})
        return ics_response(body, request)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    return app
