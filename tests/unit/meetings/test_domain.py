"""Pure rules of the `meetings` service (no servers): A40-A45, A73, A81, A26."""

from datetime import date

import pytest

from services.meetings import domain as d
from services.meetings.domain import MeetingKind as K
from services.meetings.domain import Person
from shared.errors import InvalidInput, RuleViolation
from shared.workdays import calendar

CAL = calendar()

MAYOR = Person("u-mayor", frozenset({d.MAYOR}))
EVM = Person("u-evm", frozenset({d.EXECUTIVE_VICE_MAYOR}))
EVM_ACTING = Person("u-evm", frozenset({d.EXECUTIVE_VICE_MAYOR}), acts_as_mayor=True)
VM = Person("u-vm1", frozenset({d.VICE_MAYOR}))
SG = Person("u-sg", frozenset({d.SECRETARY_GENERAL}))
DSG = Person("u-dsg", frozenset({d.DEPUTY_SECRETARY_GENERAL}))
HEAD = Person("u-head", frozenset({d.DEPARTMENT_HEAD}))
STAFF = Person("u-staff", frozenset({"office-staff"}))


def rule_of(excinfo) -> str:
    return excinfo.value.rule_id


# ---- A41, A42, A44, A45: who convenes and chairs ------------------------------------------------


@pytest.mark.parametrize("kind", [K.PLENARY, K.EXECUTIVE, K.MAYORS_OFFICE])
def test_A41_A42_A44_mayor_convenes_and_chairs(kind):
    assert d.check_convening(kind, convener=MAYOR) == d.Convening("u-mayor", "u-mayor", "")


@pytest.mark.parametrize(
    "kind,rule",
    [(K.PLENARY, "A41.convener"), (K.EXECUTIVE, "A42.convener"), (K.MAYORS_OFFICE, "A44.convener")],
)
def test_A41_A42_A44_vice_mayor_does_not_convene_unless_acting_as_mayor(kind, rule):
    with pytest.raises(RuleViolation) as err:
        d.check_convening(kind, convener=EVM)
    assert rule_of(err) == rule
    # A10: while the mayor is away the executive vice mayor acts as mayor.
    assert d.check_convening(kind, convener=EVM_ACTING).convener_user_id == "u-evm"


def test_A43_executive_meeting_chaired_by_a_vice_mayor_the_mayor_delegated():
    convening = d.check_convening(K.EXECUTIVE, convener=MAYOR, chair=VM)
    assert convening == d.Convening("u-mayor", "u-vm1", "u-mayor")


def test_A41_plenary_is_chaired_by_the_mayor_only():
    with pytest.raises(RuleViolation) as err:
        d.check_convening(K.PLENARY, convener=MAYOR, chair=VM)
    assert rule_of(err) == "A41.chair"
    with pytest.raises(RuleViolation) as err:
        d.check_convening(K.EXECUTIVE, convener=MAYOR, chair=HEAD)
    assert rule_of(err) == "A42.chair"


@pytest.mark.parametrize("convener", [MAYOR, EVM, VM, SG])
def test_A45_special_topic_convened_by_mayor_vice_mayor_or_secretary_general(convener):
    assert d.check_convening(K.SPECIAL_TOPIC, convener=convener).delegated_by_user_id == ""


def test_A45_deputy_secretary_general_convenes_only_on_delegation():
    with pytest.raises(RuleViolation) as err:
        d.check_convening(K.SPECIAL_TOPIC, convener=DSG)
    assert rule_of(err) == "A45.delegation"
    with pytest.raises(RuleViolation) as err:
        d.check_convening(K.SPECIAL_TOPIC, convener=DSG, delegated_by=HEAD)
    assert rule_of(err) == "A45.delegation"
    assert d.check_convening(K.SPECIAL_TOPIC, convener=DSG, delegated_by=VM).delegated_by_user_id == "u-vm1"
    # ... or chairs on the convener's delegation.
    assert d.check_convening(K.SPECIAL_TOPIC, convener=VM, chair=DSG) == d.Convening(
        "u-vm1", "u-dsg", "u-vm1"
    )


