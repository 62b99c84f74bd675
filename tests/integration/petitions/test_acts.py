"""The acts on a petition case called directly (no RPC), each test inside one transaction rolled back
at its end: what an act checks, writes, records and announces, seen from the session itself. Real
PostgreSQL (this test's database, at the service's migration head); no org (organisation codes are
then checked for form only) and no NATS: an event is the outbox row the act adds."""

from __future__ import annotations

from datetime import date

import pytest

from services.petitions import domain
from services.petitions.acts import Env, ReadRefused, handling, intake, reads
from services.petitions.models import PetitionCase
from shared.audit import history
from shared.convert import today_in_china
from shared.db import create_engine, session_factory
from shared.errors import Forbidden
from shared.identity import Actor
from shared.workdays import calendar
from tests.fixtures.outbox import outbox_subjects
from zgov.petitions.v1 import petitions_pb2

pytestmark = pytest.mark.integration

TODAY = today_in_china()
BUREAU = Actor(
    user_id="u-bureau",
    username="petition-officer",
    organisation_code="petition-bureau",
    permissions=frozenset({"petition:register", "petition:assign", "petition:read"}),
)
HANDLER = Actor(
    user_id="u-handler",
    username="county-officer",
    organisation_code="anyue-county",
    permissions=frozenset({"petition:handle", "petition:read"}),
)
COMPLAINED = Actor(
    user_id="u-school",
    username="education-officer",
    organisation_code="education-bureau",
    permissions=frozenset({"petition:handle", "petition:read"}),
)


@pytest.fixture
async def session(service_database):
    """One transaction for the whole test, rolled back at its end (nothing it wrote stays)."""
    engine = create_engine(await service_database("petitions"))
    try:
        async with session_factory(engine)() as s:
            await s.begin()
            try:
                yield s
            finally:
                await s.rollback()
    finally:
        await engine.dispose()


@pytest.fixture
def env() -> Env:
    return Env(
        calendar=calendar(),
        bureau="petition-bureau",
        routes_above={"petition-bureau": "general-office"},
        person_key_secret=b"test-secret",
    )


def letter(body_complained_about: str = "education-bureau") -> domain.Intake:
    return domain.Intake(
        channel=domain.Channel.LETTER,
        received_on=TODAY,
        category=domain.Category.COMPLAINT_REPORT,
        title="学校违规收费",
        content="某中学向学生收取补课费，请查处。",
        petitioners=[domain.Petitioner(name="林晓梅", phone="13912345678")],
        body_complained_about=body_complained_about,
        person_complained_about="李校长",
    )


async def test_A71_registered_triaged_and_accepted_with_an_event_and_a_recorded_act_each(session, env):
    case = (await intake.register_case(session, BUREAU, env, letter(), repeat_of="", searched=("", ""))).case
    triage = domain.Triage(outcome=domain.TriageOutcome.ACCEPT_AND_ASSIGN, handling_body_code="anyue-county")
    assigned = await handling.triage(session, BUREAU, env, case.id, triage, TODAY)
    assert assigned.handling_body_code == "anyue-county"
    accepted = await handling.acknowledge(
        session, HANDLER, env, case.id, on=TODAY, handling_plan="七日内调查"
    )
    assert accepted.handling_due.due.year
    row = await session.get(PetitionCase, case.id)
    assert (row.state, row.current_stage) == ("in_handling", "handling")
    assert await outbox_subjects(session, f"case/{case.id}") == [
        "petitions.case.registered",
        "petitions.case.assigned",
        "petitions.case.accepted",
    ]
    # one transaction, one timestamp: the recorded acts, in whatever order they share it
    acts = sorted(h.act for h in await history(session, f"case/{case.id}"))
    assert acts == ["case.accept_and_assign", "case.accepted", "case.registered"]


async def test_A71_a_repeat_links_to_the_persons_first_case_of_the_same_matter_among_many(session, env):
    """The same matter is looked for in SQL among the person's first cases of that category and body
    (issue 17): another category, another body and the earlier repeats never become the first case."""

    async def registered(intake_: domain.Intake):
        return (
            await intake.register_case(session, BUREAU, env, intake_, repeat_of="", searched=([], []))
        ).case

    suggestion = domain.Intake(**{**vars(letter()), "category": domain.Category.SUGGESTION})
    other_body = await registered(letter("health-commission"))
    await registered(suggestion)
    first = await registered(letter())
    repeats = [await registered(letter()) for _ in range(3)]
    assert other_body.state == first.state == petitions_pb2.CASE_STATE_REGISTERED
    assert {r.repeat_of_case_id for r in repeats} == {first.id}
    assert {r.state for r in repeats} == {petitions_pb2.CASE_STATE_LINKED}
    again = await registered(suggestion)
    assert again.state == petitions_pb2.CASE_STATE_LINKED and again.repeat_of_case_id != first.id
    someone_else = domain.Intake(
        **{**vars(letter()), "petitioners": [domain.Petitioner(name="王五", phone="13900000000")]}
    )
    assert (await registered(someone_else)).state == petitions_pb2.CASE_STATE_REGISTERED


async def test_A71_only_the_assigned_body_acts_and_the_body_complained_about_never_reads(session, env):
    case = (await intake.register_case(session, BUREAU, env, letter(), repeat_of="", searched=("", ""))).case
    with pytest.raises(Forbidden):
        await handling.acknowledge(session, HANDLER, env, case.id, on=TODAY, handling_plan="计划")
    with pytest.raises(ReadRefused) as refused:
        await reads.read_case(session, COMPLAINED, env, case.id)
    assert (refused.value.case_id, refused.value.act, refused.value.rule_id) == (
        case.id,
        "case.read.denied",
        "A71",
    )
    full = await reads.read_case(session, BUREAU, env, case.id)
    assert full.petitioners[0].name == "林晓梅" and not full.identity_redacted


async def test_A71_a_case_about_the_bureau_goes_above_it_at_once(session, env):
    case = (
        await intake.register_case(
            session, BUREAU, env, letter("petition-bureau"), repeat_of="", searched=("", "")
        )
    ).case
    assert case.handling_body_code == "general-office" and case.identity_redacted  # the bureau's own case
    assert await outbox_subjects(session, f"case/{case.id}") == [
        "petitions.case.registered",
        "petitions.case.assigned",
    ]
    assert date(case.assigned_on.year, case.assigned_on.month, case.assigned_on.day) == TODAY
