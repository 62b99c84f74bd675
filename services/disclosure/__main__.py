"""`python -m services.disclosure`: migrate the database, connect to NATS, consume documents' events,
serve gRPC until SIGTERM.

One process serves both sides of open government information. Each side adds its servicer with one
line in SERVICERS (a factory given the sessions and the settings), and its consumers, if any, with
one line in CONSUMERS (a factory returning (stream, durable, subject, handler) tuples):

    SERVICERS = [
        publication_servicer,       # proactive disclosure (api_publications.py)
        application_servicer,       # applications for information (api_applications.py)
    ]
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.disclosure.api_applications import ApplicationServicer
from services.disclosure.api_complaints import ComplaintServicer
from services.disclosure.api_publications import PublicationServicer
from services.disclosure.config import DisclosureSettings
from services.disclosure.events import DocumentsConsumer
from services.disclosure.events_supervision import SupervisionConsumer
from services.disclosure.sweep import run_concern_sweep, run_lapse_sweep
from shared import words
from shared.convert import today_in_china
from shared.grpc_server import GrpcServer
from shared.service_runtime import ServiceRuntime, run_service
from shared.workdays import calendar

MIGRATIONS = Path(__file__).parent / "migrations"

Sessions = async_sessionmaker[AsyncSession]


def publication_servicer(sessions: Sessions, settings: DisclosureSettings) -> object:
    return PublicationServicer(sessions, calendar(), search_candidates=settings.search_candidates)


def application_servicer(sessions: Sessions, settings: DisclosureSettings) -> object:
    return ApplicationServicer(sessions, calendar())


def complaint_servicer(sessions: Sessions, settings: DisclosureSettings) -> object:
    return ComplaintServicer(sessions, calendar())


# The gRPC servicers of the service: one line per side.
SERVICERS: list[Callable[[Sessions, DisclosureSettings], object]] = [
    publication_servicer,
    application_servicer,
    complaint_servicer,  # openness complaints, A38 (api_complaints.py)
]


def documents_consumers(settings: DisclosureSettings) -> list[tuple]:
    if not settings.consume_documents:
        return []
    return DocumentsConsumer(calendar(), today_in_china).subscriptions()


def supervision_consumers(settings: DisclosureSettings) -> list[tuple]:
    if not settings.consume_supervision:
        return []
    return SupervisionConsumer(calendar(), today_in_china).subscriptions()


# The event consumers of the service: one line per side.
CONSUMERS: list[Callable[[DisclosureSettings], list[tuple]]] = [
    documents_consumers,
    supervision_consumers,
]


def build(settings: DisclosureSettings) -> GrpcServer:
    # Applications and concerns carry personal data: no statement parameters in database errors.
    runtime = ServiceRuntime("disclosure", settings, MIGRATIONS, hide_parameters=True)
    sessions = runtime.sessions

    @runtime.after_migrations
    async def load_words() -> None:
        # jieba's dictionary loads in about 2 s: before the port opens, not on the first search.
        await asyncio.to_thread(words.initialize)

    for subscriptions in CONSUMERS:
        runtime.consumers(lambda subscriptions=subscriptions: subscriptions(settings))
    runtime.sweep(lambda: run_lapse_sweep(sessions, interval=settings.application_sweep_seconds))
    # A70: responses to public concerns run on clock hours, so this sweep runs more often
    runtime.sweep(lambda: run_concern_sweep(sessions, interval=settings.concern_sweep_seconds))
    return runtime.server([make(sessions, settings) for make in SERVICERS])


def main() -> None:
    run_service("disclosure", DisclosureSettings, build)


if __name__ == "__main__":
    main()
