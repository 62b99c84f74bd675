"""Pure rules of the `org` service (no servers): A8, A10, A59, A79, A82."""

from datetime import date

import pytest

from services.org.domain import (
    Absence,
    LeaveKind,
    LeaveState,
    ab_partner,
    check_ab_pair,
    check_both_away,
    check_duty_assignment,
    check_leave_request,
    check_portfolio,
    portfolio_holder,
    stand_in_for,
    stand_in_gaps,
    uncovered_duty_days,
    who_may_act,
)
from shared.errors import InvalidInput, RuleViolation


def absence(
    user, position, first, last, kind=LeaveKind.LEAVE, state=LeaveState.APPROVED, acting="", lid="L1"
):
    return Absence(lid, user, position, kind, first, last, state, acting)


def request(**overrides):
    args = dict(
        user_positions={"vice-mayor"},
        position="vice-mayor",
        kind=LeaveKind.LEAVE,
        first_day=date(2026, 12, 1),
        last_day=date(2026, 12, 3),
        reason="家事",
        own_leaves=[],
    )
    args.update(overrides)
    check_leave_request(**args)


def test_leave_that_ends_before_it_starts_names_the_field():
    with pytest.raises(InvalidInput) as err:
        request(first_day=date(2026, 12, 3), last_day=date(2026, 12, 1))
    assert "last_day" in err.value.violations
    assert "before it starts" in err.value.violations["last_day"]


def test_leave_for_a_position_not_held_is_refused():
    with pytest.raises(InvalidInput) as err:
        request(position="mayor")
    assert set(err.value.violations) == {"position"}


def test_A82_overlapping_leave_of_the_same_person_is_refused():
    existing = absence("u1", "vice-mayor", date(2026, 12, 2), date(2026, 12, 5), state=LeaveState.REQUESTED)
    with pytest.raises(RuleViolation) as err:
        request(own_leaves=[existing])
    assert err.value.rule_id == "A82.overlap"


def test_A82_rejected_leave_does_not_block_a_new_one():
    rejected = absence("u1", "vice-mayor", date(2026, 12, 2), date(2026, 12, 5), state=LeaveState.REJECTED)
    request(own_leaves=[rejected])


def test_A82_mayor_and_executive_vice_mayor_not_away_together():
    evm_away = absence("evm", "executive-vice-mayor", date(2026, 12, 3), date(2026, 12, 4), lid="E1")
    mayor_leave = absence("mayor", "mayor", date(2026, 12, 1), date(2026, 12, 3), state=LeaveState.REQUESTED)
    with pytest.raises(RuleViolation) as err:
        check_both_away(mayor_leave, [evm_away], override_reason="")
    assert err.value.rule_id == "A82"
    assert "E1" in str(err.value)


def test_A82_override_with_reason_allows_both_away():
    evm_away = absence("evm", "executive-vice-mayor", date(2026, 12, 3), date(2026, 12, 4))
    mayor_leave = absence("mayor", "mayor", date(2026, 12, 1), date(2026, 12, 3), state=LeaveState.REQUESTED)
    check_both_away(mayor_leave, [evm_away], override_reason="省政府统一安排赴外学习")


def test_A82_days_that_touch_but_do_not_overlap_are_fine():
    evm_away = absence("evm", "executive-vice-mayor", date(2026, 12, 4), date(2026, 12, 5))
    mayor_leave = absence("mayor", "mayor", date(2026, 12, 1), date(2026, 12, 3), state=LeaveState.REQUESTED)
    check_both_away(mayor_leave, [evm_away], override_reason="")


def test_A82_only_concerns_the_two_top_leaders():
    vm_away = absence("vm2", "vice-mayor", date(2026, 12, 1), date(2026, 12, 5))
    vm_leave = absence("vm1", "vice-mayor", date(2026, 12, 1), date(2026, 12, 5), state=LeaveState.REQUESTED)
    check_both_away(vm_leave, [vm_away], override_reason="")


def test_A10_executive_vice_mayor_acts_for_mayor_on_leave():
    away = absence("mayor", "mayor", date(2026, 12, 1), date(2026, 12, 3), kind=LeaveKind.ABROAD)
    answer = who_may_act(
        position="mayor",
        holder_user_id="mayor",
        day=date(2026, 12, 2),
        absences=[away],
        executive_vice_mayor_id="evm",
        ab_partner_id=None,
    )
    assert (answer.acting_user_id, answer.basis, answer.holder_away) == ("evm", "A10", True)
    assert answer.leave_id == "L1"


