"""A service stops promptly when its NATS is already gone (as at the end of a test, or when a node
with NATS dies during a rolling restart): the bus is closed, not drained against a server that cannot
answer. Seen as teardowns of the portal's backends timing out after 30 s, nats-py's drain timeout."""

from __future__ import annotations

import asyncio
import socket

import pytest

from services.org.__main__ import build
from tests.fixtures.org import org_settings, stop

pytestmark = pytest.mark.integration

# Well above the bus's own drain bound (shared/bus.py, 5 s), well below nats-py's 30-s drain timeout
# that held the stop before: the figure separates the two behaviours, it does not time the stop.
STOP_BOUND_SECONDS = 20


@pytest.mark.restarts_nats  # it stops its NATS: a server of its own, not the worker's shared one
@pytest.mark.parametrize("nats_gone", ["before the first event", "after events were published"])
async def test_a_service_stops_promptly_when_its_nats_is_gone(
    keycloak, org_nats, service_database, org_directory, nats_gone
):
    database = await service_database("org")
    settings = org_settings(keycloak, database, org_nats.url, nats_nkey_seed=org_nats.seeds["org"])
    server = build(settings, org_directory)
    await server.start()
    if nats_gone == "after events were published":
        await asyncio.sleep(1)  # the relay and the consumers are connected and polling
    org_nats.server.stop()
    await stop(server, timeout=STOP_BOUND_SECONDS)  # raises TimeoutError if the stop hangs
    host, port = server.address.rsplit(":", 1)
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=2):
        pass