def test_A45_department_head_does_not_convene_a_special_topic_meeting():
    with pytest.raises(RuleViolation) as err:
        d.check_convening(K.SPECIAL_TOPIC, convener=HEAD)
    assert rule_of(err) == "A45.convener"
    with pytest.raises(RuleViolation) as err:
        d.check_convening(K.SPECIAL_TOPIC, convener=VM, chair=HEAD)
    assert rule_of(err) == "A45.chair"


# ---- members, invitees, fixed agenda -------------------------------------------------------------

HOLDERS = {
    d.MAYOR: ["u-mayor"],
    d.EXECUTIVE_VICE_MAYOR: ["u-evm"],
    d.VICE_MAYOR: ["u-vm1", "u-vm2"],
    d.SECRETARY_GENERAL: ["u-sg"],
    d.DEPUTY_SECRETARY_GENERAL: ["u-dsg"],
    d.DEPARTMENT_HEAD: ["u-head"],
}


def test_A42_executive_members_are_mayor_vice_mayors_and_secretary_general():
    members = d.members_for(K.EXECUTIVE, HOLDERS, convener_user_id="u-mayor")
    assert members == ["u-mayor", "u-evm", "u-vm1", "u-vm2", "u-sg"]
    assert d.invitees_for(K.EXECUTIVE, HOLDERS, ["u-head"], members) == ["u-dsg", "u-head"]
    assert "justice-bureau" in d.ATTENDING_ORGANISATIONS[K.EXECUTIVE]


def test_A41_plenary_members_include_department_heads():
    members = d.members_for(K.PLENARY, HOLDERS, convener_user_id="u-mayor")
    assert members == ["u-mayor", "u-evm", "u-vm1", "u-vm2", "u-sg", "u-head"]
    assert "u-dsg" not in members and d.invitees_for(K.PLENARY, HOLDERS, [], members) == ["u-dsg"]


def test_A44_mayors_office_meeting_includes_deputy_secretaries_general():
    assert "u-dsg" in d.members_for(K.MAYORS_OFFICE, HOLDERS, convener_user_id="u-mayor")


def test_A45_special_topic_members_are_the_convener_and_those_named():
    assert d.members_for(
        K.SPECIAL_TOPIC, HOLDERS, convener_user_id="u-vm1", named_members=["u-head", "u-vm1"]
    ) == ["u-vm1", "u-head"]


def test_A73_A81_fixed_items_open_every_executive_meeting_only():
    kinds = [k for k, _ in d.fixed_agenda(K.EXECUTIVE)]
    assert kinds == [d.AgendaItemKind.PRE_MEETING_STUDY, d.AgendaItemKind.HIGHER_LEVEL_STUDY]
    assert d.fixed_agenda(K.SPECIAL_TOPIC) == [] and d.fixed_agenda(K.PLENARY) == []


# ---- A42: day, emergency, double booking, rhythm ----------------------------------------------------


def test_A42_meeting_on_a_non_working_day_needs_the_emergency_flag():
    sunday = date(2025, 10, 12)
    assert not CAL.is_working_day(sunday)
    with pytest.raises(RuleViolation) as err:
        d.check_meeting_day(
            sunday, today=date(2025, 10, 1), working_day=False, emergency=False, emergency_reason=""
        )
    assert rule_of(err) == "A42.emergency"
    with pytest.raises(InvalidInput) as bad:
        d.check_meeting_day(
            sunday, today=date(2025, 10, 1), working_day=False, emergency=True, emergency_reason=" "
        )
    assert "emergency_reason" in bad.value.violations
    d.check_meeting_day(
        sunday, today=date(2025, 10, 1), working_day=False, emergency=True, emergency_reason="防汛抢险"
    )
    # A make-up working day (调休) is a working day: no flag needed.
    assert CAL.is_working_day(date(2025, 10, 11))


def test_meeting_in_the_past_is_bad_input():
    with pytest.raises(InvalidInput) as bad:
        d.check_meeting_day(
            date(2025, 1, 2), today=date(2025, 1, 3), working_day=True, emergency=False, emergency_reason=""
        )
    assert "day" in bad.value.violations


def test_start_time_is_hh_mm():
    assert d.parse_start_time("09:30") == 570
    for text in ("9:30", "24:00", "09:60", "noon"):
        with pytest.raises(InvalidInput):
            d.parse_start_time(text)


