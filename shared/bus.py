"""The connection of a service to the event bus (事件总线, NATS JetStream), the same for every service.

    client = await connect(settings)                 # at start, instead of nats.connect(url)
    js = jetstream(client)                           # instead of client.jetstream()

Each service connects as its own NATS user: the NKEY whose seed is ZGOV_NATS_NKEY_SEED. The NATS
server's configuration (deploy/local/nats_auth.py writes it) grants that user publishing on its
own subjects `<service>.>` (and its audit chain's anchors, shared/audit_anchor.py) only, the
JetStream API calls for its own streams and for the consumers it runs, and subscribing to its own inbox `_INBOX.<service>.>` only: replies (publish acks,
pulled messages) come there, so no other user can read them. A `tls://` URL, or a CA file,
turns TLS on; the server's certificate is then checked against ZGOV_NATS_CA_FILE (or the system's
CAs when unset).

Without a seed the service connects with no credentials: only an open NATS (a test's) accepts it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path

import nats
from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from shared.config import ServiceSettings

__all__ = [
    "PUBLISH_SLOTS",
    "close",
    "connect",
    "connect_options",
    "inbox_prefix",
    "jetstream",
    "tls_context",
]

log = logging.getLogger(__name__)

# How many asynchronous publishes a JetStream context lets wait for their acknowledgements at once
# (nats-py's publish_async_max_pending; one more waits for a free slot). One value, given to every
# context `jetstream()` makes: the outbox relay counts on it to publish a wave without nats-py's
# per-message stall timer (shared.outbox), and nats-py offers no public way to read it back.
PUBLISH_SLOTS = 4000


def inbox_prefix(service: str) -> str:
    """Where the replies to a service's requests arrive; its NATS user may subscribe only there."""
    return f"_INBOX.{service}"


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verifies the server's certificate and name against `ca_file` (the system's CAs if None)."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def connect_options(settings: ServiceSettings) -> dict:
    """nats.connect's keyword arguments for this service (credentials, inbox, TLS, reconnects)."""
    options: dict = {
        # Reconnect for ever: while NATS is away, events wait in the outbox.
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 1,
        "inbox_prefix": inbox_prefix(settings.service_name),
        "name": settings.service_name,
        "error_cb": _log_error,
    }
    if settings.nats_nkey_seed is not None:
        options["nkeys_seed_str"] = settings.nats_nkey_seed.get_secret_value().strip()
    if settings.nats_url.startswith("tls://") or settings.nats_ca_file is not None:
        options["tls"] = tls_context(settings.nats_ca_file)
    return options


async def connect(settings: ServiceSettings, **overrides) -> nats.NATS:
    """The service's NATS connection, as its own user; keyword overrides win (tests)."""
    return await nats.connect(settings.nats_url, **(connect_options(settings) | overrides))


def jetstream(client: nats.NATS, **options) -> JetStreamContext:
    """The client's JetStream context with PUBLISH_SLOTS publish slots (`options`: its timeout...)."""
    return client.jetstream(publish_async_max_pending=PUBLISH_SLOTS, **options)


# A drain sends its unsubscriptions and waits for the server to confirm them; when the server is
# gone that wait is nats-py's drain_timeout (30 s), which held every server stop of a test whose
# NATS had already stopped. In-flight publishes are safe either way: events wait in the outbox
# until a publish is acknowledged.
DRAIN_SECONDS = 5.0


async def close(client: nats.NATS, drain_seconds: float = DRAIN_SECONDS) -> None:
    """At shutdown: drain when the server is there (pulled messages in hand are finished and acked),
    close at once when it is not (reconnecting, or the drain not confirmed in time)."""
    if client.is_closed:
        return
    if client.is_connected:
        try:
            await asyncio.wait_for(client.drain(), drain_seconds)
            return
        except (TimeoutError, NatsError) as error:
            log.warning("event bus: drain did not finish (%s); closing", type(error).__name__)
    await client.close()


async def _log_error(exc: Exception) -> None:
    # A permissions violation means code tried what the service's NATS user may not do: a bug or an
    # attack, worth an operator's attention rather than the client library's default print.
    log.error("event bus: %s", exc)
