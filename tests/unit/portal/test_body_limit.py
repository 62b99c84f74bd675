"""The portal refuses bodies over their limit on every route, before reading them (services/portal/body_limit.py).

The real app (create_app) over HTTP in-process; the refusal comes before any backend is asked, so
none is started.
"""

from __future__ import annotations

import httpx
import pytest

from services.portal.app import create_app
from services.portal.body_limit import DEFAULT_BODY_BYTES
from services.portal.config import PortalSettings

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
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http


TOO_MUCH = b"x" * (DEFAULT_BODY_BYTES + 1)


@pytest.mark.parametrize(
    "path",
    [
        "/applications/new",
        "/petitions/follow",
        "/drafts/x/comment",
        "/logout",
        "/applications/reply",
        "/petitions/rate",
    ],
)
async def test_form_over_the_limit_is_413_before_it_is_read(client, path):
    """Closes: only the petition upload capped its body; every other form was read whole (memory and CPU
    for any size), then answered 403/400."""
    response = await client.post(
        path, content=TOO_MUCH, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert "提交的内容过大" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"  # the portal's headers are on it too


@pytest.mark.parametrize("path", ["/api/applications", "/api/petitions/follow", "/api/applications/follow"])
async def test_json_over_the_limit_is_413_with_a_json_message(client, path):
    """Closes: JSON bodies of any size were read and parsed by FastAPI before validation."""
    response = await client.post(path, content=TOO_MUCH, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "提交的内容过大" in response.json()["detail"]


async def test_a_body_without_length_is_counted_as_it_arrives(client):
    """Closes: a chunked body (no Content-Length) escaped any declared-length check."""

    async def chunks():
        for _ in range(DEFAULT_BODY_BYTES // 8192 + 2):
            yield b"y" * 8192

    response = await client.post(
        "/api/applications", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_small_body_reaches_its_route(client):
    response = await client.post("/api/applications", json={}, headers={"content-type": "application/json"})
    assert response.status_code == 422  # the route's own validation: the body was read