def test_A40_double_booked_member_is_detected():
    day = date(2026, 12, 1)
    existing = d.Booking("m1", "常务会议", day, 9 * 60, 13 * 60, frozenset({"u-mayor", "u-vm1"}))
    clash = d.Booking("m2", "专题会议", day, 12 * 60, 13 * 60, frozenset({"u-vm1", "u-head"}))
    with pytest.raises(RuleViolation) as err:
        d.check_double_booking(clash, [existing])
    assert rule_of(err) == "A40.double-booked" and "u-vm1" in str(err.value)
    d.check_double_booking(d.Booking("m3", "x", day, 13 * 60, 14 * 60, frozenset({"u-vm1"})), [existing])
    d.check_double_booking(d.Booking("m4", "x", day, 9 * 60, 10 * 60, frozenset({"u-head"})), [existing])


def test_A41_A42_rhythm_office_sees_an_overdue_regular_meeting():
    assert d.rhythm(K.EXECUTIVE, date(2026, 11, 2), date(2026, 11, 16)) == (date(2026, 11, 16), False)
    assert d.rhythm(K.EXECUTIVE, date(2026, 11, 2), date(2026, 11, 17)) == (date(2026, 11, 16), True)
    assert d.rhythm(K.PLENARY, date(2026, 1, 10), date(2026, 7, 1))[1] is False
    assert d.rhythm(K.PLENARY, None, date(2026, 7, 1)) == (None, True)


# ---- A42: topics -----------------------------------------------------------------------------------

# The 2025 National Day holiday (国庆节 + 中秋节): 10-01 .. 10-08 off; Sunday 09-28 and Saturday 10-11
# are make-up working days (调休上班). For an executive meeting on Monday 2025-10-13 the working days
# before it, counting back, are 10-11 (Sat, make-up), 10-10, 10-09, 09-30, 09-29, 09-28 (Sun, make-up),
# 09-26, 09-25, 09-24 — nine — so the filing day whose 10th working day after is 10-13 is 09-23:
#   09-23 → 10th working day after = 10-13 ≤ 10-13: in time;
#   09-24 → 10th working day after = 10-14 > 10-13: too late.
# Without the two make-up days the cut-off would be 09-19 (two working days earlier).
NATIONAL_DAY_MEETING = date(2025, 10, 13)


def file_topic(filed_on, consent=None, kind=K.EXECUTIVE, state=d.MeetingState.SCHEDULED):
    return d.check_topic_filing(
        kind=kind,
        meeting_id="m1",
        meeting_state=state,
        meeting_day=NATIONAL_DAY_MEETING,
        filed_on=filed_on,
        organisation_code="education-bureau",
        calendar=CAL,
        consent=consent,
    )


def test_A42_ten_working_days_across_the_2025_national_day_holiday():
    assert CAL.makeup_workday_name(date(2025, 9, 28)) and CAL.makeup_workday_name(date(2025, 10, 11))
    assert d.latest_filing_day(NATIONAL_DAY_MEETING, CAL) == date(2025, 9, 23)
    assert CAL.is_at_least_working_days_before(date(2025, 9, 23), NATIONAL_DAY_MEETING, 10)
    assert not CAL.is_at_least_working_days_before(date(2025, 9, 24), NATIONAL_DAY_MEETING, 10)
    assert file_topic(date(2025, 9, 23)) is False
    assert file_topic(date(2025, 9, 1)) is False
    with pytest.raises(RuleViolation) as err:
        file_topic(date(2025, 9, 24))
    assert rule_of(err) == "A42.ten-working-days"
    assert "2025-09-23" in str(err.value)
    assert err.value.metadata["latest_filing_day"] == "2025-09-23"


def test_A42_late_topic_accepted_only_with_the_mayors_consent_for_that_meeting_and_department():
    consent = d.Consent("c1", "m1", "education-bureau")
    assert file_topic(date(2025, 10, 10), consent=consent) is True
    with pytest.raises(InvalidInput):
        file_topic(date(2025, 10, 10), consent=d.Consent("c1", "m2", "education-bureau"))
    with pytest.raises(InvalidInput):
        file_topic(date(2025, 10, 10), consent=d.Consent("c1", "m1", "finance-bureau"))
    with pytest.raises(InvalidInput):
        file_topic(
            date(2025, 10, 10), consent=d.Consent("c1", "m1", "education-bureau", used_by_topic_id="t9")
        )


