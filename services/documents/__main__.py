"""`python -m services.documents`: migrate the database, connect to NATS, serve gRPC until SIGTERM."""

from __future__ import annotations

from pathlib import Path

import structlog

from services.documents.acts import Env
from services.documents.api import DocumentsServicer
from services.documents.config import DocumentsSettings
from services.documents.consumers import CircularDraft, EventConsumers
from services.documents.events import run_countersign_clock
from shared.convert import today_in_china
from shared.gbt9704 import typefaces
from shared.grpc_server import GrpcServer
from shared.service_auth import StaticToken
from shared.service_runtime import ServiceRuntime, run_service
from shared.workdays import calendar

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def build(settings: DocumentsSettings) -> GrpcServer:
    runtime = ServiceRuntime("documents", settings, MIGRATIONS)
    # documents asks org (portfolios, who may act) with its own client-credentials token; without a
    # secret it still starts, and the calls that need org answer UNAVAILABLE with the reason.
    org = runtime.org_client(without_secret=StaticToken(""))
    try:
        typefaces.find_faces()
    except typefaces.FontsMissing as missing:
        # Said at start for the operator; the rest of the service works, and RenderDocument answers
        # FAILED_PRECONDITION (GBT9704.fonts) with the same words until the fonts are installed.
        log.error("GB/T 9704 fonts missing: issued documents cannot be rendered", reason=str(missing))
    runtime.sweep(
        lambda: run_countersign_clock(
            runtime.sessions, today_in_china, settings.countersign_clock_seconds, calendar()
        )
    )
    if settings.consume_events:
        # A61: supervision's monthly circulars become drafts (consumers.py)
        env = Env(org=org, calendar=calendar(), today=today_in_china)
        draft = CircularDraft(settings.circular_issuer_code)
        runtime.consumers(lambda: EventConsumers(env, draft).subscriptions())
    return runtime.server([DocumentsServicer(runtime.sessions, org, calendar())])


def main() -> None:
    run_service("documents", DocumentsSettings, build)


if __name__ == "__main__":
    main()
