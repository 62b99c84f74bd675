"""Schemathesis against the portal's OpenAPI document: generated requests to every JSON API operation
of the running portal (uvicorn, real backends); no server error, every status code and body as the
document says, content types as declared."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.integration.portal.test_portal_disclosure import seed

pytestmark = pytest.mark.integration

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25


def run_schemathesis(base_url: str) -> list[str]:
    """Every operation with generated data; the names of those that ran (failures raise)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(base_url=base_url, checks=CHECKS)

        check()
        ran.append(f"{operation.method.upper()} {operation.path}")
    return ran


async def test_json_api_conforms_to_its_openapi_document(portal_server, keycloak, backends):
    await seed(keycloak, backends)
    # Schemathesis is synchronous: it runs in a thread while this loop serves the portal and backends.
    ran = await asyncio.to_thread(run_schemathesis, portal_server)
    assert {
        "GET /api/search",
        "GET /api/publications/{publication_id}",
        "POST /api/petitions/follow",
        "POST /api/applications/follow",
        "POST /api/applications",
        "GET /api/reports",
        "GET /api/issuers",
        "GET /api/drafts/{publication_id}/feedback",
        "POST /api/petitions",
        "POST /api/petitions/follow/attachment",
    } <= set(ran)