def test_A42_mayor_consents_only_the_mayor_consents_to_a_topic_at_short_notice():
    """The refusal names the consent rule, not the 10-working-day tag (issue 14)."""
    d.check_ad_hoc_consent_giver(MAYOR)
    d.check_ad_hoc_consent_giver(EVM_ACTING)
    for not_the_mayor in (SG, VM, EVM):
        with pytest.raises(RuleViolation) as err:
            d.check_ad_hoc_consent_giver(not_the_mayor)
        assert rule_of(err) == "A42.mayor-consents"


def test_A42_latest_filing_day_for_an_emergency_meeting_on_a_non_working_day():
    # Sunday 2025-10-12: the 10th working day after 09-22 is Saturday 10-11 (make-up day), in time;
    # after 09-23 it is 10-13, after the meeting. (Stepping back 10 working days from a Sunday would
    # give 09-23: latest_filing_day checks the result with is_at_least_working_days_before.)
    sunday = date(2025, 10, 12)
    assert d.latest_filing_day(sunday, CAL) == date(2025, 9, 22)
    assert CAL.is_at_least_working_days_before(date(2025, 9, 22), sunday, 10)
    assert not CAL.is_at_least_working_days_before(date(2025, 9, 23), sunday, 10)


def test_A42_cut_off_applies_to_executive_meetings_and_agenda_closes_at_start():
    assert file_topic(date(2025, 10, 10), kind=K.SPECIAL_TOPIC) is False
    with pytest.raises(RuleViolation) as err:
        file_topic(date(2025, 9, 1), state=d.MeetingState.IN_PROGRESS)
    assert rule_of(err) == "A42.agenda-closed"


def test_A42_a_leaders_route_needs_that_leaders_recorded_proposal():
    """Issue 13: a department cannot claim a route or a proposal the leader did not make."""
    via_vm = d.TopicRoute.VIA_VICE_MAYOR
    proposal = d.Proposal("p1", "m1", "education-bureau", via_vm, VM.user_id)
    mine = {"meeting_id": "m1", "organisation_code": "education-bureau", "proposed_by_user_id": VM.user_id}
    d.check_leaders_proposal(via_vm, proposal, **mine)
    d.check_leaders_proposal(d.TopicRoute.SET_BY_MAYOR, None, **mine)  # the mayor's decision is the act
    refused = (
        (via_vm, None, mine),
        (via_vm, proposal, {**mine, "proposed_by_user_id": EVM.user_id}),
        (via_vm, proposal, {**mine, "organisation_code": "finance-bureau"}),
        (via_vm, proposal, {**mine, "meeting_id": "m2"}),
        (d.TopicRoute.VIA_SECRETARY_GENERAL, proposal, mine),
        (via_vm, d.Proposal("p1", "m1", "education-bureau", via_vm, VM.user_id, "t1"), mine),
    )
    for route, claimed, filing in refused:
        with pytest.raises(RuleViolation) as err:
            d.check_leaders_proposal(route, claimed, **filing)
        assert rule_of(err) == "A42.route"
    with pytest.raises(InvalidInput):
        d.check_proposal_route(d.TopicRoute.SET_BY_MAYOR)


def test_A42_topic_route_via_vice_mayor_secretary_general_or_mayor():
    d.check_topic_route(d.TopicRoute.VIA_VICE_MAYOR, VM)
    d.check_topic_route(d.TopicRoute.VIA_VICE_MAYOR, EVM)
    d.check_topic_route(d.TopicRoute.VIA_SECRETARY_GENERAL, SG)
    d.check_topic_route(d.TopicRoute.SET_BY_MAYOR, MAYOR)
    for route, proposer in (
        (d.TopicRoute.VIA_VICE_MAYOR, SG),
        (d.TopicRoute.VIA_SECRETARY_GENERAL, DSG),
        (d.TopicRoute.SET_BY_MAYOR, VM),
    ):
        with pytest.raises(RuleViolation) as err:
            d.check_topic_route(route, proposer)
        assert rule_of(err) == "A42.route"
    with pytest.raises(InvalidInput):
        d.check_topic_route(None, VM)


