"""Pure rules of suggestions and proposals (A67), no servers: the limits, the reply, the rating and the
leaders' coverage."""

from datetime import date

import pytest

from services.supervision.domain import proposals as domain
from services.supervision.domain.proposals import (
    Led,
    NewProposal,
    ProposalKind,
    ProposalLimits,
    ProposalState,
    Proposer,
    Rating,
    ReplyClass,
)
from shared.errors import InvalidInput, RuleViolation

LIMITS = ProposalLimits()
ASSIGNED = date(2026, 3, 31)


def new(**overrides) -> NewProposal:
    fields = dict(
        kind=ProposalKind.NPC_SUGGESTION,
        session="资阳市第五届人民代表大会第三次会议",
        number="0123",
        title="关于改善城区停车的建议",
        content="建议增设停车位。",
        proposers=(Proposer("张代表", "13800000000", "雁江区某路1号", "某公司"),),
    )
    return NewProposal(**{**fields, **overrides})


def test_A67_the_limit_is_three_months_from_assignment_on_the_calendar():
    assert domain.due_on_assignment(ASSIGNED, LIMITS) == date(2026, 6, 30)
    assert domain.add_months(date(2026, 8, 31), 3) == date(2026, 11, 30)
    assert domain.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert domain.due_on_assignment(ASSIGNED, ProposalLimits(handle_months=2)) == date(2026, 5, 31)


def test_A67_an_extension_is_approved_before_the_limit_and_ends_six_months_after_assignment_at_most():
    due = domain.due_on_assignment(ASSIGNED, LIMITS)
    domain.check_extension(date(2026, 6, 1), ASSIGNED, due, date(2026, 9, 30), "涉及多部门协调", LIMITS)
    with pytest.raises(RuleViolation) as too_long:
        domain.check_extension(date(2026, 6, 1), ASSIGNED, due, date(2026, 10, 1), "涉及多部门协调", LIMITS)
    assert too_long.value.rule_id == "A67.limit"
    with pytest.raises(RuleViolation) as late:
        domain.check_extension(date(2026, 7, 1), ASSIGNED, due, date(2026, 9, 1), "涉及多部门协调", LIMITS)
    assert late.value.rule_id == "A67.extension-before-due"
    with pytest.raises(InvalidInput) as bad:
        domain.check_extension(date(2026, 6, 1), ASSIGNED, due, due, " ", LIMITS)
    assert set(bad.value.violations) == {"due", "reason"}


def test_A67_a_registration_names_its_session_number_and_proposers():
    domain.check_new(new())
    with pytest.raises(InvalidInput) as bad:
        domain.check_new(new(kind=None, number=" ", content="", proposers=(Proposer(" "),)))
    assert set(bad.value.violations) == {"kind", "number", "content", "proposers[0].name"}
    with pytest.raises(InvalidInput) as nobody:
        domain.check_new(new(proposers=()))
    assert "proposers" in nobody.value.violations


def test_A67_one_lead_body_known_and_not_also_a_co_body():
    known = {"education-bureau", "anyue-county", "justice-bureau"}
    domain.check_bodies("education-bureau", ["anyue-county"], known)
    with pytest.raises(InvalidInput) as bad:
        domain.check_bodies("", ["nowhere"], known)
    assert set(bad.value.violations) == {"lead_body_code", "co_body_codes"}
    with pytest.raises(InvalidInput):
        domain.check_bodies("education-bureau", ["education-bureau"], known)


def test_A67_the_lead_body_replies_with_a_class_and_a_text():
    domain.check_lead_body("education-bureau", "education-bureau")
    with pytest.raises(RuleViolation) as other:
        domain.check_lead_body("anyue-county", "education-bureau")
    assert other.value.rule_id == "A67.lead-body"
    domain.check_reply(ReplyClass.A, "已采纳，年内增设停车位500个。", "")
    with pytest.raises(InvalidInput) as bad:
        domain.check_reply(None, " ", "x" * 65)
    assert set(bad.value.violations) == {"reply_class", "text", "document_number"}


def test_A67_a_first_not_satisfied_reopens_once_and_the_second_rating_closes():
    assert domain.after_rating(Rating.NOT_SATISFIED, 1) is ProposalState.REOPENED
    assert domain.after_rating(Rating.NOT_SATISFIED, 2) is ProposalState.CLOSED
    assert domain.after_rating(Rating.BASICALLY_SATISFIED, 1) is ProposalState.CLOSED
    assert domain.after_rating(Rating.SATISFIED, 2) is ProposalState.CLOSED


def test_A67_acts_out_of_turn_name_the_rule():
    with pytest.raises(RuleViolation) as info:
        domain.check_state("reply to", ProposalState.CLOSED, domain.HANDLING)
    assert info.value.rule_id == "A67.state"


def test_A67_coverage_names_each_leader_without_one_suggestion_and_one_proposal():
    leaders = ["mayor", "evm", "vm1", "vm2"]
    led = [
        Led("mayor", ProposalKind.NPC_SUGGESTION),
        Led("mayor", ProposalKind.CPPCC_PROPOSAL),
        Led("evm", ProposalKind.NPC_SUGGESTION),
        Led("evm", ProposalKind.NPC_SUGGESTION),
        Led("someone-else", ProposalKind.CPPCC_PROPOSAL),
    ]
    counts = domain.coverage(leaders, led)
    assert counts == {"mayor": (1, 1), "evm": (2, 0), "vm1": (0, 0), "vm2": (0, 0)}
    assert domain.uncovered(counts) == ["evm", "vm1", "vm2"]


def test_A80_a_proposer_contact_is_kept_apart_from_the_name():
    proposer = Proposer("张代表", " 13800000000 ", "雁江区某路1号", "")
    assert proposer.contact() == {"phone": "13800000000", "address": "雁江区某路1号", "work_unit": ""}


def test_A67_a_limit_near_or_passed_is_announced_at_the_right_step():
    from datetime import date as day

    from services.supervision.domain.proposals import limit_step

    due, warn_from = day(2026, 6, 30), day(2026, 6, 16)
    assert limit_step(day(2026, 6, 15), due, warn_from) is None
    assert limit_step(day(2026, 6, 16), due, warn_from) == "due_soon"
    assert limit_step(day(2026, 6, 30), due, warn_from) == "due_soon"
    assert limit_step(day(2026, 7, 1), due, warn_from) == "overdue"
    assert limit_step(day(2026, 7, 1), None, None) is None


def test_A67_A60_the_lead_body_replies_with_every_co_bodys_opinion_of_the_round():
    from services.supervision.domain.proposals import check_co_body, check_co_opinions
    from shared.errors import RuleViolation as Refused

    check_co_opinions([], [], 1)
    check_co_opinions(["anyue-county"], [{"body_code": "anyue-county", "round": 1}], 1)
    with pytest.raises(Refused) as missing:
        check_co_opinions(["anyue-county"], [{"body_code": "anyue-county", "round": 1}], 2)
    assert missing.value.rule_id == "A67.co-opinions"
    with pytest.raises(Refused) as not_co:
        check_co_body("education-bureau", ["anyue-county"])
    assert not_co.value.rule_id == "A67.co-body"