def test_A10_mayor_acts_again_the_day_after_the_leave():
    away = absence("mayor", "mayor", date(2026, 12, 1), date(2026, 12, 3))
    answer = who_may_act(
        position="mayor",
        holder_user_id="mayor",
        day=date(2026, 12, 4),
        absences=[away],
        executive_vice_mayor_id="evm",
        ab_partner_id=None,
    )
    assert (answer.acting_user_id, answer.holder_away) == ("mayor", False)


def test_A10_requested_but_unapproved_leave_changes_nothing():
    pending = absence("mayor", "mayor", date(2026, 12, 1), date(2026, 12, 3), state=LeaveState.REQUESTED)
    answer = who_may_act(
        position="mayor",
        holder_user_id="mayor",
        day=date(2026, 12, 2),
        absences=[pending],
        executive_vice_mayor_id="evm",
        ab_partner_id=None,
    )
    assert answer.acting_user_id == "mayor"


def test_A10_business_trip_needs_a_named_stand_in():
    trip = absence("mayor", "mayor", date(2026, 12, 1), date(2026, 12, 3), kind=LeaveKind.BUSINESS_TRIP)
    answer = who_may_act(
        position="mayor",
        holder_user_id="mayor",
        day=date(2026, 12, 2),
        absences=[trip],
        executive_vice_mayor_id="evm",
        ab_partner_id=None,
    )
    assert (answer.acting_user_id, answer.basis) == ("", "no stand-in named")


def test_A59_ab_partner_acts_for_an_absent_vice_mayor():
    away = absence("vm1", "vice-mayor", date(2026, 12, 1), date(2026, 12, 3))
    answer = who_may_act(
        position="vice-mayor",
        holder_user_id="vm1",
        day=date(2026, 12, 1),
        absences=[away],
        executive_vice_mayor_id="evm",
        ab_partner_id="vm2",
    )
    assert (answer.acting_user_id, answer.basis) == ("vm2", "A59")


def test_A59_no_stand_in_when_the_partner_is_away_too():
    away = [
        absence("vm1", "vice-mayor", date(2026, 12, 1), date(2026, 12, 3)),
        absence("vm2", "vice-mayor", date(2026, 12, 2), date(2026, 12, 2), lid="L2"),
    ]
    answer = who_may_act(
        position="vice-mayor",
        holder_user_id="vm1",
        day=date(2026, 12, 2),
        absences=away,
        executive_vice_mayor_id="evm",
        ab_partner_id="vm2",
    )
    assert answer.acting_user_id == ""
    assert "also away" in answer.basis


def rules_stand_in(absence_):
    return stand_in_for(
        absence_, executive_vice_mayor_id="evm", ab_partner_id=ab_partner(absence_.user_id, [("vm1", "vm2")])
    )


def test_A10_mayors_business_trip_leaves_the_position_without_a_stand_in():
    trip = absence(
        "m",
        "mayor",
        date(2026, 12, 1),
        date(2026, 12, 2),
        kind=LeaveKind.BUSINESS_TRIP,
        state=LeaveState.REQUESTED,
    )
    [gap] = stand_in_gaps(trip, [], rules_stand_in, {"m": "王市长"})
    assert (gap.position, gap.holder_user_id, gap.first_day, gap.last_day) == (
        "mayor",
        "m",
        date(2026, 12, 1),
        date(2026, 12, 2),
    )
    assert gap.reason.startswith("nobody acts for 王市长 [m] as mayor")
    named = absence(
        "m", "mayor", date(2026, 12, 1), date(2026, 12, 2), kind=LeaveKind.BUSINESS_TRIP, acting="sg"
    )
    assert stand_in_gaps(named, [], rules_stand_in) == []
    abroad = absence("m", "mayor", date(2026, 12, 1), date(2026, 12, 2), kind=LeaveKind.ABROAD)
    assert stand_in_gaps(abroad, [], rules_stand_in) == []


