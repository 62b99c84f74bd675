"""Who may do what on items (the realm gives each permission to the right positions), and the events
listed in deploy/nats/streams.yaml are the ones the service publishes."""

import json

import yaml

from deploy.local.tools import ROOT
from services.supervision.acts import circulars as circular_acts
from services.supervision.acts import events
from services.supervision.acts import performance as performance_acts
from services.supervision.acts import proposals as proposal_acts
from services.supervision.acts import research as research_acts
from services.supervision.api import SupervisionServicer
from shared.rpc_auth import declared_permissions
from zgov.supervision.v1 import supervision_pb2 as pb

REALM = json.loads((ROOT / "deploy" / "keycloak" / "realm-zgov.json").read_text())
STREAMS = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())


def holders(permission: str) -> set[str]:
    return {
        r["name"]
        for r in REALM["roles"]["realm"]
        if permission in r.get("composites", {}).get("client", {}).get("supervision", [])
    }


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
    published = {
        f"supervision.item.{name}": f"zgov.supervision.v1.{message.__name__}"
        for name, message in events.MESSAGE_TYPES.items()
    }
    published |= {
        f"supervision.accountability.{state}": "zgov.supervision.v1.AccountabilityChanged"
        for state in events.ACCOUNTABILITY_EVENTS
    }
    published |= {
        f"supervision.proposal.{name}": f"zgov.supervision.v1.{message.__name__}"
        for name, message in proposal_acts.MESSAGE_TYPES.items()
    }
    published |= {
        f"supervision.performance.{name}": f"zgov.supervision.v1.{message.__name__}"
        for name, message in performance_acts.MESSAGE_TYPES.items()
    }
    published |= {
        f"supervision.research.{name}": f"zgov.supervision.v1.{message.__name__}"
        for name, message in research_acts.MESSAGE_TYPES.items()
    }
    published |= {
        f"supervision.circular.{name}": f"zgov.supervision.v1.{message.__name__}"
        for name, message in circular_acts.MESSAGE_TYPES.items()
    }
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


def test_A67_proposal_rpcs_declare_realm_permissions_the_office_manages_bodies_reply():
    from services.supervision.api_proposals import ProposalServicer
    from zgov.supervision.v1 import proposals_pb2

    defined = {r["name"] for r in REALM["roles"]["client"]["supervision"]}
    for method in proposals_pb2.DESCRIPTOR.services_by_name["ProposalService"].methods:
        needed = declared_permissions(getattr(ProposalServicer, method.name))
        assert needed and needed <= defined, method.name
    assert holders("proposal:manage") == {"supervision-officer"}
    assert holders("proposal:reply") == {"department-head", "county-head"}
    # A80: the proposers' contact details for those who handle the proposal, not for every reader
    assert holders("proposal:contact") == {"supervision-officer", "department-head", "county-head"}
    assert {"mayor", "vice-mayor", "citizen"}.isdisjoint(holders("proposal:contact"))


def test_A67_disclosure_may_consume_the_replies():
    assert {
        "name": "disclosure-proposal-replied",
        "stream": "SUPERVISION",
        "filter": "supervision.proposal.replied",
    } in STREAMS["consumers"]


def test_A80_no_proposal_event_carries_a_contact():
    def fields(descriptor, seen=()):
        for field in descriptor.fields:
            yield field.name
            if field.message_type is not None and field.message_type.full_name not in seen:
                yield from fields(field.message_type, (*seen, field.message_type.full_name))

    for message in proposal_acts.MESSAGE_TYPES.values():
        names = set(fields(message.DESCRIPTOR))
        assert not {"contact", "phone", "address", "work_unit", "proposer_contacts"} & names, message


def test_A64_performance_rpcs_declare_realm_permissions_the_office_manages_bodies_report():
    from services.supervision.api_performance import PerformanceServicer
    from zgov.supervision.v1 import performance_pb2

    defined = {r["name"] for r in REALM["roles"]["client"]["supervision"]}
    for method in performance_pb2.DESCRIPTOR.services_by_name["PerformanceService"].methods:
        needed = declared_permissions(getattr(PerformanceServicer, method.name))
        assert needed and needed <= defined, method.name
    assert holders("performance:manage") == {"supervision-officer"}
    assert holders("performance:report") == {"department-head", "county-head"}


def test_A31_research_rpcs_declare_realm_permissions_leaders_and_the_research_office_write():
    from services.supervision.api_research import ResearchServicer
    from zgov.supervision.v1 import research_pb2

    defined = {r["name"] for r in REALM["roles"]["client"]["supervision"]}
    for method in research_pb2.DESCRIPTOR.services_by_name["ResearchService"].methods:
        needed = declared_permissions(getattr(ResearchServicer, method.name))
        assert needed and needed <= defined, method.name
    assert holders("research:write") == {
        "mayor",
        "executive-vice-mayor",
        "vice-mayor",
        "secretary-general",
        "department-head",
        "research-office-staff",
    }


def test_A61_circular_rpcs_declare_realm_permissions_the_office_drafts():
    from services.supervision.api_circulars import CircularServicer
    from zgov.supervision.v1 import circulars_pb2

    defined = {r["name"] for r in REALM["roles"]["client"]["supervision"]}
    for method in circulars_pb2.DESCRIPTOR.services_by_name["CircularService"].methods:
        needed = declared_permissions(getattr(CircularServicer, method.name))
        assert needed and needed <= defined, method.name


def test_deadline_feed_rpcs_declare_realm_permissions():
    from services.supervision.api_feeds import DeadlineFeedServicer
    from zgov.supervision.v1 import feeds_pb2

    defined = {r["name"] for r in REALM["roles"]["client"]["supervision"]}
    for method in feeds_pb2.DESCRIPTOR.services_by_name["DeadlineFeedService"].methods:
        needed = declared_permissions(getattr(DeadlineFeedServicer, method.name))
        assert needed and needed <= defined, method.name
