"""Who may do what on items (the realm gives each permission to the right positions), and the events
listed in deploy/nats/streams.yaml are the ones the service publishes."""

import json

import yaml

from deploy.local.tools import ROOT
from services.supervision.acts import events
from services.supervision.api import SupervisionServicer
from shared.grpc_server import declared_permissions
from zgov.supervision.v1 import supervision_pb2 as pb

REALM = json.loads((ROOT / "deploy" / "keycloak" / "realm-zgov.json").read_text())
STREAMS = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())


def holders(permission: str) -> set[str]:
    return {r["name"] for r in REALM["roles"]["realm"]
            if permission in r.get("composites", {}).get("client", {}).get("supervision", [])}


def test_every_rpc_declares_a_permission_the_realm_defines():
    defined = {r["name"] for r in REALM["roles"]["client"]["supervision"]}
    for method in pb.DESCRIPTOR.services_by_name["SupervisionService"].methods:
        needed = declared_permissions(getattr(SupervisionServicer, method.name))
        assert needed and needed <= defined, method.name


def test_A61_the_office_registers_assigns_and_verifies_bodies_handle_leaders_extend():
    office = {"supervision-officer"}
    assert holders("item:register") == holders("item:assign") == holders("item:verify") == office
    assert holders("item:handle") == {"department-head", "county-head"}
    assert holders("item:extend") == {"mayor", "executive-vice-mayor", "vice-mayor", "secretary-general"}
    assert {"citizen", "default-roles-zgov"}.isdisjoint(holders("item:read"))


def test_supervision_events_listed_are_the_ones_published():
    (stream,) = [s for s in STREAMS["streams"] if s["name"] == "SUPERVISION"]
    published = {f"supervision.item.{name}": f"zgov.supervision.v1.{message.__name__}"
                 for name, message in events.MESSAGE_TYPES.items()}
    published |= {f"supervision.accountability.{state}": "zgov.supervision.v1.AccountabilityChanged"
                  for state in events.ACCOUNTABILITY_EVENTS}
    assert stream["events"] == published


def test_A72_the_service_proposes_people_decide():
    assert holders("accountability:decide") == {"mayor", "secretary-general"}
    assert "supervision-officer" in holders("accountability:read")
    assert "supervision-officer" not in holders("accountability:decide")


def test_A63_plan_rpcs_declare_realm_permissions_and_the_city_approves():
    from services.supervision.api_plans import InspectionPlanServicer
    from zgov.supervision.v1 import plans_pb2

    defined = {r["name"] for r in REALM["roles"]["client"]["supervision"]}
    for method in plans_pb2.DESCRIPTOR.services_by_name["InspectionPlanService"].methods:
        needed = declared_permissions(getattr(InspectionPlanServicer, method.name))
        assert needed and needed <= defined, method.name
    assert holders("plan:approve") == {"mayor", "secretary-general"}
    assert holders("plan:write") == {"department-head", "county-head"}
