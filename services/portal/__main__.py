"""`python -m services.portal`: the citizens' portal over HTTP (uvicorn) until SIGTERM."""

from __future__ import annotations

import uvicorn

from services.portal.app import create_app
from services.portal.config import PortalSettings
from shared.heap import freeze_startup_heap
from shared.logging import configure_logging
from shared.telemetry import configure_telemetry


# Seconds uvicorn lets requests in flight finish after SIGTERM before the lifespan's shutdown (the
# backends closed, the cleanup sweep's lock given up): within the pod's grace period (tests/deploy).
GRACEFUL_SHUTDOWN_SECONDS = 20


def main() -> None:
    settings = PortalSettings()
    configure_logging("portal", settings.log_level)
    configure_telemetry("portal", settings.otlp_endpoint)
    # No access log: addresses of pages are harmless, but the log would be the one place that
    # keeps who (IP) looked at what; errors are logged by the app itself.
    app = create_app(settings)
    freeze_startup_heap()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        access_log=False,
        log_config=None,
        proxy_headers=settings.trust_forwarded_for,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


if __name__ == "__main__":
    main()