def test_A42_route_refusals_name_the_leader_with_the_id_in_brackets():
    """Issue 16: a refusal names people, not bare user ids."""
    secretary = Person("u-sg", frozenset({d.SECRETARY_GENERAL}), name="王秘书长")
    with pytest.raises(RuleViolation) as err:
        d.check_topic_route(d.TopicRoute.VIA_VICE_MAYOR, secretary)
    assert rule_of(err) == "A42.route"
    assert err.value.message.startswith(
        "A42.route: 王秘书长 [u-sg] does not hold executive-vice-mayor or vice-mayor"
    )
    via_vm = d.TopicRoute.VIA_VICE_MAYOR
    proposal = d.Proposal("p1", "m1", "education-bureau", via_vm, "u-vm1")
    names = {"u-vm1": "李副市长", "u-evm": "张常务副市长"}
    filing = {"meeting_id": "m1", "organisation_code": "education-bureau", "proposed_by_user_id": "u-evm"}
    with pytest.raises(RuleViolation) as err:
        d.check_leaders_proposal(via_vm, proposal, names=names, **filing)
    assert "made by 李副市长 [u-vm1] via vice mayor, not by 张常务副市长 [u-evm]" in err.value.message
    with pytest.raises(RuleViolation) as err:
        d.check_leaders_proposal(via_vm, None, **filing)  # no names known: the id alone
    assert err.value.reason.startswith("u-evm has no proposal of this topic on record")


def test_A42_topics_are_decided_by_the_mayor():
    d.check_topic_decider(MAYOR)
    d.check_topic_decider(EVM_ACTING)
    with pytest.raises(RuleViolation) as err:
        d.check_topic_decider(EVM)
    assert rule_of(err) == "A42.mayor-decides"
    with pytest.raises(InvalidInput):
        d.check_topic_decision(d.TopicState.ACCEPTED)


# ---- A42: quorum -------------------------------------------------------------------------------------

SEATS = [
    d.Seat(d.MAYOR, "u-mayor"),
    d.Seat(d.EXECUTIVE_VICE_MAYOR, "u-evm"),
    d.Seat(d.VICE_MAYOR, "u-vm1"),
    d.Seat(d.VICE_MAYOR, "u-vm2"),
    d.Seat(d.VICE_MAYOR, "u-vm3"),
    # The secretary-general is away; the deputy secretary-general acts (named in the leave).
    d.Seat(d.SECRETARY_GENERAL, "u-sg", acting_user_id="u-dsg", holder_away=True),
]


def test_A42_quorum_needs_more_than_half_of_the_members():
    q = d.count_quorum(SEATS, ["u-mayor", "u-evm", "u-vm1"])
    assert (q.members, q.present, q.needed, q.reached) == (6, 3, 4, False)
    with pytest.raises(RuleViolation) as err:
        d.check_quorum(K.EXECUTIVE, q)
    assert rule_of(err) == "A42.quorum"
    d.check_quorum(K.SPECIAL_TOPIC, q)  # the quorum rule is the executive meeting's


def test_A42_quorum_counts_the_acting_holder_of_an_absent_member():
    q = d.count_quorum(SEATS, ["u-mayor", "u-evm", "u-vm1", "u-dsg"])
    assert (q.present, q.reached, dict(q.acting)) == (4, True, {"u-sg": "u-dsg"})
    d.check_quorum(K.EXECUTIVE, q)


def test_A42_quorum_one_person_fills_one_seat_and_a_present_holder_is_not_replaced():
    seats = [
        d.Seat(d.MAYOR, "u-mayor", acting_user_id="u-evm", holder_away=True),
        d.Seat(d.EXECUTIVE_VICE_MAYOR, "u-evm"),
        d.Seat(d.VICE_MAYOR, "u-vm1"),
    ]
    assert d.count_quorum(seats, ["u-evm"]).present == 1
    # A stand-in who is not away does not count for a holder who is not away either.
    seats = [d.Seat(d.SECRETARY_GENERAL, "u-sg", acting_user_id="u-dsg", holder_away=False)]
    assert d.count_quorum(seats, ["u-dsg"]).present == 0


def test_meeting_closes_only_when_no_topic_is_undecided():
    with pytest.raises(RuleViolation) as err:
        d.check_close(d.MeetingState.IN_PROGRESS, {"t1": d.TopicState.DECIDED, "t2": d.TopicState.ACCEPTED})
    assert rule_of(err) == "A42.undecided-topic" and "t2" in str(err.value)
    with pytest.raises(RuleViolation):
        d.check_close(d.MeetingState.IN_PROGRESS, {"t3": d.TopicState.FILED})
    d.check_close(d.MeetingState.IN_PROGRESS, {"t1": d.TopicState.DECIDED, "t4": d.TopicState.REFUSED})
    with pytest.raises(InvalidInput):
        d.check_close(d.MeetingState.SCHEDULED, {})


