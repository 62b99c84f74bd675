"""The subscribable calendar feeds over HTTP: `GET /calendar/<secret>.ics` (the serving, the secret's
shape, the ETag and the 404 are shared/feed_http.py's, shared with supervision's deadline feeds)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from fastapi import FastAPI, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.meetings import calendar_feed, store
from shared.db import transaction
from shared.feed_http import (  # noqa: F401 (FeedServer, SECRET_SHAPE re-exported for __main__ and tests)
    NOT_FOUND,
    SECRET_SHAPE,
    FeedServer,
    ics_response,
    not_found,
)

log = logging.getLogger(__name__)

CALENDAR_LIMIT = 2000


def feed_app(sessions: async_sessionmaker[AsyncSession], today: Callable[[], date]) -> FastAPI:
    app = FastAPI(
        title="zgov meetings calendar feeds",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # one route, and its path is a secret: nothing to browse
    )
    # polled by calendar apps: the text is rebuilt only when the subscriber's meetings changed
    built = calendar_feed.BuiltFeeds()

    @app.get("/calendar/{secret}.ics")
    async def calendar(secret: str, request: Request) -> Response:
        if not SECRET_SHAPE.fullmatch(secret):
            return not_found()
        from_day, to_day = calendar_feed.feed_window(today())
        async with transaction(sessions) as session:
            subscription = await store.calendar_subscription_by_digest(
                session, calendar_feed.feed_secret_digest(secret)
            )
            if subscription is None:
                return not_found()
            rows = await store.calendar_meetings(
                session, subscription.user_id, from_day, to_day, CALENDAR_LIMIT
            )
        body = built.text(
            (subscription.user_id, from_day, to_day, subscription.calendar_name, subscription.issued_at),
            rows,
            lambda: calendar_feed.ics_for(
                calendar_feed.feed_meetings(rows, subscription.user_id),
                calendar_name=subscription.calendar_name,
                stamp=subscription.issued_at,
            ),
        ).encode("utf-8")
        log.info("calendar feed served", extra={"user_id": subscription.user_id, "meetings": len(rows)})
        return ics_response(body, request)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    return app
