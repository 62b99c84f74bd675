"""The rules of receptions (A56) and trips abroad (A57, A58) as pure functions, with the national
numbers as data."""

from datetime import date

import pytest

from services.org.domain import receptions as r
from services.org.domain import trips as t
from shared.errors import InvalidInput, RuleViolation

S = r.Standards(12_000, ("official-visit",), 10, 3, 3, "省、市接待标准")
TODAY = date(2026, 12, 7)


def plan(**fields) -> r.ReceptionPlan:
    values = dict(
        guest_unit="成都市教育局",
        guest_kind="official-visit",
        guests=4,
        accompanying=2,
        meals=2,
        planned_cost_fen=6 * 2 * 12_000,
        day=date(2026, 12, 10),
        letter_ref="函",
    )
    values.update(fields)
    return r.ReceptionPlan(**values)


def test_A56_accompanying_cap_three_up_to_ten_guests_then_a_third():
    assert [r.accompanying_cap(n, S) for n in (1, 10, 11, 30)] == [3, 3, 3, 10]


def test_A56_request_at_the_standard_passes_over_it_is_refused():
    r.check_request(plan(), S)
    with pytest.raises(RuleViolation) as over:
        r.check_request(plan(planned_cost_fen=6 * 2 * 12_000 + 1), S)
    assert over.value.rule_id == "A56.over-standard"
    with pytest.raises(RuleViolation) as guest:
        r.check_request(plan(guest_kind="business-partner"), S)
    assert guest.value.rule_id == "A56.guest"


def test_A56_approval_before_the_reception_and_no_past_requests():
    r.check_approval_day(date(2026, 12, 10), date(2026, 12, 10))
    with pytest.raises(RuleViolation):
        r.check_approval_day(date(2026, 12, 9), date(2026, 12, 10))
    with pytest.raises(InvalidInput):
        r.check_plan(plan(day=date(2026, 12, 6)), TODAY)
    with pytest.raises(InvalidInput):
        r.check_plan(plan(letter_ref=" "), TODAY)


def test_A56_the_list_is_flagged_over_the_standard_without_approval_and_with_too_many_hosts():
    people = [r.Attendee(f"g{i}", "u", True) for i in range(2)] + [
        r.Attendee(f"h{i}", "u", False) for i in range(4)
    ]
    flags = r.flags_on_close(
        approved=False,
        attendees=people,
        items=[r.Item("工作餐", 6 * 13_000, True), r.Item("住宿", 100_000, False)],
        meals=1,
        s=S,
    )
    assert [f["rule_id"] for f in flags] == ["A56.without-approval", "A56.over-standard", "A56.accompanying"]
    assert (
        r.flags_on_close(
            approved=True, attendees=people[:5], items=[r.Item("工作餐", 5 * 12_000, True)], meals=1, s=S
        )
        == []
    )


def trip(**fields) -> t.TripRequest:
    values = dict(
        task_kind=t.TaskKind.CONFERENCE,
        purpose="出席会议",
        invitation_ref="邀请函",
        countries=("DE",),
        far_region=False,
        first_day=date(2027, 1, 10),
        last_day=date(2027, 1, 14),
        members=(t.Member("u1", "department-head"),),
        payer=t.Payer.OWN_BUDGET,
    )
    values.update(fields)
    return t.TripRequest(**values)


LIMITS = t.TripLimits()


def rule_of(request: t.TripRequest, limits: t.TripLimits = LIMITS) -> str:
    with pytest.raises(RuleViolation) as refused:
        t.check_rules(request, limits)
    return refused.value.rule_id