# ---- A43: leave ---------------------------------------------------------------------------------------


def ask(applicant, kind=K.EXECUTIVE, participants=("u-vm1", "u-head"), reason="出差"):
    return d.check_leave_request(
        kind=kind,
        meeting_state=d.MeetingState.SCHEDULED,
        applicant=applicant,
        participants=participants,
        reason=reason,
        already_asked=False,
    )


def test_A43_leaders_ask_the_mayor_directly():
    assert ask(VM) is True
    d.check_leave_decision(d.LeaveState.REQUESTED, leader=True, decider=MAYOR)
    with pytest.raises(RuleViolation) as err:
        d.check_leave_check(d.LeaveState.REQUESTED, leader=True, checker=SG)
    assert rule_of(err) == "A43.leave-chain"


def test_A43_others_apply_to_the_office_the_secretary_general_checks_the_mayor_approves():
    assert ask(HEAD) is False
    with pytest.raises(RuleViolation) as err:
        d.check_leave_decision(d.LeaveState.REQUESTED, leader=False, decider=MAYOR)
    assert rule_of(err) == "A43.leave-chain"
    with pytest.raises(RuleViolation):
        d.check_leave_check(d.LeaveState.REQUESTED, leader=False, checker=DSG)
    d.check_leave_check(d.LeaveState.REQUESTED, leader=False, checker=SG)
    d.check_leave_decision(d.LeaveState.CHECKED, leader=False, decider=MAYOR)
    d.check_leave_decision(d.LeaveState.CHECKED, leader=False, decider=EVM_ACTING)
    with pytest.raises(RuleViolation):
        d.check_leave_decision(d.LeaveState.CHECKED, leader=False, decider=SG)


def test_A43_leave_only_from_plenary_and_executive_meetings_by_participants():
    with pytest.raises(InvalidInput):
        ask(VM, kind=K.SPECIAL_TOPIC)
    with pytest.raises(InvalidInput):
        ask(STAFF)
    with pytest.raises(InvalidInput):
        ask(VM, reason=" ")
    with pytest.raises(InvalidInput):
        ask(MAYOR, participants=("u-mayor",))


# ---- A43, A45: minutes ----------------------------------------------------------------------------------


def test_A43_A45_minutes_drafters():
    d.check_minutes_drafter(K.PLENARY, drafter_organisation="research-office", convener_organisation="")
    d.check_minutes_drafter(K.EXECUTIVE, drafter_organisation="general-office", convener_organisation="")
    d.check_minutes_drafter(
        K.SPECIAL_TOPIC, drafter_organisation="city-government", convener_organisation="city-government"
    )
    with pytest.raises(RuleViolation) as err:
        d.check_minutes_drafter(K.PLENARY, drafter_organisation="general-office", convener_organisation="")
    assert rule_of(err) == "A43.minutes-drafter"
    with pytest.raises(RuleViolation) as err:
        d.check_minutes_drafter(K.EXECUTIVE, drafter_organisation="research-office", convener_organisation="")
    assert rule_of(err) == "A43.minutes-drafter"
    with pytest.raises(RuleViolation) as err:
        d.check_minutes_drafter(
            K.SPECIAL_TOPIC, drafter_organisation="education-bureau", convener_organisation="city-government"
        )
    assert rule_of(err) == "A45.minutes-drafter"


def test_A43_minutes_signed_by_the_mayor_or_the_delegated_chair():
    d.check_minutes_signer(
        K.PLENARY, signer=MAYOR, convener_user_id="u-mayor", chair_user_id="u-mayor", delegated_by_user_id=""
    )
    with pytest.raises(RuleViolation) as err:
        d.check_minutes_signer(
            K.PLENARY,
            signer=EVM,
            convener_user_id="u-mayor",
            chair_user_id="u-mayor",
            delegated_by_user_id="",
        )
    assert rule_of(err) == "A43.minutes-signer"
    d.check_minutes_signer(
        K.EXECUTIVE,
        signer=VM,
        convener_user_id="u-mayor",
        chair_user_id="u-vm1",
        delegated_by_user_id="u-mayor",
    )
    with pytest.raises(RuleViolation):
        d.check_minutes_signer(
            K.EXECUTIVE,
            signer=EVM,
            convener_user_id="u-mayor",
            chair_user_id="u-vm1",
            delegated_by_user_id="u-mayor",
        )
    d.check_minutes_signer(
        K.EXECUTIVE,
        signer=EVM_ACTING,
        convener_user_id="u-mayor",
        chair_user_id="u-mayor",
        delegated_by_user_id="",
    )


