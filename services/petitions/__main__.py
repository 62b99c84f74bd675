"""`python -m services.petitions`: migrate the database, connect to NATS, serve gRPC until SIGTERM."""

from __future__ import annotations

from pathlib import Path

from services.petitions import domain
from services.petitions.acts.reconsiderations import Context as ReconsiderationContext
from services.petitions.api import PetitionsServicer
from services.petitions.api_reconsiderations import ReconsiderationServicer
from services.petitions.config import PetitionsSettings
from services.petitions.domain.reconsiderations import ReconsiderationLimits
from services.petitions.sweep import run_overdue_sweep, run_reconsideration_sweep
from shared import words
from shared.convert import today_in_china
from shared.grpc_server import GrpcServer
from shared.service_runtime import ServiceRuntime, run_service
from shared.workdays import calendar

MIGRATIONS = Path(__file__).parent / "migrations"
# An intake carries its files (at most 20 MiB in all) with up to 20 000 characters of text and the
# petitioners; GetAttachment answers with one file (at most 10 MiB). gRPC's default is 4 MiB.
MAX_RECEIVE_BYTES = domain.MAX_ATTACHMENTS_TOTAL_BYTES + 4 * domain.MIB
MAX_SEND_BYTES = domain.MAX_ATTACHMENT_BYTES + 4 * domain.MIB
GRPC_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
    ("grpc.max_send_message_length", MAX_SEND_BYTES),
)


def build(settings: PetitionsSettings) -> GrpcServer:
    # A71, A80: a failing statement must not put a petitioner's data into the logs.
    runtime = ServiceRuntime("petitions", settings, MIGRATIONS, hide_parameters=True)
    org = runtime.org_client()
    servicer = PetitionsServicer(
        runtime.sessions,
        calendar(),
        bureau_organisation_code=settings.bureau_organisation_code,
        person_key_secret=settings.person_key(),
        org=org,
        routes_above=settings.routes_above,
    )
    limits = (
        ReconsiderationLimits.from_file(settings.reconsideration_limits_file)
        if settings.reconsideration_limits_file
        else ReconsiderationLimits()
    )
    reconsiderations = ReconsiderationServicer(
        runtime.sessions, calendar(), limits, org, settings.reconsideration_office_code
    )
    words.initialize()  # jieba's dictionary, loaded before the first intake or search
    runtime.sweep(
        lambda: run_overdue_sweep(
            runtime.sessions,
            today_in_china,
            settings.bureau_organisation_code,
            settings.overdue_sweep_seconds,
            settings.overdue_sweep_batch,
            calendar(),
        )
    )

    def reconsideration_context() -> ReconsiderationContext:
        return ReconsiderationContext(
            calendar(), limits, today_in_china(), settings.reconsideration_office_code
        )

    runtime.sweep(
        lambda: run_reconsideration_sweep(
            runtime.sessions,
            reconsideration_context,
            settings.reconsideration_sweep_seconds,
            settings.overdue_sweep_batch,
        )
    )
    return runtime.server([servicer, reconsiderations], options=GRPC_OPTIONS)


def main() -> None:
    run_service("petitions", PetitionsSettings, build)


if __name__ == "__main__":
    main()
