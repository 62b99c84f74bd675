"""Pure rules of event attendance (政务活动): A54, A55, and the A59 stand-in for a leader who cannot attend."""

from dataclasses import replace
from datetime import date

import pytest

from services.org.domain import (
    ActingAnswer,
    ActivityKind,
    AttendanceRequest,
    attendance_decider,
    check_attendance_request,
    check_forward,
    check_outcome,
    check_reassignment,
    leader_position,
)
from shared.errors import Forbidden, InvalidInput, RuleViolation

TODAY = date(2026, 12, 1)
VICE_MAYOR = {"vice-mayor"}


def request(**overrides) -> AttendanceRequest:
    fields = dict(
        organisation_code="education-bureau",
        organisation_kind="department",
        leader_user_id="vm1",
        event_day=date(2026, 12, 10),
        title="市第一中学新校区落成",
        venue="雁江区",
        kind=ActivityKind.INSPECTION,
    )
    fields.update(overrides)
    return AttendanceRequest(**fields)


def rule_of(call) -> str:
    with pytest.raises(RuleViolation) as err:
        call()
    return err.value.rule_id


def check(req, positions=VICE_MAYOR, today=TODAY):
    check_attendance_request(req, today=today, leader_positions=positions)


def test_A54_an_ordinary_request_in_advance_passes():
    check(request())


def test_A54_missing_fields_are_named_together():
    with pytest.raises(InvalidInput) as err:
        check(request(event_day=None, title=" ", venue="", kind=None, leader_user_id=""))
    assert set(err.value.violations) == {"event_day", "title", "venue", "activity_kind", "leader_user_id"}


def test_A54_in_advance_the_event_day_must_be_after_today():
    assert rule_of(lambda: check(request(event_day=TODAY))) == "A54.in-advance"
    assert rule_of(lambda: check(request(event_day=date(2026, 11, 1)))) == "A54.in-advance"
    check(request(event_day=date(2026, 12, 2)))  # the day before is enough


def test_A54_leader_must_be_a_city_leader():
    assert rule_of(lambda: check(request(), positions={"department-head"})) == "A54.leader"
    assert rule_of(lambda: check(request(), positions=set())) == "A54.leader"
    for position in ("mayor", "executive-vice-mayor", "vice-mayor", "secretary-general"):
        check(request(), positions={position})


def test_A54_leader_position_prefers_the_highest():
    assert leader_position({"vice-mayor", "executive-vice-mayor"}) == "executive-vice-mayor"
    assert leader_position({"office-staff"}) is None


CEREMONIES = [
    ActivityKind.RIBBON_CUTTING,
    ActivityKind.GROUND_BREAKING,
    ActivityKind.AWARD_CEREMONY,
    ActivityKind.UNVEILING,
    ActivityKind.CELEBRATION,
    ActivityKind.COMMEMORATION,
    ActivityKind.COMMENDATION_MEETING,
    ActivityKind.EXPO,
    ActivityKind.SEMINAR,
    ActivityKind.FORUM,
]


@pytest.mark.parametrize("kind", CEREMONIES)
def test_A55_approval_is_needed_for_ceremonies_celebrations_expos_seminars_forums(kind):
    assert rule_of(lambda: check(request(kind=kind))) == "A55.approval"
    assert rule_of(lambda: check(request(kind=kind, approval_ref="  "))) == "A55.approval"
    check(request(kind=kind, approval_ref="资委办〔2026〕12号"))


@pytest.mark.parametrize("kind", [ActivityKind.MEETING, ActivityKind.INSPECTION, ActivityKind.OTHER])
def test_A55_approval_is_not_needed_for_ordinary_activities(kind):
    check(request(kind=kind))


@pytest.mark.parametrize("kind", [ActivityKind.TEA_PARTY, ActivityKind.GALA, ActivityKind.NEW_YEAR_GATHERING])
def test_A55_county_festivities_refused_unless_a_reason_is_given(kind):
    for organisation_kind in ("county", "department"):
        req = request(kind=kind, organisation_kind=organisation_kind)
        assert rule_of(lambda: check(req)) == "A55.county-festivities"
        check(replace(req, festivity_override_reason="市委统一安排出席全市老干部迎春茶话会"))


def test_A55_festivities_held_by_the_office_itself_are_not_county_festivities():
    check(
        request(
            kind=ActivityKind.NEW_YEAR_GATHERING,
            organisation_kind="office",
            organisation_code="general-office",
        )
    )


