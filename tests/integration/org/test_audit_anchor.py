"""The org service anchors the head of its audit hash chain on NATS as it runs (A20, A26;
shared/service_runtime.py, shared/audit_anchor.py), as its own NATS user."""

from __future__ import annotations

import pytest

from services.org.__main__ import build
from shared import audit_chain
from shared.audit_anchor import Anchor, read_anchors
from tests.fixtures.bus_auth import ADMIN
from tests.fixtures.org import org_settings, serving
from tests.fixtures.polling import eventually
from tests.integration.test_audit_hash_chain import record_concurrently

pytestmark = pytest.mark.integration


async def test_A20_the_running_service_anchors_its_chain_head_every_interval_while_it_grows(
    keycloak, org_nats, service_database, org_directory
):
    database = await service_database("org")
    settings = org_settings(
        keycloak, database, org_nats.url, audit_anchor_seconds=0.2, nats_nkey_seed=org_nats.seeds["org"]
    )
    admin = (await org_nats.connect(ADMIN)).jetstream(timeout=5)
    async with serving(build(settings, org_directory)):
        await record_concurrently(database, 3)

        async def anchored_head() -> list[Anchor]:
            rows = await audit_chain.read_chain(database)
            read = await read_anchors(admin, "org")
            return read if read and read[-1].head.hash == rows[-1]["chain_hash"] else []

        first = await eventually(anchored_head)
        await record_concurrently(database, 2)
        second = await eventually(anchored_head)
    assert [a.head.seq for a in first][-1] == 3 and [a.head.seq for a in second][-1] == 5
    # one anchor per head: the rounds in between, with nothing new, published nothing
    assert len({a.head.seq for a in second}) == len(second)