def test_A59_a_leave_flags_its_own_gap_and_the_partners_on_shared_days_only():
    partner = absence("vm2", "vice-mayor", date(2026, 12, 1), date(2026, 12, 3), lid="L2")
    elsewhere = absence("vm3", "vice-mayor", date(2026, 12, 1), date(2026, 12, 9), lid="L3", acting="sg")
    leave = absence("vm1", "vice-mayor", date(2026, 12, 3), date(2026, 12, 5), state=LeaveState.REQUESTED)
    own, partners = stand_in_gaps(leave, [partner, elsewhere], rules_stand_in)
    assert (own.holder_user_id, own.leave_id, own.first_day, own.last_day) == (
        "vm1",
        "L1",
        date(2026, 12, 3),
        date(2026, 12, 3),
    )
    assert "the stand-in vm2 (A59) is away too (leave L2)" in own.reason
    assert (partners.holder_user_id, partners.leave_id) == ("vm2", "L2")
    later = absence("vm1", "vice-mayor", date(2026, 12, 4), date(2026, 12, 5), state=LeaveState.REQUESTED)
    assert stand_in_gaps(later, [partner, elsewhere], rules_stand_in) == []


def test_A59_partner_lookup_is_symmetric():
    pairs = [("vm1", "vm2"), ("vm3", "evm")]
    assert ab_partner("vm2", pairs) == "vm1"
    assert ab_partner("evm", pairs) == "vm3"
    assert ab_partner("mayor", pairs) is None


def test_A59_pair_must_be_two_different_vice_mayors():
    positions = {"vm1": frozenset({"vice-mayor"}), "sg": frozenset({"secretary-general"})}
    with pytest.raises(InvalidInput) as err:
        check_ab_pair("vm1", "vm1", positions)
    assert "leader_b_user_id" in err.value.violations
    with pytest.raises(InvalidInput) as err:
        check_ab_pair("vm1", "sg", positions)
    assert "not a vice mayor" in err.value.violations["leader_b_user_id"]


def test_A8_department_overseen_by_one_leader():
    with pytest.raises(RuleViolation) as err:
        check_portfolio(
            leader_user_id="vm1",
            leader_positions=frozenset({"vice-mayor"}),
            organisation_codes=["education-bureau"],
            known_organisations=["education-bureau"],
            other_portfolios={"vm2": ["education-bureau"]},
        )
    assert err.value.rule_id == "A8"


def test_A8_portfolio_only_for_vice_mayors_and_known_organisations():
    with pytest.raises(InvalidInput) as err:
        check_portfolio(
            leader_user_id="sg",
            leader_positions=frozenset({"secretary-general"}),
            organisation_codes=["no-such-bureau"],
            known_organisations=["education-bureau"],
            other_portfolios={},
        )
    assert set(err.value.violations) == {"leader_user_id", "organisation_codes"}


def test_A8_routing_follows_the_portfolio():
    portfolios = {"vm1": (["education-bureau"], ["教育"]), "vm2": (["finance-bureau"], ["安全生产"])}
    assert portfolio_holder(portfolios, organisation_code="finance-bureau") == "vm2"
    assert portfolio_holder(portfolios, matter="安全生产") == "vm2"
    assert portfolio_holder(portfolios, organisation_code="audit-bureau") is None


def test_A79_duty_only_on_weekday_statutory_holidays_and_by_a_leader():
    holidays = {date(2026, 10, 1): "国庆节"}
    with pytest.raises(InvalidInput):
        check_duty_assignment(
            day=date(2026, 10, 10),
            duty_days=holidays,
            leader_positions=frozenset({"vice-mayor"}),
            leader_absences=[],
        )
    with pytest.raises(InvalidInput):
        check_duty_assignment(
            day=date(2026, 10, 1),
            duty_days=holidays,
            leader_positions=frozenset({"office-staff"}),
            leader_absences=[],
        )
    check_duty_assignment(
        day=date(2026, 10, 1),
        duty_days=holidays,
        leader_positions=frozenset({"vice-mayor"}),
        leader_absences=[],
    )


def test_A79_leader_away_cannot_be_on_duty():
    away = absence("vm1", "vice-mayor", date(2026, 9, 30), date(2026, 10, 2))
    with pytest.raises(RuleViolation) as err:
        check_duty_assignment(
            day=date(2026, 10, 1),
            duty_days={date(2026, 10, 1): "国庆节"},
            leader_positions=frozenset({"vice-mayor"}),
            leader_absences=[away],
        )
    assert err.value.rule_id == "A79"


def test_A79_uncovered_days_are_listed_in_order():
    days = [date(2026, 10, 2), date(2026, 10, 1), date(2026, 10, 5)]
    assert uncovered_duty_days(days, [date(2026, 10, 1)]) == [date(2026, 10, 2), date(2026, 10, 5)]