def test_A45_special_topic_minutes_signed_by_the_convener_or_the_delegating_leader():
    for signer in (DSG, VM):
        d.check_minutes_signer(
            K.SPECIAL_TOPIC,
            signer=signer,
            convener_user_id="u-dsg",
            chair_user_id="u-dsg",
            delegated_by_user_id="u-vm1",
        )
    with pytest.raises(RuleViolation) as err:
        d.check_minutes_signer(
            K.SPECIAL_TOPIC,
            signer=MAYOR,
            convener_user_id="u-dsg",
            chair_user_id="u-dsg",
            delegated_by_user_id="u-vm1",
        )
    assert rule_of(err) == "A45.minutes-signer"


def test_A26_signed_minutes_are_locked_and_corrected_by_a_linked_act():
    d.check_minutes_editable(d.MinutesState.DRAFT)
    with pytest.raises(RuleViolation) as err:
        d.check_minutes_editable(d.MinutesState.SIGNED)
    assert rule_of(err) == "A26.signed-minutes-locked"
    d.check_correction_target(d.MinutesState.SIGNED, same_meeting=True)
    with pytest.raises(InvalidInput):
        d.check_correction_target(d.MinutesState.DRAFT, same_meeting=True)
    with pytest.raises(InvalidInput):
        d.check_correction_target(d.MinutesState.SIGNED, same_meeting=False)


def test_decisions_carry_text_owner_and_deadline():
    good = d.DecisionDraft(
        "t1", "同意", "education-bureau", date(2026, 12, 31), d.MatterCategory.BUDGET, "budget/1"
    )
    d.check_decision_items([good], meeting_day=date(2026, 12, 1), topic_ids=["t1"])
    bad = d.DecisionDraft("t9", " ", "", None, d.MatterCategory.OTHER, "")
    with pytest.raises(InvalidInput) as err:
        d.check_decision_items([good, bad], meeting_day=date(2026, 12, 1), topic_ids=["t1"])
    assert set(err.value.violations) == {
        "decisions[1].text",
        "decisions[1].owner_organisation_code",
        "decisions[1].due",
        "decisions[1].topic_id",
    }
    assert d.decision_reference(K.EXECUTIVE, 2025, 7) == "常务会议决定〔2025〕7号"


def test_chair_on_leave_is_replaced_by_the_acting_holder():
    assert d.effective_chair("u-mayor", False, "") == ("u-mayor", "")
    assert d.effective_chair("u-mayor", True, "u-evm") == ("u-evm", "acting for u-mayor")
    with pytest.raises(RuleViolation):
        d.effective_chair("u-mayor", True, "")


# ---- A46: department meetings --------------------------------------------------------------------


def dept_request(**overrides):
    fields = dict(
        organisation_code="education-bureau",
        title="全市教育工作会议",
        day=date(2026, 12, 10),
        city_wide=True,
        invites_county_heads=False,
        leader_user_ids=(),
        format=d.MeetingFormat.VIDEO,
        in_person_reason="",
        exception_reason="",
        in_city_government_name=False,
    )
    fields.update(overrides)
    return d.DepartmentMeetingRequest(**fields)


def check_dept(request, city_wide_this_year=0):
    d.check_department_meeting(
        request, today=date(2026, 11, 26), leaders=["u-vm1"], city_wide_this_year=city_wide_this_year
    )


def test_A46_city_wide_meeting_not_in_the_city_governments_name():
    check_dept(dept_request())
    with pytest.raises(RuleViolation) as err:
        check_dept(dept_request(in_city_government_name=True))
    assert rule_of(err) == "A46.not-in-city-name"