def test_A55_photo_session_needs_approval():
    assert rule_of(lambda: check(request(photo_session=True))) == "A55.photo"
    check(request(photo_session=True, photo_approval_ref="市委办批〔2026〕3号"))
    check(request(photo_session=False))


def test_A54_foreign_affairs_event_needs_the_filing_before_it_is_forwarded():
    for req in (request(foreign_affairs=True), request(kind=ActivityKind.FOREIGN_AFFAIRS_VISIT)):
        assert req.is_foreign_affairs
        check(req)  # the request itself may come before the filing
        assert (
            rule_of(
                lambda: check_forward(
                    is_foreign_affairs=True,
                    foreign_affairs_filing_ref="",
                    event_day=req.event_day,
                    today=TODAY,
                )
            )
            == "A54.foreign-affairs-filing"
        )
    check_forward(
        is_foreign_affairs=True,
        foreign_affairs_filing_ref="外备〔2026〕8号",
        event_day=date(2026, 12, 10),
        today=TODAY,
    )
    check_forward(
        is_foreign_affairs=False, foreign_affairs_filing_ref="", event_day=date(2026, 12, 10), today=TODAY
    )


def test_A54_nothing_is_forwarded_after_the_event_day():
    assert (
        rule_of(
            lambda: check_forward(
                is_foreign_affairs=False,
                foreign_affairs_filing_ref="",
                event_day=date(2026, 11, 30),
                today=TODAY,
            )
        )
        == "A54.in-advance"
    )


def present(holder):
    return ActingAnswer("vice-mayor", holder, holder, False, "holder present")


def test_A54_the_leader_asked_decides():
    assert attendance_decider(caller_user_id="vm1", leader_user_id="vm1", acting=present("vm1")) is False
    with pytest.raises(Forbidden):
        attendance_decider(caller_user_id="vm2", leader_user_id="vm1", acting=present("vm1"))


def test_A59_the_ab_partner_decides_in_place_of_a_leader_away_on_the_event_day():
    away = ActingAnswer("vice-mayor", "vm1", "vm2", True, "A59", "L1")
    assert attendance_decider(caller_user_id="vm2", leader_user_id="vm1", acting=away) is True
    assert attendance_decider(caller_user_id="vm1", leader_user_id="vm1", acting=away) is False
    with pytest.raises(Forbidden):
        attendance_decider(caller_user_id="vm3", leader_user_id="vm1", acting=away)
    nobody = ActingAnswer("vice-mayor", "vm1", "", True, "A59: stand-in also away", "L1")
    with pytest.raises(Forbidden):
        attendance_decider(caller_user_id="", leader_user_id="vm1", acting=nobody)


def test_A59_another_city_leader_attends_instead():
    assert (
        check_reassignment(
            new_leader_user_id="vm2",
            new_leader_positions={"vice-mayor"},
            current_leader_user_id="vm1",
            earlier_leader_user_ids=[],
        )
        == "vice-mayor"
    )
    assert (
        rule_of(
            lambda: check_reassignment(
                new_leader_user_id="head",
                new_leader_positions={"department-head"},
                current_leader_user_id="vm1",
                earlier_leader_user_ids=[],
            )
        )
        == "A54.leader"
    )
    for again in ("vm1", "vm0"):
        with pytest.raises(InvalidInput) as err:
            check_reassignment(
                new_leader_user_id=again,
                new_leader_positions={"vice-mayor"},
                current_leader_user_id="vm1",
                earlier_leader_user_ids=["vm0"],
            )
        assert "leader_user_id" in err.value.violations


def test_A31_A54_whether_the_leader_attended_is_recorded_once_the_day_has_come_with_a_reason_if_not():
    check_outcome(attended=True, note="", event_day=TODAY, today=TODAY)
    check_outcome(attended=False, note="临时改由他人出席", event_day=date(2026, 11, 30), today=TODAY)
    for kwargs, field in (
        (dict(attended=True, note="", event_day=date(2026, 12, 2)), "attendance_id"),  # not yet
        (dict(attended=False, note=" ", event_day=TODAY), "note"),
        (dict(attended=None, note="", event_day=TODAY), "outcome"),
    ):
        with pytest.raises(InvalidInput) as info:
            check_outcome(today=TODAY, **kwargs)
        assert list(info.value.violations) == [field]
