"""The API reference pages under /developers (services/portal/developers), served by the real app.

They read only the committed reference.json, so no backend is started.
"""

from __future__ import annotations

import httpx
import pytest

from services.portal.app import create_app
from services.portal.config import PortalSettings
from services.portal.developers import reference

BASE = "http://portal.test"


@pytest.fixture
async def client():
    settings = PortalSettings(
        keycloak_url="http://127.0.0.1:9",
        client_id="portal",
        public_url=BASE,
        petitions_address="127.0.0.1:9",
        org_address="127.0.0.1:9",
        disclosure_address="127.0.0.1:9",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url=BASE
    ) as http:
        yield http


async def test_index_lists_every_service_with_a_link(client):
    page = await client.get("/developers")
    assert page.status_code == 200
    for service in reference()["services"]:
        assert f'href="/developers/{service["name"]}"' in page.text
    assert "PERMISSION_MISSING" in page.text


async def test_a_service_page_shows_every_rpc_its_permission_types_reasons_and_example(client):
    service = next(s for s in reference()["services"] if s["name"] == "zgov.org.v1.OrgService")
    page = await client.get(f"/developers/{service['name']}")
    assert page.status_code == 200
    for rpc in service["rpcs"]:
        assert f'id="rpc-{rpc["name"]}"' in page.text
        assert f'id="{rpc["request"]}"' in page.text  # the request message is laid out on the page
    assert "<code>leave:approve</code>" in page.text
    assert "<code>A82</code>" in page.text
    assert "org_pb2_grpc.OrgServiceStub" in page.text  # the worked example


async def test_unknown_service_is_a_clear_404_and_the_json_is_served(client):
    missing = await client.get("/developers/zgov.nothing.v1.Nope")
    assert missing.status_code == 404 and "没有名为 zgov.nothing.v1.Nope 的服务" in missing.text
    data = (await client.get("/developers/reference.json")).json()
    assert data["services"] == reference()["services"]