def test_A57_the_national_limits_5_8_10_days_3_countries_6_members():
    t.check_rules(trip(), LIMITS)  # one country, 5 days (departure and return counted)
    assert rule_of(trip(last_day=date(2027, 1, 15))) == "A57.days"
    t.check_rules(trip(countries=("DE", "FR"), last_day=date(2027, 1, 17)), LIMITS)
    t.check_rules(trip(countries=("BR", "AR", "CL"), far_region=True, last_day=date(2027, 1, 20)), LIMITS)
    assert rule_of(trip(countries=("BR", "AR", "CL"), last_day=date(2027, 1, 20))) == "A57.days"
    assert rule_of(trip(countries=("DE", "FR", "IT", "ES"))) == "A57.countries"
    assert rule_of(trip(members=tuple(t.Member(f"u{i}", "") for i in range(7)))) == "A57.group-size"
    assert rule_of(trip(task_kind=t.TaskKind.SIGHTSEEING)) == "A57.no-substantive-task"
    assert rule_of(trip(payer=t.Payer.COMPANY)) == "A58.payer"


def test_A57_limits_are_operator_data():
    wider = t.TripLimits.from_mapping({"max_members": 8, "max_days_by_countries": [6, 9, 12]})
    t.check_rules(
        trip(members=tuple(t.Member(f"u{i}", "") for i in range(8)), last_day=date(2027, 1, 15)), wider
    )
    with pytest.raises(ValueError):
        t.TripLimits.from_mapping({"max_people": 8})


def test_A57_the_province_approves_a_city_leaders_trip_with_its_number():
    assert t.authority_for((t.Member("u1", "department-head"),), LIMITS) == "city"
    assert t.authority_for((t.Member("u1", ""), t.Member("m", "mayor")), LIMITS) == "province"
    with pytest.raises(RuleViolation):
        t.check_approval(
            authority="province",
            authority_reference="",
            approver_user_id="sg",
            members=[t.Member("m", "mayor")],
        )
    with pytest.raises(RuleViolation):
        t.check_approval(
            authority="city",
            authority_reference="",
            approver_user_id="m",
            members=[t.Member("m", "department-head")],
        )


def test_A58_gifts_from_200_yuan_handed_over_within_a_month_of_return():
    assert t.gift_terms(19_999, date(2027, 1, 14), LIMITS) == (False, None)
    assert t.gift_terms(20_000, date(2027, 1, 14), LIMITS) == (True, date(2027, 2, 13))


def _gift(gift_id: str, must: bool, due: str, handed: str = "", **more) -> dict:
    return {
        "id": gift_id,
        "received_by_user_id": f"member-{gift_id}",
        "must_hand_over": must,
        "hand_over_due": due,
        "handed_over_on": handed,
        **more,
    }


def test_A57_A58_a_report_or_gift_past_its_limit_is_overdue_once():
    gifts = [
        _gift("plate", True, "2027-02-13"),
        _gift("pen", False, ""),
        _gift("vase", True, "2027-02-13", handed="2027-02-01"),
        _gift("told", True, "2027-02-13", overdue_announced_on="2027-02-14"),
    ]
    found = t.overdue(
        state=t.TripState.APPROVED,
        report_due=date(2027, 2, 13),
        report_announced=False,
        requested_by_user_id="asker",
        gifts=gifts,
        today=date(2027, 2, 14),
    )
    assert found == [
        t.Overdue(t.OverdueStep.REPORT, date(2027, 2, 13), "asker"),
        t.Overdue(t.OverdueStep.GIFT_HAND_OVER, date(2027, 2, 13), "member-plate", "plate"),
    ]
    # on the last day nothing is overdue yet; a report announced or in is not again
    assert t.overdue(**{**_args(gifts), "today": date(2027, 2, 13)}) == []
    assert [o.step for o in t.overdue(**{**_args(gifts), "report_announced": True})] == [
        t.OverdueStep.GIFT_HAND_OVER
    ]
    reported = {**_args(gifts), "state": t.TripState.REPORTED}
    assert [o.gift_id for o in t.overdue(**reported)] == ["plate"]
    assert t.overdue(**{**_args(gifts), "state": t.TripState.REJECTED}) == []


def _args(gifts: list[dict]) -> dict:
    return dict(
        state=t.TripState.APPROVED,
        report_due=date(2027, 2, 13),
        report_announced=False,
        requested_by_user_id="asker",
        gifts=gifts,
        today=date(2027, 2, 14),
    )
