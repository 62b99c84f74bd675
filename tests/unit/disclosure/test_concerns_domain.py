"""A70 responses to public concerns (services/disclosure/domain/concerns.py): the time limits of
国办发〔2016〕61号 in clock hours, verification before the response, overdue announced once."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from deploy.local.tools import ROOT

from services.disclosure.domain import concerns as d
from services.disclosure.domain.concerns import Limit, Registration, Severity, Source, State
from shared.errors import InvalidInput, RuleViolation
from zgov.disclosure.v1 import publications_pb2

# Friday evening before the National Day holiday: the limits are clock hours, holidays do not stop them.
SEEN = datetime(2026, 9, 30, 20, 30, tzinfo=UTC)


def test_A70_limits_are_named_constants_of_the_2016_notice():
    assert (d.MAJOR_RESPONSE_HOURS, d.MAJOR_PRESS_CONFERENCE_HOURS, d.GENERAL_RESPONSE_HOURS) == (5, 24, 48)


def test_A70_major_emergency_5_hours_and_a_press_conference_within_24_clock_hours():
    limits = d.limits(Severity.MAJOR, SEEN)
    assert limits.response_due == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)
    assert limits.press_conference_due == datetime(2026, 10, 1, 20, 30, tzinfo=UTC)


def test_A70_general_concern_48_clock_hours_across_a_holiday():
    limits = d.limits(Severity.GENERAL, SEEN)
    assert limits.response_due == datetime(2026, 10, 2, 20, 30, tzinfo=UTC)  # 2 Oct is a holiday: still due
    assert limits.press_conference_due is None


def test_A70_late_at_the_instant_after_the_limit_or_responded_after_it():
    due = d.limits(Severity.MAJOR, SEEN).response_due
    assert not d.is_late(due, due)
    assert d.is_late(due, due + timedelta(seconds=1))
    assert not d.is_late(due, due + timedelta(hours=3), done_at=due - timedelta(minutes=1))
    assert d.is_late(due, due, done_at=due + timedelta(minutes=1))
    assert not d.is_late(None, due)


def test_A70_overdue_limits_each_announced_once():
    limits = d.limits(Severity.MAJOR, SEEN)
    later = SEEN + timedelta(hours=30)
    both = d.overdue_limits(
        State.REGISTERED,
        Severity.MAJOR,
        later,
        limits.response_due,
        limits.press_conference_due,
        None,
        frozenset(),
    )
    assert both == [Limit.RESPONSE, Limit.PRESS_CONFERENCE]
    assert (
        d.overdue_limits(
            State.REGISTERED,
            Severity.MAJOR,
            later,
            limits.response_due,
            limits.press_conference_due,
            None,
            frozenset(both),
        )
        == []
    )
    # six hours in: only the response limit has passed
    assert d.overdue_limits(
        State.VERIFIED,
        Severity.MAJOR,
        SEEN + timedelta(hours=6),
        limits.response_due,
        limits.press_conference_due,
        None,
        frozenset(),
    ) == [Limit.RESPONSE]
    # responded and the conference held: nothing
    assert (
        d.overdue_limits(
            State.RESPONDED,
            Severity.MAJOR,
            later,
            limits.response_due,
            limits.press_conference_due,
            SEEN + timedelta(hours=20),
            frozenset(),
        )
        == []
    )


def test_A70_registration_names_source_time_severity_and_department():
    with pytest.raises(InvalidInput) as err:
        d.check_registration(Registration(None, " ", None, None, ""), SEEN)
    assert set(err.value.violations) == {"source", "summary", "first_seen_at", "severity", "department_code"}
    with pytest.raises(InvalidInput) as err:
        d.check_registration(
            Registration(
                Source.MEDIA, "自来水发黄", SEEN + timedelta(hours=1), Severity.GENERAL, "water-bureau"
            ),
            SEEN,
        )
    assert set(err.value.violations) == {"first_seen_at"}
    d.check_registration(
        Registration(Source.HOTLINE, "自来水发黄", SEEN, Severity.GENERAL, "water-bureau"), SEEN
    )


def test_A70_verification_by_the_department_asked():
    with pytest.raises(RuleViolation) as err:
        d.check_verification(State.REGISTERED, "education-bureau", "general-office", "经核实……")
    assert err.value.rule_id == "A70.verified-by-department"
    with pytest.raises(InvalidInput):
        d.check_verification(State.REGISTERED, "education-bureau", "education-bureau", "  ")
    d.check_verification(State.VERIFIED, "education-bureau", "education-bureau", "补充核实：……")


def test_A70_no_response_without_verification():
    with pytest.raises(RuleViolation) as err:
        d.check_response(State.REGISTERED, "关于某校食堂问题的回应", "经调查……")
    assert err.value.rule_id == "A70"
    d.check_response(State.VERIFIED, "关于某校食堂问题的回应", "经调查……")
    with pytest.raises(InvalidInput) as err:
        d.check_response(State.RESPONDED, "", "")
    assert set(err.value.violations) == {"title", "body", "concern_id"}


def test_A70_press_conference_after_first_seen_once():
    now = SEEN + timedelta(hours=10)
    d.check_press_conference(SEEN + timedelta(hours=9), SEEN, now, None)
    with pytest.raises(InvalidInput):
        d.check_press_conference(SEEN - timedelta(hours=1), SEEN, now, None)
    with pytest.raises(InvalidInput):
        d.check_press_conference(SEEN + timedelta(hours=9), SEEN, now, SEEN + timedelta(hours=8))


def test_A70_concern_events_listed_are_the_ones_published():
    """deploy/nats/streams.yaml lists the concern events acts/concerns.py writes, with their messages."""
    source = (ROOT / "services" / "disclosure" / "acts" / "concerns.py").read_text()
    published = set(re.findall(r'"(disclosure\.concern\.[a-z-]+)"', source))
    doc = yaml.safe_load((ROOT / "deploy" / "nats" / "streams.yaml").read_text())
    (stream,) = [s for s in doc["streams"] if s["name"] == "DISCLOSURE"]
    listed = {k: v for k, v in stream["events"].items() if k.startswith("disclosure.concern.")}
    assert (
        set(listed)
        == published
        == {"disclosure.concern.registered", "disclosure.concern.responded", "disclosure.concern.overdue"}
    )
    for message in listed.values():
        assert hasattr(publications_pb2, message.rsplit(".", 1)[1])
