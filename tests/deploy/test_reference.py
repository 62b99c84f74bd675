"""The API reference served under /developers is complete and current (deploy/local/reference.py).

Generated from proto/ (with comments), the servicers' @requires and the rules catalogue; committed
so that the portal needs none of them. Fails when a contract, a permission or a rule moved and
`make reference` was not run, and when any RPC lacks its entry, its permission or its types.
"""

from __future__ import annotations

import json

import pytest

from deploy.local import reference

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def fresh() -> dict:
    return json.loads(reference.render())


def test_committed_reference_matches_the_sources(fresh):
    committed = json.loads(reference.OUTPUT.read_text(encoding="utf-8"))
    assert committed == fresh, "services/portal/developers/reference.json drifts: run 'make reference'"


def test_every_rpc_of_every_contract_has_its_entry_permission_and_types(fresh):
    services, _ = reference.contracts(reference.descriptor_set())
    documented = {s["name"]: {r["name"]: r for r in s["rpcs"]} for s in fresh["services"]}
    assert services and len(documented) == len(services)
    for service in services:
        entry = next(s for s in fresh["services"] if s["name"] == service["name"])
        assert entry["implemented"], f"{service['name']}: no servicer implements it"
        assert entry["comment"], f"{service['name']}: the contract says nothing of what it is for"
        for rpc in service["rpcs"]:
            documented_rpc = documented[service["name"]][rpc["name"]]
            assert documented_rpc["permissions"], f"{service['name']}/{rpc['name']}: no permission declared"
            for message in (rpc["request"], rpc["response"]):
                assert message in fresh["types"], f"{message} is not in the reference"


def test_error_reasons_carry_the_rule_they_come_from(fresh):
    meetings = next(s for s in fresh["services"] if s["name"] == "zgov.meetings.v1.MeetingsService")
    reasons = {r["reason"]: r["meaning"] for r in meetings["reasons"]}
    assert "A42.ten-working-days" in reasons
    assert reasons["A42.ten-working-days"].startswith("executive")  # the catalogue's entry for A42
    assert {r["reason"] for r in fresh["common_reasons"]} >= {"PERMISSION_MISSING", "UNAUTHENTICATED"}


def test_every_platform_service_has_a_worked_example(fresh):
    owners = {s["platform_service"] for s in fresh["services"]}
    assert owners <= set(fresh["examples"]), f"no example for {sorted(owners - set(fresh['examples']))}"
