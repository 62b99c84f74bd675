"""回避 (A71): a petition about the petition bureau itself is handled above it, and the bureau never reads,
lists or counts it in its register.

Demo people (deploy/local/keycloak.py): petition-officer (petition-bureau), office-staff (general-office,
the body above the bureau by default), citizen.
"""

from __future__ import annotations

from datetime import date

import grpc
import pytest

from tests.integration.petitions.test_petitions_api import TODAY, d, get, register, rpc_error
from zgov.common.v1 import common_pb2
from zgov.petitions.v1 import petitions_pb2

pytestmark = pytest.mark.integration

NAME, PHONE = "赵信民", "13655556666"


def about_the_bureau(**overrides) -> petitions_pb2.Intake:
    fields = dict(
        category=petitions_pb2.CATEGORY_COMPLAINT_REPORT,
        title="信访局工作人员推诿",
        content=f"本人{NAME}（电话{PHONE}）多次到信访局反映问题，工作人员推诿不办。",
        petitioners=[petitions_pb2.Petitioner(name=NAME, phone=PHONE, address="雁江区和平路12号")],
        body_complained_about="petition-bureau",
    )
    fields.update(overrides)
    return petitions_pb2.Intake(**fields)


async def test_A71_a_petition_about_the_bureau_goes_to_the_general_office_and_the_bureau_never_sees_it(
    petitions,
):
    """Closes: a complaint about the petition bureau was shown in full (name, phone) to the bureau, which
    also triaged it and listed it in its register."""
    p = petitions
    filed = await p.stub.SubmitPetition(
        petitions_pb2.SubmitPetitionRequest(intake=about_the_bureau()), metadata=p.as_user("citizen")
    )
    case_id = filed.case.id

    denied = await rpc_error(get(p, case_id, "petition-officer"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert NAME not in denied.details() and "assigned" not in denied.details()
    listed = await p.stub.ListCases(petitions_pb2.ListCasesRequest(), metadata=p.as_user("petition-officer"))
    assert case_id not in [c.id for c in listed.cases]
    found = await p.stub.ListCases(
        petitions_pb2.ListCasesRequest(text=NAME), metadata=p.as_user("petition-officer")
    )
    assert case_id not in [c.id for c in found.cases]
    register_page = await p.stub.GetRegister(
        petitions_pb2.GetRegisterRequest(
            received_from=d(TODAY), received_to=d(TODAY), page=common_pb2.PageRequest(page_size=100)
        ),
        metadata=p.as_user("petition-officer"),
    )
    assert filed.case.number not in [line.number for line in register_page.lines]
    triage = await rpc_error(
        p.stub.TriageCase(
            petitions_pb2.TriageCaseRequest(
                case_id=case_id, outcome=petitions_pb2.TRIAGE_OUTCOME_NOT_ACCEPT, notice="不予受理"
            ),
            metadata=p.as_user("petition-officer"),
        )
    )
    assert triage.code() == grpc.StatusCode.PERMISSION_DENIED and "assigned" not in triage.details()

    above = await get(p, case_id, "office-staff")
    assert above.state == petitions_pb2.CASE_STATE_ASSIGNED and above.handling_body_code == "general-office"
    assert (above.petitioners[0].name, above.petitioners[0].phone) == (NAME, PHONE)
    acknowledged = await p.stub.AcknowledgeCase(
        petitions_pb2.AcknowledgeCaseRequest(
            case_id=case_id, handling_plan="由市政府办公室调查核实", acknowledged_on=d(TODAY)
        ),
        metadata=p.as_user("office-staff"),
    )
    assert acknowledged.state == petitions_pb2.CASE_STATE_IN_HANDLING


async def test_A71_a_letter_about_the_bureau_registered_by_the_bureau_is_routed_and_shown_without_identity(
    petitions,
):
    """Closes: the officer registering a letter about the bureau got the case back, and kept reading it, in full."""
    p = petitions
    letter = about_the_bureau(
        channel=petitions_pb2.CHANNEL_LETTER, received_on=d(date.fromordinal(TODAY.toordinal() - 1))
    )
    registered = await register(p, letter)
    assert registered.case.identity_redacted and not registered.case.petitioners
    assert registered.case.handling_body_code == "general-office"
    assert (
        await rpc_error(get(p, registered.case.id, "petition-officer"))
    ).code() == grpc.StatusCode.PERMISSION_DENIED
