"""JetStream streams, declared by code when a service starts: one stream per service (e.g. ORG),
holding the subjects `<service>.>`.

The duplicate window (去重窗口) is longer than the outbox relay's retry horizon: a relay that
published an event but crashed before marking its row retries within seconds to minutes (backoff
capped at 10 s), so two hours leaves a wide margin, even for a database outage.

Replicas (副本数) are configuration (ZGOV_STREAM_REPLICAS, the chart's nats.streamReplicas): 3 on
a 3-node JetStream cluster, 1 on a single server. Every pod start brings the stream to the declared
configuration, so start-up must never lower what an operator raised by hand (`nats stream edit`):
a stream already holding more replicas than declared keeps them.
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


def stream_config(
    service: str,
    *,
    max_age: timedelta = MAX_AGE,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
    replicas: int = 1,
) -> api.StreamConfig:
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


def settled_replicas(declared: int, existing: int | None) -> int:
    """The replica count to apply: the declared one, never below what the stream already has."""
    return max(declared, existing or 0)


async def ensure_stream(js: JetStreamContext, service: str, **kwargs) -> api.StreamInfo:
    """Create the service's stream, or bring an existing one to the declared configuration
    (never lowering its replicas)."""
    config = stream_config(service, **kwargs)
    try:
        existing = await js.stream_info(config.name)
    except NotFoundError:
        return await js.add_stream(config)
    config.num_replicas = settled_replicas(config.num_replicas or 1, existing.config.num_replicas)
    return await js.update_stream(config)
