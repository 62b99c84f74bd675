"""Who may do what on applications: each RPC declares its permission, and the realm gives it to the
right positions (deploy/keycloak/realm-zgov.json)."""

import json

from deploy.local.tools import ROOT
from services.disclosure.api_applications import ApplicationServicer
from shared.rpc_auth import declared_permissions
from zgov.disclosure.v1 import applications_pb2 as pb

REALM = json.loads((ROOT / "deploy" / "keycloak" / "realm-zgov.json").read_text())


def holders(permission: str) -> set[str]:
    """Realm roles (positions, the default role) and service accounts holding a disclosure permission."""
    roles = {
        r["name"]
        for r in REALM["roles"]["realm"]
        if permission in r.get("composites", {}).get("client", {}).get("disclosure", [])
    }
    accounts = {
        u["username"] for u in REALM["users"] if permission in u.get("clientRoles", {}).get("disclosure", [])
    }
    return roles | accounts


def test_every_application_rpc_declares_a_permission_the_realm_defines():
    defined = {r["name"] for r in REALM["roles"]["client"]["disclosure"]}
    for method in pb.DESCRIPTOR.services_by_name["ApplicationService"].methods:
        needed = declared_permissions(getattr(ApplicationServicer, method.name))
        assert needed and needed <= defined, method.name


def test_OGI33_the_head_of_the_disclosure_office_approves_extensions_not_the_officer():
    assert holders("application:extend") == {"secretary-general", "deputy-secretary-general"}
    assert "disclosure-officer" in holders("application:handle")
    assert "disclosure-officer" in holders("application:report")


def test_citizens_and_the_portal_apply_but_do_not_handle():
    assert {"citizen", "service-account-portal"} <= holders("application:submit")
    for permission in ("application:handle", "application:extend", "application:report"):
        public = {"citizen", "service-account-portal", "default-roles-zgov"}
        assert not public & holders(permission), permission