def test_A46_one_city_wide_meeting_a_year_unless_an_exception_is_argued():
    with pytest.raises(RuleViolation) as err:
        check_dept(dept_request(), city_wide_this_year=1)
    assert rule_of(err) == "A46.one-a-year"
    check_dept(dept_request(exception_reason="国务院部署专项整治"), city_wide_this_year=1)
    # A meeting that only invites a leader is not a city-wide one.
    check_dept(dept_request(city_wide=False, leader_user_ids=("u-vm1",)), city_wide_this_year=3)


def test_A46_video_by_default_in_person_needs_a_reason_and_leaders_must_be_city_leaders():
    with pytest.raises(InvalidInput) as bad:
        check_dept(dept_request(format=d.MeetingFormat.IN_PERSON))
    assert "in_person_reason" in bad.value.violations
    check_dept(dept_request(format=d.MeetingFormat.IN_PERSON, in_person_reason="需现场观摩"))
    with pytest.raises(InvalidInput) as bad:
        check_dept(dept_request(leader_user_ids=("u-head",)))
    assert "leader_user_ids" in bad.value.violations
    with pytest.raises(InvalidInput) as bad:
        check_dept(dept_request(city_wide=False))
    assert "city_wide" in bad.value.violations


def test_A46_approved_by_the_mayor_or_the_acting_mayor():
    d.check_department_meeting_decision(d.DepartmentMeetingState.REQUESTED, MAYOR)
    d.check_department_meeting_decision(d.DepartmentMeetingState.REQUESTED, EVM_ACTING)
    with pytest.raises(RuleViolation) as err:
        d.check_department_meeting_decision(d.DepartmentMeetingState.REQUESTED, VM)
    assert rule_of(err) == "A46.approval"
    with pytest.raises(InvalidInput):
        d.check_department_meeting_decision(d.DepartmentMeetingState.APPROVED, MAYOR)


def test_A42_topic_decidable_within_a_portfolio_is_accepted_only_with_a_reason():
    d.check_within_portfolio(True, False, "")
    d.check_within_portfolio(False, True, "")
    with pytest.raises(RuleViolation) as err:
        d.check_within_portfolio(True, True, " ")
    assert rule_of(err) == "A42.within-portfolio"
    d.check_within_portfolio(True, True, "跨副市长分工，需常务会议协调")


# ---- A42 materials release, A26 corrected minutes ----------------------------------------------


def test_A42_materials_reach_participants_only_after_release():
    from services.meetings.domain import check_participant_may_read as may_read

    assert not may_read("u1", ["u1"], office=False, owner=False, released=False)
    assert may_read("u1", ["u1"], office=False, owner=False, released=True)
    assert not may_read("u9", ["u1"], office=False, owner=False, released=True)
    assert may_read("u9", ["u1"], office=True, owner=False, released=False)
    assert may_read("u9", ["u1"], office=False, owner=True, released=False)


def test_A42_materials_are_released_before_the_meeting_and_only_with_something_to_release():
    from services.meetings.domain import check_materials_release

    check_materials_release(d.MeetingState.SCHEDULED, 2)
    with pytest.raises(RuleViolation) as late:
        check_materials_release(d.MeetingState.IN_PROGRESS, 2)
    assert late.value.rule_id == "A42.materials-before-meeting"
    with pytest.raises(InvalidInput):
        check_materials_release(d.MeetingState.SCHEDULED, 0)


def test_A26_a_correction_supersedes_every_standing_decision_by_its_restatement_or_withdraws_it():
    from services.meetings.domain import DecisionKey, superseded_decisions

    old = [
        DecisionKey("d1", "t1", "education-bureau", "budget/2027"),
        DecisionKey("d2", "", "finance-bureau", "budget/2027"),
        DecisionKey("d3", "", "audit-bureau", "audit/2027"),
    ]
    new = [
        DecisionKey("n1", "", "audit-bureau", "audit/2027"),
        DecisionKey("n2", "t1", "education-bureau", "budget/2027-revised"),
    ]
    assert superseded_decisions(old, new) == {"d1": "n2", "d2": "", "d3": "n1"}
    # a restatement replaces one decision only
    twins = [DecisionKey("a", "", "x", "m"), DecisionKey("b", "", "x", "m")]
    assert superseded_decisions(twins, [DecisionKey("n", "", "x", "m")]) == {"a": "n", "b": ""}
