"""Schemathesis against the portal's OpenAPI document: generated requests to every JSON API operation
of the running portal (uvicorn, real backends); no server error, every status code and body as the
document says, content types as declared."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from services.portal.api import CHECKED_BEYOND_SCHEMA
from tests.integration.portal.test_portal_disclosure import seed

pytestmark = pytest.mark.integration


@schemathesis.check
def positive_data_accepted(ctx, response, case):
    """positive_data_acceptance, except a 422 that names only fields the operation lists under
    `x-checked-beyond-schema`: rules a JSON schema cannot say (a resident identity number's check
    digit, one of telephone, e-mail or address, a file's content matching its type …)."""
    beyond = case.operation.definition.raw.get(CHECKED_BEYOND_SCHEMA) or []
    if response.status_code == 422 and beyond:
        named = {re.split(r"[.\[]", p["field"])[0] for p in json.loads(response.content).get("fields", [])}
        if named and named <= set(beyond):
            return None
    return positive_data_acceptance(ctx, response, case)


CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A request the schema allows is not refused as malformed (400, 422); one it forbids is not accepted.
CHECKS = {
    GenerationMode.POSITIVE: [*CONFORMANCE, positive_data_accepted],
    GenerationMode.NEGATIVE: [*CONFORMANCE, negative_data_rejection],
}
EXAMPLES = 25


def checked(operation, mode: GenerationMode, base_url: str):
    """A hypothesis test of one operation in one mode, bounded and reproducible."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        case.call_and_validate(base_url=base_url, checks=CHECKS[mode])

    return check


def run_schemathesis(base_url: str) -> tuple[list[str], list[str]]:
    """Every operation with generated data, allowed and forbidden by the schema: the names of those
    that ran, and what failed (each operation and mode goes on after a failure of another)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    ran, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in CHECKS:
            try:
                checked(operation, mode, base_url)()
            except Unsatisfiable:  # nothing the schema forbids can be sent (no parameters, no body)
                continue
            except (
                Exception,
                BaseExceptionGroup,
            ) as error:  # every failure is reported, none stops the others
                failures.append(f"{mode.value} {label}: {str(error)[:1500]}")
        ran.append(label)
    return ran, failures


@pytest.mark.long
async def test_json_api_conforms_to_its_openapi_document(portal_server, keycloak, backends):
    await seed(backends)
    # Schemathesis is synchronous: it runs in a thread while this loop serves the portal and backends.
    ran, failures = await asyncio.to_thread(run_schemathesis, portal_server)
    assert not failures, "\n\n".join(failures)
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
