"""JetStream streams, declared by code when a service starts: one stream per service (e.g. ORG),
holding the subjects `<service>.>`.

The duplicate window (去重窗口) is longer than the outbox relay's retry horizon: a relay that
published an event but crashed before marking its row retries within seconds to minutes (backoff
capped at 10 s), so two hours leaves a wide margin, even for a database outage.
"""

from __future__ import annotations

from datetime import timedelta

from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

DUPLICATE_WINDOW = timedelta(hours=2)
# Consumers that were down longer than this lose events: far beyond any planned outage.
MAX_AGE = timedelta(days=30)


def stream_name(service: str) -> str:
    """ORG for org; stream names may not contain '-' or '.', so those become '_'."""
    return service.upper().replace("-", "_").replace(".", "_")


def stream_config(service: str, *, max_age: timedelta = MAX_AGE,
                  duplicate_window: timedelta = DUPLICATE_WINDOW, replicas: int = 1) -> api.StreamConfig:
    return api.StreamConfig(
        name=stream_name(service),
        description=f"Events of the {service} service",
        subjects=[f"{service}.>"],
        storage=api.StorageType.FILE,
        retention=api.RetentionPolicy.LIMITS,
        discard=api.DiscardPolicy.OLD,
        max_age=max_age.total_seconds(),
        duplicate_window=duplicate_window.total_seconds(),
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, service: str, **kwargs) -> api.StreamInfo:
    """Create the service's stream, or bring an existing one to the declared configuration."""
    config = stream_config(service, **kwargs)
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        return await js.add_stream(config)
    return await js.update_stream(config)
